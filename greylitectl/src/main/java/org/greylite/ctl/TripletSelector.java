package org.greylite.ctl;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

import org.greylite.greylist.ClientKeys;
import org.greylite.greylist.MailboxPath;
import org.greylite.greylist.SenderNormalizer;
import org.greylite.net.Cidr;
import org.greylite.net.Ipv4Mapped;
import org.greylite.store.TripletFilter;

/**
 * Turns what an administrator types ({@code --client}, {@code --sender}, {@code --recipient}) into a filter on
 * the keys the engine wrote. The admin copies an address from the mail log ({@code ops1+tag@sender.test}, a
 * client's IP address), while the greydb holds it the way the engine keyed it ({@code ops1@sender.test}, the
 * client's /24): the same normalisation is applied here, so that what is in the log finds its rows.
 *
 * <p>The documented regular expressions keep their meaning: a value that is also an address matches the rows
 * its regular expression finds <em>or</em> the row keyed for that address. The alternative, taking every
 * address-shaped value as an exact address only, would have changed what an existing {@code --sender
 * bob@example\.org} script deletes.
 */
final class TripletSelector {

    /** An address as the log shows it, with or without its angle brackets. */
    private static final Pattern ADDRESS = Pattern.compile("<?([^\\s@<>]+@[^\\s@<>]+)>?");
    private final ClientKeys clientKeys;

    TripletSelector(ClientKeys clientKeys) {
        this.clientKeys = clientKeys;
    }

    TripletFilter filter(TripletFilter.State state, String client, String sender, String recipient) {
        Clients clients = clients(client);
        return new TripletFilter(state, clients == null ? null : clients.block(), sender(sender), recipient(recipient),
                clients == null ? Set.of() : clients.keys());
    }

    /** The senders meant: the regular expression, or the address as the engine keys it (SRS, BATV, VERP undone). */
    static Pattern sender(String value) {
        if (value == null) {
            return null;
        }
        refuseEmpty("--sender", value, "a regular expression or an address ('<>' for the null sender)");
        if (value.strip().equals("<>")) {
            return Pattern.compile("^$"); // the null sender, as the log writes it
        }
        var address = ADDRESS.matcher(value.strip());
        if (!address.matches()) {
            return regex("--sender", value);
        }
        String a = MailboxPath.canonical(address.group(1)); // "ops"@ is keyed ops@
        // Both forms: normalised as greylited keys it, and only lower-cased for an engine that does not normalise.
        return regexOrExact(value, SenderNormalizer.normalize(a), a.toLowerCase(Locale.ROOT));
    }

    /** The recipients meant: the regular expression, or the address lower-cased as the engine keys it. */
    static Pattern recipient(String value) {
        if (value == null) {
            return null;
        }
        refuseEmpty("--recipient", value, "a regular expression or an address");
        var address = ADDRESS.matcher(value.strip());
        if (!address.matches()) {
            return regex("--recipient", value);
        }
        String a = MailboxPath.canonical(address.group(1)).toLowerCase(Locale.ROOT);
        return regexOrExact(value, a, a);
    }

    /**
     * The client keys meant by {@code --client}: a block holds the keys inside it; an address also its key under
     * the client-key mode (its /24 or /64 under net and smart); a name the smart key of that PTR name.
     */
    Clients clients(String value) {
        if (value == null) {
            return null;
        }
        refuseEmpty("--client", value, "an address, a CIDR block or the domain of a client keyed by its PTR name");
        String v = LoggedAddress.unbracketed(value);
        Set<String> named = ClientName.keys(v);
        if (named != null) {
            return new Clients(null, named);
        }
        Cidr block;
        try {
            block = Cidr.parse(v);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--client: " + e.getMessage() + " (give an address, a CIDR block or "
                    + "the domain of a client keyed by its PTR name)");
        }
        boolean oneAddress = block.prefix() == (block.isIpv4() ? 32 : 128);
        InetAddress address = block.firstAddress();
        return new Clients(block, oneAddress ? keysFor(address) : Set.of());
    }

    /**
     * The keys an engine may have given {@code address}: the one of greylitectl's client-key mode and, unless that
     * is the exact address ({@code ip}), the network of every prefix around it. A program keying by network need not
     * use greylitectl's /24 and /64: greylite-policy takes postgrey's {@code --ipv4cidr} and {@code --ipv6cidr}, and
     * its /16 rows went unfound by the address from the log, while the administrators' lists, matched by containment,
     * showed their entries. Telling greylitectl the prefixes was the alternative rejected: one more setting to keep
     * in step, for keys the greydb already writes in full.
     */
    private Set<String> keysFor(InetAddress address) {
        Set<String> keys = new LinkedHashSet<>();
        keys.add(clientKeys.keyFor(address));
        if (clientKeys.mode() != ClientKeys.Mode.IP) {
            for (int v4 = 1; v4 <= 32; v4++) { // an IPv6 address of NAT64 or Teredo is keyed on its IPv4 network
                keys.add(new ClientKeys(ClientKeys.Mode.NET, v4, 64).keyFor(address));
            }
            if (!(Ipv4Mapped.unwrap(address) instanceof Inet4Address)) {
                for (int v6 = 1; v6 <= 128; v6++) {
                    keys.add(new ClientKeys(ClientKeys.Mode.NET, 24, v6).keyFor(address));
                }
            }
        }
        return keys;
    }

    /** What {@code --client} selects: keys inside {@code block} (if any), and the keys named. */
    record Clients(Cidr block, Set<String> keys) {

        /** Whether a white- or blacklist entry (an address, a block or a domain) is meant. */
        boolean covers(String entry) {
            if (keys.contains(entry)) {
                return true;
            }
            if (block == null) {
                return false;
            }
            try {
                Cidr e = Cidr.parse(entry);
                return block.contains(e.firstAddress()) || e.contains(block.firstAddress());
            } catch (IllegalArgumentException ex) {
                return false; // a domain key, not named
            }
        }
    }

    /**
     * An empty filter is refused rather than taken as a regular expression: an empty pattern is found in every
     * sender, so {@code db delete --sender "$UNSET_VARIABLE"} would delete every triplet, past the "say which
     * triplets" guard. A pattern meant to match everything can be written out ({@code .}).
     */
    private static void refuseEmpty(String option, String value, String wanted) {
        if (value.isBlank()) {
            throw new IllegalArgumentException(option + ": empty value; give " + wanted);
        }
    }

    /** Digits, dots and colons, or a slash: meant as an address or block, so its mistakes are told as such. */
    private static Pattern regexOrExact(String typed, String... exact) {
        StringBuilder alternatives = new StringBuilder("^(?:");
        for (int i = 0; i < exact.length; i++) {
            alternatives.append(i == 0 ? "" : "|").append(Pattern.quote(exact[i]));
        }
        alternatives.append(")$");
        try {
            Pattern.compile(typed);
        } catch (PatternSyntaxException e) {
            // Not a regular expression (alice+*@x): the address alone.
            return Pattern.compile(alternatives.toString(), Pattern.CASE_INSENSITIVE);
        }
        return Pattern.compile("(?:" + typed + ")|" + alternatives, Pattern.CASE_INSENSITIVE);
    }

    private static Pattern regex(String option, String re) {
        try {
            return Pattern.compile(re, Pattern.CASE_INSENSITIVE);
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException(option + ": not a regular expression: "
                    + e.getDescription() + " in '" + re + "'");
        }
    }
}
