package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.greylite.testing.OpenFileLimit;
import org.greylite.testing.SmallFileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** greylited as a real process: what survives kill -9, how SIGTERM ends it, how start-up errors read. */
class GreylitedProcessTest {

    @TempDir
    Path dir;

    @RegisterExtension
    final ScriptedUpstream upstream = ScriptedUpstream.perTest();

    private GreylitedProcess start(String... extra) throws Exception {
        return GreylitedProcess.start(dir, upstream.address(), extra);
    }

    /**
     * The demo (no upstream given) keeps its triplets in a greydb of its own: a DBFILE left in the shell from a
     * tcpserver setup is not written to, and the log says so.
     */
    @Test
    void theDemoLeavesTheGreydbOfDbfileAlone() throws Exception {
        Path production = dir.resolve("production.db");
        try (GreylitedProcess demo = GreylitedProcess.command(upstream.address()).without("--upstream").in(dir)
                .env(java.util.Map.of("DBFILE", production.toString())).start()) {
            assertTrue(RawClient.rcptReply(demo.address()).startsWith("451"), "the demo greylists");
            assertTrue(demo.logged("demo mode: DBFILE is set but not used"), String.join("\n", demo.log));
        }
        assertTrue(Files.isRegularFile(dir.resolve("greylite-demo.db")), "the demo's own greydb");
        assertTrue(Files.notExists(production), "nothing written where DBFILE points");
    }

    /**
     * The demo's "try it" line says how long to wait before running swaks again. A refusal is recorded at the next
     * whole second, so the reply asks for up to a second more than min-delay; a hint naming min-delay itself sent
     * the newcomer back a little early, to a second 451.
     */
    @Test
    void theDemoHintWaitsAsLongAsTheGreylistingReplyAsks() throws Exception {
        try (GreylitedProcess demo = GreylitedProcess.command(upstream.address()).without("--upstream").in(dir)
                .args("--min-delay", "2s").withoutEnv("DBFILE").start()) {
            Matcher asked = Pattern.compile("retry in (\\d+) second").matcher(RawClient.rcptReply(demo.address()));
            assertTrue(asked.find(), "a greylisting reply");
            String hint = demo.awaitLine("try it:", Duration.ofSeconds(10));
            Matcher named = Pattern.compile("run it again after (\\d+)s").matcher(hint);
            assertTrue(named.find(), hint);
            assertTrue(Integer.parseInt(named.group(1)) >= Integer.parseInt(asked.group(1)),
                    "the reply asks " + asked.group(1) + " s, the hint: " + hint);
        }
    }

    /**
     * A demo started where its mail folder cannot be made says why, not the folder's path a second time (the JDK's
     * message for a file in the way, or a folder it may not write, is the path alone).
     */
    @Test
    void aDemoThatCannotMakeItsMailFolderSaysWhy() throws Exception {
        Files.writeString(dir.resolve("demo-mail"), "not a folder\n");
        GreylitedProcess.Exit exit = GreylitedProcess.command(upstream.address()).without("--upstream").in(dir)
                .withoutEnv("DBFILE").runToExit();
        assertTrue(exit.output().contains("cannot create the demo mail folder " + dir.resolve("demo-mail")
                + " (a file that is not a directory is in the way): run the demo from a folder you can write"),
                exit.output());
    }

    @Test
    void anAcknowledgedRefusalSurvivesKillMinus9() throws Exception {
        try (GreylitedProcess first = start("--min-delay", "0")) {
            assertTrue(RawClient.rcptReply(first.address()).startsWith("451"));
            first.process.destroyForcibly(); // SIGKILL: no shutdown hook, no clean close of the greydb
            assertTrue(first.process.waitFor(10, TimeUnit.SECONDS));
        }

        try (GreylitedProcess second = start("--min-delay", "0")) {
            assertTrue(RawClient.rcptReply(second.address()).startsWith("250"),
                    "the refusal counted before the kill must still count: the retry passes");
        }
    }

    /**
     * A client gone in the middle of a message is what the proxy handles by dropping the upstream connection, and
     * the demo upstream, seeing its connection dropped mid-message, logged a WARN "Exception during SMTP transaction"
     * with a stack trace of fifteen lines into greylited's log, as if something had broken.
     */
    @Test
    void aMessageDroppedMidwayLeavesNoStackTraceFromTheDemoUpstream() throws Exception {
        try (GreylitedProcess demo = GreylitedProcess.command(upstream.address()).without("--upstream").in(dir).start()) {
            try (RawClient c = new RawClient(demo.address()).hello()) {
                c.command("MAIL FROM:<a@example.org>", 250);
                c.command("RCPT TO:<postmaster@example.com>", 250);
                c.command("DATA", 354);
                c.send("Subject: cut short\r\n\r\npartial");
            }
            demo.awaitLine("vanished in the middle of a message", Duration.ofSeconds(10));
            demo.signal("TERM");
            assertTrue(demo.process.waitFor(20, TimeUnit.SECONDS), "stops");
            demo.awaitLine(" stopped", Duration.ofSeconds(10));
            assertFalse(demo.log.stream().anyMatch(l -> l.contains("Exception") || l.startsWith("\tat ")),
                    String.join("\n", demo.log));
        }
    }

    /**
     * A SIGHUP while greylited starts (a certbot hook or logrotate, a reload right after a restart): the handler that
     * turns SIGHUP into a reload was installed only once everything was read, and before it the JVM's default stopped
     * greylited with status 129.
     */
    @Test
    void aSighupWhileStartingDoesNotStopIt() throws Exception {
        // A start that takes a while reading its files: a long suspicion file. Its first line, an error, is
        // written at once, not in the next batch.
        StringBuilder rules = new StringBuilder();
        for (int i = 0; i < 100_000; i++) {
            rules.append("5 e s:^sender").append(i).append("@\n");
        }
        Path suspicion = Files.writeString(dir.resolve("suspicion"), rules);
        try (GreylitedProcess d = GreylitedProcess.command(upstream.address()).db(dir.resolve("g.db"))
                .args("--suspicion", suspicion.toString()).env(java.util.Map.of("LOGTHRESHOLD", "loud"))
                .startSignalledAtFirstLine("HUP")) {
            assertTrue(RawClient.rcptReply(d.address()).startsWith("451"), "it serves");
            assertTrue(d.process.isAlive(), String.join("\n", d.log));
        }
    }

    @Test
    void sigtermLetsTheTransactionInFlightFinishAndRefusesNewConnections() throws Exception {
        try (GreylitedProcess d = start("--stop-grace", "20s")) {
            try (RawClient c = new RawClient(d.address()).hello()) {
                // A transaction under way (an idle session would be told 421 at once: GreylitedStopTest).
                c.command("MAIL FROM:<a@example.org>", 250);
                d.signal("TERM");
                // Logged once the listener is closed ("stopping (signal received)" comes before).
                d.awaitLine("stopping: 1 session(s) open", Duration.ofSeconds(30));
                assertThrows(IOException.class, () -> new RawClient(d.address()).close(), "no new connections once stopping");
                c.send("RCPT TO:<b@example.com>\r\n");
                assertTrue(c.reply().startsWith("451"), "the open session still works");
                c.command("QUIT", 221);
            }
            assertTrue(d.process.waitFor(10, TimeUnit.SECONDS), "exits once the last session ended");
            // The log is written in batches: what was logged up to the end reaches stderr all the same.
            d.awaitLine(" stopped", Duration.ofSeconds(30));
            assertTrue(d.logged("decision verdict=greylist reason=first-attempt"), d.log.toString());
            assertTrue(d.log.stream().anyMatch(l -> l.contains("session end ") && l.contains("rcpt-refused=1")), d.log.toString());
        }
    }

    @Test
    void aPortInUseIsNamedOnceWithTheReason() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            String where = "127.0.0.1:" + taken.getLocalPort();
            GreylitedProcess.Exit exit = GreylitedProcess.command(upstream.address()).listen(where)
                    .db(dir.resolve("g.db")).runToExit();
            String out = exit.output();
            assertTrue(out.contains("cannot listen on " + where + ": Address already in use"), out);
            assertEquals(1, out.split("cannot listen", -1).length - 1, "said once: " + out);
        }
    }

    /**
     * --metrics on greylited's own --listen address: the metrics took the port, and the listener was then refused it
     * with "Address already in use" and exit status 111, as if another program held the port for a while, so a
     * service manager restarted greylited for ever. It is a mistake of the configuration: status 2, said as such.
     */
    @Test
    void metricsOnTheListeningAddressIsAConfigurationMistake() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        for (String metrics : new String[] {"127.0.0.1:" + port, "0.0.0.0:" + port}) {
            GreylitedProcess.Exit exit = GreylitedProcess.command(upstream.address()).listen("127.0.0.1:" + port)
                    .db(dir.resolve("g.db")).args("--metrics", metrics).runToExit();
            assertEquals(2, exit.status(), exit.output());
            assertTrue(exit.output().contains("greylited: --metrics (" + metrics + ") and --listen (127.0.0.1:" + port
                    + ") take the same port"), exit.output());
            assertFalse(exit.output().contains("Address already in use"), exit.output());
        }
    }

    /**
     * --upstream naming greylited's own --listen address: every client's session connected to greylited again, each
     * of those once more, until the client connection limit answered the innermost with 421 "too many connections
     * from 127.0.0.1"; a mistake of the configuration, now refused at the start.
     */
    @Test
    void anUpstreamThatIsGreylitedItselfIsAConfigurationMistake() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        for (String listen : new String[] {"127.0.0.1:" + port, "0.0.0.0:" + port}) {
            GreylitedProcess.Exit exit = GreylitedProcess.command(new java.net.InetSocketAddress("127.0.0.1", port))
                    .listen(listen).db(dir.resolve("g.db")).runToExit();
            assertEquals(2, exit.status(), exit.output());
            assertTrue(exit.output().contains("greylited: --upstream (127.0.0.1:" + port + ") is greylited's own --listen ("
                    + listen + "): it would relay every session to itself"), exit.output());
        }
    }

    @Test
    void anUnreachableUpstreamIsNamedInTheLogLine() throws Exception {
        int deadPort;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            deadPort = s.getLocalPort();
        }
        try (GreylitedProcess p = GreylitedProcess.start(dir, new java.net.InetSocketAddress("127.0.0.1", deadPort));
             java.net.Socket c = new java.net.Socket("127.0.0.1", p.port)) {
            String reply = new java.io.BufferedReader(new java.io.InputStreamReader(c.getInputStream(),
                    java.nio.charset.StandardCharsets.US_ASCII)).readLine();
            assertTrue(reply.startsWith("421 "), reply);
            String line = p.awaitLine("upstream unreachable", Duration.ofSeconds(10));
            assertTrue(line.contains("127.0.0.1:" + deadPort + ": Connection refused"), line);
        }
    }

    @Test
    void aRuleFileThatCannotBeReadIsNamedWithItsFlagAndTheReason() throws Exception {
        Path missing = dir.resolve("no-such.suspicion");
        String out = GreylitedProcess.command(upstream.address()).db(dir.resolve("g.db"))
                .args("--suspicion", missing.toString()).runToExit().output();
        assertTrue(out.contains("--suspicion: " + missing + " cannot be read (no such file)"), out);
        out = GreylitedProcess.command(upstream.address()).db(dir.resolve("g.db"))
                .args("--access", dir.toString()).runToExit().output();
        assertTrue(out.contains("--access: " + dir + " cannot be read (is a directory)"), out);
    }

    @Test
    void aGeoIpFileThatIsNoCountryDatabaseIsNamedWithItsFlagAndWhatIsWrong() throws Exception {
        byte[] random = new byte[100_000];
        new java.util.Random(7).nextBytes(random);
        java.util.Arrays.fill(random, random.length - 23, random.length, (byte) 0x42); // no marker by chance
        Path geoIp = Files.write(dir.resolve("GeoIP.dat"), random);
        Path rules = Files.writeString(dir.resolve("suspicion"), "6 g CN\n");
        try (GreylitedProcess p = start("--suspicion", rules.toString(), "--geoip-db", geoIp.toString())) {
            String line = p.awaitLine("GeoIP database", Duration.ofSeconds(10));
            assertTrue(line.contains("ERROR") && line.contains("GeoIP database " + geoIp
                    + " (--geoip-db, or GEOIPDB_FILE) cannot be used: not a GeoIP legacy country database:"
                    + " no structure marker") && line.endsWith("; g lines will not match"), line);
            assertTrue(RawClient.rcptReply(p.address()).startsWith("451"), "greylited serves all the same");
            // Not "none is configured": one is, and cannot be used.
            String gLines = p.awaitLine("g lines never match", Duration.ofSeconds(10));
            assertTrue(gLines.contains("the GeoIP database configured (--geoip-db, or GEOIPDB_FILE), " + geoIp
                    + ", cannot be used: not a GeoIP legacy country database"), gLines);
        }
    }

    @Test
    void aMalformedLogThresholdIsIgnoredAsGreyliteDidButSaidSo() throws Exception {
        try (GreylitedProcess p = GreylitedProcess.command(upstream.address()).db(dir.resolve("g.db"))
                .env(java.util.Map.of("LOGTHRESHOLD", "debug")).start()) {
            String line = p.awaitLine("LOGTHRESHOLD", Duration.ofSeconds(10));
            assertTrue(line.contains("LOGTHRESHOLD 'debug' ignored") && line.contains("the threshold is 6"), line);
        }
    }

    @Test
    void anAddressErrorNamesWhereTheValueCameFrom() throws Exception {
        GreylitedProcess.Exit exit = GreylitedProcess.command(upstream.address()).db(dir.resolve("g.db"))
                .env(java.util.Map.of("GREYLITE_METRICS", "xyz")).runToExit();
        assertTrue(exit.output().contains("GREYLITE_METRICS wants HOST:PORT"), exit.output());
        exit = GreylitedProcess.command(new java.net.InetSocketAddress("127.0.0.1", 0)).db(dir.resolve("g.db"))
                .runToExit();
        assertTrue(exit.output().contains("--upstream: port 0 cannot be connected to"), exit.output());
    }

    /**
     * A value the JDBC driver refuses (PGSSLMODE misspelt) stops greylited at the start, naming it: the driver's refusal
     * at every connection was taken for a PostgreSQL server not answering yet, and greylited ran on, failing every RCPT
     * open, "tried again in the background until it answers". No server is needed: it is never tried.
     */
    @Test
    void aMisspeltSslModeStopsTheStartNamingTheVariable() throws Exception {
        GreylitedProcess.Exit exit = GreylitedProcess.command(upstream.address())
                .db("postgresql://greylite@127.0.0.1:9/greylite").env(java.util.Map.of("PGSSLMODE", "requre")).runToExit();

        assertEquals(2, exit.status(), exit.output());
        assertTrue(exit.output().contains("sslmode=requre is not one of") && exit.output().contains("PGSSLMODE=requre"),
                exit.output());
    }

    @Test
    void anUnusableDbFileIsNamedWithTheReason() throws Exception {
        Path notADir = Files.writeString(dir.resolve("plain-file"), "x");
        Path db = notADir.resolve("greylite.db");
        GreylitedProcess.Exit exit = GreylitedProcess.command(upstream.address()).db(db).runToExit();
        String out = exit.output();
        assertEquals(111, exit.status(), out);
        assertTrue(out.contains("greylite.db") && out.contains(notADir.toString()), out);
        assertTrue(out.contains("cannot be created"), out);
    }

    /**
     * With no file descriptor left, the accept of a waiting client fails and the client stays in the kernel's
     * queue, ready again at once: greylited rests the listener for a second after each failure instead of trying
     * in a loop that burns the I/O thread and writes a warning at every turn, relays its sessions meanwhile, and
     * takes the waiting client once there is room. The open-file limit is lowered on the running process, with
     * prlimit(1), to the descriptors it holds (a new descriptor needs a number below the limit), then raised.
     */
    @Test
    void outOfFileDescriptorsTheListenerRestsAndTakesTheWaitingClientOnceSomeAreFree() throws Exception {
        try (GreylitedProcess d = start("--min-delay", "0")) {
            // Both verdicts once before the limit: in this test the process loads its classes from folders, a file
            // opened per class, where the installed program has its jars open from the start.
            assertTrue(RawClient.rcptReply(d.address()).startsWith("451"));
            assertTrue(RawClient.rcptReply(d.address()).startsWith("250"));
            try (RawClient relayed = new RawClient(d.address()).hello()) {
                OpenFileLimit files = OpenFileLimit.of(d.process.pid());
                files.leaveNoRoom();

                RawClient waiting = null;
                List<RawClient> others = new ArrayList<>();
                try {
                    // A client is waiting when it hears nothing: one taken hears the upstream's 220, or a 421 when
                    // the upstream's connection found no descriptor left.
                    while (waiting == null) {
                        assertTrue(others.size() < 20, "no client left waiting:\n" + String.join("\n", d.log));
                        RawClient next = new RawClient(d.address());
                        if (hearsNothingFor(next, Duration.ofMillis(500))) {
                            waiting = next;
                        } else {
                            others.add(next);
                        }
                    }
                    d.awaitLine("cannot accept a client", Duration.ofSeconds(10));
                    // Two and a half seconds of a full descriptor table: a warning per second of rest, not per turn,
                    // and one for all the I/O threads, though each watches the listening socket and rests it.
                    Thread.sleep(2500);
                    long warnings = d.log.stream().filter(l -> l.contains("cannot accept a client")).count();
                    assertTrue(warnings <= 4, warnings + " warnings in 2.5 s:\n" + String.join("\n", d.log));

                    relayed.command("MAIL FROM:<a@example.org>", 250); // the session taken before goes on meanwhile
                    // Room again: the limit raised (a closed session frees two descriptors, but the JVM may take
                    // one of them first, and the waiting client needs two, its own and its upstream's).
                    files.leaveRoomFor(16);
                    waiting.socket().setSoTimeout(10_000);
                    try {
                        waiting.expect(220); // taken at the end of a rest, its upstream connected
                        waiting.command("EHLO client.example", 250);
                        waiting.command("MAIL FROM:<a@example.org>", 250);
                        waiting.send("RCPT TO:<b@example.com>\r\n");
                        assertTrue(waiting.reply().startsWith("250"), "the client passed before");
                    } catch (IOException | AssertionError e) {
                        throw new AssertionError("the waiting client: " + e + "\n" + String.join("\n", d.log), e);
                    }
                } finally {
                    for (RawClient c : others) {
                        c.close();
                    }
                    if (waiting != null) {
                        waiting.close();
                    }
                }
            }
        }
    }

    /**
     * A client taken with the last descriptor, whose upstream connection then finds none: the upstream was never
     * asked, so the line says the descriptors ran out here, with what to raise, not "upstream unreachable", which
     * sent the administrator to a server that was fine (and counted it as the upstream's connect failure).
     */
    @Test
    void anUpstreamConnectionWithoutADescriptorIsNotBlamedOnTheUpstream() throws Exception {
        try (GreylitedProcess d = start("--min-delay", "0")) {
            assertTrue(RawClient.rcptReply(d.address()).startsWith("451")); // classes loaded before the limit
            OpenFileLimit files = OpenFileLimit.of(d.process.pid());
            files.set(files.leaveNoRoom() + 1); // room for a client's socket, none for its upstream's
            String heard = null;
            try {
                for (int i = 0; i < 10 && heard == null; i++) {
                    try (RawClient c = new RawClient(d.address())) {
                        c.socket().setSoTimeout(3000);
                        heard = c.reply();
                    } catch (java.net.SocketTimeoutException stillQueued) {
                        // the JVM took the free number first: this client waits in the queue; try another
                    }
                }
            } finally {
                files.leaveRoomFor(16);
            }
            assertTrue(heard != null && heard.startsWith("421"), heard + "\n" + String.join("\n", d.log));
            d.awaitLine("no file descriptor left here", Duration.ofSeconds(5));
            assertFalse(d.logged("upstream unreachable"), String.join("\n", d.log));
        }
    }

    /**
     * The disk under the greydb full: RCPTs pass ungreylisted (fail open) while it lasts, and once there is room again
     * they are greylisted as before, without a restart. After SQLITE_FULL the transaction was left open, holding the
     * greydb's write lock, and every decision failed ("statement is not executing") until greylited was restarted.
     * A small tmpfs is the full disk, so this needs root.
     */
    @Test
    void aFullDiskUnderTheGreydbFailsOpenAndEndsWhenThereIsRoomAgain() throws Exception {
        try (SmallFileSystem small = SmallFileSystem.mount(dir.resolve("small"), "300k");
                GreylitedProcess d = GreylitedProcess.command(upstream.address()).db(small.path().resolve("greylite.db"))
                        .args("--min-delay", "0").start()) {
            small.fill();
            String whileFull = RawClient.rcptReply(d.address());
            assertTrue(whileFull.startsWith("250"), "fail open: " + whileFull + "\n" + String.join("\n", d.log));
            small.makeRoom();
            String after = RawClient.rcptReply(d.address());
            assertTrue(after.startsWith("451"), "greylisted again: " + after + "\n" + String.join("\n", d.log));
        }
    }

    /** Whether {@code client} receives nothing (no byte, no end of stream) for {@code time}. */
    private static boolean hearsNothingFor(RawClient client, Duration time) throws IOException {
        client.socket().setSoTimeout((int) time.toMillis());
        try {
            client.socket().getInputStream().read();
            return false;
        } catch (java.net.SocketTimeoutException nothing) {
            return true;
        } catch (IOException reset) {
            return false;
        }
    }
}
