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

    @TempDir
    Path dir;

    @Test
    void tenRcptsQueuedBehindALockedGreydbAreAllAnsweredWithinTheBusyTimeout() throws Exception {
        Path db = dir.resolve("greylite.db");
        ExecutorService greydb = Executors.newSingleThreadExecutor();
        ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
        Sqlite3Lock locker = null;
        try (ScriptedUpstream upstream = new ScriptedUpstream();
             GreylistStore store = GreylistStores.sqlite(db, BUSY_TIMEOUT)) {
            Greylister engine = new Greylister(store, SuspicionPolicy.NONE, GreylistSettings.defaults(),
                    Clock.systemUTC(), DecisionListener.NONE);
            ProxyServer server = ProxyServer.builder()
                    .listen(new InetSocketAddress("127.0.0.1", 0))
                    .upstream(upstream.address())
                    .policy(new ExecutorRcptPolicy(engine, greydb))
                    .relaySettings(RelaySettings.defaults("proxy.test"))
                    .ioThreads(2)
                    .build().start();
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
}
