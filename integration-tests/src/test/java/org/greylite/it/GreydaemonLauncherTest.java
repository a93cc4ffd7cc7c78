package org.greylite.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.greylite.testing.RootOnly;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/greydaemon} as a real process, asked over UDP exactly what the patched qmail-smtpd asks at DATA
 * ({@code I<ip>\0F<from>\0T<rcpt>\0...}, a two-byte answer read back), with {@code bin/greylitectl} on its greydb.
 */
@Timeout(180)
class GreydaemonLauncherTest {

    private static final Pattern STARTED = Pattern.compile("started greydaemon on [0-9.]+:(\\d+)");

    @TempDir
    Path dir;

    private ProgramOutput output;
    private Process daemon;

    @BeforeAll
    static void built() {
        Launchers.requireBuilt();
    }

    @AfterEach
    void stop() throws Exception {
        if (daemon != null) {
            daemon.destroy();
            if (!daemon.waitFor(20, TimeUnit.SECONDS)) {
                daemon.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    /** Starts bin/greydaemon; returns the UDP port it serves on. */
    private int start(Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Launchers.bin("greydaemon")));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        daemon = pb.start();
        output = new ProgramOutput(daemon, "greydaemon");
        return Integer.parseInt(output.await(STARTED, Duration.ofSeconds(90)).group(1));
    }

    @Test
    void answersAsGreydaemonDidWithItsStateInTheGreydb() throws Exception {
        Path white = dir.resolve("white");
        Files.writeString(white, "192.0.2\n");
        Path greydb = dir.resolve("greydb");
        // -g 0.002: a first attempt waits 7.2 s for its retry, rounded up to 8 s as greydaemon's whole seconds did; GREYLITE_MIN_DELAY: a retry 2 s after the refusal
        // passes, which the greydb's whole seconds (the refusal recorded rounded up) make up to 3 s.
        int port = start(Map.of("GREYLITE_MIN_DELAY", "2s", "GREYLITE_NO_SHIPPED_WHITELIST", ""),
                "-w", white.toString(), "-g", "0.002", "127.0.0.1:0", greydb.toString());
        try (DatagramSocket s = connected(port)) {
            assertEquals("0,1", ask(s, packet("198.51.100.7", "alice@example.net", "bob@example.org")));
            assertEquals("0,2", ask(s, packet("198.51.100.7", "alice@example.net", "bob@example.org")));
            Thread.sleep(3200);
            assertEquals("1,3", ask(s, packet("198.51.100.7", "alice@example.net", "bob@example.org")));
            assertEquals("1,2", ask(s, packet("198.51.100.7", "carol@example.net", "dave@example.org")));
            assertEquals("1,1", ask(s, packet("192.0.2.44", "alice@example.net", "bob@example.org")));
            assertEquals("1,4", ask(s, packet("203.0.113.2", "", "owner-list-7=example.net@lists.example.org")));

            s.setSoTimeout(700);
            assertNull(ask(s, "garbage without fields".getBytes(StandardCharsets.UTF_8)));
            assertNull(ask(s, "I203.0.113.9\0Xa@example.net\0".getBytes(StandardCharsets.UTF_8)));
            // An answer that must come is waited for as long as a loaded machine needs.
            s.setSoTimeout(10_000);
            // As greydaemon looked at the client first: a -w client is answered whatever follows.
            assertEquals("1,1", ask(s, "I192.0.2.1\0Fa@example.net\0".getBytes(StandardCharsets.UTF_8)));

            assertEquals("0,1", ask(s, packet("203.0.113.3", "erin@example.net", "frank@example.org", "gina@example.org")));
            Thread.sleep(9500);
            assertEquals("0,3", ask(s, packet("203.0.113.3", "erin@example.net", "frank@example.org", "gina@example.org")));
        }
        // greylitectl reads the same greydb while the daemon runs.
        Launchers.Ended ctl = Launchers.runToEnd(new ProcessBuilder(Launchers.bin("greylitectl"), "db", "list", "--db",
                greydb.toString()), dir, "greylitectl", 60);
        String listing = ctl.out();
        assertEquals(0, ctl.status(), listing);
        assertTrue(listing.contains("frank@example.org") && listing.contains("203.0.113.3"), listing);
        assertTrue(output.lines().stream().anyMatch(l -> l.contains("decision verdict=greylist reason=first-attempt client=198.51.100.7")
                && l.contains("from=<alice@example.net> to=<bob@example.org>")), String.join("\n", output.lines()));
        assertTrue(output.lines().stream().anyMatch(l -> l.contains("malformed request from 127.0.0.1")), String.join("\n", output.lines()));
    }

    /**
     * {@code greylitectl suspicion explain --as greydaemon} gives the line and N greydaemon decides by. greydaemon is told
     * no PTR name and no HELO, so it cannot evaluate the {@code r ^$} "no PTR name" line of the shipped examples, nor an
     * {@code h:} pattern; explained as greylited sees a client, that line matched every greydaemon client, N = 4.
     */
    @Test
    void explainAsGreydaemonAgreesWithItsDecisions() throws Exception {
        Path rules = dir.resolve("suspicion");
        Files.writeString(rules, "4 r ^$\n3 e h:^localhost$\n2 e s:@spam\\.example$\n");
        Map<String, String> env = Map.of("SUSPICION", rules.toString(), "GREYLITE_NO_SHIPPED_WHITELIST", "");
        int port = start(env, "127.0.0.1:0", dir.resolve("greydb").toString());
        try (DatagramSocket s = connected(port)) {
            assertEquals("0,1", ask(s, packet("198.51.100.7", "alice@spam.example", "bob@example.org")));
            assertEquals("0,1", ask(s, packet("198.51.100.8", "carol@example.net", "bob@example.org")));
        }
        for (String[] client : List.of(new String[] {"198.51.100.7", "alice@spam.example"},
                new String[] {"198.51.100.8", "carol@example.net"})) {
            Matcher decided = output.await(Pattern.compile("decision .*client=" + Pattern.quote(client[0])
                    + " .* refusals-needed=(\\d+) .*rule=(-|\\S+:(\\d+))"), Duration.ofSeconds(10));
            ProcessBuilder pb = new ProcessBuilder(Launchers.bin("greylitectl"), "suspicion", "explain", rules.toString(),
                    "--as", "greydaemon", "--ip", client[0], "--from", client[1], "--to", "bob@example.org", "--json");
            pb.environment().putAll(env);
            Launchers.Ended explained = Launchers.runToEnd(pb, dir, "greylitectl", 60);
            assertEquals(0, explained.status(), explained.out());
            String json = explained.out().lines().filter(l -> l.startsWith("{")).findFirst().orElseThrow();
            String line = decided.group(3) == null ? "null" : decided.group(3);
            assertTrue(json.startsWith("{\"line\": " + line + ", \"attempts\": " + decided.group(1) + ","),
                    decided.group() + "\n" + json);
        }
    }

    @Test
    void asRootDashUSwitchesToTheUserAndBindsAPrivilegedPort() throws Exception {
        RootOnly.require("-u needs the test to run as root");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x")); // nobody may pass through
        Path state = Files.createDirectory(dir.resolve("state"));
        Files.setPosixFilePermissions(state, PosixFilePermissions.fromString("rwxrwxrwx"));
        int port = freePrivilegedPort();
        start(Map.of(), "-u", "nobody", "127.0.0.1:" + port, state.resolve("greydb").toString());
        String status = Files.readString(Path.of("/proc/" + daemon.pid() + "/status"));
        Matcher uid = Pattern.compile("(?m)^Uid:\\s+(\\d+)\\s+(\\d+)").matcher(status);
        assertTrue(uid.find(), status);
        assertEquals("65534", uid.group(1), status);
        assertEquals("65534", uid.group(2), status);
        // Only the capability to bind below 1024 is kept.
        Matcher eff = Pattern.compile("(?m)^CapEff:\\s+([0-9a-f]+)").matcher(status);
        assertTrue(eff.find(), status);
        assertEquals(1L << 10, Long.parseLong(eff.group(1), 16), status);
        try (DatagramSocket s = connected(port)) {
            assertEquals("0,1", ask(s, packet("198.51.100.9", "a@example.net", "b@example.org")));
        }
        assertEquals("nobody", Files.getOwner(state.resolve("greydb")).getName());
    }

    /**
     * -u takes a user id as well as a name, as the id(1) and setpriv(1) of the launcher do. Before, the launcher switched
     * to the id and Java, comparing the id with the user's name, stopped with a line telling the administrator to start
     * it as root through bin/greydaemon, which was what had been done.
     */
    @Test
    void asRootDashUTakesAUserId() throws Exception {
        RootOnly.require("-u needs the test to run as root");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x")); // nobody may pass through
        Path state = Files.createDirectory(dir.resolve("state"));
        Files.setPosixFilePermissions(state, PosixFilePermissions.fromString("rwxrwxrwx"));
        int port = start(Map.of(), "-u", "65534", "127.0.0.1:0", state.resolve("greydb").toString());
        try (DatagramSocket s = connected(port)) {
            assertEquals("0,1", ask(s, packet("198.51.100.9", "a@example.net", "b@example.org")));
        }
        assertEquals("nobody", Files.getOwner(state.resolve("greydb")).getName());
    }

    /**
     * A save file USER may not read (an old greydaemon run as root left it so) stops the start, saying which file and
     * what keeps USER out of it. Before, the line said only the path: "greydaemon: /var/lib/greydaemon/save".
     */
    @Test
    void asRootDashUWithASaveFileTheUserCannotReadSaysWhy() throws Exception {
        RootOnly.require("-u needs the test to run as root");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x")); // nobody may pass through
        Path state = Files.createDirectory(dir.resolve("state"));
        Files.setPosixFilePermissions(state, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path save = state.resolve("save");
        Files.writeString(save, "G 1796400000 198.51.100.3 alice@example.net bob@example.org\n");
        Files.setPosixFilePermissions(save, PosixFilePermissions.fromString("rw-------"));

        Launchers.Ended ended = Launchers.runToEnd(new ProcessBuilder(Launchers.bin("greydaemon"), "-u", "nobody",
                "127.0.0.1:0", save.toString()), dir, "greydaemon", 60);

        assertEquals(111, ended.status(), ended.out());
        assertTrue(ended.out().contains("ERROR greydaemon: SAVEFILE " + save + " cannot be read (permission denied: "
                + save + " is owned by root:root with mode rw-------, and this program runs as user 'nobody')"),
                ended.out());
        assertTrue(Files.exists(save) && !Files.exists(state.resolve("save.importing")), "nothing moved or left");
    }

    private static int freePrivilegedPort() {
        for (int p = 1023; p > 900; p--) {
            try (DatagramSocket s = new DatagramSocket(new InetSocketAddress("127.0.0.1", p))) {
                return p;
            } catch (IOException e) {
                // in use: try the next
            }
        }
        throw new AssertionError("no free UDP port between 901 and 1023");
    }

    private static DatagramSocket connected(int port) throws IOException {
        DatagramSocket s = new DatagramSocket();
        s.connect(new InetSocketAddress("127.0.0.1", port));
        s.setSoTimeout(10_000);
        return s;
    }

    /** What the patched qmail-smtpd sends: I ip NUL F sender NUL, then T rcpt NUL for each recipient. */
    private static byte[] packet(String ip, String from, String... to) {
        ByteArrayOutputStream p = new ByteArrayOutputStream();
        p.writeBytes(("I" + ip + "\0F" + from + "\0").getBytes(StandardCharsets.UTF_8));
        for (String t : to) {
            p.writeBytes(("T" + t + "\0").getBytes(StandardCharsets.UTF_8));
        }
        return p.toByteArray();
    }

    /** The two bytes of the answer as "1,3", or null when none came. */
    private static String ask(DatagramSocket s, byte[] datagram) throws IOException {
        s.send(new DatagramPacket(datagram, datagram.length));
        byte[] a = new byte[2];
        DatagramPacket in = new DatagramPacket(a, 2);
        try {
            s.receive(in);
        } catch (SocketTimeoutException e) {
            return null;
        }
        return a[0] + "," + a[1];
    }
}
