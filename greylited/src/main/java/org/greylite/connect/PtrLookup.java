package org.greylite.connect;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;

import org.greylite.config.RepeatedWarning;
import org.greylite.net.AddressText;
import org.greylite.net.CoarseTimer;
import org.greylite.net.DnsFailureText;
import org.greylite.net.DnsServers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.ReverseMap;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

import org.greylite.net.Ipv4Mapped;

/**
 * The client's PTR name for {@code r} suspicion rules, as tcpserver's {@code TCPREMOTEHOST} would give it,
 * but only when the name is forward-confirmed (FCrDNS): the name's A records (AAAA for an IPv6 client)
 * include the client's address. Anyone can write any name into the PTR record of their own addresses;
 * only the forward zone shows that the name's owner agrees. No PTR record, no confirmation, or no answer
 * within the timeout all give the empty name, which {@code r ^$} matches.
 *
 * <p><b>Asynchronous.</b> {@link #lookup} returns at once; the queries go out through dnsjava's
 * non-blocking resolver and no thread waits for them. The whole lookup (PTR, then the forward lookups of up
 * to {@value #MAX_NAMES} PTR names, in parallel) is bounded by one timeout. A query without an answer is sent
 * again after a quarter of a second, then after doubling delays ({@link org.greylite.net.RetryingResolver}): a lost packet
 * costs that, not the timeout, to every session waiting for the name.
 *
 * <p><b>Cache.</b> Answers are kept per address ({@link PtrCache}): for their DNS time to live, at most 10
 * minutes; an answer without a name at least 30 s, SOA or not; an answer that has just expired is still given
 * at once for 30 s while it is refreshed in the background. Failures (timeouts, SERVFAIL) are not kept.
 * Concurrent connections from one address share the lookup in flight.
 */
public final class PtrLookup {

    /** The default bound on a whole lookup. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);
    /** No answer is kept longer than this, whatever its TTL. */
    public static final Duration MAX_CACHE_TIME = PtrCache.MAX_CACHE_TIME;
    /** How many addresses the cache holds. */
    public static final int DEFAULT_CACHE_SIZE = 10_000;
    /** How many names of a multi-PTR address are checked (a client with dozens of names is rare and odd). */
    static final int MAX_NAMES = 3;

    private static final Logger LOG = LoggerFactory.getLogger(PtrLookup.class);

    /** What the forward lookup of one PTR name said. */
    private record Forward(boolean confirmed, long ttlSeconds, String failure) {
    }

    private final Resolver resolver;
    private final Duration timeout;
    private final LongSupplier nanoTime;
    private final String description;
    private final PtrCache cache;
    private final RepeatedWarning failureWarning;

    PtrLookup(Resolver resolver, Duration timeout, int cacheSize, LongSupplier nanoTime, String description) {
        this.resolver = resolver;
        this.timeout = timeout;
        this.nanoTime = nanoTime;
        this.description = description;
        this.cache = new PtrCache(cacheSize, nanoTime);
        this.failureWarning = new RepeatedWarning(nanoTime);
    }

    /**
     * Lookups through {@code servers}, or through the system's resolvers ({@code /etc/resolv.conf}) when the
     * list is empty.
     *
     * @param timeout the bound on a whole lookup (PTR and forward confirmation)
     */
    public static PtrLookup create(List<InetSocketAddress> servers, Duration timeout) {
        DnsServers.Resolvers r = DnsServers.resolvers(servers, timeout, 2); // PTR, then A/AAAA
        return new PtrLookup(r.resolver(), timeout, DEFAULT_CACHE_SIZE, System::nanoTime,
                "PTR lookups via " + r.description() + ", timeout " + timeout.toMillis() + " ms, resent after "
                        + r.firstRetry().toMillis() + " ms without an answer");
    }

    /**
     * The client's confirmed PTR name, lower case, without the final dot; the empty string when it has none
     * or the DNS did not answer in time. Never completes exceptionally.
     */
    public CompletableFuture<String> lookup(InetAddress client) {
        InetAddress address = Ipv4Mapped.unwrap(client);
        PtrCache.Use use = cache.use(address);
        PtrCache.Entry entry = use.entry();
        switch (use.work()) {
            case RESOLVE -> resolveWithin(address).thenAccept(r -> {
                cache.settle(address, entry, r);
                report(address, r);
            });
            case REFRESH -> resolveWithin(address).thenAccept(r -> {
                cache.refreshed(address, entry, r);
                report(address, r);
            });
            case NONE -> {
            }
        }
        return entry.answer.thenApply(PtrAnswer::name);
    }

    /** The whole lookup, bounded by the timeout; never completes exceptionally. */
    private CompletableFuture<PtrAnswer> resolveWithin(InetAddress address) {
        CompletableFuture<PtrAnswer> lookup = resolve(address);
        // The coarse timer rather than completeOnTimeout, whose JDK timer thread woke for nearly every lookup.
        CoarseTimer.Task timer = CoarseTimer.DNS.schedule(
                () -> lookup.complete(PtrAnswer.failed("no answer within " + timeout.toMillis() + " ms")), timeout);
        lookup.whenComplete((answer, failure) -> timer.cancel());
        return lookup.exceptionally(t -> PtrAnswer.failed(DnsFailureText.of(t)));
    }

    /** Describes the resolver and timeout, for the start-up log. */
    public String describe() {
        return description;
    }

    private void report(InetAddress address, PtrAnswer r) {
        if (LOG.isDebugEnabled()) {
            LOG.debug("PTR {}: {} ({})", AddressText.of(address), r.name().isEmpty() ? "-" : r.name(), r.why());
        }
        if (r.failed()) {
            warnFailure(address, r.why());
        }
    }

    /** A failing DNS would log a line per connection: say it once a minute. */
    private void warnFailure(InetAddress address, String why) {
        long skipped = failureWarning.admit();
        if (skipped >= 0) {
            LOG.warn("PTR lookups fail (client {}: {}); such clients get the empty name; {}{}",
                    AddressText.of(address), why, description, RepeatedWarning.more(skipped));
        }
    }

    // ---------------------------------------------------------------- the queries

    private CompletableFuture<PtrAnswer> resolve(InetAddress address) {
        return query(ReverseMap.fromAddress(address), Type.PTR).thenCompose(response -> {
            int rcode = response.getRcode();
            if (rcode == Rcode.NXDOMAIN) {
                return CompletableFuture.completedFuture(new PtrAnswer("", negativeTtl(response), "no PTR record"));
            }
            if (rcode != Rcode.NOERROR) {
                return CompletableFuture.completedFuture(PtrAnswer.failed("PTR query: " + Rcode.string(rcode)));
            }
            List<PTRRecord> ptrs = new ArrayList<>();
            for (Record record : response.getSection(Section.ANSWER)) {
                if (record instanceof PTRRecord ptr && ptrs.size() < MAX_NAMES) {
                    ptrs.add(ptr);
                }
            }
            if (ptrs.isEmpty()) {
                return CompletableFuture.completedFuture(new PtrAnswer("", negativeTtl(response), "no PTR record"));
            }
            int type = address instanceof Inet4Address ? Type.A : Type.AAAA;
            List<CompletableFuture<Forward>> forwards = new ArrayList<>(ptrs.size());
            for (PTRRecord ptr : ptrs) {
                forwards.add(query(ptr.getTarget(), type)
                        .thenApply(answer -> forward(answer, address))
                        .exceptionally(t -> new Forward(false, 0, DnsFailureText.of(t))));
            }
            return CompletableFuture.allOf(forwards.toArray(CompletableFuture[]::new))
                    .thenApply(done -> choose(ptrs, forwards));
        });
    }

    private CompletableFuture<Message> query(Name name, int type) {
        try {
            return resolver.sendAsync(Message.newQuery(Record.newRecord(name, type, DClass.IN))).toCompletableFuture();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** Whether the A/AAAA answer includes the client's address. */
    private static Forward forward(Message answer, InetAddress address) {
        int rcode = answer.getRcode();
        if (rcode == Rcode.NXDOMAIN) {
            return new Forward(false, negativeTtl(answer), null);
        }
        if (rcode != Rcode.NOERROR) {
            return new Forward(false, 0, Rcode.string(rcode));
        }
        byte[] wanted = address.getAddress();
        long ttl = Long.MAX_VALUE;
        boolean any = false;
        for (Record record : answer.getSection(Section.ANSWER)) {
            InetAddress a = record instanceof ARecord r ? r.getAddress()
                    : record instanceof AAAARecord r ? r.getAddress() : null;
            if (a == null) {
                continue;
            }
            any = true;
            ttl = Math.min(ttl, record.getTTL());
            if (Arrays.equals(Ipv4Mapped.unwrap(a).getAddress(), wanted)) {
                return new Forward(true, record.getTTL(), null);
            }
        }
        return new Forward(false, any ? ttl : negativeTtl(answer), null);
    }

    private static PtrAnswer choose(List<PTRRecord> ptrs, List<CompletableFuture<Forward>> forwards) {
        String failure = null;
        long ttl = Long.MAX_VALUE;
        List<String> names = new ArrayList<>(ptrs.size());
        for (int i = 0; i < ptrs.size(); i++) {
            PTRRecord ptr = ptrs.get(i);
            Forward f = forwards.get(i).join();
            String name = text(ptr.getTarget());
            names.add(name);
            if (f.confirmed()) {
                return new PtrAnswer(name, Math.min(ptr.getTTL(), f.ttlSeconds()), "confirmed");
            }
            if (f.failure() != null && failure == null) {
                failure = "forward lookup of " + name + ": " + f.failure();
            }
            ttl = Math.min(ttl, Math.min(ptr.getTTL(), f.ttlSeconds()));
        }
        if (failure != null) {
            return PtrAnswer.failed(failure);
        }
        return new PtrAnswer("", ttl, "PTR " + String.join(" ", names) + " does not resolve back to the address");
    }

    /** The negative-caching TTL of RFC 2308: the SOA's own TTL or its minimum, whichever is less; none without SOA. */
    private static long negativeTtl(Message response) {
        for (Record record : response.getSection(Section.AUTHORITY)) {
            if (record instanceof SOARecord soa) {
                return Math.min(soa.getTTL(), soa.getMinimum());
            }
        }
        return 0;
    }

    /** Lower case, without the final dot; the root name (a PTR to ".") is no name. */
    private static String text(Name name) {
        String s = name.toString(true).toLowerCase(Locale.ROOT);
        return s.equals(".") ? "" : s;
    }

    @Override
    public String toString() {
        return description;
    }
}
