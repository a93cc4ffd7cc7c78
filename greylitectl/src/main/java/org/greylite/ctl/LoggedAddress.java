package org.greylite.ctl;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A client address (or block) as an administrator copies it: Postfix's log writes the client in brackets
 * ({@code connect from unknown[192.0.2.1]}, {@code RCPT from unknown[2001:db8::5]}), and its {@code mynetworks}
 * writes IPv6 blocks so too ({@code [2001:db8::]/32}). Every option and argument that takes a client address reads
 * it through here, so the bracketed form is taken wherever the bare one is: it was refused as no IP address,
 * and the administrator had to take the brackets off by hand.
 */
final class LoggedAddress {

    /**
     * {@code [ADDRESS]}, or {@code [ADDRESS]/PREFIX} as {@code mynetworks} writes a block; what is in the brackets
     * must look like an address (digits and dots, or hex digits and dots with a colon): a name in brackets is
     * no form Postfix logs a client in.
     */
    private static final Pattern BRACKETED =
            Pattern.compile("\\[\\s*([0-9.]+|[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*)\\s*\\](/.*)?");

    private LoggedAddress() {
    }

    /**
     * {@code typed} without its brackets ({@code [2001:db8::5]} is {@code 2001:db8::5}, {@code [2001:db8::]/32} is
     * {@code 2001:db8::/32}) and the spaces around it; other text as it is, spaces taken off, to be refused as no
     * address where it is none.
     */
    static String unbracketed(String typed) {
        String t = typed.strip();
        Matcher m = BRACKETED.matcher(t);
        if (!m.matches()) {
            return t;
        }
        return m.group(1) + (m.group(2) == null ? "" : m.group(2));
    }
}
