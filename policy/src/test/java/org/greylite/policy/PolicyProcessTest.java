package org.greylite.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.greylite.testing.JavaProgram;
import org.greylite.testing.OpenFileLimit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * greylite-policy as an administrator runs it: a real process, read on its stderr, asked over its real sockets,
 * stopped by SIGTERM.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PolicyProcessTest {

    @TempDir
    Path dir;

    /**
     * The start-up line names an IPv6 address as RFC 5952 writes one with a port, {@code [::1]:10023}: without the
     * brackets, {@code ::1:10023} is an address of its own and the port cannot be read off it. The port it names is
     * the one that answers, over IPv6.
     */
    @Test
    void onIpv6TheStartUpLineWritesTheAddressInBracketsAndItAnswersThere() throws Exception {
        Path socket = dir.resolve("policy.sock");
        try (JavaProgram p = PolicyProcess.start(dir, "--inet=[::1]:0", "--unix=" + socket)) {
            String line = p.awaitLine("greylite-policy listening on", Duration.ofSeconds(60));
            Matcher m = Pattern.compile("greylite-policy listening on \\[::1\\]:(\\d+) unix:" + Pattern.quote(socket.toString())
                    + "; greydb ").matcher(line);
            assertTrue(m.find(), line);
            int port = Integer.parseInt(m.group(1));
            try (PolicyClient c = PolicyClient.tcp(new InetSocketAddress(InetAddress.getByName("::1"), port))) {
                assertEquals("DEFER_IF_PERMIT 4.7.1 Greylisted, please retry in 301 seconds",
                        c.ask(PolicyClient.rcpt("2001:db8::7", "a@example.net", "b@example.org")));
            }
            assertTrue(p.awaitLine("decision verdict=greylist", Duration.ofSeconds(10)).contains(" client=2001:db8::7 "),
                    p.output());
            assertFalse(p.output().contains("0:0:0:0:0:0:0:1"), "no Java full text: " + p.output());

            assertEquals(143, p.terminate(Duration.ofSeconds(10)), "SIGTERM stops it at once, as a clean stop: " + p.output());
            assertFalse(Files.exists(socket), "the unix socket is removed at exit");
        }
    }

    /**
     * The signals an administrator's habits send: SIGUSR1 (logrotate's {@code postrotate kill -USR1}) is said in the
     * log and stops nothing; SIGTERM, as systemd sends it, has the start and the end of the stop both said, as
     * greylited says them.
     */
    @Test
    void sigusr1IsLoggedAndIgnoredAndAStopIsSaidWhenItBeginsAndWhenItEnds() throws Exception {
        try (JavaProgram p = PolicyProcess.start(dir, "--inet=127.0.0.1:0")) {
            p.awaitLine("greylite-policy listening on", Duration.ofSeconds(60));
            assertEquals(0, p.signal("USR1"));
            p.awaitLine("SIGUSR1 ignored", Duration.ofSeconds(30));
            assertTrue(p.alive(), "SIGUSR1 does not stop greylite-policy");

            assertEquals(0, p.signal("TERM"));
            p.awaitLine("stopping (signal received)", Duration.ofSeconds(10));
            p.awaitLine("INFO  stopped", Duration.ofSeconds(10));
            assertEquals(143, p.awaitExit(Duration.ofSeconds(10)), p.output());
        }
    }

    /**
     * A whitelist file that does not exist stops nothing, as in postgrey: a warning names it (none for a {@code .local}
     * file, which Debian's configuration names whether or not it was made), it is read as empty, and SIGHUP reads it
     * once it is there.
     */
    @Test
    void aWhitelistFileThatDoesNotExistIsEmptyWithAWarningAndSighupReadsItOnceItIsThere() throws Exception {
        Path clients = dir.resolve("whitelist_clients");
        Path local = dir.resolve("whitelist_clients.local");
        Path recipients = dir.resolve("no-such-dir/whitelist_recipients");
        try (JavaProgram p = PolicyProcess.start(dir, "--inet=127.0.0.1:0", "--whitelist-clients=" + clients,
                "--whitelist-clients=" + local, "--whitelist-recipients=" + recipients)) {
            String line = p.awaitLine("greylite-policy listening on", Duration.ofSeconds(60));
            Matcher m = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)").matcher(line);
            assertTrue(m.find(), line);
            InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), Integer.parseInt(m.group(1)));
            String out = p.output();
            assertTrue(out.contains("whitelist: --whitelist-clients: " + clients + " does not exist; read as empty"), out);
            assertTrue(out.contains("whitelist: --whitelist-recipients: " + recipients + " does not exist"), out);
            assertFalse(out.contains(local.toString() + " does not exist"), "nothing said of the .local file: " + out);
            try (PolicyClient c = PolicyClient.tcp(address)) {
                assertEquals("DEFER_IF_PERMIT 4.7.1 Greylisted, please retry in 301 seconds",
                        c.ask(PolicyClient.rcpt("192.0.2.7", "a@example.net", "b@example.org")));
            }

            Files.writeString(clients, "192.0.2.0/24\n");
            Files.writeString(local, "198.51.100.7\n");
            assertEquals(0, p.signal("HUP"));
            p.awaitLine("SIGHUP: postgrey whitelists: 2 line(s)", Duration.ofSeconds(10));
            try (PolicyClient c = PolicyClient.tcp(address)) {
                assertEquals("DUNNO", c.ask(PolicyClient.rcpt("192.0.2.8", "a@example.net", "c@example.org")));
                assertEquals("DUNNO", c.ask(PolicyClient.rcpt("198.51.100.7", "a@example.net", "c@example.org")));
            }
            assertTrue(p.alive());
        }
    }

    /**
     * The known senders ({@code --whitelist-file}) are read again at SIGHUP, as postgrey's whitelists are: a relay
     * added to the file skips greylisting after {@code systemctl reload}. They used to be read at start only. An edit
     * with a line that does not load keeps the list in force before it, the line named.
     */
    @Test
    void sighupReadsTheKnownSendersFilesAgainAndKeepsTheListWhenAnEditIsBroken() throws Exception {
        Path known = Files.writeString(dir.resolve("known-senders"), "cidr 192.0.2.0/24 a partner\n");
        try (JavaProgram p = PolicyProcess.start(dir, "--inet=127.0.0.1:0", "--whitelist-file=" + known,
                "--no-shipped-whitelist")) {
            String line = p.awaitLine("greylite-policy listening on", Duration.ofSeconds(60));
            Matcher m = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)").matcher(line);
            assertTrue(m.find(), line);
            InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(),
                    Integer.parseInt(m.group(1)));
            try (PolicyClient c = PolicyClient.tcp(address)) {
                assertEquals("DUNNO", c.ask(PolicyClient.rcpt("192.0.2.7", "a@example.net", "b@example.org")));
                assertTrue(c.ask(PolicyClient.rcpt("198.51.100.7", "a@example.net", "b@example.org"))
                        .startsWith("DEFER_IF_PERMIT"), "not a known sender yet");
            }

            Files.writeString(known, "cidr 192.0.2.0/24 a partner\ncidr 198.51.100.7/32 our relay\n"
                    + "regex (unclosed a typo\n");
            assertEquals(0, p.signal("HUP"));
            p.awaitLine(known + ":3: '(unclosed' is not a regular expression", Duration.ofSeconds(10));
            p.awaitLine("not reloaded: 1 line(s) do not load (above); keeping the 1 known senders loaded before",
                    Duration.ofSeconds(10));
            try (PolicyClient c = PolicyClient.tcp(address)) {
                assertTrue(c.ask(PolicyClient.rcpt("198.51.100.7", "a@example.net", "c@example.org"))
                        .startsWith("DEFER_IF_PERMIT"), "the list before the broken edit decides");
            }

            Files.writeString(known, "cidr 192.0.2.0/24 a partner\ncidr 198.51.100.7/32 our relay\n");
            assertEquals(0, p.signal("HUP"));
            p.awaitLine("reloaded, 2 entries", Duration.ofSeconds(10));
            try (PolicyClient c = PolicyClient.tcp(address)) {
                assertEquals("DUNNO", c.ask(PolicyClient.rcpt("198.51.100.7", "a@example.net", "d@example.org")),
                        "a known sender now, without a restart");
            }
        }
    }

    /**
     * A SIGHUP while the service starts (a {@code systemctl reload} right after a restart, a logrotate hook) does not
     * stop it: the JVM's default takes SIGHUP for a request to stop, and the service kept that default until it was
     * listening, seconds into a start on a busy host, so it died with status 129. Signalled from its first log line
     * until it listens, it starts and then reloads on SIGHUP as usual.
     */
    @Test
    void aSighupWhileStartingDoesNotStopIt() throws Exception {
        try (JavaProgram p = PolicyProcess.start(dir, "--inet=127.0.0.1:0")) {
            p.awaitLine("", Duration.ofSeconds(60)); // logging is set up: the service is reading its files
            // The first at once, whatever comes next: a start without C2 can reach "listening" within the 20 ms.
            do {
                assertEquals(0, p.signal("HUP"));
                Thread.sleep(20);
            } while (p.alive() && !p.output().contains("greylite-policy listening on"));
            assertTrue(p.alive(), "stopped by a SIGHUP while starting, status " + p.awaitExit(Duration.ofSeconds(10))
                    + ":\n" + p.output());
            p.awaitLine("greylite-policy listening on", Duration.ofSeconds(60));
            assertEquals(0, p.signal("HUP"));
            p.awaitLine("SIGHUP: reloading the rule files", Duration.ofSeconds(10));
            assertTrue(p.alive(), p.output());
        }
    }

    /**
     * The start-up lines say what the service does: with auto-whitelisting turned off, none of them claims that a
     * client is auto-whitelisted (the line about the missing suspicion file said every client would be).
     */
    @Test
    void withAutoWhitelistingOffNoStartUpLineSaysClientsAreAutoWhitelisted() throws Exception {
        try (JavaProgram p = PolicyProcess.start(dir, "--inet=127.0.0.1:0", "--auto-whitelist-clients=0")) {
            String line = p.awaitLine("greylite-policy listening on", Duration.ofSeconds(60));
            assertTrue(line.contains("auto-whitelist off"), line);
            assertTrue(p.output().contains("no suspicion file"), p.output());
            assertFalse(p.output().contains("auto-whitelisted"), p.output());
        }
    }

    /** The longest path that binds, 106 bytes, is taken (a longer one is refused, see PolicyExitStatusTest). */
    @Test
    void aUnixSocketPathOfTheLongestLengthTheKernelBindsWorks() throws Exception {
        String prefix = dir.resolve("s").toString();
        Path socket = Path.of(prefix + "x".repeat(PostgreyValues.UNIX_PATH_MAX - prefix.length()));
        assertEquals(106, socket.toString().length());
        try (JavaProgram p = PolicyProcess.start(dir, "--unix=" + socket)) {
            p.awaitLine("greylite-policy listening on unix:" + socket + ";", Duration.ofSeconds(60));
            try (PolicyClient c = PolicyClient.unix(socket)) {
                assertEquals("DEFER_IF_PERMIT 4.7.1 Greylisted, please retry in 301 seconds",
                        c.ask(PolicyClient.rcpt("192.0.2.7", "a@example.net", "b@example.org")));
            }
        }
    }

    /**
     * With no file descriptor left, the accept of a waiting client fails and the client stays in the kernel's
     * queue, ready again at once: the service rests its listener for a second after each failure instead of trying
     * in a loop that burns a core and writes a warning at every turn, serves its connections meanwhile, and takes
     * the waiting client once a descriptor is free. The open-file limit is lowered on the running process, with
     * prlimit(1), to the descriptors it holds (a new descriptor needs a number below the limit).
     */
    @Test
    void outOfFileDescriptorsTheListenerRestsAndTakesTheWaitingClientOnceOneIsFree() throws Exception {
        // No PTR lookups: each takes a descriptor for its query, and their resends could take the one the closed
        // connection frees before the resting listener does.
        try (JavaProgram p = PolicyProcess.start(dir, "--inet=127.0.0.1:0", "--ptr-timeout=0")) {
            String line = p.awaitLine("greylite-policy listening on", Duration.ofSeconds(60));
            Matcher m = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)").matcher(line);
            assertTrue(m.find(), line);
            InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), Integer.parseInt(m.group(1)));
            String deferred = "DEFER_IF_PERMIT 4.7.1 Greylisted, please retry in 301 seconds";
            String deferredAgain = "DEFER_IF_PERMIT 4.7.1 Greylisted, please retry in ";
            try (PolicyClient served = PolicyClient.tcp(address)) {
                // Both kinds of answer asked once before the limit: in this test the process loads its classes from
                // folders, a file opened per class, where the installed program has its jars open from the start.
                assertEquals(deferred, served.ask(PolicyClient.rcpt("192.0.2.7", "a@example.net", "b@example.org")));
                assertTrue(served.ask(PolicyClient.rcpt("192.0.2.6", "a@example.net", "b@example.org"))
                        .startsWith(deferredAgain));
                OpenFileLimit.of(p.pid()).leaveNoRoom();

                try (PolicyClient waiting = PolicyClient.tcp(address)) {
                    p.awaitLine("accepting a policy client failed", Duration.ofSeconds(10));
                    // Two and a half seconds of a full descriptor table: a warning per second of rest, not per turn.
                    Thread.sleep(2500);
                    long warnings = p.output().lines().filter(l -> l.contains("accepting a policy client failed")).count();
                    assertTrue(warnings <= 4, warnings + " warnings in 2.5 s:\n" + p.output());
                    assertTrue(p.output().contains("raise the open-file limit"), p.output());

                    assertTrue(served.ask(PolicyClient.rcpt("192.0.2.8", "a@example.net", "b@example.org")).startsWith(deferredAgain),
                            "the connections already taken are served meanwhile:\n" + p.output());
                    served.close(); // its descriptor is freed when the service reads the end of the connection
                    assertTrue(waiting.ask(PolicyClient.rcpt("192.0.2.9", "a@example.net", "b@example.org")).startsWith(deferredAgain),
                            "the waiting client is taken at the end of a rest:\n" + p.output());
                }
            }
        }
    }
}
