package org.greylite.greydaemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;

import org.greylite.greylist.GreylistSettings;
import org.greylite.greylist.KnownSenders;
import org.greylite.store.GreylistStore;
import org.greylite.store.GreylistStores;
import org.greylite.suspicion.Suspicion;
import org.greylite.suspicion.SuspicionPolicy;
import org.greylite.testing.ThrowOnce;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * A decision that fails in a way nothing foresaw (a defect; a regular expression too deep for the stack; a class
 * that cannot be loaded once a package upgrade has replaced the jars under the running daemon) leaves its batch
 * unanswered, as a greydb failure does (the patched qmail-smtpd times out and lets the mail in), and the daemon
 * goes on: an Error must not end the thread that serves every client.
 */
class UnforeseenFailureTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(classes = {NoClassDefFoundError.class, StackOverflowError.class, IllegalStateException.class})
    void theFailedBatchIsUnansweredAndTheNextOneIsAnswered(Class<? extends Throwable> kind) throws Exception {
        ThrowOnce failure = ThrowOnce.of(kind);
        SuspicionPolicy failingOnce = facts -> {
            failure.now();
            return Suspicion.NONE;
        };
        GreylistStore store = GreylistStores.sqlite(dir.resolve("greydb"), Duration.ofSeconds(5));
        EngineDecisions decisions = new EngineDecisions(store, failingOnce, GreylistSettings.defaults(),
                KnownSenders.NONE, WhitelistRanges.NONE, Clock.systemUTC());
        UdpService service = UdpService.start(ListeningSockets.bind(new InetSocketAddress("127.0.0.1", 0)), decisions, null,
                Duration.ofHours(1), new GreydaemonMetrics());
        try (QmailSmtpdClient client = new QmailSmtpdClient(service.localAddress())) {
            client.timeout(1000);
            assertNull(client.ask("198.51.100.7", "alice@example.net", "bob@example.org"), "the failed batch");
            client.timeout(10_000);
            assertEquals("0,1", client.ask("198.51.100.8", "alice@example.net", "bob@example.org"),
                    "the daemon still serves");
        } finally {
            service.close();
            decisions.close();
        }
    }
}
