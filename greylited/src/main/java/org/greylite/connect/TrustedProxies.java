package org.greylite.connect;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

import org.greylite.net.Cidr;

/**
 * The peers whose PROXY protocol header greylited believes ({@code --accept-proxy-protocol}): the load
 * balancers in front of it. A header is a claim about who the client is; from anyone else it would let
 * a client choose the address it is greylisted (and allowed, and looked up) under.
 */
public final class TrustedProxies {

    /** No peer: every connection is its own client. */
    public static final TrustedProxies NONE = new TrustedProxies(List.of());

    private final List<Cidr> blocks;

    private TrustedProxies(List<Cidr> blocks) {
        this.blocks = List.copyOf(blocks);
    }

    /**
     * Addresses and blocks ({@code 10.0.0.0/8}, {@code 192.0.2.7}, {@code 2001:db8::/32}), each item of
     * {@code items} possibly a comma- or space-separated list itself.
     *
     * @throws IllegalArgumentException naming the option and the item that is not an address or block
     */
    public static TrustedProxies parse(List<String> items) {
        List<Cidr> blocks = new ArrayList<>();
        for (String item : items) {
            for (String one : item.trim().split("[\\s,]+")) {
                if (one.isEmpty()) {
                    continue;
                }
                try {
                    blocks.add(Cidr.parse(one));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("--accept-proxy-protocol: " + e.getMessage());
                }
            }
        }
        return new TrustedProxies(blocks);
    }

    public boolean isEmpty() {
        return blocks.isEmpty();
    }

    public boolean trusts(InetAddress peer) {
        for (Cidr b : blocks) {
            if (b.contains(peer)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return blocks.stream().map(Cidr::toString).collect(Collectors.joining(","));
    }
}
