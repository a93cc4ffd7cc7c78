package org.greylite.connect;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import org.greylite.net.AddressText;
import org.greylite.net.DnsListName;
import org.greylite.net.DnsServers;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * DNS whitelists ({@code greylited --dnswl ZONE[=THRESHOLD]}): a client listed in a zone at or above its
 * trust threshold is not greylisted. The answer's last octet is the trust level, as list.dnswl.org encodes
 * it (127.0.X.0 none, .1 low, .2 medium, .3 high); the threshold defaults to 0, any listing. Answers outside
 * 127.0.0.0/8 are not listings (a resolver's error page, say), nor are the lists' refusals within it
 * ({@link DnswlAnswer}). Lookups start when the client connects, run
 * asynchronously, and are cached per address for the record's TTL, at most 10 minutes. A DNS failure or
 * timeout is not a listing.
 */
public final class DnswlLookup {

    /** One zone and the trust level a listing needs. */
    public record Zone(String name, int threshold) {

        /** {@code list.dnswl.org} or {@code list.dnswl.org=2}. */
        public static Zone parse(String text) {
            String t = text.trim().toLowerCase(Locale.ROOT);
            int eq = t.indexOf('=');
            String name = (eq < 0 ? t : t.substring(0, eq)).replaceAll("\\.$", "");
            int threshold = 0;
            if (eq >= 0) {
                try {
                    threshold = Integer.parseInt(t.substring(eq + 1));
                } catch (NumberFormatException e) {
                    threshold = -1;
                }
            }
            if (name.isEmpty() || !name.matches("[a-z0-9.-]+") || threshold < 0 || threshold > 255) {
                throw new IllegalArgumentException("--dnswl wants ZONE or ZONE=THRESHOLD (0-255), e.g. list.dnswl.org=2, not '"
                        + text + "'");
            }
            return new Zone(name, threshold);
        }
    }

    private record Cached(Optional<String> zone, long expiresNanos) {
    }

    private static final long MAX_CACHE_NANOS = Duration.ofMinutes(10).toNanos();
    private static final int CACHE_SIZE = 10_000;

    private final List<Zone> zones;
    private final Resolver resolver;
    private final String description;
    private final Map<String, Cached> cache = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Cached> eldest) {
            return size() > CACHE_SIZE;
        }
    };

    private DnswlLookup(List<Zone> zones, Resolver resolver, String description) {
        this.zones = List.copyOf(zones);
        this.resolver = resolver;
        this.description = description;
    }

    public static DnswlLookup create(List<Zone> zones, List<InetSocketAddress> servers, Duration timeout) {
        DnsServers.Resolvers r = DnsServers.resolvers(servers, timeout, 1);
        return new DnswlLookup(zones, r.resolver(), "DNSWL " + zones + " via " + r.description());
    }

    /** The first zone (in the order given) that lists the client at or above its threshold; never fails. */
    public CompletableFuture<Optional<String>> lookup(InetAddress client) {
        String key = AddressText.of(client);
        synchronized (cache) {
            Cached c = cache.get(key);
            if (c != null && c.expiresNanos() - System.nanoTime() > 0) {
                return CompletableFuture.completedFuture(c.zone());
            }
        }
        String reversed = DnsListName.of(client); // a NAT64 client by its IPv4 address
        List<CompletableFuture<Long>> answers = new ArrayList<>(zones.size()); // TTL if listed, else -1
        for (Zone z : zones) {
            answers.add(query(reversed + "." + z.name() + ".", z.threshold()));
        }
        return CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).handle((ok, failure) -> {
            Optional<String> listed = Optional.empty();
            long ttlNanos = MAX_CACHE_NANOS;
            for (int i = 0; i < zones.size(); i++) {
                long ttl = answers.get(i).getNow(-1L);
                if (ttl >= 0 && listed.isEmpty()) {
                    listed = Optional.of(zones.get(i).name());
                    ttlNanos = Math.min(ttlNanos, Duration.ofSeconds(ttl).toNanos());
                }
            }
            synchronized (cache) {
                cache.put(key, new Cached(listed, System.nanoTime() + ttlNanos));
            }
            return listed;
        });
    }

    /** The listing's TTL when an A record is a listing at or above {@code threshold} ({@link DnswlAnswer}), else -1. */
    private CompletableFuture<Long> query(String name, int threshold) {
        try {
            Message q = Message.newQuery(Record.newRecord(Name.fromString(name), Type.A, DClass.IN));
            return resolver.sendAsync(q).toCompletableFuture().handle((response, failure) -> {
                if (failure != null || response.getRcode() != Rcode.NOERROR) {
                    return -1L;
                }
                for (Record r : response.getSection(Section.ANSWER)) {
                    if (r instanceof ARecord a && DnswlAnswer.lists(a.getAddress().getAddress(), threshold)) {
                        return r.getTTL();
                    }
                }
                return -1L;
            });
        } catch (org.xbill.DNS.TextParseException e) {
            return CompletableFuture.completedFuture(-1L);
        }
    }

    @Override
    public String toString() {
        return description;
    }
}
