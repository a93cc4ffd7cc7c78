package org.greylite.greylist;

import java.net.InetAddress;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Tells whether a PTR name looks like one given to an end-user pool (a home router, a dial-up line)
 * rather than a mail server: it spells out three or more of the address's octets in a row (either
 * order) or the address in hex (for IPv6, its /64: {@link Ipv6Spelling}), or it holds a word providers use for such
 * pools. Two octets are not
 * enough: big senders' outbound names carry them ({@code a48-108.smtp-out.amazonses.com}), and those
 * are exactly the pools a domain identity is for. Such a name says nothing about who sends, so it must not become a client identity.
 * The shipped suspicion examples use the same words in their {@code r} rules.
 */
public final class DynamicNames {

    /** Words providers put in the names of pooled end-user addresses. */
    private static final Pattern POOL_WORDS = Pattern.compile(
            "(^|[^a-z])(dynamic|dyn|dsl|adsl|vdsl|xdsl|ppp|pppoe|pool|dhcp|cable|dial|dialup|dialin|client|cust|"
                    + "customer|broadband|bband|resid|residential|home|user|users|host|hosts|ip|static|"
                    + "nat|wireless|wifi|mobile|cpe|ftth|fttx|fibre|fiber)[0-9-]*($|[^a-z])");

    /** Runs of non-digits, compiled once: this runs for every RCPT in smart mode. */
    private static final Pattern NON_DIGITS = Pattern.compile("[^0-9]+");

    private DynamicNames() {
    }

    public static boolean looksDynamic(String ptrName, InetAddress address) {
        String name = ptrName.toLowerCase(Locale.ROOT);
        if (POOL_WORDS.matcher(name).find()) {
            return true;
        }
        byte[] b = address.getAddress();
        if (b.length != 4) {
            return Ipv6Spelling.spellsNetwork(name, b);
        }
        int o1 = b[0] & 0xff;
        int o2 = b[1] & 0xff;
        int o3 = b[2] & 0xff;
        int o4 = b[3] & 0xff;
        String digits = NON_DIGITS.matcher(name).replaceAll(".");
        // Three octets in a row, either order: 203-0-113-7.example.net, 0-113-7.example.net, 7.113.0.203.example.net ...
        String d = "." + digits + ".";
        for (String run : new String[] {o1 + "." + o2 + "." + o3, o2 + "." + o3 + "." + o4,
            o4 + "." + o3 + "." + o2, o3 + "." + o2 + "." + o1}) {
            if (d.contains("." + run + ".")) {
                return true;
            }
        }
        // ... or the address in hex (cb007107.example.net).
        String hex = String.format("%02x%02x%02x%02x", o1, o2, o3, o4);
        return name.contains(hex);
    }
}
