package org.greylite.relay;

import org.greylite.smtp.EhloReplyFilter;
import org.greylite.smtp.Reply;

/**
 * What the upstream offers, as its reply to the client's last EHLO says: only CHUNKING matters to the relay
 * (an upstream without it would read a BDAT chunk as commands). Until that reply comes, the EHLO is pending.
 */
final class UpstreamEhlo {

    private Slot pending;
    private boolean chunking;

    /** A new HELO or EHLO: what the last reply offered no longer holds. */
    void greeting() {
        pending = null;
        chunking = false;
    }

    /** The client's EHLO went upstream; its reply will fill {@code slot}. */
    void sent(Slot slot) {
        pending = slot;
    }

    /** The EHLO whose reply has not come yet, or null. */
    Slot pending() {
        return pending;
    }

    /** The reply that filled {@code slot}; ignored for an EHLO that a later HELO or EHLO superseded. */
    void replied(Slot slot, Reply reply) {
        if (pending == slot) {
            pending = null;
            chunking = EhloReplyFilter.offers(reply, "CHUNKING");
        }
    }

    boolean offersChunking() {
        return chunking;
    }
}
