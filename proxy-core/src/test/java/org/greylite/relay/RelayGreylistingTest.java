package org.greylite.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.greylite.greylist.DecisionListener;
import org.greylite.greylist.GreylistSettings;
import org.greylite.greylist.Greylister;
import org.greylite.testing.MutableClock;
import org.greylite.greylist.Verdict;
import org.greylite.store.GreylistStore;
import org.greylite.store.GreylistStores;
import org.greylite.suspicion.SuspicionPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The relay with the real engine behind it: decisions taken on a greydb thread, replies in order. */
@Timeout(30)
class RelayGreylistingTest {

    @TempDir
    Path dir;

    private GreylistStore store;
    private ExecutorService greydbThread;
    private final MutableClock clock = new MutableClock(Instant.parse("2024-05-01T12:00:00Z"));
    private final List<Verdict> verdicts = new ArrayList<>();
    private Greylister greylister;

    @BeforeEach
    void setUp() {
        store = GreylistStores.sqlite(dir.resolve("greylite.db"), Duration.ofSeconds(5));
        greydbThread = Executors.newSingleThreadExecutor();
        DecisionListener remember = (r, v) -> {
            synchronized (verdicts) {
                verdicts.add(v);
            }
        };
        greylister = new Greylister(store, SuspicionPolicy.NONE, GreylistSettings.defaults(), clock, remember);
    }

    @AfterEach
    void tearDown() throws Exception {
        greydbThread.shutdownNow();
        greydbThread.awaitTermination(5, TimeUnit.SECONDS);
        store.close();
    }

    private static void waitFor(Supplier<Boolean> condition, Supplier<String> state) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.get()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out; state: " + state.get());
            }
            Thread.sleep(2);
        }
    }

    /** One connection: sends a pipelined transaction with two recipients and returns what the client read. */
    private FakeTransport deliver(RcptPolicy policy) throws Exception {
        FakeTransport t = new FakeTransport();
        RelaySession s = new RelaySession(t, policy, RelaySettings.defaults("proxy.example.org"),
                new SessionInfo(InetAddress.getByName("192.0.2.7"), "", Map.of(), true));
        s.start();
        s.onUpstreamData(bytes("220 mx ESMTP\r\n"));
        s.onClientData(bytes("EHLO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nRCPT TO:<c@y>\r\nQUIT\r\n"));
        s.onUpstreamData(bytes("250 mx\r\n250 ok\r\n"));
        waitFor(() -> t.upstreamText().endsWith("QUIT\r\n"), t::upstreamText);
        int forwardedRcpts = t.upstreamText().split("RCPT", -1).length - 1;
        StringBuilder replies = new StringBuilder();
        for (int i = 0; i < forwardedRcpts; i++) {
            replies.append("250 rcpt ok\r\n");
        }
        s.onUpstreamData(bytes(replies + "221 bye\r\n"));
        waitFor(() -> t.clientClosed, t::clientText);
        return t;
    }

    private static ByteBuffer bytes(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.ISO_8859_1));
    }

    @Test
    void firstAttemptGreylistedRetryDeliveredThenWhitelisted() throws Exception {
        RcptPolicy policy = new ExecutorRcptPolicy(greylister, greydbThread);

        FakeTransport first = deliver(policy);
        assertEquals(List.of(220, 250, 250, 451, 451, 221), first.clientCodes());
        assertEquals("EHLO c\r\nMAIL FROM:<a@x>\r\nQUIT\r\n", first.upstreamText());

        clock.advance(Duration.ofMinutes(5));
        FakeTransport retry = deliver(policy);
        assertEquals(List.of(220, 250, 250, 250, 250, 221), retry.clientCodes());
        assertEquals("EHLO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nRCPT TO:<c@y>\r\nQUIT\r\n", retry.upstreamText());

        synchronized (verdicts) {
            assertEquals(List.of(Verdict.Reason.FIRST_ATTEMPT, Verdict.Reason.FIRST_ATTEMPT, Verdict.Reason.PASSED,
                    Verdict.Reason.WHITELISTED), verdicts.stream().map(Verdict::reason).toList());
        }
    }

    @Test
    void aStoppedGreydbThreadAnswers451() throws Exception {
        greydbThread.shutdown();
        FakeTransport t = deliver(new ExecutorRcptPolicy(greylister, greydbThread));
        assertEquals(List.of(220, 250, 250, 451, 451, 221), t.clientCodes());
        assertTrue(t.clientText().contains("451 4.3.0 greylisting is temporarily unavailable"), t.clientText());
    }
}
