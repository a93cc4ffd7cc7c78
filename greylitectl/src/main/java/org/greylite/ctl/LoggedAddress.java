package org.greylite.ctl;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A client address (or block) as an administrator copies it: Postfix's log writes the client in brackets
 * ({@code connect from unknown[192.0.2.1]}, {@code RCPT from unknown[2001:db8::5]}), and its {@code mynetworks}
 * writes IPv6 blocks so too ({@code [2001:db8::]/32}); a {@code Received:} line and a sendmail log write an IPv6
 * client as RFC 5321's address literal ({@code [IPv6:2001:db8::5]}), Postfix's XCLIENT as {@code IPV6:2001:db8::5};
 * a link-local client comes with its zone ({@code fe80::1%eth0}, {@code fe80::1%2} in greylited's log). Every
 * option and argument that takes a client address reads it through here, so each of these forms is taken wherever
 * the bare address is: they were refused as no IP address, and the administrator had to take them apart by hand.
 * The zone is dropped: it names an interface of one host, and no key in the greydb holds it.
 */
final class LoggedAddress {

    /** {@code [INSIDE]}, or {@code [INSIDE]/PREFIX} as {@code mynetworks} writes a block. */
    private static final Pattern BRACKETED = Pattern.compile("\\[\\s*([^\\[\\]]*?)\\s*\\](/.*)?");

    /**
     * An address without brackets: IPv4's digits and dots, or IPv6's hex digits, dots and a colon, the latter after
     * an optional {@code IPv6:} tag (any case) and before an optional {@code %ZONE}. Anything else (a name in
     * brackets is no form a mail log writes a client in) is left to be refused as no address.
     */
    private static final Pattern ADDRESS =
            Pattern.compile("([0-9.]+)|(?:[Ii][Pp][Vv]6:)?([0-9A-Fa-f.]*:[0-9A-Fa-f:.]*)(?:%[A-Za-z0-9_.-]+)?");

    private LoggedAddress() {
    }

    /**
     * The bare address or block {@code typed} writes ({@code [2001:db8::5]}, {@code [IPv6:2001:db8::5]} and
     * {@code fe80::1%eth0} are {@code 2001:db8::5}, {@code 2001:db8::5} and {@code fe80::1}; {@code [2001:db8::]/32}
     * is {@code 2001:db8::/32}), without the spaces around it; other text as it is, spaces taken off, to be refused
     * as no address where it is none.
     */
    static String unbracketed(String typed) {
        String t = typed.strip();
        String inside = t;
        String prefix = "";
        Matcher bracketed = BRACKETED.matcher(t);
        if (bracketed.matches()) {
            inside = bracketed.group(1);
            prefix = bracketed.group(2) == null ? "" : bracketed.group(2);
        } else if (t.indexOf('/') >= 0) {
            inside = t.substring(0, t.indexOf('/'));
            prefix = t.substring(t.indexOf('/'));
        }
        Matcher address = ADDRESS.matcher(inside);
        if (!address.matches()) {
            return t;
        }
        return (address.group(1) != null ? address.group(1) : address.group(2)) + prefix;
    }
}
