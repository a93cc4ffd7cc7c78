package org.greylite.greydaemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.greylite.greylist.ClientKeys;
import org.greylite.greylist.GreylistSettings;
import org.greylite.net.AddressText;
import org.greylite.testing.ProgramJvm;
import org.junit.jupiter.api.Test;

/** greydaemon's command line, as its getopts read it, and the settings it makes with the environment. */
class CommandLineTest {

    private static CommandLine parse(String... args) {
        return CommandLine.parse(List.of(args));
    }

    @Test
    void defaultsAreGreydaemons() {
        CommandLine cl = parse("127.0.0.1", "/var/lib/grey/save");
        assertEquals(1999, cl.listen().getPort());
        assertEquals("/var/lib/grey/save", cl.saveFile());
        GreylistSettings s = GreyDaemon.settings(cl, Map.of());
        assertEquals(Duration.ofMinutes(5), s.minDelay());
        assertEquals(Duration.ofHours(12), s.retryWindow());
        assertEquals(Duration.ofDays(7), s.whitelistLifetime());
        assertEquals(ClientKeys.Mode.IP, s.clientKeys().mode());
    }

    @Test
    void flagsAttachedBundledOrSeparate() {
        CommandLine cl = parse("-dm2", "-g", "6", "-t3", "-s", "1", "-u", "qmaild", "-w", "/etc/white",
                "10.0.0.1:2000", "postgresql://grey@db/greydb");
        assertTrue(cl.debug());
        assertEquals(Duration.ofMinutes(2), cl.minDelay());
        assertEquals(Duration.ofHours(6), cl.window());
        assertEquals(Duration.ofDays(3), cl.knownFor());
        assertEquals(Duration.ofMinutes(1), cl.purgeEvery());
        assertEquals("qmaild", cl.user());
        assertEquals(Path.of("/etc/white"), cl.whitelist());
        assertEquals(2000, cl.listen().getPort());
        assertEquals("postgresql://grey@db/greydb", cl.saveFile());
    }

    @Test
    void fractionsCountAndZeroMeansTheDefaultAsInGreydaemon() {
        assertEquals(Duration.ofSeconds(30), parse("-m", "0.5", "127.0.0.1", "f").minDelay());
        assertNull(parse("-m", "0", "127.0.0.1", "f").minDelay());
        assertEquals(Duration.ofMinutes(5), GreyDaemon.settings(parse("-m", "0", "127.0.0.1", "f"), Map.of()).minDelay());
    }

    /**
     * greydaemon's {@code ($opt_m || 5)*60}: only "" and "0" are false in Perl and fall back to the default; "0.0",
     * "00" and " 0" are true strings worth 0. The number at the start of a value counts, the rest is ignored (with
     * a warning); a fraction of a second counts as the whole second greydaemon's comparison of whole seconds made it.
     */
    @Test
    void valuesAreReadAsGreydaemonsPerlReadThem() {
        assertNull(parse("-m", "", "127.0.0.1", "f").minDelay());
        assertEquals(CommandLine.DEFAULT_PURGE_EVERY, parse("-s", "0", "127.0.0.1", "f").purgeEvery());
        for (String zero : new String[] {"0.0", "00", " 0", "0e0", "+0", ".0"}) {
            assertEquals(Duration.ZERO, parse("-m", zero, "127.0.0.1", "f").minDelay(), zero);
        }
        assertEquals(Duration.ZERO, parse("-t", "0.0", "127.0.0.1", "f").knownFor());
        assertEquals(Duration.ZERO, parse("-s", "00", "127.0.0.1", "f").purgeEvery());
        assertEquals(Duration.ofSeconds(4), parse("-g", "0.001", "127.0.0.1", "f").window(), "3.6 s, whole seconds");
        assertEquals(Duration.ofSeconds(1), parse("-m", "0.001", "127.0.0.1", "f").minDelay());
        assertEquals(Duration.ofMinutes(15), parse("-m", "1.5e1", "127.0.0.1", "f").minDelay());
        CommandLine cl = parse("-m", "5m", "-g", "12 hours", "127.0.0.1", "f");
        assertEquals(Duration.ofMinutes(5), cl.minDelay());
        assertEquals(Duration.ofHours(12), cl.window());
        assertEquals(List.of("-m '5m' is read as 5, as greydaemon read it; the rest is ignored",
                "-g '12 hours' is read as 12, as greydaemon read it; the rest is ignored"), cl.warnings());
        assertTrue(parse("-m", "5", "127.0.0.1", "f").warnings().isEmpty());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> parse("-m", "-1", "127.0.0.1", "f"))
                .getMessage().contains("must not be negative"));
        // -m 0.0 with a window of seconds: greydaemon's zero minutes, so the window is longer than it.
        GreylistSettings s = GreyDaemon.settings(parse("-m", "0.0", "-g", "0.001", "127.0.0.1", "f"), Map.of());
        assertEquals(Duration.ZERO, s.minDelay());
        assertEquals(Duration.ofSeconds(4), s.retryWindow());
    }

    @Test
    void theEnvironmentAdjustsAndTheFlagsWin() {
        Map<String, String> env = Map.of("GREYLITE_MIN_DELAY", "1m", "GREYLITE_RETRY_WINDOW", "2d",
                "GREYLITE_CLIENT_KEY", "net");
        GreylistSettings s = GreyDaemon.settings(parse("-m", "10", "127.0.0.1", "f"), env);
        assertEquals(Duration.ofMinutes(10), s.minDelay());
        assertEquals(Duration.ofDays(2), s.retryWindow());
        assertEquals(ClientKeys.Mode.NET, s.clientKeys().mode());
        // -m longer than the default window but shorter than -g: applied together, accepted.
        assertEquals(Duration.ofHours(13), GreyDaemon.settings(parse("-m", "780", "-g", "24", "127.0.0.1", "f"),
                Map.of()).minDelay());
    }

    @Test
    void addressForms() {
        assertEquals("[::1]:1999", text(parse("::1", "f")));
        assertEquals("[::1]:2001", text(parse("[::1]:2001", "f")));
        assertEquals("127.0.0.1:1999", text(parse("127.0.0.1", "f")));
    }

    private static String text(CommandLine cl) {
        String a = AddressText.of(cl.listen().getAddress());
        return (a.contains(":") ? "[" + a + "]" : a) + ":" + cl.listen().getPort();
    }

    @Test
    void mistakesAreNamed() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> parse("127.0.0.1")).getMessage()
                .contains("save file"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> parse("-x", "127.0.0.1", "f")).getMessage()
                .contains("-x"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> parse("-m", "soon", "127.0.0.1", "f")).getMessage()
                .contains("-m takes a number"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> parse("mail.example.org", "f")).getMessage()
                .contains("not an IP address"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> parse("127.0.0.1:70000", "f")).getMessage()
                .contains("70000"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> parse("-m")).getMessage().contains("-m needs"));
    }

    /** greydaemon run as a program, as its launcher runs it: exit status, then what it wrote on stdout and stderr. */
    private static List<String> run(String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(ProgramJvm.java());
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), GreyDaemon.class.getName()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).start();
        p.getOutputStream().close();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "greydaemon " + String.join(" ", args) + " did not exit");
        return List.of(Integer.toString(p.exitValue()),
                new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
                new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    @Test
    void helpAndVersionAreAnsweredWithExitZero() throws Exception {
        List<String> help = run("--help");
        assertEquals("0", help.get(0), help.toString());
        assertTrue(help.get(1).startsWith(CommandLine.USAGE + "\n"), help.get(1));
        assertTrue(help.get(1).contains("  -m MINUTES "), help.get(1));
        assertEquals("", help.get(2));

        List<String> version = run("--version");
        assertEquals(List.of("0", "greydaemon 0.1.0" + System.lineSeparator(), ""), version);
        // Among the flags too; a mistake is still a usage error.
        assertEquals("0", run("-d", "--help").get(0));
        List<String> unknown = run("-x", "127.0.0.1", "save");
        assertEquals("2", unknown.get(0));
        assertTrue(unknown.get(2).contains("unknown flag -x\n" + CommandLine.USAGE), unknown.get(2));
    }

    @Test
    void runningAsAnotherUserThanAskedStops() {
        GreyDaemon.checkUser(null, "root", 0);
        GreyDaemon.checkUser("qmaild", "qmaild", 1002);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> GreyDaemon.checkUser("qmaild", "root", 0))
                .getMessage().contains("bin/greydaemon"));
        assertThrows(IllegalArgumentException.class, () -> GreyDaemon.checkUser("1002", "root", 0));
    }
}
