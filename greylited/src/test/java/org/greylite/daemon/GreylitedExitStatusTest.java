package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * How greylited ends when it cannot start, as the real program does it: exit status 2 for a setting that cannot
 * be used, from the configuration file or the command line, with one line naming the setting (and the file's
 * line), the value and what is expected; 111 for a start that failed for now, which systemd retries. The systemd
 * unit stops restarting on 2 only ({@code RestartPreventExitStatus=2}), so a 111 for a typing mistake would
 * restart greylited forever, and a 2 for a port still held by a stopping process would leave the mail server
 * without its greylisting proxy.
 */
class GreylitedExitStatusTest {

    /** The upstream is never connected to: greylited stops before it takes a client. */
    private static final InetSocketAddress UPSTREAM = new InetSocketAddress("127.0.0.1", 9);

    /**
     * One way to start greylited that fails.
     *
     * @param configLine the configuration file's only line, or null for no file
     * @param without    a flag of {@link GreylitedProcess}'s own left out (so that the file's line counts), or null
     * @param flags      more flags
     * @param status     the exit status expected
     * @param line       the line expected in the output; {@code {conf}}, {@code {dir}} and {@code {taken}} (a port
     *                   in use) are filled in
     */
    record Case(String name, String configLine, String without, List<String> flags, int status, String line) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static Case file(String configLine, String line) {
        return new Case(configLine, configLine, null, List.of(), 2, "greylited: {conf}:1: " + line);
    }

    private static Case flags(int status, String line, String... flags) {
        return new Case(String.join(" ", flags), null, null, List.of(flags), status, line);
    }

    /** 513 octets with the longest recipient in it, 515 with the CRLF. */
    private static final String TOO_LONG_REPLY = "451 4.7.1 <{rcpt}>: " + "x".repeat(240);

    static Stream<Case> cases() {
        String positive = "must be 1s or more: seconds (300) or a number with a unit (30s, 5m, 1h), not '0'";
        return Stream.of(
                // A setting of the configuration file that cannot be used: its file and line, exit status 2.
                file("metrics = 39773",
                        "--metrics wants HOST:PORT, the host included (e.g. 127.0.0.1:39773 or [::1]:39773), not '39773'"),
                new Case("listen = 25", "listen = 25", "--listen", List.of(), 2, "greylited: {conf}:1: --listen wants "
                        + "HOST:PORT, the host included (e.g. 127.0.0.1:25 or [::1]:25), not '25'"),
                file("min-delay = 5x", "--min-delay: bad unit 'x' in duration '5x'; use s, m, h, d or w"),
                file("dns = not-an-ip", "--dns wants an IP address with an optional port (192.0.2.53, 192.0.2.53:5353, "
                        + "[2001:db8::53]:5353), not 'not-an-ip'"),
                file("greylist-reply = 250 ok {rcpt}", "--greylist-reply: the greylisting reply must be a 4xx code and a "
                        + "text on one line: '250 ok {rcpt}'"),
                file("greylist-reply = 421 4.7.1 come back later", "--greylist-reply: the greylisting reply must not be "
                        + "a 421, which says the connection closes (RFC 5321); use 450 or 451: '421 4.7.1 come back later'"),
                // RFC 5321's 512-octet reply line, counted with the longest recipient shown (256 characters and "...").
                file("greylist-reply = " + TOO_LONG_REPLY, "--greylist-reply: the greylisting reply must fit an SMTP "
                        + "reply line of 512 octets with its CRLF (RFC 5321), and with the longest recipient and number "
                        + "of seconds it shows it takes 515: '" + TOO_LONG_REPLY + "'"),
                file("suspicion = {dir}/missing.suspicion",
                        "--suspicion: {dir}/missing.suspicion cannot be read (no such file)"),
                file("log-threshold = 9", "--log-threshold must be 0 (emergencies only) to 7 (debug), not 9"),
                // A word for a level, as syslog names them, is no number: said with the range, not Java's words.
                file("log-threshold = info", "Invalid value for option '--log-threshold': 'info' is not a number: "
                        + "0 (emergencies only) to 7 (debug)"),
                file("whitelist-file = {dir}/missing.whitelist",
                        "--whitelist-file: {dir}/missing.whitelist cannot be read (no such file)"),
                // The same kind of mistakes on the command line.
                flags(2, "greylited: --purge-interval: " + positive, "--purge-interval", "0"),
                flags(2, "greylited: --idle-timeout: " + positive, "--idle-timeout", "0"),
                flags(2, "greylited: --whitelist-file: {dir} cannot be read (is a directory)", "--whitelist-file", "{dir}"),
                flags(2, "greylited: --metrics wants HOST:PORT, the host included (e.g. 127.0.0.1:39773 or "
                        + "[::1]:39773), not '39773'", "--metrics", "39773"),
                // In brackets, with the port left out (ucspi2socket takes it apart): not told to write the brackets.
                new Case("--upstream [::1]", null, "--upstream", List.of("--upstream", "[::1]"), 2,
                        "greylited: --upstream wants a port after the address (e.g. [::1]:25), not '[::1]'"),
                // 0 is no auto-whitelisting at all, not "no limit".
                flags(2, "greylited: Invalid value for option '--auto-whitelist-clients': '-1' is not a number "
                        + "(0 or more; 0 turns auto-whitelisting off)", "--auto-whitelist-clients", "-1"),
                // Cannot start now: 111, retried.
                flags(111, "greylited: cannot serve metrics on 127.0.0.1:{taken}: Address already in use",
                        "--metrics", "127.0.0.1:{taken}"),
                new Case("--listen on a port in use", null, "--listen", List.of("--listen", "127.0.0.1:{taken}"), 111,
                        "greylited: cannot listen on 127.0.0.1:{taken}: Address already in use"));
    }

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void aStartThatFailsSaysWhyInOneLineWithTheExitStatusForIt(Case c) throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Path conf = dir.resolve("greylited.conf");
            GreylitedProcess.Command command = GreylitedProcess.command(UPSTREAM).db(dir.resolve("greylite.db"));
            if (c.without() != null) {
                command.without(c.without());
            }
            if (c.configLine() != null) {
                Files.writeString(conf, filled(c.configLine(), conf, taken) + "\n");
                command.args("--config", conf.toString());
            }
            command.args(c.flags().stream().map(f -> filled(f, conf, taken)).toArray(String[]::new));

            GreylitedProcess.Exit exit = command.runToExit();
            String out = exit.output();
            assertEquals(c.status(), exit.status(), out);
            String expected = filled(c.line(), conf, taken);
            assertEquals(1, out.lines().filter(expected::equals).count(), "the line, once: " + expected + "\n" + out);
            assertFalse(out.contains("java.") || out.contains("\tat "), "no Java class or stack trace shown: " + out);
            if (c.status() == 2) {
                assertTrue(out.lines().noneMatch(l -> l.contains("listening on")), "it never listened: " + out);
            }
        }
    }

    /**
     * An unknown flag, a value the flag's type refuses, or one refused once the flags are read: the error, picocli's
     * suggestion if it has one, and where the options are listed, as greylite-policy says it. picocli's own handler
     * followed the error with the whole usage, some 280 lines, in which the one line that mattered scrolled out of
     * sight (and out of journald's short view of a unit that would not start).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("badFlags")
    void aBadFlagIsTheErrorAndWhereTheOptionsAreListedNotTheWholeUsage(String flag, String value, String error)
            throws Exception {
        GreylitedProcess.Exit exit = GreylitedProcess.command(UPSTREAM).db(dir.resolve("greylite.db"))
                .args(value == null ? new String[] {flag} : new String[] {flag, value}).runToExit();
        String out = exit.output();
        assertEquals(2, exit.status(), out);
        List<String> lines = out.lines().filter(l -> !l.contains(" INFO ")).toList();
        assertEquals("greylited: " + error, lines.get(0), out);
        assertEquals("greylited --help lists the options.", lines.get(lines.size() - 1), out);
        assertTrue(lines.size() <= 3, "the error, picocli's suggestion if any, where the options are listed:\n" + out);
    }

    static Stream<org.junit.jupiter.params.provider.Arguments> badFlags() {
        return Stream.of(
                org.junit.jupiter.params.provider.Arguments.of("--no-such-flag", null,
                        "Unknown option: '--no-such-flag'"),
                org.junit.jupiter.params.provider.Arguments.of("--max-line", "100", "Invalid value for option "
                        + "'--max-line': '100' is below 512 bytes, the line length RFC 5321 4.5.3.1.4 has servers "
                        + "accept"),
                org.junit.jupiter.params.provider.Arguments.of("--max-pending", "-1", "Invalid value for option "
                        + "'--max-pending': '-1' is not a number (0 or more; 0 for no limit)"),
                org.junit.jupiter.params.provider.Arguments.of("--accept-proxy-protocol", "192.0.2.7/99",
                        "--accept-proxy-protocol: bad prefix length in '192.0.2.7/99' (0-32)"));
    }

    private String filled(String text, Path conf, ServerSocket taken) {
        return text.replace("{conf}", conf.toString()).replace("{dir}", dir.toString())
                .replace("{taken}", Integer.toString(taken.getLocalPort()));
    }
}
