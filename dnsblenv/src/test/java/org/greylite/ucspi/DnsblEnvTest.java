package org.greylite.ucspi;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.net.DatagramSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.greylite.testing.Dnsmasq;
import org.greylite.testing.FreePort;
import org.greylite.testing.ProgramJvm;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.Message;

/**
 * dnsblenv as a real child process, asking a real DNS server: Debian's dnsmasq on loopback, serving
 * two DNSBL zones with a few listed addresses and NXDOMAIN for the rest.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class DnsblEnvTest {

    /** 2001:db8::1, reversed by nibble. */
    private static final String V6_NIBBLES = "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2";
    private static final String PRINT = "printf '%s|%s\\n' \"${BLACKLISTED-unset}\" \"${HIT-unset}\"";

    private static Dnsmasq dnsmasq;
    private static int dnsPort;

    @BeforeAll
    static void startDnsmasq() throws Exception {
        // Answer for these names only; --local keeps the rest of each zone NXDOMAIN instead of forwarding. Any
        // other zone gets REFUSED: there is no upstream.
        dnsmasq = Dnsmasq.serving("2.0.0.127.bl2.test.", List.of(
                "--local=/bl1.test/", "--local=/bl2.test/",
                "--address=/2.0.0.127.bl2.test/127.0.0.2",
                "--address=/4.0.0.127.bl1.test/127.0.0.4",
                "--address=/4.0.0.127.bl2.test/127.0.0.2",
                "--address=/5.0.0.127.bl1.test/93.184.216.34",
                "--local=/wl.test/", "--address=/6.0.0.127.wl.test/127.0.0.255",
                "--address=/" + V6_NIBBLES + ".bl2.test/127.0.0.3"));
        dnsPort = dnsmasq.port();
    }

    @AfterAll
    static void stopDnsmasq() {
        if (dnsmasq != null) {
            dnsmasq.close();
        }
    }

    @Test
    void listedInTheSecondOfTwoZones() throws Exception {
        Result r = dnsblenv(env("127.0.0.2", "bl1.test bl2.test"), "sh", "-c", PRINT);
        assertEquals(0, r.status);
        assertEquals("bl2.test|unset\n", r.stdout);
        assertEquals("dnsblenv: 127.0.0.2 listed in bl2.test (127.0.0.2)\n", r.stderr);
    }

    @Test
    void firstListingZoneInTheGivenOrderWins() throws Exception {
        assertEquals("bl1.test|unset\n",
                dnsblenv(env("127.0.0.4", "bl1.test bl2.test"), "sh", "-c", PRINT).stdout);
        assertEquals("bl2.test.|unset\n",
                dnsblenv(env("127.0.0.4", "bl2.test. bl1.test"), "sh", "-c", PRINT).stdout,
                "the zone exactly as written, trailing dot included");
    }

    @Test
    void dnsblVarnameIsHonoured() throws Exception {
        Map<String, String> env = env("127.0.0.2", "bl1.test bl2.test");
        env.put("DNSBL_VARNAME", "HIT");
        assertEquals("unset|bl2.test\n", dnsblenv(env, "sh", "-c", PRINT).stdout);
    }

    @Test
    void aVarnameNoShellVariableCanHoldSetsNothingAndSaysSo() throws Exception {
        // /bin/sh drops such a variable from its environment: a PROGRAM behind a shell never saw the listing. Not
        // BLACKLISTED instead: the name may be a whitelist's.
        for (String bad : List.of("HIT ME", "HIT-ME", "1HIT", "HIT=ME")) {
            Map<String, String> env = env("127.0.0.2", "bl1.test bl2.test");
            env.put("DNSBL_VARNAME", bad);
            Result r = dnsblenv(env, "env"); // env(1), no shell: what PROGRAM itself gets
            assertTrue(r.stdout.lines().noneMatch(l -> l.endsWith("=bl2.test") && !l.startsWith("DNSBL=")), r.stdout);
            assertTrue(r.stderr.startsWith("dnsblenv: DNSBL_VARNAME: '" + bad + "' is no variable's name (letters,"
                    + " digits and '_', not starting with a digit); a listing sets no variable\n"), r.stderr);
            assertEquals(0, r.status);
        }
    }

    @Test
    void notListedLeavesTheVariableUnsetAndSaysNothing() throws Exception {
        Result r = dnsblenv(env("127.0.0.9", "bl1.test bl2.test"), "sh", "-c", PRINT);
        assertEquals("unset|unset\n", r.stdout);
        assertEquals("", r.stderr, "NXDOMAIN is silent");
        assertEquals(0, r.status);
    }

    @Test
    void withoutDnsblOrAValidClientProgramRunsAtOnce() throws Exception {
        Map<String, String> env = env("127.0.0.2", "bl2.test");
        env.remove("DNSBL");
        env.put("DNSCACHEIP", "127.0.0.1:" + blackHole()); // would time out if asked
        // Asking would take the whole 15 s; 9 s leaves the JVM's start-up room on a busy machine.
        env.put("DNSBL_TIMEOUT", "15000");
        Result r = dnsblenv(env, "sh", "-c", PRINT);
        assertEquals("unset|unset\n", r.stdout);
        assertEquals("", r.stderr);
        assertTrue(r.elapsed.compareTo(Duration.ofMillis(9000)) < 0, r.elapsed.toString());

        env.put("DNSBL", "bl2.test");
        env.remove("TCPREMOTEIP");
        r = dnsblenv(env, "sh", "-c", PRINT);
        assertEquals("unset|unset\n", r.stdout);
        assertEquals("", r.stderr);
        assertTrue(r.elapsed.compareTo(Duration.ofMillis(9000)) < 0, r.elapsed.toString());

        env.put("TCPREMOTEIP", "mail.example");
        r = dnsblenv(env, "sh", "-c", PRINT);
        assertEquals("unset|unset\n", r.stdout);
        assertEquals("dnsblenv: TCPREMOTEIP 'mail.example' is not an IP address; not checked\n", r.stderr);
        assertTrue(r.elapsed.compareTo(Duration.ofMillis(9000)) < 0, r.elapsed.toString());
    }

    @Test
    void ipv6ClientsAreQueriedByNibble() throws Exception {
        Result r = dnsblenv(env("2001:db8::1", "bl1.test bl2.test"), "sh", "-c", PRINT);
        assertEquals("bl2.test|unset\n", r.stdout);
        assertEquals("dnsblenv: 2001:db8::1 listed in bl2.test (127.0.0.3)\n", r.stderr);
        assertEquals("bl2.test|unset\n",
                dnsblenv(env("::ffff:127.0.0.2", "bl2.test"), "sh", "-c", PRINT).stdout,
                "an IPv4-mapped address is looked up as IPv4");
    }

    @Test
    void aClientBehindNat64OrTeredoIsLookedUpByItsIpv4Address() throws Exception {
        // An IPv6-only server behind a NAT64 translator sees every IPv4 client as 64:ff9b::a.b.c.d. Looked up by those
        // nibbles, which no list holds, no IPv4 spammer was ever marked; the lists hold the IPv4 address. Teredo's
        // 2001:0::/32 carries the client's IPv4 address too, inverted.
        Result r = dnsblenv(env("64:ff9b::7f00:2", "bl1.test bl2.test"), "sh", "-c", PRINT);
        assertEquals("bl2.test|unset\n", r.stdout, r.stderr);
        assertEquals("dnsblenv: 64:ff9b::7f00:2 listed in bl2.test (127.0.0.2)\n", r.stderr);
        assertEquals("bl1.test|unset\n", dnsblenv(env("2001:0:4136:e378:8000:63bf:80ff:fffb", "bl1.test bl2.test"),
                "sh", "-c", PRINT).stdout, "Teredo: 127.0.0.4, its bits inverted");
    }

    @Test
    void aDnsWhitelistsQueryLimitAnswerIsNoListing() throws Exception {
        // dnswl.org answers 127.0.0.255 to a resolver over its query limit: as a listing, the examples' DNSWL
        // variable (with '0 v DNSWL') was set for every client of that resolver.
        Map<String, String> env = env("127.0.0.6", "wl.test");
        env.put("DNSBL_VARNAME", "HIT");
        Result r = dnsblenv(env, "sh", "-c", PRINT);
        assertEquals("unset|unset\n", r.stdout);
        assertEquals("dnsblenv: 127.0.0.6 lookup in wl.test failed: answered 127.0.0.255, which is no listing code\n",
                r.stderr);
    }

    @Test
    void answersOutside127AndRefusedZonesAreFailuresNotListings() throws Exception {
        Result r = dnsblenv(env("127.0.0.5", "bl1.test unknown.test"), "sh", "-c", PRINT);
        assertEquals("unset|unset\n", r.stdout);
        assertEquals("dnsblenv: 127.0.0.5 lookup in bl1.test failed: answered 93.184.216.34, which is no listing code\n"
                + "dnsblenv: 127.0.0.5 lookup in unknown.test failed: REFUSED\n", r.stderr);
    }

    @Test
    void silentDnsServerTimesOutWithinTheLimit() throws Exception {
        Map<String, String> env = env("127.0.0.2", "bl1.test bl2.test");
        env.put("DNSCACHEIP", "127.0.0.1:" + blackHole());
        env.put("DNSBL_TIMEOUT", "5000");
        Result r = dnsblenv(env, "sh", "-c", PRINT);
        assertEquals("unset|unset\n", r.stdout);
        assertEquals(0, r.status);
        assertEquals("dnsblenv: 127.0.0.2 lookup in bl1.test failed: timed out\n"
                + "dnsblenv: 127.0.0.2 lookup in bl2.test failed: timed out\n", r.stderr);
        // 5 s for the lookups, in parallel, plus the JVM's start-up; one after the other they would take 10 s.
        assertTrue(r.elapsed.compareTo(Duration.ofMillis(9000)) < 0, r.elapsed.toString());
    }

    @Test
    void aTimeoutTooLongToReckonWithIsCappedAndTheProgramRuns() throws Exception {
        Map<String, String> env = env("127.0.0.2", "bl2.test");
        env.put("DNSBL_TIMEOUT", "9300000000000"); // a typo: as nanoseconds it overflows a long
        Result r = dnsblenv(env, "sh", "-c", PRINT);
        assertEquals("bl2.test|unset\n", r.stdout);
        assertEquals(0, r.status);
        assertTrue(r.stderr.startsWith("dnsblenv: DNSBL_TIMEOUT: '9300000000000' is more than 300000 ms"), r.stderr);
    }

    @Test
    void noDnsServerAtAllIsAFailureNotAListing() throws Exception {
        Map<String, String> env = env("127.0.0.2", "bl2.test");
        env.put("DNSCACHEIP", "127.0.0.1:" + FreePort.loopback());
        env.put("DNSBL_TIMEOUT", "1000");
        Result r = dnsblenv(env, "sh", "-c", PRINT);
        assertEquals("unset|unset\n", r.stdout);
        assertTrue(r.stderr.startsWith("dnsblenv: 127.0.0.2 lookup in bl2.test failed: "), r.stderr);
        assertEquals(1, r.stderr.lines().count(), r.stderr);
        // At most the 1 s limit plus the JVM's start-up; a resolver left at dnsjava's default would wait 10 s.
        assertTrue(r.elapsed.compareTo(Duration.ofMillis(8000)) < 0, r.elapsed.toString());
    }

    @Test
    void twoSilentServersStillLeaveTimeForTheThird() throws Exception {
        // Each server's share of the 2 s is a third; dnsjava noticed a try's timeout only at its next second,
        // so the two silent servers took the whole check and the listing was missed.
        Map<String, String> env = env("127.0.0.2", "bl2.test");
        env.put("DNSCACHEIP", "127.0.0.1:" + blackHole() + " 127.0.0.1:" + blackHole() + " 127.0.0.1:" + dnsPort);
        env.put("DNSBL_TIMEOUT", "2000");
        Result r = dnsblenv(env, "sh", "-c", PRINT);
        assertEquals("bl2.test|unset\n", r.stdout, r.stderr);
    }

    @Test
    void aSilentFirstServerFallsOverToTheNext() throws Exception {
        Map<String, String> env = env("127.0.0.2", "bl2.test");
        env.put("DNSCACHEIP", "127.0.0.1:" + blackHole() + " 127.0.0.1:" + dnsPort);
        env.put("DNSBL_TIMEOUT", "4000"); // half of it for the silent one, the rest for the one that answers
        Result r = dnsblenv(env, "sh", "-c", PRINT);
        assertEquals("bl2.test|unset\n", r.stdout);
    }

    @Test
    void aFirstServerThatRefusesOrFailsFallsOverToTheNext() throws Exception {
        // A resolver that answers REFUSED (no recursion for this host) or SERVFAIL is asked no more, as djbdns and the
        // C library do: the next one in DNSCACHEIP is. Taken as the answer, its REFUSED hid the listing the second
        // resolver had.
        try (Dnsmasq refusing = Dnsmasq.serving("probe.test.", List.of("--address=/probe.test/127.0.0.1"))) {
            Map<String, String> env = env("127.0.0.2", "bl2.test");
            env.put("DNSCACHEIP", "127.0.0.1:" + refusing.port() + " 127.0.0.1:" + dnsPort);
            Result r = dnsblenv(env, "sh", "-c", PRINT);
            assertEquals("bl2.test|unset\n", r.stdout, r.stderr);
            assertEquals("dnsblenv: 127.0.0.2 listed in bl2.test (127.0.0.2)\n", r.stderr);

            env.put("DNSCACHEIP", "127.0.0.1:" + refusing.port() + " 127.0.0.1:" + refusing.port());
            r = dnsblenv(env, "sh", "-c", PRINT);
            assertEquals("unset|unset\n", r.stdout);
            assertEquals("dnsblenv: 127.0.0.2 lookup in bl2.test failed: REFUSED\n", r.stderr,
                    "when every resolver refuses, the refusal is said, not a timeout");
        }
    }

    @Test
    void libraryLoggingNeverReachesStdoutEvenWithLogbackOnTheClassPath() throws Exception {
        // Unconfigured logback logs DEBUG to stdout, which is the client's connection.
        Process process = startWith(classPath(true), env("127.0.0.2", "bl1.test bl2.test"), "sh", "-c", PRINT);
        process.getOutputStream().close();
        CompletableFuture<String> stderr = CompletableFuture.supplyAsync(() -> readAll(process, true));
        assertEquals("bl2.test|unset\n", readAll(process, false));
        assertEquals("dnsblenv: 127.0.0.2 listed in bl2.test (127.0.0.2)\n", stderr.get(10, TimeUnit.SECONDS));
    }

    @Test
    void programStatusPropagates() throws Exception {
        assertEquals(7, dnsblenv(env("127.0.0.2", "bl2.test"), "sh", "-c", "exit 7").status);
        assertEquals(0, dnsblenv(env("127.0.0.9", "bl2.test"), "true").status);
        assertEquals(128 + 15, dnsblenv(env("127.0.0.9", "bl2.test"), "sh", "-c", "kill -TERM $$").status);
    }

    @Test
    void programStdinIsTheClientsInput() throws Exception {
        Process process = start(env("127.0.0.9", "bl2.test"), "sh", "-c", "read line; echo \"got $line\"");
        process.getOutputStream().write("HELO x\n".getBytes(UTF_8));
        process.getOutputStream().close();
        assertEquals("got HELO x\n", new String(process.getInputStream().readAllBytes(), UTF_8));
        assertTrue(process.waitFor(10, TimeUnit.SECONDS));
    }

    @Test
    void missingProgramIsATemporaryFailure() throws Exception {
        Result r = dnsblenv(env("127.0.0.9", "bl2.test"), "/nonexistent/qmail-smtpd");
        assertEquals(111, r.status);
        assertEquals("dnsblenv: cannot run /nonexistent/qmail-smtpd: No such file or directory\n", r.stderr);
    }

    @Test
    void usageError() throws Exception {
        Result r = dnsblenv(env("127.0.0.9", "bl2.test"));
        assertEquals(100, r.status);
        assertEquals("dnsblenv: usage: dnsblenv PROGRAM [ARG...]\n", r.stderr);
    }

    // --- helpers -------------------------------------------------------------------------------

    private record Result(int status, String stdout, String stderr, Duration elapsed) {
    }

    /** A clean environment: PATH, the client, the zones, and our dnsmasq as the resolver. */
    private static Map<String, String> env(String remoteIp, String zones) {
        Map<String, String> env = new HashMap<>();
        env.put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
        env.put("TCPREMOTEIP", remoteIp);
        env.put("DNSBL", zones);
        env.put("DNSCACHEIP", "127.0.0.1:" + dnsPort);
        // dnsmasq on loopback answers at once; the limit is only room for a fresh JVM on a loaded machine, where the
        // default 2 s ran out before the first query. Tests of the limit itself set their own.
        env.put("DNSBL_TIMEOUT", "10000");
        return env;
    }

    private Result dnsblenv(Map<String, String> env, String... program) throws Exception {
        long start = System.nanoTime();
        Process process = start(env, program);
        process.getOutputStream().close();
        CompletableFuture<String> stderr = CompletableFuture.supplyAsync(() -> readAll(process, true));
        String stdout = readAll(process, false);
        if (!process.waitFor(15, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            fail("dnsblenv did not exit");
        }
        return new Result(process.exitValue(), stdout, stderr.get(5, TimeUnit.SECONDS),
                Duration.ofNanos(System.nanoTime() - start));
    }

    private final List<Process> started = new ArrayList<>();

    private Process start(Map<String, String> env, String... program) throws Exception {
        return startWith(classPath(false), env, program);
    }

    private Process startWith(String classPath, Map<String, String> env, String... program) throws Exception {
        List<String> command = new ArrayList<>(ProgramJvm.java());
        command.addAll(List.of("-cp", classPath, DnsblEnv.class.getName()));
        command.addAll(List.of(program));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().clear();
        builder.environment().putAll(env);
        Process process = builder.start();
        started.add(process);
        return process;
    }

    @AfterEach
    void killLeftovers() {
        for (Process process : started) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
    }

    /** This module's classes, dnsjava and slf4j-api (its own class path), plus logback if asked. */
    private static String classPath(boolean withLogback) throws Exception {
        Set<String> entries = new LinkedHashSet<>();
        List<Class<?>> classes = new ArrayList<>(List.of(DnsblEnv.class, Message.class, LoggerFactory.class,
                org.greylite.net.DnsServers.class, org.greylite.net.EmbeddedIpv4.class));
        if (withLogback) {
            classes.add(ch.qos.logback.classic.Logger.class);
            classes.add(ch.qos.logback.core.Appender.class);
        }
        for (Class<?> c : classes) {
            entries.add(Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
        }
        return String.join(File.pathSeparator, entries);
    }

    private static String readAll(Process process, boolean stderr) {
        try {
            return new String((stderr ? process.getErrorStream() : process.getInputStream()).readAllBytes(), UTF_8);
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    private static final List<DatagramSocket> BLACK_HOLES = new ArrayList<>();

    /** A UDP port that takes queries and never answers (a DNS server that hangs). */
    private static int blackHole() throws IOException {
        DatagramSocket socket = Dnsmasq.blackHole();
        synchronized (BLACK_HOLES) {
            BLACK_HOLES.add(socket);
        }
        return socket.getLocalPort();
    }

    @AfterAll
    static void closeBlackHoles() {
        synchronized (BLACK_HOLES) {
            BLACK_HOLES.forEach(DatagramSocket::close);
            BLACK_HOLES.clear();
        }
    }
}
