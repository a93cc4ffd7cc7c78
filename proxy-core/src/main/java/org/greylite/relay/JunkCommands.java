package org.greylite.relay;

import java.util.Set;

import org.greylite.smtp.CommandLine;

/**
 * Counts a session's junk commands, the ones that move no mail forward, and says when the client has sent too
 * many: 100,000 NOOPs in one session would otherwise all be answered and passed upstream.
 *
 * <p>Postfix's postscreen caps every command ({@code postscreen_command_count_limit}, 20), but its SMTP engine
 * never accepts mail, so it needs no finer count. A proxy passes real mail, and a client may send many
 * messages over one connection (MAIL, RCPT, DATA again and again): capping all commands would cut it off.
 * So, as Postfix's smtpd does with {@code smtpd_junk_command_limit}, only junk counts: NOOP, RSET, VRFY, EXPN,
 * ETRN, HELP, every HELO and EHLO (a real client says it once, twice with STARTTLS), AUTH and STARTTLS, any
 * verb that is not an SMTP command, the lines refused here (too long, control characters, XCLIENT and kin),
 * and a MAIL or RCPT whose address cannot be read. A well-formed MAIL, RCPT, DATA or BDAT, and QUIT, do not.
 */
final class JunkCommands {

    /** Commands that carry mail: never junk when their syntax is usable. */
    private static final Set<String> MAIL_VERBS = Set.of("MAIL", "RCPT", "DATA", "BDAT", "QUIT");

    private final int limit;
    private int count;

    /** @param limit the junk commands a session may send; 0 for no limit */
    JunkCommands(int limit) {
        this.limit = limit;
    }

    /** Counts {@code c} if it is junk; true when it is one too many. */
    boolean tooMany(CommandLine c) {
        return isJunk(c) && countOne();
    }

    /** Counts a line refused before it could be read as a command; true when it is one too many. */
    boolean tooManyRefused() {
        return countOne();
    }

    /**
     * A message was delivered: the junk before it is forgiven, as Postfix's smtpd forgives it. A sender reusing its
     * connection says RSET before each further message (Postfix's smtp client, to find out whether a cached
     * connection still works; KumoMTA between any two), and a count that never went down cut it off at its 101st
     * message.
     */
    void messageDelivered() {
        count = 0;
    }

    private boolean countOne() {
        count++;
        return limit > 0 && count > limit;
    }

    static boolean isJunk(CommandLine c) {
        if (!MAIL_VERBS.contains(c.verb())) {
            return true;
        }
        return switch (c.verb()) {
            case "MAIL" -> c.pathArgument("FROM").isEmpty();
            case "RCPT" -> c.recipientArgument().isEmpty();
            default -> false;
        };
    }
}
