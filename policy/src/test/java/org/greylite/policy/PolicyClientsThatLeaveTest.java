package org.greylite.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Postfix connections that end in the middle of a request, or while one is being decided, over TCP and the unix
 * socket: the service closes its side of each, so none stays open (the open-connection gauge comes back to 0), a
 * request left half-sent is never answered, and one sent whole is still decided and answered.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PolicyClientsThatLeaveTest {

    private static final int CLIENTS = 40;

    @TempDir
    Path dir;

    private RunningPolicy policy;

    @BeforeEach
    void start() throws Exception {
        policy = TestPolicy.start(dir, "--metrics=127.0.0.1:0");
    }

    @AfterEach
    void stop() {
        policy.close();
    }

    private PolicyClient connect(int i) throws Exception {
        return i % 2 == 0 ? PolicyClient.tcp(policy.tcpAddress()) : PolicyClient.unix(TestPolicy.socket(dir));
    }

    private static String request(int i) {
        return PolicyClient.request(PolicyClient.rcpt("192.0.2." + (i % 200 + 1), "a@example.net", "b" + i + "@example.org"));
    }

    @Test
    void connectionsClosedInTheMiddleOfARequestAreClosedByTheService() throws Exception {
        for (int i = 0; i < CLIENTS; i++) {
            String req = request(i);
            try (PolicyClient c = connect(i)) {
                c.send(req.substring(0, req.length() / 2)); // Postfix's smtpd killed in the middle of a write
            }
        }
        for (int i = 0; i < CLIENTS; i++) {
            String req = request(i);
            try (PolicyClient c = connect(i)) {
                c.send(req.substring(0, req.length() / 2));
                c.endInput();
                assertNull(c.readAnswer(), "a request never finished is not answered");
            }
        }
        awaitNoConnectionOpen();
    }

    @Test
    void connectionsClosedWhileTheirRequestIsDecidedAreClosedByTheService() throws Exception {
        for (int i = 0; i < CLIENTS; i++) {
            try (PolicyClient c = connect(i)) {
                c.send(request(i)); // and gone before the answer
            }
        }
        for (int i = 0; i < CLIENTS; i++) {
            try (PolicyClient c = connect(i)) {
                String req = request(CLIENTS + i);
                c.send(request(i) + req.substring(0, req.length() / 2));
                c.endInput();
                assertTrue(c.readAnswer().startsWith("DEFER_IF_PERMIT 4.7.1 "), "the whole request is answered");
                assertTrue(c.closedByServer(), "then the connection is closed");
            }
        }
        awaitNoConnectionOpen();
        try (PolicyClient c = connect(0)) {
            assertEquals(PolicyProtocolTest.GREYLISTED_301,
                    c.ask(PolicyClient.rcpt("198.51.100.1", "a@example.net", "b@example.org")), "the service still serves");
        }
        awaitNoConnectionOpen();
        // Each triplet was asked twice, by a client that left and by one that stayed: one of the two was its first
        // attempt and the other an early retry, which it is only if the first was decided and recorded. A request of
        // a client that left and was dropped would make the second a first attempt too. The half-sent requests are
        // neither; the last request is a first attempt.
        String m = metrics();
        assertEquals(CLIENTS + 1.0, rcpts(m, "first-attempt"), m);
        assertEquals((double) CLIENTS, rcpts(m, "early-retry"), m);
    }

    private String metrics() throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + policy.metricsPort() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    /** greylite_rcpt_total of greylisted RCPTs for {@code reason} in the scraped {@code metrics}. */
    private static double rcpts(String metrics, String reason) {
        Matcher m = Pattern.compile("(?m)^greylite_rcpt_total\\{reason=\"" + reason + "\",verdict=\"greylist\"\\} (\\S+)$")
                .matcher(metrics);
        assertTrue(m.find(), "no greylite_rcpt_total for " + reason);
        return Double.parseDouble(m.group(1));
    }

    private void awaitNoConnectionOpen() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        double open;
        while ((open = openConnections()) != 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(0.0, open, "policy client connections still open");
    }

    /** greylite_policy_connections_active, scraped over HTTP. */
    private double openConnections() throws Exception {
        String body = metrics();
        Matcher m = Pattern.compile("(?m)^greylite_policy_connections_active (\\S+)$").matcher(body);
        assertTrue(m.find(), "no greylite_policy_connections_active in:\n" + body);
        return Double.parseDouble(m.group(1));
    }
}
