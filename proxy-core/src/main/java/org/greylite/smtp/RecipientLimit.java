package org.greylite.smtp;

/**
 * The most recipients of one message every front door decides: Postfix's default {@code smtpd_recipient_limit},
 * ten times the 100 RFC 5321 4.5.3.1.8 asks a server to take. Each recipient costs a decision and a greydb write,
 * and a message's recipients are kept while it is decided; without a bound one client could have one message fill
 * the memory, or hold back every other client, of the one thread that decides. The proxy answers the next RCPT
 * 452, greylite-policy leaves the null sender's next recipients undecided at DATA, greydaemon takes a request that
 * lists more as malformed.
 */
public final class RecipientLimit {

    public static final int PER_MESSAGE = 1000;

    private RecipientLimit() {
    }
}
