package org.greylite.daemon;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import org.greylite.testing.MutableClock;
import org.greylite.greylist.DecisionLog;
import org.greylite.greylist.GreylistSettings;
import org.greylite.greylist.Greylister;
import org.greylite.relay.ExecutorRcptPolicy;
import org.greylite.relay.RelaySettings;
import org.greylite.store.GreylistStore;
import org.greylite.store.GreylistStores;
import org.greylite.suspicion.SuspicionPolicy;

/** A greylited in the test's JVM: real MINA sockets, a real SQLite file, a clock the test moves. */
final class ProxyHarness implements AutoCloseable {

    final MutableClock clock = new MutableClock();
    final GreylistStore store;
    final Greylister greylister;
    final ProxyServer server;
    private final ExecutorService greydb = Executors.newSingleThreadExecutor();

    ProxyHarness(Path db, InetSocketAddress upstream) {
        this(db, upstream, SuspicionPolicy.NONE, RelaySettings.defaults("proxy.test"), b -> { });
    }

    ProxyHarness(Path db, InetSocketAddress upstream, SuspicionPolicy suspicion, RelaySettings relay,
                 java.util.function.Consumer<ProxyServer.Builder> tune) {
        this(db, Duration.ofSeconds(5), upstream, suspicion, relay, tune);
    }

    /**
     * With the greydb's busy timeout, which also bounds how long a decision may wait in the greydb thread's queue:
     * a test that pipelines hundreds of RCPTs gives it room, so that a loaded machine does not fail them open.
     */
    ProxyHarness(Path db, Duration busyTimeout, InetSocketAddress upstream) {
        this(db, busyTimeout, upstream, SuspicionPolicy.NONE, RelaySettings.defaults("proxy.test"), b -> { });
    }

    private ProxyHarness(Path db, Duration busyTimeout, InetSocketAddress upstream, SuspicionPolicy suspicion,
                         RelaySettings relay, java.util.function.Consumer<ProxyServer.Builder> tune) {
        store = GreylistStores.sqlite(db, busyTimeout);
        greylister = new Greylister(store, suspicion, GreylistSettings.defaults(), clock, new DecisionLog());
        ProxyServer.Builder b = ProxyServer.builder()
                .listen(new InetSocketAddress("127.0.0.1", 0))
                .upstream(upstream)
                .policy(new ExecutorRcptPolicy(greylister, greydb))
                .relaySettings(relay)
                .ioThreads(2);
        tune.accept(b);
        server = b.build().start();
    }

    InetSocketAddress address() {
        return server.localAddress();
    }

    RawClient client() throws java.io.IOException {
        return new RawClient(address());
    }

    @Override
    public void close() {
        server.stop(Duration.ZERO);
        greydb.shutdownNow();
        store.close();
    }
}
