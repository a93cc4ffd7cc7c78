package org.greylite.wrapper;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.greylite.net.AddressText;
import org.greylite.net.DnsServers;
import org.greylite.net.Ipv4Mapped;
import org.greylite.text.ClientText;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.AAAARecord;
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
 * The client's name as the engine may trust it: tcpserver's {@code TCPREMOTEHOST}, but only once its forward
 * records agree, that is once the name's A records (AAAA for an IPv6 client) include {@code TCPREMOTEIP}.
 *
 * <p>tcpserver puts the PTR answer in TCPREMOTEHOST unchecked unless it runs with {@code -p}, and anyone can
 * write any name into the PTR records of their own addresses. The engine treats the name as forward-confirmed
 * (the known-senders list, the {@code smart} client key, {@code r} lines), so an unchecked
 * {@code x.google.com} would skip greylisting. The check is done here rather than trusting the run script to
 * say {@code -p}: a missing option must not open that door. A name that does not resolve back, or whose lookup
 * fails or takes longer than {@link #TIMEOUT}, gives the session no name at all, as tcpserver -p would.
 *
 * <p>The lookup runs on a thread of its own, started with the session, so the greeting never waits for the
 * DNS; the first RCPT that needs a decision waits for its answer.
 */
final class ConfirmedName {

    /** The bound on the whole check; an answer later than this counts as no confirmation. */
    static final Duration TIMEOUT = Duration.ofSeconds(5);

    private static final Logger LOG = LoggerFactory.getLogger(ConfirmedName.class);

    private ConfirmedName() {
    }

    /**
     * Starts checking {@code name} against {@code client} through the resolvers of {@code dnscacheip} (the
     * system's when it names none). Completes with {@code name} when confirmed, else with "", within
     * {@code timeout}; never exceptionally.
     */
    static CompletableFuture<String> confirm(String name, InetAddress client, String dnscacheip, Duration timeout) {
        CompletableFuture<Boolean> confirmed = new CompletableFuture<>();
        // Even making the resolver reads files (resolv.conf) and loads dnsjava: none of it on the session's thread.
        Thread lookup = new Thread(() -> {
            try {
                confirmed.complete(resolvesTo(name, client, resolver(dnscacheip, timeout)));
            } catch (IOException | RuntimeException e) {
                confirmed.completeExceptionally(e);
            }
        }, "greylite-confirm-name");
        lookup.setDaemon(true);
        lookup.start();
        return confirmed.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS).handle((ok, failure) -> {
            String address = AddressText.of(client);
            if (Boolean.TRUE.equals(ok)) {
                LOG.debug("client {}: TCPREMOTEHOST {} confirmed by its forward records", address, ClientText.field(name));
                return name;
            }
            String why = failure == null ? "its " + (client instanceof Inet4Address ? "A" : "AAAA")
                    + " records do not include the address" : describe(failure, timeout);
            LOG.info("client {}: TCPREMOTEHOST {} not confirmed ({}); the session has no name", address,
                    ClientText.field(name), why);
            return "";
        });
    }

    private static boolean resolvesTo(String name, InetAddress client, Resolver resolver) throws IOException {
        InetAddress wanted = Ipv4Mapped.unwrap(client);
        int type = wanted instanceof Inet4Address ? Type.A : Type.AAAA;
        Message answer = resolver.send(Message.newQuery(
                Record.newRecord(Name.fromString(name, Name.root), type, DClass.IN)));
        int rcode = answer.getRcode();
        if (rcode == Rcode.NXDOMAIN) {
            return false; // the name has no records at all: none of them is the address
        }
        if (rcode != Rcode.NOERROR) {
            // SERVFAIL, REFUSED: nothing was learnt about the name, which the log must not read as a mismatch
            throw new IOException("the resolver answered " + Rcode.string(rcode));
        }
        for (Record r : answer.getSection(Section.ANSWER)) {
            InetAddress a = r instanceof ARecord ar ? ar.getAddress() : r instanceof AAAARecord aaaa ? aaaa.getAddress() : null;
            if (a != null && Arrays.equals(Ipv4Mapped.unwrap(a).getAddress(), wanted.getAddress())) {
                return true;
            }
        }
        return false;
    }

    /**
     * greylited's resolver: a query without an answer is sent again, to the next server, after a short delay
     * that doubles, all within {@code timeout}; so one lost packet costs a quarter of a second, not the bound.
     * The servers of {@code DNSCACHEIP}, the system's when it names none; a bad entry is logged and skipped
     * rather than refusing the connection: the check only ever takes a name away, so a typo must not stop the mail.
     */
    private static Resolver resolver(String dnscacheip, Duration timeout) {
        List<InetSocketAddress> servers = DnsServers.parseList(dnscacheip, "DNSCACHEIP",
                e -> LOG.error("{}; ignored", e.getMessage())); // an error: the default threshold shows errors only
        return DnsServers.resolvers(servers, timeout, 1).resolver();
    }

    /**
     * Why the check failed, for the log line. A failure's text may quote the name (dnsjava refuses one that is no DNS
     * name, an empty label or one over 63 bytes, as {@code 'NAME': invalid empty label}), and the name is whatever
     * the PTR record of the client's address says: shown as the client's text is, with its controls and line breaks
     * as '?', and cut, so that no line of the client's making follows.
     */
    private static String describe(Throwable failure, Duration timeout) {
        Throwable t = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        if (t instanceof TimeoutException) {
            return "no answer within " + timeout.toMillis() + " ms";
        }
        String why = t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
        return "the lookup failed: " + ClientText.printable(why, ClientText.FIELD_LENGTH);
    }
}
