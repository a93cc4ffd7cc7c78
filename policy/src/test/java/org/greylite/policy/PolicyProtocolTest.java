package org.greylite.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

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
        policy = TestPolicy.start(dir);
    }

    @AfterEach
    void stop() {
        policy.close();
    }

    private PolicyClient tcp() throws Exception {
        return PolicyClient.tcp(policy.tcpAddress());
    }

    @Test
    void firstAttemptIsDeferredThenEarlyRetryStillDeferredOnTheSameConnection() throws Exception {
        try (PolicyClient c = tcp()) {
            assertEquals(GREYLISTED_301, c.ask(PolicyClient.rcpt("192.0.2.7", "a@example.net", "b@example.org")));
            String again = c.ask(PolicyClient.rcpt("192.0.2.7", "a@example.net", "b@example.org"));
            assertTrue(again.startsWith("DEFER_IF_PERMIT 4.7.1 Greylisted, please retry in "), again);
        }
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
    }

    @Test
    void badRequestsCloseThatConnectionWithALogLineAndTheServiceGoesOn() throws Exception {
        ListAppender<ILoggingEvent> log = TestPolicy.capture(PolicyServer.class);
        String good = PolicyClient.request(PolicyClient.rcpt("203.0.113.5", "a@example.net", "b@example.org"));
        String[][] cases = {
            {"request=smtpd_access_policy\nthis line has no equals sign\n\n", "no '='"},
            {"request=smtpd_access_policy\nrecipient=" + "x".repeat(RequestFramer.MAX_LINE + 10) + "\n\n", "longer than"},
            {"request=smtpd_access_policy\nsender=a\u0000b@example.net\n\n", "binary data"},
            {"request=smtpd_access_policy\n" + "name=value\n".repeat(RequestFramer.MAX_REQUEST / 11 + 10) + "\n", "request longer than"},
            {"=value\n\n", "without a name"},
        };
        for (String[] bad : cases) {
            try (PolicyClient c = tcp()) {
                // A good request first, pipelined with the bad one: it is still answered, then the connection closes.
                c.send(good + bad[0]);
                assertTrue(c.readAnswer().startsWith("DEFER_IF_PERMIT"), bad[1]);
                assertTrue(c.closedByServer(), "connection not closed after: " + bad[1]);
            }
            assertTrue(TestPolicy.lines(log).contains(bad[1]), "no log line saying '" + bad[1] + "' in:\n" + TestPolicy.lines(log));
        }
        try (PolicyClient c = tcp()) {
            c.send(new byte[] {(byte) 0xff, (byte) 0xfe, '=', 'x', '\n', '\n'});
            assertTrue(c.closedByServer());
        }
        assertTrue(TestPolicy.lines(log).contains("not UTF-8"), TestPolicy.lines(log));
        // The service still serves, on both listeners.
        try (PolicyClient c = tcp()) {
            assertEquals(GREYLISTED_301, c.ask(PolicyClient.rcpt("203.0.113.6", "a@example.net", "b@example.org")));
        }
        try (PolicyClient c = PolicyClient.unix(TestPolicy.socket(dir))) {
            assertEquals(GREYLISTED_301, c.ask(PolicyClient.rcpt("203.0.113.7", "a@example.net", "b@example.org")));
        }
    }

    @Test
    void clientClosingAfterItsRequestsStillGetsThemDecided() throws Exception {
        try (PolicyClient c = tcp()) {
            c.send(PolicyClient.request(PolicyClient.rcpt("203.0.113.9", "a@example.net", "b@example.org")));
            assertEquals(GREYLISTED_301, c.readAnswer());
        }
        try (PolicyClient c = tcp()) {
            String again = c.ask(PolicyClient.rcpt("203.0.113.9", "a@example.net", "b@example.org"));
            assertTrue(again.contains("please retry in "), again);
            assertTrue(!again.endsWith(" 300 seconds") || again.equals(GREYLISTED_301), again);
        }
    }

    @Test
    void otherRequestKindsAndAddressesThatAreNotLiteralsAreDunno() throws Exception {
        try (PolicyClient c = tcp()) {
            Map<String, String> other = new java.util.LinkedHashMap<>(PolicyClient.rcpt("192.0.2.20", "a@example.net", "b@example.org"));
            other.put("request", "something_else");
            assertEquals("DUNNO", c.ask(other));
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
