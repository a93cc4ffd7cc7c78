package org.greylite.store;

import java.util.Set;
import java.util.regex.Pattern;

import org.greylite.net.Cidr;

/**
 * Which triplets an administrator means. Null (or empty) parts match everything.
 *
 * @param state      PENDING, PASSED or ANY
 * @param client     triplets whose client key lies in this block (a network key must lie wholly inside it)
 * @param sender     a regular expression found in the sender (case-insensitive)
 * @param recipient  a regular expression found in the recipient (case-insensitive)
 * @param clientKeys triplets whose client key is one of these, as the engine wrote it (the /24 it keyed an
 *                   address by, a PTR domain); with {@code client}, a triplet matching either is meant
 */
public record TripletFilter(State state, Cidr client, Pattern sender, Pattern recipient, Set<String> clientKeys) {

    public enum State { PENDING, PASSED, ANY }

    public static final TripletFilter ALL = new TripletFilter(State.ANY, null, null, null);

    public TripletFilter {
        clientKeys = clientKeys == null ? Set.of() : Set.copyOf(clientKeys);
    }

    public TripletFilter(State state, Cidr client, Pattern sender, Pattern recipient) {
        this(state, client, sender, recipient, Set.of());
    }

    public boolean matches(TripletKey key, Triplet t) {
        if (state == State.PENDING && t.passed() || state == State.PASSED && !t.passed()) {
            return false;
        }
        if (sender != null && !sender.matcher(key.sender()).find()) {
            return false;
        }
        if (recipient != null && !recipient.matcher(key.recipient()).find()) {
            return false;
        }
        if (client == null && clientKeys.isEmpty()) {
            return true;
        }
        return named(key.client()) || client != null && inside(key.client());
    }

    /**
     * Whether the key is one of {@link #clientKeys}, also when an older version wrote its address in another text
     * ({@code 2001:db8:0:0:0:0:0:1} for {@code 2001:db8::1}): a greydb is rewritten when a program of this version
     * first opens it ({@link Ipv6KeyMigration}), but one still written by an older program may hold both.
     */
    private boolean named(String clientKey) {
        return clientKeys.contains(clientKey)
                || clientKey.indexOf(':') >= 0 && clientKeys.contains(Cidr.canonical(clientKey));
    }

    private boolean inside(String clientKey) {
        try {
            Cidr k = Cidr.parse(clientKey);
            return k.prefix() >= client.prefix() && client.contains(k.firstAddress());
        } catch (IllegalArgumentException e) {
            return false; // not an address key
        }
    }
}
