package org.greylite.relay;

import org.greylite.smtp.ByteQueue;
import org.greylite.smtp.DataEndScanner;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The message text of DATA and BDAT, streamed to the upstream as it comes: DATA text up to its
 * {@code CRLF.CRLF}, a BDAT chunk for its declared size; a chunk the proxy refused is skipped, never read as
 * commands.
 *
 * <p><b>The smuggling guard.</b> A lone {@code .} on a line begun or ended by a bare LF or a bare CR would end
 * the message early on a lenient upstream, which would then read what follows as new commands (RCPTs no
 * decision has seen). When the {@link DataEndScanner} sees one, the upstream connection is dropped (the
 * partial message with it), the text is read to its real end and refused with {@code 554 5.6.0}, and the
 * session closes. Cleaning the line (as some servers do) was rejected: the message would no longer be the
 * one the client sent.
 */
final class MessageStream {

    private static final Logger LOG = LoggerFactory.getLogger(MessageStream.class);

    private enum Mode { NONE, DATA, REFUSING_DATA, CHUNK, SKIPPING_CHUNK }

    private final RelayTransport transport;
    private final ReplyQueue queue;
    private final Envelope envelope;
    private final Replies replies;
    private final Runnable abandonUpstream;
    private final String clientAddress;
    private final DataEndScanner dataEnd = new DataEndScanner();
    private Mode mode = Mode.NONE;
    private long chunkRemaining;
    private byte[] heldBack = new byte[0]; // the CR of a trailing "CRLF . CR", until the next byte tells what it is

    /** @param abandonUpstream drops the upstream connection at once, so it discards the partial message */
    MessageStream(RelayTransport transport, ReplyQueue queue, Envelope envelope, Replies replies,
                  Runnable abandonUpstream, String clientAddress) {
        this.transport = transport;
        this.queue = queue;
        this.envelope = envelope;
        this.replies = replies;
        this.abandonUpstream = abandonUpstream;
        this.clientAddress = clientAddress;
    }

    /** Whether client input is message text now, rather than commands. */
    boolean active() {
        return mode != Mode.NONE;
    }

    /**
     * Whether the rest of a BDAT chunk going upstream is still to come from the client: the upstream owes the chunk's
     * reply only once it is whole, so until then it is the client the session waits for.
     */
    boolean chunkComing() {
        return mode == Mode.CHUNK;
    }

    /** Whether a message is on its way to the upstream: the client leaving now must abandon it. */
    boolean midMessage() {
        return mode == Mode.DATA || mode == Mode.CHUNK;
    }

    /** The upstream said 354: the text follows. */
    void dataAccepted() {
        mode = Mode.DATA;
        dataEnd.reset();
        heldBack = new byte[0];
    }

    /** A BDAT chunk of {@code size} bytes follows: for the upstream, or to be skipped when the proxy refused it. */
    void chunk(long size, boolean skip) {
        if (size > 0) {
            chunkRemaining = size;
            mode = skip ? Mode.SKIPPING_CHUNK : Mode.CHUNK;
        }
    }

    /** Takes what it can of {@code inbox}: all of it, or up to the end of the text or chunk. */
    void consume(ByteQueue inbox) {
        if (mode == Mode.CHUNK || mode == Mode.SKIPPING_CHUNK) {
            consumeChunk(inbox);
        } else {
            consumeData(inbox);
        }
    }

    private void consumeChunk(ByteQueue inbox) {
        int n = (int) Math.min(chunkRemaining, inbox.size());
        if (mode == Mode.SKIPPING_CHUNK) {
            inbox.skip(n); // the chunk of a BDAT the proxy refused
        } else {
            transport.toUpstream(inbox.take(n));
        }
        chunkRemaining -= n;
        if (chunkRemaining == 0) {
            mode = Mode.NONE;
        }
    }

    /**
     * Sends the text on, but for its last {@code hold} bytes: the CR of "CRLF . CR" at the end of what came would
     * end the message for an upstream that takes a bare CR as a line end, before the next byte shows whether the
     * client meant the real end (LF) or something else.
     */
    private void forward(byte[] text, int hold) {
        byte[] all = text;
        if (heldBack.length > 0) {
            all = new byte[heldBack.length + text.length];
            System.arraycopy(heldBack, 0, all, 0, heldBack.length);
            System.arraycopy(text, 0, all, heldBack.length, text.length);
        }
        int send = all.length - hold;
        heldBack = java.util.Arrays.copyOfRange(all, send, all.length);
        if (send > 0) {
            transport.toUpstream(send == all.length ? all : java.util.Arrays.copyOf(all, send));
        }
    }

    private void consumeData(ByteQueue inbox) {
        int len = inbox.size();
        int end = dataEnd.scan(inbox.array(), inbox.head(), len);
        int n = end < 0 ? len : end - inbox.head();
        if (mode == Mode.DATA && dataEnd.sawAmbiguousEnd()) {
            LOG.warn("client {} sent a lone \".\" line with a bare CR or LF line ending; message refused,"
                    + " connection closed", clientAddress);
            mode = Mode.REFUSING_DATA;
            abandonUpstream.run();
        }
        if (mode == Mode.REFUSING_DATA) {
            inbox.skip(n);
            heldBack = new byte[0];
            if (end >= 0) {
                queue.local(replies.ambiguousEnd(), true);
            }
            return;
        }
        forward(inbox.take(n), end < 0 && dataEnd.undecidedDotCr() ? 1 : 0);
        if (end >= 0) {
            mode = Mode.NONE;
            envelope.reset();
            queue.expect(Slot.Kind.DATA_END);
        }
    }
}
