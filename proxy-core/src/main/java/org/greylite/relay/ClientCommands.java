package org.greylite.relay;

import java.util.Optional;
import java.util.Set;

import org.greylite.net.AddressText;
import org.greylite.smtp.BdatCommand;
import org.greylite.smtp.ByteQueue;
import org.greylite.smtp.CommandLine;
import org.greylite.smtp.Reply;
import org.greylite.suspicion.Behaviour;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What each client command does: most go upstream as they are (their reply fills a slot of the
 * {@link ReplyQueue}); RCPT goes to the {@link RcptDecisions}; STARTTLS, XCLIENT and kin, a malformed BDAT and
 * a BDAT the upstream cannot read as data are answered here; the client's first greeting may start the
 * {@link XclientDialogue}; junk beyond the limit ends the session.
 */
final class ClientCommands {

    private static final Logger LOG = LoggerFactory.getLogger(RelaySession.class);

    /**
     * Commands answered here as not implemented, never forwarded (and their extensions removed from the EHLO reply),
     * since after the upstream's yes the proxy could no longer tell commands from data, nor see every message through
     * its decisions. BURL (RFC 4468) ends a transaction as DATA does, the message fetched by the upstream from a URL:
     * forwarded, it would deliver a null sender's message never decided at DATA, and recipients that must be taken
     * back before the message ({@link EnvelopeReplay}). ATRN and TURN (RFC 2645, RFC 821) turn the connection round,
     * the upstream sending mail to the client; XEXCH50 (Exchange) is followed by as many bytes of binary data as it
     * names, which the proxy would read as commands.
     */
    static final Set<String> UNFOLLOWED = Set.of("BURL", "ATRN", "TURN", "XEXCH50");

    private final RelayTransport transport;
    private final RelaySettings settings;
    private final SessionInfo info;
    private final RelayEvents events;
    private final ReplyQueue queue;
    private final Envelope envelope;
    private final RcptDecisions decisions;
    private final EnvelopeReplay replay;
    private final UpstreamReset upstreamReset;
    private final MessageStream stream;
    private final ClientStartTls clientTls;
    private final UpstreamEhlo upstreamEhlo;
    private final Set<Behaviour> behaviours;
    private final ByteQueue inbox;
    private final Object lock;
    private final java.util.function.BooleanSupplier closed;
    private final JunkCommands junk;
    private XclientIntroduction xclient; // null: the upstream is not told who the client is
    private XclientDialogue introducing; // the introduction under way, or done
    private Slot mail; // the latest MAIL FROM gone upstream (null: none yet)

    ClientCommands(RelayTransport transport, RelaySettings settings, SessionInfo info, RelayEvents events,
                   ReplyQueue queue, Envelope envelope, RcptDecisions decisions, EnvelopeReplay replay,
                   UpstreamReset upstreamReset, MessageStream stream,
                   ClientStartTls clientTls, UpstreamEhlo upstreamEhlo, Set<Behaviour> behaviours, JunkCommands junk,
                   ByteQueue inbox, Object lock, java.util.function.BooleanSupplier closed) {
        this.transport = transport;
        this.settings = settings;
        this.info = info;
        this.events = events;
        this.queue = queue;
        this.envelope = envelope;
        this.decisions = decisions;
        this.replay = replay;
        this.upstreamReset = upstreamReset;
        this.stream = stream;
        this.clientTls = clientTls;
        this.upstreamEhlo = upstreamEhlo;
        this.behaviours = behaviours;
        this.inbox = inbox;
        this.lock = lock;
        this.closed = closed;
        this.junk = junk;
    }

    void introduceWithXclient(XclientIntroduction introduction) {
        this.xclient = introduction;
    }

    /** The XCLIENT dialogue under way (or done); null when none was started. */
    XclientDialogue introducing() {
        return introducing;
    }

    void handle(CommandLine c) {
        if (c.hasControlCharacters()) {
            refuse(settings.replies().controlCharacters());
            return;
        }
        if (c.beginsWithWhiteSpace()) {
            // Postfix skips white space before a command, so " RCPT TO:<x>" forwarded as an unknown line would be
            // a RCPT the upstream takes and greylisting never sees (and " XCLIENT" one only the proxy may send).
            refuse(settings.replies().leadingWhiteSpace());
            return;
        }
        if (junk.tooMany(c)) {
            tooManyCommands();
            return;
        }
        switch (c.verb()) {
            case "EHLO":
            case "HELO":
                greeting(c);
                break;
            case "MAIL":
                mail(c);
                break;
            case "RCPT":
                rcpt(c);
                break;
            case "DATA":
                if (envelope.transactionRefused()) {
                    queue.local(envelope.transactionRefusal()); // refused at a chunk: DATA may not go round it
                } else if (envelope.hasDeferredRecipients()) {
                    decisions.decideDeferred(c, -1, false);
                } else if (envelope.recipientWithdrawn()) {
                    replay.before(c, -1, false);
                } else {
                    sentAsItCame(queue.forward(c.raw(), Slot.Kind.DATA, true));
                }
                break;
            case "BDAT":
                bdat(c);
                break;
            case "AUTH":
                queue.forward(c.raw(), Slot.Kind.AUTH, true);
                break;
            case "RSET":
                // The transaction ends at the upstream's 250 (UpstreamReplies), and input waits for it: an RSET the
                // upstream refuses (Postfix's 501 to "RSET now", qmail-smtpd's 502 to "RSET<TAB>") leaves it holding
                // the recipients, and a proxy that had let go of them would send the next DATA on undecided.
                queue.forward(c.raw(), Slot.Kind.RSET, true);
                break;
            case "QUIT":
                queue.forward(c.raw(), Slot.Kind.QUIT, true);
                break;
            case "STARTTLS":
                // Answered here, never tunnelled: a tunnel would hide the envelope (SPEC §2).
                startTls(c);
                break;
            case "XCLIENT":
            case "XFORWARD":
            case "PROXY":
                // Only the proxy may tell the upstream who the client is.
                queue.local(settings.replies().notFromClients(c.verb()));
                break;
            default:
                if (UNFOLLOWED.contains(c.verb())) {
                    queue.local(settings.replies().notImplemented(c.verb()));
                } else {
                    queue.forward(c.raw(), Slot.Kind.OTHER, false);
                }
        }
    }

    /** A line refused before it was read as a command: it counts as junk. */
    void refuse(Reply r) {
        if (junk.tooManyRefused()) {
            tooManyCommands();
        } else {
            queue.local(r);
        }
    }

    /**
     * A PROXY protocol version 2 header from the client (whose load balancer, if any, greylited was not told to trust):
     * refused as a version 1 {@code PROXY} line is, and the session closed, since what follows the signature is binary
     * that no command can be read from.
     */
    void proxyV2Header() {
        LOG.info("client {} sent a PROXY protocol v2 header, which only a trusted load balancer may send;"
                + " closing with 550", AddressText.of(info.client()));
        inbox.clear(); // nothing after it is read
        queue.local(settings.replies().notFromClients("PROXY"), true);
    }

    /** One junk command too many: the client is told and the session closes once the replies before are sent. */
    private void tooManyCommands() {
        LOG.info("client {} sent more than {} junk commands (NOOP, RSET, VRFY, unknown or refused commands...);"
                + " closing with 421", AddressText.of(info.client()), settings.junkCommandLimit());
        behaviours.add(Behaviour.COMMANDERRORS);
        events.tooManyCommands(info);
        inbox.clear(); // nothing after it is read
        queue.local(settings.replies().tooManyCommands(), true);
    }

    private void greeting(CommandLine c) {
        if (envelope.sender() != null && decisions.decidesRecipients()) {
            // A new greeting ends the transaction (RFC 5321 4.1.4), here at once; an upstream that refuses the
            // EHLO (Postfix, to a bare one) would keep it, with recipients the proxy no longer knows of.
            upstreamReset.now();
        }
        envelope.greeted(c.args());
        upstreamEhlo.greeting();
        if (xclient != null) {
            introducing = new XclientDialogue(xclient, transport, queue, info, envelope, lock, closed,
                    settings.replies().hostname());
            xclient = null; // once per session
            Slot s = introducing.introduce(c);
            if (XclientDialogue.isEhlo(c)) {
                upstreamEhlo.sent(s); // the slot that ends up carrying the client's EHLO reply
            }
        } else if (XclientDialogue.isEhlo(c)) {
            Slot s = new Slot(Slot.Kind.EHLO);
            upstreamEhlo.sent(s);
            queue.forward(c.raw(), s);
        } else {
            queue.forward(c.raw(), Slot.Kind.OTHER, false);
        }
    }

    /**
     * A MAIL FROM whose address the proxy cannot read would leave the session without a sender to decide its
     * recipients by, while a lenient upstream (qmail-smtpd takes {@code MAIL FROM:<a} and {@code MAIL <a>}) starts
     * a transaction: such a line is refused here whenever recipients are to be decided.
     */
    private void mail(CommandLine c) {
        if (envelope.mustGreetAgain()) {
            queue.local(settings.replies().greetAgain());
            return;
        }
        String address = c.senderArgument().orElse(null);
        if (address == null && decisions.decidesRecipients()) {
            queue.local(settings.replies().badSender()); // counted as junk already, by JunkCommands
            return;
        }
        if (c.hasParameter("FROM", "PRDR")) {
            // PRDR (per-recipient replies to a message: Exim's prdr_enable) answers the end of the message with a 353,
            // a reply per recipient and then the final one. The proxy gives each reply to one command, so the replies
            // after the 353 would go to the commands pipelined behind the message, one of them a 354 to a later DATA
            // the upstream refused: the proxy would then pass what follows as message text while the upstream reads
            // it as commands, RCPTs no decision has seen among them. Not offered (UpstreamReplies), and refused here
            // as a server that does not offer it refuses it; following PRDR was rejected: a miscount of the
            // recipients the upstream holds would shift every reply after it.
            queue.local(settings.replies().unsupportedOption("PRDR"));
            return;
        }
        if (envelope.sender() != null && decisions.decidesRecipients()) {
            // RFC 5321 3.3: no MAIL inside a transaction. An upstream that refuses it (Postfix) keeps the first
            // sender while the proxy would decide the next RCPTs for the second; one that takes it (qmail) starts
            // over. Refused here, both keep the transaction the proxy decides for.
            queue.local(settings.replies().nestedMail());
            return;
        }
        envelope.mailFrom(address, c.raw());
        Slot s = new Slot(Slot.Kind.MAIL);
        s.transaction = envelope.transaction();
        queue.forward(c.raw(), s);
        mail = s;
    }

    /**
     * The MAIL FROM the upstream has not answered yet, while recipients are decided; null when there is none. A RCPT
     * pipelined behind it (RFC 2920) waits for that answer before it is decided: should the upstream refuse the MAIL
     * (a sender refused at MAIL FROM, a size over its limit) or answer it 421 and close, a decision taken at once
     * would have written a triplet, a first attempt, for a transaction the upstream never held, and told the client
     * to retry a recipient the upstream would have refused for want of a sender. The wait costs little: the RCPT's
     * reply follows the MAIL's to the client anyway, so only its decision, no longer overlapping the upstream's
     * answer, is added, once per transaction (in the upstream-first order, a round trip to the upstream: the first
     * RCPT goes there after the MAIL's reply instead of with it).
     */
    Slot unansweredMail() {
        return mail != null && mail.reply == null && decisions.decidesRecipients() ? mail : null;
    }

    /**
     * Every RCPT the upstream may take must have been decided (SPEC §2). A recipient the proxy cannot read, or a
     * RCPT with no sender the upstream took, cannot be decided; a lenient upstream might still take it (qmail-smtpd
     * reads {@code RCPT <a>} and {@code RCPT TO:<a}), so it is refused here rather than sent on undecided.
     *
     * <p>These refusals are not {@link #refuse} (a line refused before it was read as a command): {@link
     * JunkCommands} has judged the command already, counting an unreadable address once, and a well-formed RCPT
     * never. Counted again, a client pipelining a message to more recipients than a transaction takes got 421 after
     * 100 of the 452s, before its DATA, at every retry.
     */
    private void rcpt(CommandLine c) {
        Optional<String> recipient = c.recipientArgument(); // read once: it is decided on as read here
        if (decisions.decidesRecipients()) {
            if (recipient.isEmpty()) {
                queue.local(settings.replies().badRecipient());
                return;
            }
            if (envelope.sender() == null) {
                queue.local(settings.replies().needMail());
                return;
            }
            if (envelope.chunked()) {
                // The upstream holds chunks of the message the client was told it took. A recipient greylisting
                // refused after the upstream took it (upstream-first) could leave its envelope only with an RSET,
                // which would drop those chunks: the message would go out without its beginning.
                queue.local(settings.replies().rcptAfterBdat());
                return;
            }
        }
        if (envelope.sender() != null && !envelope.takesAnotherRecipient()) {
            // RFC 5321 4.5.3.1.10: a client told 452 sends the other recipients in a later transaction. Also when
            // greylisting skips the session (a relay client, one authenticated): its recipients are kept all the
            // same, and an upstream without a limit of its own would let one transaction fill the proxy's memory.
            queue.local(settings.replies().tooManyRecipients());
            return;
        }
        decisions.rcpt(c, recipient);
    }

    private void startTls(CommandLine c) {
        Reply refusal = clientTls.refusal(c, settings.replies());
        if (refusal == null && envelope.sender() != null) {
            // The proxy would forget the sender (RFC 3207 4.2) while the upstream, behind the proxy's own TLS,
            // kept its transaction: recipients given under TLS would then reach a transaction nobody decided for.
            refusal = settings.replies().transactionInProgress();
        }
        if (refusal != null) {
            queue.local(refusal);
            return;
        }
        // CVE-2011-0411: commands pipelined after STARTTLS were sent in clear; they are thrown away, not run.
        inbox.clear();
        clientTls.starting();
        queue.startTls(settings.replies().readyToStartTls());
    }

    /** A DATA or BDAT gone upstream as it came: its reply is judged with its transaction's recipients in mind. */
    private void sentAsItCame(Slot message) {
        message.transaction = envelope.transaction();
        message.afterRecipients = envelope.recipientsNamed();
    }

    private void bdat(CommandLine c) {
        BdatCommand bdat = BdatCommand.parse(c);
        if (bdat == null) {
            // The size tells where the chunk ends; without one the upstream reads alike the stream cannot be followed.
            queue.local(settings.replies().badBdat(), true);
            return;
        }
        long size = bdat.size();
        boolean last = bdat.last();
        if (!upstreamEhlo.offersChunking()) {
            // An upstream without CHUNKING would refuse the BDAT and read its chunk as commands: RCPTs and a
            // DATA that no decision has seen. Answered here, and the chunk is skipped as the data it claims to be.
            queue.local(settings.replies().bdatNotOffered());
            stream.chunk(size, true);
            return;
        }
        if (envelope.sender() != null) {
            envelope.chunkCame(); // a LAST chunk ends the transaction below, and this with it
        }
        if (envelope.transactionRefused()) {
            decisions.refuseChunk(size, last);
        } else if (envelope.hasDeferredRecipients()) {
            decisions.decideDeferred(c, size, last); // ends the transaction itself, with the verdict
        } else if (envelope.recipientWithdrawn()) {
            replay.before(c, size, last);
            if (last) {
                envelope.reset();
            }
        } else {
            sentAsItCame(queue.forward(c.raw(), last ? Slot.Kind.DATA_END : Slot.Kind.BDAT, false));
            stream.chunk(size, false);
            if (last) {
                envelope.reset();
            }
        }
    }
}
