package org.greylite.relay;

import java.nio.charset.StandardCharsets;

/**
 * Ends, with an RSET of the proxy's own, a transaction the upstream holds while the proxy lets go of it: the last
 * chunk of a message answered here (the upstream never saw the {@code BDAT LAST} that would have ended it), or a
 * new greeting in the middle of a transaction (an upstream that refuses the EHLO keeps its transaction, as Postfix
 * does). Without it the upstream would keep recipients, some of them refused by greylisting, that a later DATA
 * could deliver to while the proxy, believing the transaction over, had nothing left to decide.
 *
 * <p>The reply is for the proxy only. An upstream that refuses RSET is in a state the proxy cannot know: the
 * session ends with {@code 421} (see {@link RelaySession}).
 */
final class UpstreamReset {

    private static final byte[] RSET = "RSET\r\n".getBytes(StandardCharsets.US_ASCII);

    private final ReplyQueue queue;
    private final Envelope envelope;

    UpstreamReset(ReplyQueue queue, Envelope envelope) {
        this.queue = queue;
        this.envelope = envelope;
    }

    /** Ends the transaction at the upstream and here. */
    void now() {
        queue.forwardOwn(RSET, new Slot(Slot.Kind.RESET));
        envelope.reset();
    }
}
