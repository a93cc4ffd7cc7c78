package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
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

    private ScriptedUpstream upstream;
    private GreylitedProcess greylited;

    @BeforeEach
    void startUpstream() throws IOException {
        upstream = new ScriptedUpstream();
    }

    @AfterEach
    void stop() throws Exception {
        if (greylited != null) {
            greylited.close();
        }
        upstream.close();
    }

    /** greylited with the grace period given; RELAYCLIENT for 127.0.0.1, so its RCPTs pass at once. */
    private void start(String grace) throws Exception {
        Path access = Files.writeString(dir.resolve("tcp.smtp"), "127.0.0.1:allow,RELAYCLIENT=\"\"\n");
        greylited = GreylitedProcess.start(dir, upstream.address(), "--hostname", "mx.test", "--access",
                access.toString(), "--stop-grace", grace);
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

            assertTrue(silentFor(inTransaction, 500), "a session in a transaction is not cut");
            inTransaction.command("RCPT TO:<c@example.com>", 250);
            inTransaction.command("DATA", 354);
            inTransaction.send("Subject: after the signal\r\n\r\nstill delivered\r\n.\r\n");
            inTransaction.expect(250);
            assertEquals(SHUTTING_DOWN, inTransaction.reply(), "told as soon as its transaction ended");
            assertTrue(inTransaction.closedByServer());

            inMessage.send("the second half\r\n.\r\n");
            inMessage.expect(250);
            assertEquals(SHUTTING_DOWN, inMessage.reply());
            assertTrue(inMessage.closedByServer());
        }
        assertTrue(greylited.process.waitFor(30, TimeUnit.SECONDS), "greylited ended once its sessions had");
        assertEquals(2, upstream.messages.size(), "both messages delivered whole");
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
