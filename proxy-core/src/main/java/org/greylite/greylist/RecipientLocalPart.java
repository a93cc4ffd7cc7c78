package org.greylite.greylist;

import java.util.Locale;

/**
 * The local part of a recipient's mailbox as the upstream delivers it, for the exemption of {@code postmaster@} and
 * {@code abuse@}: a source route ({@code <@relay.example:postmaster@example.com>}) is dropped, as RFC 5321 C has a
 * server do and as Postfix and qmail-smtpd do, and a quoted local part is read without its quotes and backslashes
 * ({@code "postmaster"@}, {@code "post\master"@}), which RFC 5321 4.1.2 makes the same mailbox as the plain one.
 * Read as it was written, these were greylisted while the upstream delivered them to the postmaster, who must
 * always be reachable. A quoted string that holds an {@code @} stays one local part ({@code
 * "postmaster@victim.example"@example.com} is not the postmaster), and an unmatched quote is kept as written.
 */
public final class RecipientLocalPart {

    private RecipientLocalPart() {
    }

    /** The local part in lower case: the whole address when it has no {@code @}, as the bare {@code postmaster}. */
    public static String of(String recipient) {
        String path = recipient;
        if (path.startsWith("@")) {
            int colon = path.indexOf(':');
            if (colon > 0) {
                path = path.substring(colon + 1);
            }
        }
        String local = path.startsWith("\"") ? unquoted(path) : null;
        if (local == null) {
            int at = path.lastIndexOf('@');
            local = at < 0 ? path : path.substring(0, at);
        }
        return local.toLowerCase(Locale.ROOT);
    }

    /** The quoted local part's text, or null when the quote does not close just before the {@code @} or the end. */
    private static String unquoted(String path) {
        StringBuilder text = new StringBuilder();
        for (int i = 1; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c == '\\' && i + 1 < path.length()) {
                text.append(path.charAt(++i));
            } else if (c == '"') {
                boolean ends = i + 1 == path.length() || path.charAt(i + 1) == '@';
                return ends ? text.toString() : null;
            } else {
                text.append(c);
            }
        }
        return null;
    }
}
