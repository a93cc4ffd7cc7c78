package org.greylite.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.greylite.testing.ProgramJvm;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * How greylite-policy ends when it cannot start, as the real program does it, with greylited's exit statuses:
 * 2 for a flag, or a file it names, that cannot be used (the systemd unit does not restart on it), said in one
 * line naming the flag, the value and what is expected; 111 when it cannot start now (a port taken, a greydb
 * that cannot be opened), which systemd retries.
 */
class PolicyExitStatusTest {

    /**
     * @param args   the flags after {@code --db}; {@code {dir}} and {@code {taken}} (a port in use) are filled in
     * @param status the exit status expected
     * @param line   how the line saying why starts
     */
    record Case(List<String> args, int status, String line) {
        @Override
        public String toString() {
            return String.join(" ", args);
        }
    }

    private static Case of(int status, String line, String... args) {
        return new Case(List.of(args), status, line);
    }

    static Stream<Case> cases() {
        String positive = "must be 1s or more: seconds (300) or a number with a unit (30s, 5m, 1h), not '0'";
        return Stream.of(
                of(2, "greylite-policy: --purge-interval: " + positive, "--inet=127.0.0.1:0", "--purge-interval=0"),
                of(2, "greylite-policy: --busy-timeout: " + positive, "--inet=127.0.0.1:0", "--busy-timeout=0"),
                of(2, "greylite-policy: --metrics: '9726' is not HOST:PORT, the host included (e.g. 127.0.0.1:9726 or "
                        + "[::1]:9726)", "--inet=127.0.0.1:0", "--metrics=9726"),
                of(2, "greylite-policy: --suspicion: {dir}/missing.suspicion cannot be read (no such file)",
                        "--inet=127.0.0.1:0", "--suspicion={dir}/missing.suspicion"),
                of(2, "greylite-policy: --whitelist-file: {dir}/missing.whitelist cannot be read (no such file)",
                        "--inet=127.0.0.1:0", "--whitelist-file={dir}/missing.whitelist"),
                // One that does not exist is read as empty (PolicyProcessTest); one that exists and cannot be read stops.
                of(2, "greylite-policy: --whitelist-clients: {dir}/a-directory cannot be read (is a directory)",
                        "--inet=127.0.0.1:0", "--whitelist-clients={dir}/a-directory"),
                // Postfix sends the text on uncut, after its own words: 514 octets with them and CRLF, over RFC 5321's 512.
                of(2, "greylite-policy: --greylist-text: the text must fit Postfix's reply line of 512 octets with its "
                        + "CRLF (RFC 5321), and with the longest seconds and domain it shows, in Postfix's words "
                        + "'450 4.7.1 <>: Recipient address rejected: ...', it takes 514: '" + "x".repeat(470) + "'",
                        "--inet=127.0.0.1:0", "--greylist-text=" + "x".repeat(470)),
                // An answer to Postfix is one line: a line break would put Postfix out of step with its requests.
                of(2, "greylite-policy: --greylist-text: the text must be one line without control characters (an "
                        + "answer to Postfix is one line), and has 0x0a at character 11", "--inet=127.0.0.1:0",
                        "--greylist-text=Greylisted\naction=OK"),
                of(2, "greylite-policy: --x-greylist-header: the text must be one line without control characters (an "
                        + "answer to Postfix is one line), and has 0x0d at character 11", "--inet=127.0.0.1:0",
                        "--x-greylist-header=X-Greylist\r\n"),
                of(2, "greylite-policy: --inet: write an IPv6 address in brackets, e.g. [::1]:10023, not '::1:10023'",
                        "--inet=::1:10023"),
                of(2, "greylite-policy: --inet wants a port after the address (e.g. [::1]:10023), not '[::1]'",
                        "--inet=[::1]"),
                of(2, "greylite-policy: --unix: {dir}/" + "s".repeat(120) + ".sock is ", "--unix={dir}/" + "s".repeat(120)
                        + ".sock"),
                of(2, "greylite-policy: --unix: {dir}/plain-file is a regular file, not a socket; remove it or give "
                        + "another path", "--unix={dir}/plain-file"),
                of(2, "greylite-policy: --unix: {dir}/a-directory is a directory; give the path of the socket in it "
                        + "(e.g. {dir}/a-directory/socket)", "--unix={dir}/a-directory"),
                of(2, "greylite-policy: --unix: the directory {dir}/no-such-dir of {dir}/no-such-dir/socket does not "
                        + "exist; make it first", "--unix={dir}/no-such-dir/socket"),
                of(111, "greylite-policy: cannot listen on 127.0.0.1:{taken}: Address already in use",
                        "--inet=127.0.0.1:{taken}"),
                of(111, "greylite-policy: --inet: cannot resolve host 'mx.example.invalid'", "--inet=mx.example.invalid:0"),
                of(111, "greylite-policy: --metrics: cannot serve metrics on 127.0.0.1:{taken}: Address already in use",
                        "--inet=127.0.0.1:0", "--metrics=127.0.0.1:{taken}"),
                of(111, "greylite-policy: greydb {dir}/plain-file/greylite.db: ", "--inet=127.0.0.1:0",
                        "--db={dir}/plain-file/greylite.db"));
    }

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void aStartThatFailsSaysWhyInOneLineWithTheExitStatusForIt(Case c) throws Exception {
        Files.writeString(dir.resolve("plain-file"), "not a directory\n");
        Files.createDirectories(dir.resolve("a-directory"));
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            List<String> args = new ArrayList<>();
            if (c.args().stream().noneMatch(a -> a.startsWith("--db="))) {
                args.add("--db=" + dir.resolve("greylite.db"));
            }
            c.args().forEach(a -> args.add(filled(a, taken)));
            Ended ended = run(args);

            assertEquals(c.status(), ended.status(), ended.output());
            String expected = filled(c.line(), taken);
            assertEquals(1, ended.output().lines().filter(l -> l.startsWith(expected)).count(),
                    "said once: " + expected + "\n" + ended.output());
            assertFalse(ended.output().contains("java.") || ended.output().contains("\tat "),
                    "no Java class or stack trace shown: " + ended.output());
        }
    }

    /**
     * An unknown flag, or a value that is not of the flag's type: the error and where the options are listed, not the
     * whole usage after it, in which the error scrolled out of sight; exit 2, as for any other bad flag.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("badFlags")
    void aBadFlagIsTheErrorAndWhereTheOptionsAreListedNotTheWholeUsage(String flag, String error) throws Exception {
        Ended ended = run(List.of("--db=" + dir.resolve("greylite.db"), "--inet=127.0.0.1:0", flag));
        assertEquals(2, ended.status(), ended.output());
        List<String> lines = ended.output().lines().toList();
        assertEquals("greylite-policy: " + error, lines.get(0), ended.output());
        assertEquals("greylite-policy --help lists the options.", lines.get(lines.size() - 1), ended.output());
        assertTrue(lines.size() <= 3, "the error, picocli's suggestion if any, where the options are listed:\n"
                + ended.output());
    }

    static Stream<org.junit.jupiter.params.provider.Arguments> badFlags() {
        return Stream.of(
                org.junit.jupiter.params.provider.Arguments.of("--no-such-flag", "Unknown option: '--no-such-flag'"),
                org.junit.jupiter.params.provider.Arguments.of("--lookup-by-hots", "Unknown option: '--lookup-by-hots'"),
                org.junit.jupiter.params.provider.Arguments.of("--max-age=two",
                        "Invalid value for option '--max-age': 'two' is not an int"));
    }

    /**
     * A bad value the administrator put in a variable (the unit's Environment=, /etc/default/greylite-policy) is said
     * under the variable's name, as greylited and greydaemon say it: the flag, which nobody gave, sent the
     * administrator looking for it on a command line where it is not.
     */
    @ParameterizedTest(name = "{0}={1}")
    @MethodSource("badVariables")
    void aBadValueFromAVariableIsSaidUnderTheVariablesName(String variable, String value, String error)
            throws Exception {
        Ended ended = run(List.of("--db=" + dir.resolve("greylite.db"), "--inet=127.0.0.1:0"), Map.of(variable, value));
        assertEquals(2, ended.status(), ended.output());
        List<String> lines = ended.output().lines().filter(l -> !l.contains(" INFO ")).toList();
        assertEquals(List.of("greylite-policy: " + variable + ": " + error), lines, ended.output());
    }

    static Stream<org.junit.jupiter.params.provider.Arguments> badVariables() {
        String duration = "bad duration 'soon'; write whole seconds (300) or a number with a unit s, m, h, d or w "
                + "(30s, 5m, 24h, 36d, 2w)";
        return Stream.of(
                org.junit.jupiter.params.provider.Arguments.of("GREYLITE_MIN_DELAY", "soon", duration),
                org.junit.jupiter.params.provider.Arguments.of("GREYLITE_WHITELIST_LIFETIME", "soon", duration),
                org.junit.jupiter.params.provider.Arguments.of("GREYLITE_CLIENT_KEY", "street",
                        "the client key must be 'ip', 'net' or 'smart', not 'street'"),
                org.junit.jupiter.params.provider.Arguments.of("GREYLITE_MAX_PENDING", "-1",
                        "'-1' is not a number (0 or more; 0 for no limit)"),
                org.junit.jupiter.params.provider.Arguments.of("GREYLITE_AUTO_WHITELIST_CLIENTS", "many",
                        "'many' is not a number (0 or more; 0 turns auto-whitelisting off)"),
                org.junit.jupiter.params.provider.Arguments.of("GREYLITE_METRICS", "9726",
                        "'9726' is not HOST:PORT, the host included (e.g. 127.0.0.1:9726 or [::1]:9726)"));
    }

    private record Ended(int status, String output) {
    }

    /** Runs the real program with {@code args}; its exit status and what it wrote on stdout and stderr. */
    private Ended run(List<String> args) throws Exception {
        return run(args, Map.of());
    }

    /** Runs the real program with {@code args} and {@code variables} added to its environment. */
    private Ended run(List<String> args, Map<String, String> variables) throws Exception {
        List<String> command = new ArrayList<>(ProgramJvm.java());
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), GreylitePolicy.class.getName()));
        command.addAll(args);
        // Into a file, not a pipe read to its end: a program that starts when it should not must fail the
        // case, not hang it.
        Path output = dir.resolve("output");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile());
        builder.environment().putAll(variables);
        Process p = builder.start();
        p.getOutputStream().close();
        boolean ended = p.waitFor(60, TimeUnit.SECONDS);
        if (!ended) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        String out = Files.readString(output, StandardCharsets.UTF_8);
        assertTrue(ended, "still running: " + out);
        return new Ended(p.exitValue(), out);
    }

    private String filled(String text, ServerSocket taken) {
        return text.replace("{dir}", dir.toString()).replace("{taken}", Integer.toString(taken.getLocalPort()));
    }
}
