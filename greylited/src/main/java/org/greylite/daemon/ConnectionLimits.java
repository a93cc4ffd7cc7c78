package org.greylite.daemon;

import java.net.InetAddress;
import java.util.HashMap;
import java.util.Map;

import org.apache.mina.core.buffer.IoBuffer;
import org.apache.mina.core.session.IoSession;
import org.greylite.net.AddressText;
import org.greylite.net.Cidr;
import org.greylite.relay.Replies;
import org.greylite.smtp.Reply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How many sessions are open, per client address and in all, and whether one more may begin
 * ({@code --client-connection-limit}, {@code --connection-limit}).
 *
 * <p>A session is counted from the moment the access rules let it in until its client connection closes, whether
 * or not its upstream connection is open yet: a client in the greeting delay holds no upstream session, but it
 * holds two file descriptors' worth of greylited and will hold an upstream session soon. The check comes before
 * the upstream is connected, so a client over a limit costs the upstream nothing. Behind a load balancer the
 * address is the one its PROXY header names, not the balancer's.
 *
 * <p>An IPv6 client counts by its network ({@code --client-connection-ipv6-prefix}, /84 by default, as Postfix 3.8
 * groups them for its own limits): a host is given a /64 or more, so counted by address it could open any number of
 * sessions, each from an address of its own. An IPv4 client counts by its address.
 *
 * <p>One lock for the whole table: taken twice per session, for a few map operations, it is nowhere near the cost
 * of the accept itself, and a per-address counter without it could not keep the total exact.
 */
final class ConnectionLimits {

    private static final Logger LOG = LoggerFactory.getLogger(ConnectionLimits.class);

    /** Which limit turned a client away; the label of {@code greylite_session_limit_total}. */
    enum Limit {
        CLIENT("client"), TOTAL("total");

        final String label;

        Limit(String label) {
            this.label = label;
        }
    }

    private final int total;
    private final int perClient;
    private final int ipv6Prefix;
    private final Replies replies;
    private final ServerEvents events;
    /** Sessions open per client address, or per network for IPv6 clients. */
    private final Map<Cidr, Integer> open = new HashMap<>();
    private int openInAll;

    /**
     * @param total     sessions open at once in all, 0 for no limit
     * @param perClient the same per client address (IPv6: per network)
     * @param ipv6Prefix the length of the IPv6 networks counted as one client, 1 to 128
     * @param replies   where the refusals' text comes from
     * @param events    told of each refusal, for the metrics
     */
    ConnectionLimits(int total, int perClient, int ipv6Prefix, Replies replies, ServerEvents events) {
        if (total < 0 || perClient < 0) {
            throw new IllegalArgumentException("connection limits must be 0 (none) or more: " + total + ", " + perClient);
        }
        if (ipv6Prefix < 1 || ipv6Prefix > 128) {
            throw new IllegalArgumentException("an IPv6 prefix length is 1 to 128, not " + ipv6Prefix);
        }
        this.total = total;
        this.perClient = perClient;
        this.ipv6Prefix = ipv6Prefix;
        this.replies = replies;
        this.events = events;
    }

    /**
     * Counts the session of {@code client} until its connection closes; or, over a limit, tells it {@code 421},
     * closes its connection and returns false.
     */
    boolean admit(IoSession client, InetAddress address) {
        Limit over = admit(address);
        if (over == null) {
            client.getCloseFuture().addListener(f -> release(address));
            return true;
        }
        Cidr counted = countedAs(address);
        LOG.info("client {} refused with 421: {}", AddressText.of(address), over == Limit.TOTAL
                ? total + " sessions open in all (--connection-limit)"
                : counted.prefix() == (counted.isIpv4() ? 32 : 128)
                ? perClient + " sessions already open from its address (--client-connection-limit)"
                : perClient + " sessions already open from its network " + counted
                        + " (--client-connection-limit, --client-connection-ipv6-prefix)");
        events.connectionLimitReached(over.label);
        Reply reply = over == Limit.CLIENT ? replies.tooManyConnectionsFrom(AddressText.of(address))
                : replies.allSessionsBusy();
        client.write(IoBuffer.wrap(reply.raw()));
        client.closeOnFlush();
        return false;
    }

    /** Counts a new session of {@code client}, or returns the limit it would pass (and counts nothing). */
    synchronized Limit admit(InetAddress client) {
        if (total > 0 && openInAll >= total) {
            return Limit.TOTAL;
        }
        Cidr counted = countedAs(client);
        int mine = open.getOrDefault(counted, 0);
        if (perClient > 0 && mine >= perClient) {
            return Limit.CLIENT;
        }
        open.put(counted, mine + 1);
        openInAll++;
        return null;
    }

    /** A session {@link #admit admitted} for {@code client} has ended. */
    synchronized void release(InetAddress client) {
        Cidr counted = countedAs(client);
        Integer mine = open.get(counted);
        if (mine == null) {
            throw new IllegalStateException("released a session never admitted: " + AddressText.of(client));
        }
        if (mine == 1) {
            open.remove(counted);
        } else {
            open.put(counted, mine - 1);
        }
        openInAll--;
    }

    /**
     * What a client's sessions are counted under: an IPv4 address itself (also when a dual-stack socket reports it
     * IPv4-mapped), an IPv6 address's network of {@link #ipv6Prefix} bits.
     */
    private Cidr countedAs(InetAddress client) {
        Cidr address = Cidr.of(client); // no scope: fe80::1%eth0 and fe80::1%eth1 count together
        return address.isIpv4() ? address : address.widenTo(ipv6Prefix);
    }

    /** Sessions open now, in all. */
    synchronized int open() {
        return openInAll;
    }

    @Override
    public String toString() {
        return "at most " + (total > 0 ? total : "any number of") + " sessions, "
                + (perClient > 0 ? perClient : "any number") + " per client address"
                + (perClient > 0 && ipv6Prefix < 128 ? " (IPv6: per /" + ipv6Prefix + ")" : "");
    }
}
