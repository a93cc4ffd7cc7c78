package org.greylite.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.greylite.testing.MetricsHttp;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

/** The policy delegation protocol over a real TCP socket and a real unix socket, against the real engine and greydb. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PolicyProtocolTest {

    // The min-delay and the rest of the second the refusal is recorded in (the engine rounds it up: RecordedTimes).
    static final String GREYLISTED_301 = "DEFER_IF_PERMIT 4.7.1 Greylisted, please retry in 301 seconds";
    static final String GREYLISTED_2 = "DEFER_IF_PERMIT 4.7.1 Greylisted, please retry in 2 seconds";

    @TempDir
    Path dir;

    private RunningPolicy policy;

    @BeforeEach
    void start() throws Exception {
        // The metrics tell a first attempt from an early retry, which the answers alone cannot.
        policy = TestPolicy.start(dir, "--metrics=127.0.0.1:0");
    }

    @AfterEach
    void stop() {
        policy.close();
    }

    private PolicyClient tcp() throws Exception {
        return PolicyClient.tcp(policy.tcpAddress());
    }

    /** greylite_rcpt_total of greylisted RCPTs for {@code reason} (first-attempt, early-retry), scraped over HTTP. */
    private double greylisted(String reason) {
        String m = MetricsHttp.scrape(policy.metricsPort());
        Matcher v = Pattern.compile("(?m)^greylite_rcpt_total\\{reason=\"" + reason + "\",verdict=\"greylist\"\\} (\\S+)$")
                .matcher(m);
        assertTrue(v.find(), reason + " missing from:\n" + m);
        return Double.parseDouble(v.group(1));
    }

    /** The greydb rows for {@code recipient}, read through a connection of the test's own: committed rows only. */
    private long triplets(String recipient) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("greylite.db"));
             PreparedStatement st = c.prepareStatement("SELECT COUNT(*) FROM triplet WHERE recipient = ?")) {
            st.setString(1, recipient);
            try (ResultSet rs = st.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    @Test
    void firstAttemptIsDeferredThenEarlyRetryStillDeferredOnTheSameConnection() throws Exception {
        try (PolicyClient c = tcp()) {
            assertEquals(GREYLISTED_301, c.ask(PolicyClient.rcpt("192.0.2.7", "a@example.net", "b@example.org")));
            String again = c.ask(PolicyClient.rcpt("192.0.2.7", "a@example.net", "b@example.org"));
            assertTrue(again.startsWith("DEFER_IF_PERMIT 4.7.1 Greylisted, please retry in "), again);
        }
        assertEquals(1.0, greylisted("first-attempt"));
        assertEquals(1.0, greylisted("early-retry"), "the second ask was the same triplet's early retry");
    }

    @Test
    void everyStateButRcptIsDunno() throws Exception {
        try (PolicyClient c = tcp()) {
            for (String state : new String[] {"CONNECT", "EHLO", "HELO", "MAIL", "VRFY", "ETRN"}) {
                Map<String, String> r = new java.util.LinkedHashMap<>(PolicyClient.rcpt("192.0.2.8", "a@example.net", "b@example.org"));
                r.put("protocol_state", state);
                assertEquals("DUNNO", c.ask(r), state);
            }
            // DATA with a sender: decided at RCPT already.
            Map<String, String> data = new java.util.LinkedHashMap<>(PolicyClient.rcpt("192.0.2.8", "a@example.net", "b@example.org"));
            data.put("protocol_state", "DATA");
            assertEquals("DUNNO", c.ask(data));
        }
    }

    /** postgrey answers DUNNO when an attribute it needs is missing; a request at RCPT without a recipient is one. */
    @Test
    void aRcptRequestWithoutARecipientIsDunnoAndSaidInTheLog() throws Exception {
        ListAppender<ILoggingEvent> log = TestPolicy.capture(PolicyService.class);
        try (PolicyClient c = tcp()) {
            Map<String, String> missing = new java.util.LinkedHashMap<>(PolicyClient.rcpt("192.0.2.11", "a@example.net", "b@example.org"));
            missing.remove("recipient");
            assertEquals("DUNNO", c.ask(missing));
            assertEquals("DUNNO", c.ask(PolicyClient.rcpt("192.0.2.11", "a@example.net", "")));
            assertEquals("DUNNO", c.ask(PolicyClient.rcpt("192.0.2.11", "", "")), "the null sender too");
        }
        assertEquals(0, triplets(""), "nothing recorded");
        assertEquals(0.0, greylisted("first-attempt"));
        String lines = TestPolicy.lines(log);
        assertEquals(3, lines.lines().filter(l -> l.equals("policy request at RCPT from 192.0.2.11 without a recipient "
                + "answered DUNNO")).count(), lines);
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws Exception {
        Map<String, String> connect = new java.util.LinkedHashMap<>(PolicyClient.rcpt("192.0.2.9", "", ""));
        connect.put("protocol_state", "CONNECT");
        String three = PolicyClient.request(PolicyClient.rcpt("192.0.2.9", "a@example.net", "one@example.org"))
                + PolicyClient.request(connect)
                + PolicyClient.request(PolicyClient.rcpt("192.0.2.9", "a@example.net", "postmaster@example.org"))
                + PolicyClient.request(PolicyClient.rcpt("192.0.2.9", "a@example.net", "two@example.org"));
        try (PolicyClient c = tcp()) {
            c.send(three);
            assertEquals(GREYLISTED_301, c.readAnswer());
            assertEquals("DUNNO", c.readAnswer());
            assertEquals("DUNNO", c.readAnswer()); // postmaster@ is never greylisted
            assertEquals(GREYLISTED_301, c.readAnswer());
        }
    }

    @Test
    void aClientPipeliningThousandsOfRequestsHasThemAnsweredInOrderWhileFewWait() throws Exception {
        int requests = 2000;
        StringBuilder all = new StringBuilder();
        for (int i = 0; i < requests; i++) {
            all.append(PolicyClient.request(PolicyClient.rcpt("192.0.2.30", "a@example.net", "b@d" + i + ".example.org")));
        }
        // The answer names the recipient's domain, so that each answer shows which request it is for.
        java.nio.file.Files.createDirectories(dir.resolve("named"));
        try (RunningPolicy named = TestPolicy.start(dir.resolve("named"), "--unix=" + dir.resolve("named.sock"),
                "--greylist-text=for %r");
             PolicyClient c = PolicyClient.tcp(named.tcpAddress())) {
            // Written in one go from another thread: the write blocks while the service reads no more, and goes
            // on as the answers are read here.
            java.util.concurrent.CompletableFuture<Void> written = java.util.concurrent.CompletableFuture.runAsync(() -> {
                try {
                    c.send(all.toString());
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            for (int i = 0; i < requests; i++) {
                assertEquals("DEFER_IF_PERMIT 4.7.1 for d" + i + ".example.org", c.readAnswer(), "answer " + i);
            }
            written.get(30, TimeUnit.SECONDS);
            int most = named.mostWaiting();
            assertTrue(most > 1, "the requests never queued up: " + most);
            assertTrue(most <= PolicyConnection.MAX_QUEUED, most + " requests waited at once");
        }
    }

    /**
     * postgrey's --exim: Exim's readsocket asks one query per connection and reads the answer until the connection
     * closes, so each connection is closed once answered (what else it sent is left unanswered, as postgrey leaves
     * it). Without the flag a connection serves many requests (the other tests).
     */
    @Test
    void withEximEachConnectionIsClosedAfterItsAnswer() throws Exception {
        Path eximDir = java.nio.file.Files.createDirectories(dir.resolve("exim"));
        Path socket = dir.resolve("exim.sock");
        try (RunningPolicy exim = TestPolicy.start(eximDir, "--exim", "--unix=" + socket)) {
            try (PolicyClient c = PolicyClient.tcp(exim.tcpAddress())) {
                c.send(PolicyClient.request(PolicyClient.rcpt("192.0.2.13", "a@example.net", "b@example.org"))
                        + PolicyClient.request(PolicyClient.rcpt("192.0.2.13", "a@example.net", "c@example.org")));
                assertEquals(GREYLISTED_301, c.readAnswer());
                assertTrue(c.closedByServer(), "closed after the first answer");
            }
            try (PolicyClient c = PolicyClient.unix(socket)) {
                assertEquals(GREYLISTED_301, c.ask(PolicyClient.rcpt("192.0.2.14", "a@example.net", "b@example.org")));
                assertTrue(c.closedByServer(), "closed after its answer, on the unix socket too");
            }
            try (PolicyClient c = PolicyClient.tcp(exim.tcpAddress())) {
                assertTrue(c.ask(PolicyClient.rcpt("192.0.2.13", "a@example.net", "b@example.org"))
                        .startsWith("DEFER_IF_PERMIT 4.7.1 Greylisted, please retry in "), "the next query, on a new connection");
                assertTrue(c.closedByServer());
            }
        }
    }

    @Test
    void requestSplitAcrossWritesIsOneRequest() throws Exception {
        byte[] whole = PolicyClient.request(PolicyClient.rcpt("192.0.2.10", "a@example.net", "b@example.org"))
                .getBytes(StandardCharsets.UTF_8);
        try (PolicyClient c = tcp()) {
            for (byte b : whole) {
                c.send(new byte[] {b});
            }
            assertEquals(GREYLISTED_301, c.readAnswer());
        }
    }

    @Test
    void unixSocketServesTheSameProtocol() throws Exception {
        try (PolicyClient c = PolicyClient.unix(TestPolicy.socket(dir))) {
            assertEquals(GREYLISTED_301, c.ask(PolicyClient.rcpt("198.51.100.7", "a@example.net", "b@example.org")));
            c.send(PolicyClient.request(PolicyClient.rcpt("198.51.100.7", "a@example.net", "c@example.org"))
                    + PolicyClient.request(PolicyClient.rcpt("198.51.100.7", "a@example.net", "d@example.org")));
            assertEquals(GREYLISTED_301, c.readAnswer());
            assertEquals(GREYLISTED_301, c.readAnswer());
        }
        // The same triplet over TCP: one greydb, so it is a retry now.
        try (PolicyClient c = tcp()) {
            String again = c.ask(PolicyClient.rcpt("198.51.100.7", "a@example.net", "b@example.org"));
            assertTrue(again.startsWith("DEFER_IF_PERMIT 4.7.1 Greylisted, please retry in "), again);
        }
        assertEquals(3.0, greylisted("first-attempt"), "the three triplets over the unix socket");
        assertEquals(1.0, greylisted("early-retry"), "the one seen over the unix socket, asked again over TCP");
    }

    @Test
    void badRequestsCloseThatConnectionWithALogLineAndTheServiceGoesOn() throws Exception {
        ListAppender<ILoggingEvent> log = TestPolicy.capture(PolicyServer.class);
        ListAppender<ILoggingEvent> answered = TestPolicy.capture(PolicyService.class);
        String good = PolicyClient.request(PolicyClient.rcpt("203.0.113.5", "a@example.net", "b@example.org"));
        String[][] cases = {
            {"request=smtpd_access_policy\nthis line has no equals sign\n\n", "no '='"},
            {"request=smtpd_access_policy\nrecipient=" + "x".repeat(RequestFramer.MAX_LINE + 10) + "\n\n", "longer than"},
            {"request=smtpd_access_policy\nsender=a\u0000b@example.net\n\n", "binary data"},
            {"request=smtpd_access_policy\n" + "name=value\n".repeat(RequestFramer.MAX_REQUEST / 11 + 10) + "\n", "request longer than"},
            {"=value\n\n", "without a name"},
            {"\n".repeat(1000), "empty request"},
        };
        for (String[] bad : cases) {
            int before = log.list.size();
            try (PolicyClient c = tcp()) {
                // A good request first, pipelined with the bad one: it is still answered, then the connection closes.
                c.send(good + bad[0]);
                assertTrue(c.readAnswer().startsWith("DEFER_IF_PERMIT"), bad[1]);
                assertTrue(c.closedByServer(), "connection not closed after: " + bad[1]);
            }
            assertTrue(TestPolicy.lines(log).contains(bad[1]), "no log line saying '" + bad[1] + "' in:\n" + TestPolicy.lines(log));
            // One line per connection, however many bad requests it sent (a thousand empty ones, say).
            assertEquals(before + 1, log.list.size(), bad[1] + ":\n" + TestPolicy.lines(log));
        }
        assertEquals("", TestPolicy.lines(answered), "a bad request is not answered, nor logged as a request");
        // The service still serves, on both listeners. The clients are in other /24s than the one above: with smart
        // client keys one in the same /24 asks about the same triplet, and is told less than 301 seconds once a second
        // has gone by since the first good request.
        try (PolicyClient c = tcp()) {
            assertEquals(GREYLISTED_301, c.ask(PolicyClient.rcpt("198.51.100.6", "a@example.net", "b@example.org")));
        }
        try (PolicyClient c = PolicyClient.unix(TestPolicy.socket(dir))) {
            assertEquals(GREYLISTED_301, c.ask(PolicyClient.rcpt("192.0.2.57", "a@example.net", "b@example.org")));
        }
    }

    /**
     * With {@code smtputf8_enable=no} Postfix passes a client's 8-bit envelope and HELO bytes on as they came: such a
     * request is decided as any other, its values read as all client text is (UTF-8 when valid, else a character a
     * byte), and the connection goes on.
     */
    @Test
    void valuesWithBytesThatAreNotUtf8AreReadByteForByteAndDecided() throws Exception {
        ListAppender<ILoggingEvent> log = TestPolicy.capture(PolicyServer.class);
        Map<String, String> latin1 = PolicyClient.rcpt("192.0.2.12", "caf\u00e9@example.net", "b@example.org");
        latin1.put("helo_name", "\u00e9cole.example.net");
        byte[] request = PolicyClient.request(latin1).getBytes(StandardCharsets.ISO_8859_1);
        assertTrue(new String(request, StandardCharsets.ISO_8859_1).contains("sender=caf\u00e9@"), "one byte 0xe9");
        try (PolicyClient c = tcp()) {
            c.send(request);
            assertEquals(GREYLISTED_301, c.readAnswer());
            c.send(request);
            assertTrue(c.readAnswer().startsWith("DEFER_IF_PERMIT 4.7.1 Greylisted, please retry in "));
            // UTF-8, on the same connection: read as UTF-8.
            assertEquals(GREYLISTED_301, c.ask(PolicyClient.rcpt("192.0.2.12", "j\u00f6rg@example.net", "b@example.org")));
        }
        assertEquals(2, triplets("b@example.org"));
        assertEquals(1.0, greylisted("early-retry"), "the 8-bit sender's retry is the same triplet");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("greylite.db"));
             ResultSet rs = c.createStatement().executeQuery("SELECT sender FROM triplet ORDER BY sender")) {
            rs.next();
            assertEquals("caf\u00e9@example.net", rs.getString(1));
            rs.next();
            assertEquals("j\u00f6rg@example.net", rs.getString(1));
        }
        assertEquals("", TestPolicy.lines(log), "no protocol error");
    }

    @Test
    void clientClosingAfterItsRequestsStillGetsThemDecided() throws Exception {
        long sent = System.nanoTime();
        try (PolicyClient c = tcp()) {
            // Gone before its answer, as an smtpd killed right after writing: nothing is read.
            c.send(PolicyClient.request(PolicyClient.rcpt("203.0.113.9", "a@example.net", "b@example.org")));
        }
        // Decided and committed all the same: the triplet is in the greydb (the deadline guards against a hang).
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (triplets("b@example.org") == 0) {
            assertTrue(System.nanoTime() < deadline, "the request of a client that left was never recorded");
            Thread.sleep(20);
        }
        try (PolicyClient c = tcp()) {
            String again = c.ask(PolicyClient.rcpt("203.0.113.9", "a@example.net", "b@example.org"));
            long since = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - sent);
            // An early retry is told the rest of min-delay from the refusal, which is recorded rounded up to the
            // second (RecordedTimes): 301 or 300 seconds within a second of the first attempt, one less for each
            // further whole second gone by (a margin of one for the test's clock against the service's).
            Matcher n = Pattern.compile("DEFER_IF_PERMIT 4\\.7\\.1 Greylisted, please retry in (\\d+) seconds").matcher(again);
            assertTrue(n.matches(), again);
            long seconds = Long.parseLong(n.group(1));
            assertTrue(seconds <= 301 && seconds >= 299 - since, again + ", " + since + " s after the first attempt");
        }
        assertEquals(1.0, greylisted("first-attempt"), "the request of the client that left");
        assertEquals(1.0, greylisted("early-retry"), "the same triplet asked again");
    }

    @Test
    void otherRequestKindsAndAddressesThatAreNotLiteralsAreDunno() throws Exception {
        ListAppender<ILoggingEvent> log = TestPolicy.capture(PolicyService.class);
        try (PolicyClient c = tcp()) {
            Map<String, String> other = new java.util.LinkedHashMap<>(PolicyClient.rcpt("192.0.2.20", "a@example.net", "b@example.org"));
            other.put("request", "something_else");
            for (int i = 0; i < 50; i++) {
                assertEquals("DUNNO", c.ask(other));
            }
            // Said once a minute at most: a client sending nothing else wrote a line per request.
            assertEquals(1, TestPolicy.lines(log).lines().filter(l -> l.contains("of kind 'something_else'")).count(),
                    TestPolicy.lines(log));
            for (String notLiteral : new String[] {"mail.example.net", "deadbeef", "cafe.example", "1.2.3", "unknown", ""}) {
                assertEquals("DUNNO", c.ask(PolicyClient.rcpt(notLiteral, "a@example.net", "b@example.org")), notLiteral);
            }
            assertEquals(GREYLISTED_301, c.ask(PolicyClient.rcpt("2001:db8::25", "a@example.net", "b@example.org")));
        }
    }

    @Test
    void aSocketAnotherServiceServesIsNotTakenAwayButALeftOverOneIsReplaced() throws Exception {
        Path elsewhere = dir.resolve("second");
        java.nio.file.Files.createDirectories(elsewhere);
        Exception e = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class,
                () -> TestPolicy.start(elsewhere, "--unix=" + TestPolicy.socket(dir)));
        assertTrue(e.getMessage().contains("another process is serving it"), e.getMessage());
        try (PolicyClient c = PolicyClient.unix(TestPolicy.socket(dir))) {
            assertEquals(GREYLISTED_301, c.ask(PolicyClient.rcpt("192.0.2.110", "a@example.net", "b@example.org")));
        }

        // A socket file whose process is gone (closing a channel leaves the file): replaced.
        Path stale = elsewhere.resolve("stale.sock");
        try (java.nio.channels.ServerSocketChannel old = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            old.bind(java.net.UnixDomainSocketAddress.of(stale));
        }
        assertTrue(java.nio.file.Files.exists(stale));
        try (RunningPolicy second = TestPolicy.start(elsewhere, "--unix=" + stale);
             PolicyClient c = PolicyClient.unix(stale)) {
            assertEquals(GREYLISTED_301, c.ask(PolicyClient.rcpt("192.0.2.111", "a@example.net", "b@example.org")));
        }
    }
}
