package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import org.greylite.testing.FakeWallClock;
import org.greylite.testing.Stall;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * greylited as a real process whose wall clock is stepped, as NTP steps a host's clock (libfaketime in its process
 * only: the machine's clock, and greylited's monotonic clock, stay as they are). The idle timeout of clients and the
 * upstream timeout go by the monotonic clock: a step forward by more than either times no session out, and a step
 * back leaves no silent client (nor upstream) in place for the length of the step.
 */
class WallClockStepTest {

    @TempDir
    Path dir;

    @RegisterExtension
    final ScriptedUpstream upstream = ScriptedUpstream.perTest();
    private FakeWallClock wallClock;

    @BeforeEach
    void start() throws Exception {
        wallClock = FakeWallClock.in(dir);
    }

    /** One I/O thread: every session's events, and every look at their idleness, are on the thread the probe goes through. */
    private GreylitedProcess greylited(String... timeouts) throws Exception {
        return GreylitedProcess.command(upstream.address()).db(dir.resolve("greylite.db"))
                .args("--io-threads", "1").args(timeouts).env(wallClock.environment()).start();
    }

    /** MAIL, RCPT to the postmaster (never greylisted), DATA and a short message: the reply to its end is owed. */
    private static void sendMessage(RawClient c) throws Exception {
        c.command("MAIL FROM:<a@example.org>", 250);
        c.command("RCPT TO:<postmaster@example.com>", 250);
        c.command("DATA", 354);
        c.send("Subject: step\r\n\r\nhello\r\n.\r\n");
    }

    @Test
    void aStepForwardLongerThanBothTimeoutsTimesNoSessionOut() throws Exception {
        upstream.readDelayInDataMillis = 3000; // the upstream takes a while with the message, then accepts it
        try (GreylitedProcess proxy = greylited("--idle-timeout", "5m", "--upstream-timeout", "10m");
             RawClient waitedFor = new RawClient(proxy.address()).hello();
             RawClient waitingForUpstream = new RawClient(proxy.address()).hello()) {
            sendMessage(waitingForUpstream);

            wallClock.step(Duration.ofMinutes(11));
            // A session started after the step: its greeting comes through the I/O thread, which has by then
            // looked at the other sessions' idleness at least once with the stepped clock.
            try (RawClient probe = new RawClient(proxy.address())) {
                probe.expect(220);
            }

            waitedFor.command("NOOP", 250);
            waitingForUpstream.expect(250); // the upstream's own reply to the message, in its time
            assertFalse(proxy.logged("idle too long"), String.join("\n", proxy.log));
            assertFalse(proxy.logged("did not answer in time"), String.join("\n", proxy.log));
        }
    }

    /**
     * MINA's own timeout on a write that makes no progress (60 s by default, on the wall clock) would cut the
     * session: a step of two minutes stands for two minutes of an upstream that does not read, well within its
     * --upstream-timeout, after which it reads the message and accepts it.
     */
    @Test
    void anUpstreamSlowToReadTheMessageHasItsWholeUpstreamTimeout() throws Exception {
        upstream.readDelayInDataMillis = 8000; // a content filter busy for a while
        try (GreylitedProcess proxy = greylited("--idle-timeout", "5m", "--upstream-timeout", "10m");
             RawClient c = new RawClient(proxy.address()).hello()) {
            c.command("MAIL FROM:<a@example.org>", 250);
            c.command("RCPT TO:<postmaster@example.com>", 250);
            c.command("DATA", 354);
            AtomicLong sent = new AtomicLong();
            Thread writer = new Thread(() -> {
                byte[] line = ("a".repeat(998) + "\r\n").getBytes(StandardCharsets.US_ASCII);
                try {
                    for (int i = 0; i < 16_000; i++) { // 16 MB: more than the buffers on the way hold
                        c.send(line);
                        sent.addAndGet(line.length);
                    }
                    c.send(".\r\n");
                } catch (IOException e) {
                    // the proxy closed the connection: the reply says why
                }
            });
            writer.setDaemon(true);
            writer.start();
            assertTrue(Stall.await(sent::get, 16_000_000, Duration.ofSeconds(20)).stuck(),
                    "the upstream holds the message back");

            wallClock.step(Duration.ofMinutes(2));
            try (RawClient probe = new RawClient(proxy.address())) {
                probe.expect(220); // see aStepForwardLongerThanBothTimeoutsTimesNoSessionOut
            }

            c.socket().setSoTimeout(60_000);
            String reply = c.reply();
            assertTrue(reply.startsWith("250"), "the upstream accepts the message once it reads it: " + reply);
            writer.join(10_000);
            assertEquals(16_000 * 1000 + 3, upstream.messages.get(0).length);
            assertFalse(proxy.logged("upstream closed the connection unexpectedly"), String.join("\n", proxy.log));
        }
    }

    @Test
    void aStepBackStillDropsASilentClientAndGivesUpASilentUpstream() throws Exception {
        upstream.stallInData = true; // the upstream never answers the message
        try (GreylitedProcess proxy = greylited("--idle-timeout", "3s", "--upstream-timeout", "3s");
             RawClient silent = new RawClient(proxy.address()).hello();
             RawClient waitingForUpstream = new RawClient(proxy.address()).hello()) {
            sendMessage(waitingForUpstream);

            wallClock.step(Duration.ofHours(-1)); // well within the timeouts: nothing can have timed out yet

            assertTrue(silent.reply().startsWith("421 4.4.2"), "the silent client is dropped after 3 s, not an hour");
            assertTrue(waitingForUpstream.reply().startsWith("421 4.3.0"), "the silent upstream is given up");
            proxy.awaitLine("client 127.0.0.1 idle too long, dropped", Duration.ofSeconds(10));
            proxy.awaitLine("upstream did not answer in time", Duration.ofSeconds(10));
        }
    }

    /**
     * An upstream that never answers the connection (a host down behind a firewall that drops packets; here a
     * listener whose queue is full, so the kernel drops the SYNs) is given up after --connect-timeout, whatever
     * the wall clock does meanwhile.
     */
    @Test
    void aStepBackDoesNotStretchTheConnectTimeout() throws Exception {
        try (ServerSocket unanswering = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             Backlog queued = Backlog.fill(unanswering);
             GreylitedProcess proxy = GreylitedProcess.command((InetSocketAddress) unanswering.getLocalSocketAddress())
                     .db(dir.resolve("greylite.db")).args("--io-threads", "1", "--connect-timeout", "3s")
                     .env(wallClock.environment()).start();
             RawClient c = new RawClient(proxy.address())) {
            awaitConnectInProgress(unanswering.getLocalPort());

            wallClock.step(Duration.ofHours(-1));

            String reply = c.reply();
            assertTrue(reply.startsWith("421 4.3.0"), "the upstream is given up after 3 s: " + reply);
            proxy.awaitLine("upstream unreachable for client 127.0.0.1", Duration.ofSeconds(10));
        }
    }

    /** Connections to a listener that never accepts, until its queue is full and a new one is left unanswered. */
    private static final class Backlog implements AutoCloseable {
        private final List<Socket> held = new ArrayList<>();

        static Backlog fill(ServerSocket listener) throws IOException {
            Backlog b = new Backlog();
            for (int i = 0; i < 16; i++) {
                Socket s = new Socket();
                b.held.add(s);
                try {
                    s.connect(listener.getLocalSocketAddress(), 500);
                } catch (SocketTimeoutException e) {
                    return b; // the queue is full: this one went unanswered
                }
            }
            b.close();
            throw new AssertionError("the listener's queue never filled");
        }

        @Override
        public void close() throws IOException {
            for (Socket s : held) {
                s.close();
            }
        }
    }

    /** Waits until some socket of this host is trying to connect to {@code port} on loopback (SYN sent, no answer). */
    private static void awaitConnectInProgress(int port) throws Exception {
        String remote = String.format(":%04X ", port);
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            // A JVM's sockets are IPv6 ones (an IPv4 address mapped) unless it prefers IPv4: both tables.
            for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
                for (String line : Files.readAllLines(Path.of(table))) {
                    String[] f = line.trim().split("\\s+");
                    if (f.length > 3 && (f[2] + " ").endsWith(remote) && f[3].equals("02")) { // 02: SYN_SENT
                        return;
                    }
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("greylited did not start connecting to the upstream");
    }
}
