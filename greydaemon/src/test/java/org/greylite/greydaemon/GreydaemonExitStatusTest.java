package org.greylite.greydaemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
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
 * How greydaemon ends when it cannot start, as the real program does it, with greylited's exit statuses: 2 for a
 * flag, a variable or a file they name that cannot be used, said in one line naming it; 111 when it cannot start
 * now (the UDP or the metrics port taken, a greydb that cannot be opened). Under daemontools both are restarted;
 * under systemd, with {@code RestartPreventExitStatus=2}, only the second.
 */
class GreydaemonExitStatusTest {

    /**
     * @param env    variables; in them and in {@code args}, {@code {dir}}, {@code {tcp}} and {@code {udp}} (ports in
     *               use) are filled in
     * @param args   the command line
     * @param status the exit status expected
     * @param says   what the error line says after "greydaemon: "
     */
    record Case(Map<String, String> env, List<String> args, int status, String says) {
        @Override
        public String toString() {
            return env + " " + String.join(" ", args);
        }
    }

    private static Case of(Map<String, String> env, int status, String says, String... args) {
        return new Case(env, List.of(args), status, says);
    }

    static Stream<Case> cases() {
        String listen = "127.0.0.1:0";
        String db = "{dir}/greydb";
        return Stream.of(
                of(Map.of(), 2, "-w: {dir}/missing cannot be read (no such file)", "-w", "{dir}/missing", listen, db),
                of(Map.of("SUSPICION", "{dir}/missing"), 2, "SUSPICION: {dir}/missing cannot be read (no such file)",
                        listen, db),
                of(Map.of("GREYLITE_WHITELIST_FILES", "{dir}/missing"), 2,
                        "GREYLITE_WHITELIST_FILES: {dir}/missing cannot be read (no such file)", listen, db),
                of(Map.of("GREYLITE_METRICS", "9727"), 2,
                        "GREYLITE_METRICS: '9727' is not HOST:PORT, the host included (e.g. 127.0.0.1:9727 or [::1]:9727)",
                        listen, db),
                of(Map.of("GREYLITE_AUTO_WHITELIST_CLIENTS", "-1"), 2, "GREYLITE_AUTO_WHITELIST_CLIENTS: '-1' is not a"
                        + " number (0 or more; 0 turns auto-whitelisting off)", listen, db),
                of(Map.of("GREYLITE_BUSY_TIMEOUT", "0"), 2, "GREYLITE_BUSY_TIMEOUT: must be 1s or more: seconds (300)"
                        + " or a number with a unit (30s, 5m, 1h), not '0'", listen, db),
                of(Map.of(), 2, "-g (1h) must be longer than -m (2h), or no retry could ever pass", "-m", "120", "-g",
                        "1", listen, db),
                of(Map.of("GREYLITE_RETRY_WINDOW", "1h"), 2, "GREYLITE_RETRY_WINDOW (1h) must be longer than -m (2h), or"
                        + " no retry could ever pass", "-m", "120", listen, db),
                of(Map.of("GREYLITE_MIN_DELAY", "13h"), 2, "the default of -g (12h) must be longer than"
                        + " GREYLITE_MIN_DELAY (13h), or no retry could ever pass", listen, db),
                of(Map.of(), 2, "SAVEFILE {dir} is a directory; give the path of a file, e.g. {dir}/save", listen,
                        "{dir}"),
                of(Map.of(), 111, "cannot bind UDP 127.0.0.1:{udp}: Address already in use", "127.0.0.1:{udp}", db),
                of(Map.of("GREYLITE_METRICS", "127.0.0.1:{tcp}"), 111,
                        "GREYLITE_METRICS: cannot serve metrics on 127.0.0.1:{tcp}: Address already in use", listen, db),
                of(Map.of(), 111, "greydb {dir}/plain-file/greydb: ", listen, "{dir}/plain-file/greydb"));
    }

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void aStartThatFailsSaysWhyInOneLineWithTheExitStatusForIt(Case c) throws Exception {
        Files.writeString(dir.resolve("plain-file"), "not a directory\n");
        InetAddress loopback = InetAddress.getLoopbackAddress();
        try (ServerSocket tcp = new ServerSocket(0, 1, loopback);
             DatagramSocket udp = new DatagramSocket(new InetSocketAddress(loopback, 0))) {
            Filler fill = new Filler(dir, tcp.getLocalPort(), udp.getLocalPort());
            List<String> command = new ArrayList<>(ProgramJvm.java());
            command.addAll(List.of("-cp", System.getProperty("java.class.path"), GreyDaemon.class.getName()));
            c.args().forEach(a -> command.add(fill.in(a)));
            // Into a file, not a pipe read to its end: a program that starts when it should not must fail the
            // case, not hang it.
            Path output = dir.resolve("output");
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile());
            c.env().forEach((k, v) -> pb.environment().put(k, fill.in(v)));
            Process p = pb.start();
            p.getOutputStream().close();
            boolean ended = p.waitFor(60, TimeUnit.SECONDS);
            if (!ended) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            String out = Files.readString(output, StandardCharsets.UTF_8);
            assertTrue(ended, "still running: " + out);

            assertEquals(c.status(), p.exitValue(), out);
            String expected = "ERROR greydaemon: " + fill.in(c.says());
            assertEquals(1, out.lines().filter(l -> l.contains(expected)).count(), "said once: " + expected + "\n" + out);
            assertFalse(out.contains("java.") || out.contains("\tat "), "no Java class or stack trace shown: " + out);
        }
    }

    /**
     * A start that cannot have its port changes nothing: the old greydaemon still running there (the administrator
     * trying the new one before stopping it) keeps its save file where it writes it. Bound last, the port was found
     * taken after the save file had been imported and renamed, and the old daemon's next save (an unlink, then a
     * rename over SAVEFILE) threw the imported greydb away; every later start then stopped on the backup left behind.
     */
    @org.junit.jupiter.api.Test
    void aStartThatCannotBindItsPortLeavesTheSaveFileAsItWas() throws Exception {
        Path save = dir.resolve("save");
        String text = "I " + java.time.Instant.now().getEpochSecond() + " 192.0.2.10\n";
        Files.writeString(save, text);
        try (DatagramSocket taken = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
             org.greylite.testing.JavaProgram d = GreydaemonProcess.start("127.0.0.1:" + taken.getLocalPort(),
                     save.toString())) {
            assertEquals(111, d.awaitExit(java.time.Duration.ofSeconds(60)), d::output);
            assertTrue(d.output().contains("cannot bind UDP 127.0.0.1:" + taken.getLocalPort()), d::output);
        }
        assertEquals(text, new String(Files.readAllBytes(save), StandardCharsets.ISO_8859_1),
                "the save file is where it was, as it was");
        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(List.of(save), left.toList(), "no backup, no greydb beside it");
        }
    }

    private record Filler(Path dir, int tcp, int udp) {
        String in(String text) {
            return text.replace("{dir}", dir.toString()).replace("{tcp}", Integer.toString(tcp))
                    .replace("{udp}", Integer.toString(udp));
        }
    }
}
