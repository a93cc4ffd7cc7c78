package org.greylite.connect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.greylite.testing.Dnsmasq;
import org.greylite.testing.DnsmasqPerClass;
import org.greylite.testing.FreePort;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.xbill.DNS.EDNSOption;
import org.xbill.DNS.Message;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TSIG;

/** PTR lookups with forward confirmation, against a real DNS server (dnsmasq) on loopback. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class PtrLookupTest {

    @RegisterExtension
    static final DnsmasqPerClass dns = new DnsmasqPerClass();

    private static String name(PtrLookup lookup, String address) throws Exception {
        return lookup.lookup(InetAddress.getByName(address)).get(10, TimeUnit.SECONDS);
    }

    private static PtrLookup lookup() {
        return PtrLookup.create(List.of(dns.address()), Duration.ofSeconds(3));
    }

    @Test
    void aConfirmedNameIsGivenInLowerCaseWithoutTheFinalDot() throws Exception {
        PtrLookup lookup = lookup();
        assertEquals("mx.ptr.test", name(lookup, "127.0.0.1"));
        assertEquals("mixed.case.ptr.test", name(lookup, "127.0.0.4"));
    }

    @Test
    void aNameWhoseAddressesDoNotIncludeTheClientIsNoName() throws Exception {
        assertEquals("", name(lookup(), "127.0.0.2"), "liar.ptr.test resolves to 127.0.0.99, not 127.0.0.2");
        assertEquals("", name(lookup(), "127.0.0.5"), "nowhere.ptr.test has no A record");
    }

    @Test
    void noPtrRecordIsNoName() throws Exception {
        assertEquals("", name(lookup(), "127.0.0.3"));
    }

    @Test
    void aSilentDnsServerGivesTheEmptyNameWithinTheTimeout() throws Exception {
        try (DatagramSocket hole = Dnsmasq.blackHole()) {
            // A timeout long enough that the future cannot be done when a late test thread first looks at it.
            PtrLookup lookup = PtrLookup.create(List.of((InetSocketAddress) hole.getLocalSocketAddress()),
                    Duration.ofSeconds(3));
            long start = System.nanoTime();
            CompletableFuture<String> name = lookup.lookup(InetAddress.getByName("127.0.0.1"));
            assertFalse(name.isDone(), "lookup() does not wait for the answer");
            assertEquals("", name.get(20, TimeUnit.SECONDS));
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(ms >= 2500 && ms < 10_000, ms + " ms");
        }
    }

    @Test
    void noDnsServerAtAllGivesTheEmptyName() throws Exception {
        PtrLookup lookup = PtrLookup.create(
                List.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), FreePort.loopback())), Duration.ofSeconds(2));
        long start = System.nanoTime();
        assertEquals("", name(lookup, "127.0.0.1"));
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(3));
    }

    @Test
    void answersAreCachedForTheirTtlAndFailuresAreNot() throws Exception {
        Counting counting = new Counting(new SimpleResolver(dns.address()));
        AtomicLong now = new AtomicLong();
        PtrLookup lookup = new PtrLookup(counting, Duration.ofSeconds(3), 100, now::get, "test");

        assertEquals("mx.ptr.test", name(lookup, "127.0.0.1"));
        assertEquals(2, counting.queries.get(), "PTR, then A");
        assertEquals("mx.ptr.test", name(lookup, "127.0.0.1"));
        assertEquals("", name(lookup, "127.0.0.2"));
        assertEquals(4, counting.queries.get(), "127.0.0.1 came from the cache");

        now.addAndGet(TimeUnit.SECONDS.toNanos(Dnsmasq.TTL_SECONDS - 1));
        assertEquals("mx.ptr.test", name(lookup, "127.0.0.1"));
        assertEquals(4, counting.queries.get());
        // Just expired, it would still be given while refreshed (PtrLookupResilienceTest); past that window:
        now.addAndGet(TimeUnit.SECONDS.toNanos(2) + PtrCache.STALE_WINDOW.toNanos());
        assertEquals("mx.ptr.test", name(lookup, "127.0.0.1"));
        assertEquals(6, counting.queries.get(), "expired after its TTL and the stale window: asked again");

        try (DatagramSocket hole = Dnsmasq.blackHole()) {
            SimpleResolver silent = new SimpleResolver((InetSocketAddress) hole.getLocalSocketAddress());
            Counting failing = new Counting(silent);
            PtrLookup timingOut = new PtrLookup(failing, Duration.ofMillis(300), 100, now::get, "test");
            CompletableFuture<String> first = timingOut.lookup(InetAddress.getByName("127.0.0.1"));
            CompletableFuture<String> second = timingOut.lookup(InetAddress.getByName("127.0.0.1"));
            assertEquals("", first.get(5, TimeUnit.SECONDS));
            assertEquals("", second.get(5, TimeUnit.SECONDS));
            assertEquals(1, failing.queries.get(), "lookups in flight are shared");
            assertEquals("", name(timingOut, "127.0.0.1"));
            assertEquals(2, failing.queries.get(), "a failure is not cached");
        }
    }

    @Test
    void theCacheIsBounded() throws Exception {
        Counting counting = new Counting(new SimpleResolver(dns.address()));
        PtrLookup lookup = new PtrLookup(counting, Duration.ofSeconds(3), 1, System::nanoTime, "test");
        assertEquals("mx.ptr.test", name(lookup, "127.0.0.1"));
        assertEquals("mixed.case.ptr.test", name(lookup, "127.0.0.4"));
        assertEquals(4, counting.queries.get());
        assertEquals("mx.ptr.test", name(lookup, "127.0.0.1"));
        assertEquals(6, counting.queries.get(), "127.0.0.1 was evicted by 127.0.0.4");
    }

    /** Counts the queries that reach the DNS. */
    private static final class Counting implements Resolver {
        final AtomicInteger queries = new AtomicInteger();
        private final Resolver delegate;

        Counting(Resolver delegate) {
            this.delegate = delegate;
            delegate.setTimeout(Duration.ofSeconds(2));
        }

        @Override
        public CompletionStage<Message> sendAsync(Message query) {
            queries.incrementAndGet();
            return delegate.sendAsync(query);
        }

        @Override
        public CompletionStage<Message> sendAsync(Message query, Executor executor) {
            queries.incrementAndGet();
            return delegate.sendAsync(query, executor);
        }

        @Override
        public void setPort(int port) {
            delegate.setPort(port);
        }

        @Override
        public void setTCP(boolean flag) {
            delegate.setTCP(flag);
        }

        @Override
        public void setIgnoreTruncation(boolean flag) {
            delegate.setIgnoreTruncation(flag);
        }

        @Override
        public void setEDNS(int version, int payloadSize, int flags, List<EDNSOption> options) {
            delegate.setEDNS(version, payloadSize, flags, options);
        }

        @Override
        public void setTSIGKey(TSIG key) {
            delegate.setTSIGKey(key);
        }

        @Override
        public void setTimeout(Duration timeout) {
            delegate.setTimeout(timeout);
        }
    }
}
