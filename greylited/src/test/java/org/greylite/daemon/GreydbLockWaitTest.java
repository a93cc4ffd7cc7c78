package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.greylite.greylist.DecisionListener;
import org.greylite.greylist.GreylistSettings;
import org.greylite.greylist.Greylister;
import org.greylite.relay.ExecutorRcptPolicy;
import org.greylite.relay.RelaySettings;
import org.greylite.store.GreylistStore;
import org.greylite.store.GreylistStores;
import org.greylite.suspicion.SuspicionPolicy;
import org.greylite.testing.Sqlite3Lock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The busy timeout bounds every RCPT's wait for a greydb another process has locked, not just the first
 * one's: with the real {@code sqlite3} holding {@code BEGIN EXCLUSIVE}, ten RCPTs asked at once through
 * real sockets are all answered (fail open) within about the busy timeout. They were answered one busy
 * timeout after another, since each waited its whole timeout in turn behind the one before.
 */
class GreydbLockWaitTest {

    private static final Duration BUSY_TIMEOUT = Duration.ofSeconds(2);
    private static final int CLIENTS = 10;
    private static final int PIPELINED = 5;

    @TempDir
    Path dir;

    /**
     * RCPTs one client pipelines (RFC 2920) are asked when they come, not each when the one before it is answered:
     * behind a greydb the real {@code sqlite3} keeps locked, five of them were answered one busy timeout after
     * another (10 s), and a client with a hundred recipients waited minutes.
     */
    @Test
    void pipelinedRcptsBehindALockedGreydbAreAllAnsweredWithinTheBusyTimeout() throws Exception {
        Path db = dir.resolve("greylite.db");
        ExecutorService greydb = Executors.newSingleThreadExecutor();
        Sqlite3Lock locker = null;
        try (ScriptedUpstream upstream = new ScriptedUpstream();
             GreylistStore store = GreylistStores.sqlite(db, BUSY_TIMEOUT)) {
            ProxyServer server = proxy(upstream, store, greydb);
            try (RawClient c = new RawClient(server.localAddress())) {
                c.hello();
                c.command("MAIL FROM:<a@example.org>", 250);
                locker = Sqlite3Lock.hold(db);
                StringBuilder batch = new StringBuilder();
                for (int i = 0; i < PIPELINED; i++) {
                    batch.append("RCPT TO:<rcpt").append(i).append("@example.com>\r\n");
                }
                long sent = System.nanoTime();
                c.send(batch.toString());
                for (int i = 0; i < PIPELINED; i++) {
                    c.expect(250); // fail open: the greydb is locked
                }
                long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sent);
                // The margin is for a loaded machine; one busy timeout after another would be 10 s.
                assertTrue(took < BUSY_TIMEOUT.toMillis() + 4000,
                        "the " + PIPELINED + " pipelined RCPTs were answered after " + took + " ms");
                assertTrue(locker.held(), "the lock was held all along");
            } finally {
                server.stop(Duration.ZERO);
            }
        } finally {
            if (locker != null) {
                locker.close();
            }
            greydb.shutdownNow();
        }
    }

    @Test
    void tenRcptsQueuedBehindALockedGreydbAreAllAnsweredWithinTheBusyTimeout() throws Exception {
        Path db = dir.resolve("greylite.db");
        ExecutorService greydb = Executors.newSingleThreadExecutor();
        ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
        Sqlite3Lock locker = null;
        try (ScriptedUpstream upstream = new ScriptedUpstream();
             GreylistStore store = GreylistStores.sqlite(db, BUSY_TIMEOUT)) {
            ProxyServer server = proxy(upstream, store, greydb);
            try {
                locker = Sqlite3Lock.hold(db);
                CountDownLatch ready = new CountDownLatch(CLIENTS);
                List<Future<Long>> waits = new ArrayList<>();
                for (int i = 0; i < CLIENTS; i++) {
                    String to = "rcpt" + i + "@example.com";
                    waits.add(clients.submit(() -> {
                        try (RawClient c = new RawClient(server.localAddress())) {
                            c.hello();
                            c.command("MAIL FROM:<a@example.org>", 250);
                            ready.countDown();
                            ready.await();
                            long asked = System.nanoTime();
                            c.command("RCPT TO:<" + to + ">", 250); // fail open: the greydb is locked
                            return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - asked);
                        }
                    }));
                }
                long slowest = 0;
                for (Future<Long> w : waits) {
                    slowest = Math.max(slowest, w.get(60, TimeUnit.SECONDS));
                }
                // Each waited at most the busy timeout from when it was asked; the margin is for a loaded machine.
                // Waiting in turn, the tenth would have been answered after ten busy timeouts (20 s).
                assertTrue(slowest < BUSY_TIMEOUT.toMillis() + 4000,
                        "the slowest of " + CLIENTS + " RCPTs took " + slowest + " ms");
                assertTrue(locker.held(), "the lock was held all along");
            } finally {
                server.stop(Duration.ZERO);
            }
        } finally {
            if (locker != null) {
                locker.close();
            }
            greydb.shutdownNow();
            clients.shutdownNow();
        }
    }

    /** greylited's proxy over {@code store}, its decisions on the {@code greydb} thread. */
    private static ProxyServer proxy(ScriptedUpstream upstream, GreylistStore store, ExecutorService greydb)
            throws Exception {
        Greylister engine = new Greylister(store, SuspicionPolicy.NONE, GreylistSettings.defaults(),
                Clock.systemUTC(), DecisionListener.NONE);
        return ProxyServer.builder()
                .listen(new InetSocketAddress("127.0.0.1", 0))
                .upstream(upstream.address())
                .policy(new ExecutorRcptPolicy(engine, greydb))
                .relaySettings(RelaySettings.defaults("proxy.test"))
                .ioThreads(2)
                .build().start();
    }
}
