package org.greylite.relay;

import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.greylite.smtp.EhloReplyFilter;
import org.greylite.smtp.Reply;
import org.greylite.suspicion.Behaviour;

/**
 * What the upstream's reply to a command means for the rooms it concerns, beyond reaching the client: an EHLO
 * reply says which extensions the upstream offers (and is filtered before the client sees it), a 354 makes the
 * next bytes message text, a positive reply to RSET ends the transaction, a positive reply to the end of a message
 * is a delivery (which forgives the junk commands before it), a 235 an authenticated session, a 5xx the {@code
 * commanderrors} behaviour. What it means for the session's own reading (the greeting begins the commands, a 334
 * makes the next line a SASL response, a 221 or 421 ends it) stays in {@link RelaySession}.
 */
final class UpstreamReplies {

    /**
     * Extensions that must not reach the client: the proxy could not follow the session through them. PRDR among
     * them: it answers the end of a message with several replies where the proxy expects one (see ClientCommands).
     * And the commands the proxy answers itself as not implemented ({@link ClientCommands#UNFOLLOWED}: BURL, ATRN,
     * XEXCH50 are offered so; TURN never is).
     */
    private static final EhloReplyFilter EHLO_FILTER = new EhloReplyFilter(
            Stream.concat(Stream.of("STARTTLS", "XCLIENT", "XFORWARD", "XCLIENTPROXY", "PRDR"),
                    ClientCommands.UNFOLLOWED.stream()).collect(Collectors.toUnmodifiableSet()));

    private final UpstreamEhlo upstreamEhlo;
    private final ClientStartTls clientTls;
    private final Envelope envelope;
    private final MessageStream stream;
    private final SessionSummary summary;
    private final Set<Behaviour> behaviours;
    private final JunkCommands junk;
    private final Predicate<Slot> refusalJudgedElsewhere;

    /**
     * @param refusalJudgedElsewhere whether a refusal of a slot's command is judged by the RCPT decisions (the
     *                               upstream-first order's recipients) rather than marking {@code commanderrors} here
     */
    UpstreamReplies(UpstreamEhlo upstreamEhlo, ClientStartTls clientTls, Envelope envelope, MessageStream stream,
                    SessionSummary summary, Set<Behaviour> behaviours, JunkCommands junk,
                    Predicate<Slot> refusalJudgedElsewhere) {
        this.upstreamEhlo = upstreamEhlo;
        this.clientTls = clientTls;
        this.envelope = envelope;
        this.stream = stream;
        this.summary = summary;
        this.behaviours = behaviours;
        this.junk = junk;
        this.refusalJudgedElsewhere = refusalJudgedElsewhere;
    }

    /** Tells the rooms what {@code r}, the reply to {@code s}'s command, means; returns the reply for the client. */
    Reply apply(Slot s, Reply r) {
        Reply out = r;
        switch (s.kind) {
            case EHLO -> {
                upstreamEhlo.replied(s, r);
                out = clientTls.advertise(EHLO_FILTER.filter(r));
            }
            case MAIL -> {
                if (!r.isPositive()) {
                    envelope.mailRefused(s.transaction);
                }
            }
            case RSET -> {
                if (r.isPositive()) {
                    envelope.reset();
                }
            }
            case RCPT_DEFERRED -> {
                if (r.isPositive()) {
                    envelope.deferRecipient(s.transaction, s.recipient);
                    envelope.recipientTaken(s.transaction);
                } else {
                    envelope.recipientRefused(s.transaction);
                }
            }
            case DATA -> {
                if (r.code() == 354) {
                    stream.dataAccepted();
                }
            }
            case DATA_END -> {
                if (r.isPositive()) {
                    summary.messageDelivered();
                    junk.messageDelivered();
                }
            }
            case AUTH -> {
                if (r.code() == 235) {
                    envelope.authenticated();
                }
            }
            default -> {
            }
        }
        // Upstream-first: a refused recipient counts only when repeated (RcptDecisions decides that).
        if (r.isPermanentFailure() && s.kind != Slot.Kind.GREETING && !refusalJudgedElsewhere.test(s)
                && !refusedForWantOfRecipients(s)) {
            behaviours.add(Behaviour.COMMANDERRORS);
        }
        return out;
    }

    /**
     * Whether {@code s} is a DATA or BDAT after recipients of which the upstream holds none: every one was refused,
     * greylisted or by the upstream, and those refusals were judged at each RCPT. Counted again here, the first
     * greylisted message of every client that pipelines (Postfix, Exim: RFC 2920 has the DATA sent with the RCPTs)
     * marked it {@code commanderrors}, and its next message on the connection was decided by that.
     */
    private boolean refusedForWantOfRecipients(Slot s) {
        return s.afterRecipients && !envelope.heldRecipientOf(s.transaction);
    }
}
