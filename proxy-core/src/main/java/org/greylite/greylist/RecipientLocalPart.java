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
        // A quoted local part that needs its quotes keeps them, and so does one holding an @, which is then no
        // postmaster: the @ searched for is the last, the domain's.
        String path = MailboxPath.canonical(recipient);
        int at = path.lastIndexOf('@');
        return (at < 0 ? path : path.substring(0, at)).toLowerCase(Locale.ROOT);
    }
}
