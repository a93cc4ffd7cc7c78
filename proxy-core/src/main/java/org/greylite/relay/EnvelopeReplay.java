package org.greylite.relay;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.List;

import org.greylite.smtp.CommandLine;
import org.greylite.smtp.Reply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * In the upstream-first order, makes the upstream's envelope again before the message: a recipient the upstream
 * accepted and greylisting then refused cannot be taken back alone (SMTP has no command for it), so before the
 * client's DATA or first BDAT the transaction is reset and said again: {@code RSET}, the same {@code MAIL FROM}
 * with its parameters, the recipients still accepted. Then the DATA or BDAT goes upstream; with no recipient
 * left it is answered {@code 554 5.5.1 No valid recipients} here and the upstream never sees a message (the
 * RSET and MAIL FROM still go, so the upstream's transaction is the one the client believes in: a sender and no
 * recipient; after a {@code BDAT ... LAST}, which ends the transaction, the RSET alone).
 *
 * <p>One command at a time, each after the reply to the one before, whatever the upstream offers: it may not
 * offer PIPELINING, and a replay is rare (a greylisted recipient among accepted ones). Client input waits
 * meanwhile. A replayed command the upstream refuses now, having accepted it a moment ago, ends the session with
 * {@code 421}: going on would deliver the message to fewer recipients than the client was told, and the client
 * would never send it again to the others.
 */
final class EnvelopeReplay {

    private static final Logger LOG = LoggerFactory.getLogger(RelaySession.class);
    private static final byte[] RSET = "RSET\r\n".getBytes(StandardCharsets.US_ASCII);

    private final RelayTransport transport;
    private final ReplyQueue queue;
    private final MessageStream stream;
    private final Envelope envelope;
    private final Replies replies;
    private final Runnable resume;
    private final String clientAddress;
    private final Runnable upstreamFailed;

    private ArrayDeque<byte[]> toSend; // null: no replay under way
    private Slot message;              // the client's DATA or BDAT, answered once the envelope is made again
    private CommandLine command;
    private long bdatSize;             // -1 for DATA
    private boolean recipientsLeft;

    /**
     * @param resume         goes on with the client's input once the message's command has been acted on
     * @param upstreamFailed tells the events that the upstream failed the session, when it refuses a replayed command
     */
    EnvelopeReplay(RelayTransport transport, ReplyQueue queue, MessageStream stream, Envelope envelope,
                   Replies replies, Runnable resume, String clientAddress, Runnable upstreamFailed) {
        this.transport = transport;
        this.queue = queue;
        this.stream = stream;
        this.envelope = envelope;
        this.replies = replies;
        this.resume = resume;
        this.clientAddress = clientAddress;
        this.upstreamFailed = upstreamFailed;
    }

    /** A replay is under way: client input waits. */
    boolean running() {
        return toSend != null;
    }

    /** Makes the envelope again, then acts on {@code c}: DATA ({@code bdatSize} -1) or a BDAT of that size. */
    void before(CommandLine c, long bdatSize, boolean last) {
        message = new Slot(bdatSize < 0 ? Slot.Kind.DATA : last ? Slot.Kind.DATA_END : Slot.Kind.BDAT);
        queue.reserve(message);
        command = c;
        this.bdatSize = bdatSize;
        List<byte[]> kept = envelope.recipientsAtUpstream();
        recipientsLeft = !kept.isEmpty();
        toSend = new ArrayDeque<>();
        toSend.add(RSET);
        // A LAST chunk with no recipient left ends the transaction: the upstream gets the RSET alone, so that
        // neither side holds one and the client's next MAIL is not a nested one there.
        if (recipientsLeft || bdatSize < 0 || !last) {
            toSend.add(envelope.mailLine());
        }
        toSend.addAll(kept);
        envelope.replayed();
        if (!recipientsLeft && bdatSize >= 0) {
            envelope.refuseTransaction(replies.noValidRecipients()); // the later chunks get the same answer
        }
        queue.forwardOwn(toSend.poll(), new Slot(Slot.Kind.REPLAY));
    }

    /** The upstream's reply to the replayed command sent last. */
    void answered(Reply r) {
        if (!r.isPositive()) {
            LOG.error("upstream refused a command it had accepted in the session of client {} while the envelope was"
                    + " made again without a greylisted recipient ({}); closing with 421", clientAddress,
                    r);
            toSend = null;
            upstreamFailed.run();
            queue.closeWith(message, replies.envelopeNotRemade());
            return;
        }
        if (!toSend.isEmpty()) {
            queue.forwardOwn(toSend.poll(), new Slot(Slot.Kind.REPLAY));
            return;
        }
        toSend = null;
        if (recipientsLeft) {
            queue.awaitUpstream(message);
            transport.toUpstream(command.raw());
            if (bdatSize < 0) {
                queue.barrier(message); // as any DATA: what follows depends on the 354
            } else {
                stream.chunk(bdatSize, false);
            }
        } else {
            message.reply = replies.noValidRecipients();
            if (bdatSize >= 0) {
                stream.chunk(bdatSize, true);
            }
            queue.flush();
        }
        resume.run();
    }
}
