package org.greylite.ctl;

import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

import org.greylite.greylist.ClientKeys;

/**
 * A client given by its PTR name (or its domain), as the mail log shows it: the keys the smart client key may have
 * given that client. {@code db list|delete --client} and {@code db whitelist remove} read names the same way.
 */
final class ClientName {

    /** A host or domain name (a smart client key is a PTR name's registrable domain). */
    private static final Pattern NAME = Pattern.compile("(?i)[a-z0-9_-]+(\\.[a-z0-9_-]+)*\\.?");

    private ClientName() {
    }

    /**
     * The keys {@code text} names, the name itself first (lower case, without a final dot), then its registrable
     * domain if that differs; null if {@code text} is no name but an address or block (digits and dots, a colon,
     * a slash), which is read as one.
     */
    static Set<String> keys(String text) {
        String v = text.strip();
        if (looksLikeAddress(v) || !NAME.matcher(v).matches()) {
            return null;
        }
        String name = v.toLowerCase(Locale.ROOT).replaceFirst("\\.$", "");
        Set<String> keys = new LinkedHashSet<>();
        keys.add(name);
        String domain = ClientKeys.registrableDomain(name);
        if (domain != null) {
            keys.add(domain);
        }
        return keys;
    }

    static boolean looksLikeAddress(String v) {
        return v.contains(":") || v.contains("/") || v.matches("[0-9.]+");
    }
}
