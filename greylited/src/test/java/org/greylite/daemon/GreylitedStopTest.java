package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.greylite.daemon.tls.TestCertificates;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM to a real greylited process: sessions with nothing under way are told 421 4.3.2 at once, sessions in a
 * transaction finish it and are told then, and a message still coming when the grace period ends is dropped at
 * the upstream, never delivered in part.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class GreylitedStopTest {

    private static final String SHUTTING_DOWN = "421 4.3.2 mx.test service shutting down, closing connection";

    @TempDir
    Path dir;

    @RegisterExtension
    final ScriptedUpstream upstream = ScriptedUpstream.perTest();
    private GreylitedProcess greylited;

    @AfterEach
    void stop() throws Exception {
        if (greylited != null) {
            greylited.close();
        }
    }

    /** greylited with the grace period given; RELAYCLIENT for 127.0.0.1, so its RCPTs pass at once. */
    private void start(String grace, String... more) throws Exception {
        Path access = Files.writeString(dir.resolve("tcp.smtp"), "127.0.0.1:allow,RELAYCLIENT=\"\"\n");
        java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("--hostname", "mx.test", "--access",
                access.toString(), "--stop-grace", grace));
        args.addAll(java.util.List.of(more));
        greylited = GreylitedProcess.start(dir, upstream.address(), args.toArray(String[]::new));
    }

    private RawClient client() throws IOException {
        return new RawClient(greylited.address());
    }

    @Test
    void idleSessionsAreToldAtOnceAndTransactionsFinishFirst() throws Exception {
        start("60s");
        try (RawClient idle = client().hello(); RawClient inTransaction = client().hello();
             RawClient inMessage = client().hello()) {
            inTransaction.command("MAIL FROM:<a@example.org>", 250);
            inMessage.command("MAIL FROM:<a@example.org>", 250);
            inMessage.command("RCPT TO:<b@example.com>", 250);
            inMessage.command("DATA", 354);
            inMessage.send("Subject: under way\r\n\r\nthe first half\r\n");

            assertEquals(0, greylited.signal("TERM"));
            long t0 = System.nanoTime();
            assertEquals(SHUTTING_DOWN, idle.reply(), "the idle session is told at once");
            assertTrue(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0) < 10, "not at the end of the grace period");
            assertTrue(idle.closedByServer());

            finishesItsTransactionThenIsTold(inTransaction, "RCPT TO:<c@example.com>",
                    "Subject: after the signal\r\n\r\nstill delivered\r\n.\r\n");

            inMessage.send("the second half\r\n.\r\n");
            inMessage.expect(250);
            assertEquals(SHUTTING_DOWN, inMessage.reply());
            assertTrue(inMessage.closedByServer());
        }
        assertTrue(greylited.process.waitFor(30, TimeUnit.SECONDS), "greylited ended once its sessions had");
        assertEquals(2, upstream.messages.size(), "both messages delivered whole");
    }

    /**
     * With a certificate every client's leg may go under TLS, and what other threads write to such a leg is sent
     * by its I/O thread: the 421 the stopping server writes still reaches a session in clear and one under TLS.
     */
    @Test
    void sessionsThatMayUseTlsAreToldToo() throws Exception {
        TestCertificates.Pem pem = TestCertificates.rsa(dir, "mx");
        start("60s", "--tls-cert", pem.cert().toString(), "--tls-key", pem.key().toString());
        try (RawClient clear = client().hello(); RawClient encrypted = client().hello()) {
            encrypted.command("STARTTLS", 220);
            encrypted.startTls(pem.trustingContext());
            encrypted.command("EHLO client.example", 250);
            encrypted.command("MAIL FROM:<a@example.org>", 250);

            assertEquals(0, greylited.signal("TERM"));
            assertEquals(SHUTTING_DOWN, clear.reply(), "the idle session in clear is told at once");
            assertTrue(clear.closedByServer());
            finishesItsTransactionThenIsTold(encrypted, "RCPT TO:<b@example.com>",
                    "Subject: under TLS\r\n\r\nstill delivered\r\n.\r\n");
        }
        assertTrue(greylited.process.waitFor(30, TimeUnit.SECONDS), "greylited ended once its sessions had");
        assertEquals(1, upstream.messages.size());
    }

    @Test
    void aMessageStillComingWhenTheGracePeriodEndsIsDroppedAtTheUpstream() throws Exception {
        start("2s");
        try (RawClient slow = client().hello()) {
            slow.command("MAIL FROM:<a@example.org>", 250);
            slow.command("RCPT TO:<b@example.com>", 250);
            slow.command("DATA", 354);
            slow.send("Subject: too slow\r\n\r\nthe first half\r\n");
            assertEquals(0, greylited.signal("TERM"));
            assertEquals(SHUTTING_DOWN, slow.reply(), "told at the end of the grace period");
        }
        assertTrue(greylited.process.waitFor(30, TimeUnit.SECONDS));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (upstream.abandonedMessages.get() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(1, upstream.abandonedMessages.get(), "the upstream saw its connection end mid-message");
        assertEquals(0, upstream.messages.size(), "no part of the message was delivered");
    }

    /**
     * A session in a transaction when the server was told to stop: not cut, it sends its RCPT and message, which
     * is accepted, and is told 421 then, and closed.
     */
    private static void finishesItsTransactionThenIsTold(RawClient c, String rcpt, String message) throws IOException {
        assertTrue(silentFor(c, 500), "a session in a transaction is not cut");
        c.command(rcpt, 250);
        c.command("DATA", 354);
        c.send(message);
        c.expect(250);
        assertEquals(SHUTTING_DOWN, c.reply(), "told as soon as its transaction ended");
        assertTrue(c.closedByServer());
    }

    /** Whether the server sends nothing for {@code millis}. */
    private static boolean silentFor(RawClient c, int millis) throws IOException {
        c.socket().setSoTimeout(millis);
        try {
            c.socket().getInputStream().read(); // a byte, or the end of the connection: not silent
            return false;
        } catch (SocketTimeoutException e) {
            return true;
        } finally {
            c.socket().setSoTimeout(10_000);
        }
    }
}
