package org.greylite.ucspi;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

import org.greylite.net.DnsFailureText;
import org.greylite.net.DnsServers;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.Section;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * Looks one client address up in a list of DNSBL zones, all zones in parallel, within one time
 * limit, and reports the first zone, in the order given, that lists it.
 *
 * <p>Queries go straight to the resolver ({@link Resolver#sendAsync}) rather than through
 * dnsjava's {@code Lookup}: a DNSBL answer must tell NXDOMAIN (not listed, silently) from SERVFAIL
 * or a timeout (not listed, but worth a log line), and {@code Lookup} folds those together behind
 * its search path and cache, neither of which a DNSBL query wants.
 */
final class DnsblCheck {

    /** What one zone said about the client. */
    sealed interface Answer permits Listed, NotListed, Failed {
    }

    /** The zone lists the client; {@code code} is the A record it returned (e.g. 127.0.0.2). */
    record Listed(String zone, InetAddress code) implements Answer {
    }

    /** NXDOMAIN, or a name without A records. */
    record NotListed() implements Answer {
    }

    /** No usable answer: timeout, SERVFAIL, REFUSED, a network error, an answer that is no listing. */
    record Failed(String reason) implements Answer {
    }


    private final Resolver resolver;
    private final Duration timeout;
    private final Consumer<String> log;

    DnsblCheck(Resolver resolver, Duration timeout, Consumer<String> log) {
        this.resolver = resolver;
        this.timeout = timeout;
        this.log = log;
    }

    /**
     * The first zone (in {@code zones}' order) that lists {@code client}, or empty. Every zone is
     * asked at once; the answers are then read in order, so a listing in the first zone ends the
     * wait at once, while a listing in a later zone waits for the earlier zones to answer or fail.
     * Nothing waits past {@code timeout} from the start. Failures are logged, one line per zone.
     *
     * @param clientText the address as the environment gave it, for log lines
     */
    Optional<Listed> firstListing(InetAddress client, String clientText, List<String> zones) {
        long deadline = System.nanoTime() + timeout.toNanos();
        String reversed = IpLiterals.reversed(client);
        List<CompletableFuture<Answer>> pending = new ArrayList<>(zones.size());
        for (String zone : zones) {
            pending.add(ask(reversed, zone));
        }
        for (int i = 0; i < zones.size(); i++) {
            Answer answer = await(pending.get(i), deadline);
            if (answer instanceof Listed listed) {
                return Optional.of(listed);
            }
            if (answer instanceof Failed failed) {
                log.accept(clientText + " lookup in " + zones.get(i) + " failed: " + failed.reason());
            }
        }
        return Optional.empty();
    }

    private CompletableFuture<Answer> ask(String reversed, String zone) {
        Name name;
        try {
            name = Name.fromString(reversed + "." + zone, Name.root);
        } catch (TextParseException e) {
            return CompletableFuture.completedFuture(new Failed("bad zone name: " + e.getMessage()));
        }
        Message query = Message.newQuery(Record.newRecord(name, Type.A, DClass.IN));
        try {
            // Handed on by dnsjava's thread: the JDK's default async pool starts a thread per answer on 2 cores.
            return resolver.sendAsync(query, Runnable::run).toCompletableFuture()
                    .thenApply(response -> interpret(zone, response));
        } catch (RuntimeException e) {
            return CompletableFuture.completedFuture(new Failed(DnsFailureText.of(e)));
        }
    }

    /**
     * The meaning of a DNSBL response. Only A records in 127.0.0.0/8 are listings (RFC 5782 §2.1):
     * anything else is a list that is broken, expired or parked, and blocking the world on it would
     * be worse than missing a listing. Within 127/8, 127.255.255.0/24 is excluded too: Spamhaus uses
     * it for "you may not query" errors (e.g. 127.255.255.254 through a public resolver). So is 127.0.0.255,
     * dnswl.org's answer to a resolver over its query limit: a DNS whitelist looked up through dnsblenv
     * ({@code DNSBL=list.dnswl.org DNSBL_VARNAME=DNSWL} with a {@code 0 v DNSWL} suspicion line, as the examples
     * do) otherwise set the variable for every client of that resolver, and none was greylisted.
     */
    static Answer interpret(String zone, Message response) {
        int rcode = response.getRcode();
        if (rcode == Rcode.NXDOMAIN) {
            return new NotListed();
        }
        if (rcode != Rcode.NOERROR) {
            return new Failed(Rcode.string(rcode));
        }
        InetAddress odd = null;
        for (Record record : response.getSection(Section.ANSWER)) {
            if (record instanceof ARecord a) {
                InetAddress address = a.getAddress();
                if (isListingCode(address)) {
                    return new Listed(zone, address);
                }
                odd = address;
            }
        }
        if (odd != null) {
            return new Failed("answered " + odd.getHostAddress() + ", which is no listing code");
        }
        return new NotListed();
    }

    static boolean isListingCode(InetAddress address) {
        byte[] b = address.getAddress();
        return address instanceof Inet4Address && (b[0] & 0xff) == 127
                && !((b[1] & 0xff) == 255 && (b[2] & 0xff) == 255)
                && !((b[1] & 0xff) == 0 && (b[2] & 0xff) == 0 && (b[3] & 0xff) == 255);
    }

    private static Answer await(CompletableFuture<Answer> answer, long deadline) {
        try {
            long left = deadline - System.nanoTime();
            return left > 0 ? answer.get(left, TimeUnit.NANOSECONDS) : answer.getNow(new Failed("timed out"));
        } catch (TimeoutException e) {
            return new Failed("timed out");
        } catch (ExecutionException | CompletionException e) {
            return new Failed(DnsFailureText.of(e));
        } catch (CancellationException e) {
            return new Failed("cancelled");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Failed("interrupted");
        }
    }

    // --- the resolver --------------------------------------------------------------------------

    /**
     * A resolver for the servers in {@code dnscacheip} (the {@code DNSCACHEIP} variable), or for
     * the system's servers when it names none.
     *
     * <p>{@code DNSCACHEIP} holds one or more addresses separated by spaces, as in djbdns; beyond
     * djbdns, each may carry a port: {@code 192.0.2.53:5353}, {@code [2001:db8::53]:5353}. A query
     * without an answer is sent again, to the next server, after a short delay (a quarter of
     * {@code timeout}, at most 250 ms, then doubling), the copies already sent still awaited: greylited's
     * resolver ({@link DnsServers#resolvers}). dnsjava's {@code ExtendedResolver}, used before, gave each
     * server a share of {@code timeout} but noticed a try's timeout only at its next whole second, so
     * silent servers first in the list took the whole check, and a listing the next server had was missed.
     */
    static Resolver resolver(String dnscacheip, Duration timeout, Consumer<String> log) {
        return DnsServers.resolvers(servers(dnscacheip, log), timeout, 1).resolver();
    }

    /**
     * The servers named in a {@code DNSCACHEIP} value, read as greylite and greylited read it ({@link DnsServers});
     * bad entries are logged and skipped: the check only ever adds a mark, so a typo must not stop the mail.
     */
    static List<InetSocketAddress> servers(String dnscacheip, Consumer<String> log) {
        return DnsServers.parseList(dnscacheip, "DNSCACHEIP", e -> log.accept(e.getMessage() + "; ignored"));
    }
}
