package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.greylite.greylist.RcptRequest;
import org.greylite.greylist.Verdict;
import org.greylite.relay.RcptPolicy;
import org.greylite.relay.RelaySettings;
import org.greylite.suspicion.SuspicionPolicy;
import org.greylite.testing.ThrowOnce;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An Error on an I/O thread (a class that cannot be loaded once a package upgrade has replaced the jars under the
 * running server; a stack too deep) ends the session it came from, and no more: MINA's loop would let it end the
 * thread, and every session and client of the thread would wait for ever. One I/O thread, so that the next
 * client is served by the thread the Error came on.
 */
// A separate thread: without the guard the server's stop waits for the dead thread, and the test must still end.
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ErrorOnIoThreadTest {

    @TempDir
    Path dir;

    /** Decides on the I/O thread, where the relay asks, as a decision from memory is made: first with the failure. */
    private static RcptPolicy failingOnce(ThrowOnce failure) {
        return new RcptPolicy() {
            @Override
            public void decide(RcptRequest request, long askedNanos, Consumer<Verdict> done) {
                failure.now();
                done.accept(Verdict.whitelisted("192.0.2.0/24"));
            }

            @Override
            public void screen(RcptRequest request, Consumer<Verdict> done) {
                done.accept(null);
            }
        };
    }

    /**
     * OutOfMemoryError too (README, Failures nothing foresaw: an Error on an I/O thread closes that one connection):
     * a client that filled the heap had its OutOfMemoryError end an I/O thread of a running greylited; the clients
     * placed on that thread afterwards (once the other carried four selection keys more) were accepted and never
     * greeted, never timed out, their descriptors kept in CLOSE_WAIT after they left, and SIGTERM waited for ever
     * for the dead thread's dispose.
     */
    @ParameterizedTest
    @ValueSource(classes = {NoClassDefFoundError.class, StackOverflowError.class, OutOfMemoryError.class})
    void theSessionItCameFromEndsAndTheThreadServesTheNextClient(Class<? extends Throwable> kind) throws Exception {
        ThrowOnce failure = ThrowOnce.of(kind);
        try (ScriptedUpstream upstream = new ScriptedUpstream();
             ProxyHarness h = new ProxyHarness(dir.resolve("greylite.db"), upstream.address(), SuspicionPolicy.NONE,
                     RelaySettings.defaults("proxy.test"), b -> b.policy(failingOnce(failure)).ioThreads(1))) {
            try (RawClient c = h.client().hello()) {
                c.command("MAIL FROM:<a@example.org>", 250);
                c.send("RCPT TO:<b@example.com>\r\n");
                String reply;
                try {
                    reply = c.reply();
                } catch (java.net.SocketTimeoutException silent) {
                    throw new AssertionError("the session was left hanging after the error", silent);
                } catch (IOException closedOrReset) {
                    reply = null;
                }
                assertTrue(reply == null, "the session ends: " + reply);
            }
            try (RawClient c = h.client().hello()) {
                c.command("MAIL FROM:<a@example.org>", 250);
                c.command("RCPT TO:<b@example.com>", 250);
                c.command("QUIT", 221);
            }
        }
    }
}
