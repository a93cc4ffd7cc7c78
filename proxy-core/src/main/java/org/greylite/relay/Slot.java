package org.greylite.relay;

import org.greylite.greylist.RcptRequest;
import org.greylite.smtp.CommandLine;
import org.greylite.smtp.Reply;

/** One reply owed to the client, in the {@link ReplyQueue}; its kind says how the reply changes the session. */
final class Slot {

    /** What the slot's command was, where its reply changes the session. */
    enum Kind {
        GREETING, EHLO, MAIL, RCPT, RCPT_DEFERRED, DATA, DATA_END, BDAT, AUTH, QUIT, OTHER, LOCAL,
        /** The client's RSET: the transaction ends when the upstream accepts it, not when it is sent. */
        RSET,
        /** Upstream-first: a RCPT forwarded before its decision, which follows the upstream's acceptance. */
        RCPT_VERIFY,
        /** A command of the proxy's own remaking the upstream's envelope: its reply is for the proxy only. */
        REPLAY,
        /**
         * An RSET of the proxy's own, ending a transaction the upstream holds and the proxy has let go of (see
         * {@link UpstreamReset}): its reply is for the proxy only.
         */
        RESET,
        /** The client's first HELO/EHLO, while the proxy introduces it with XCLIENT: the probe, then XCLIENT. */
        XCLIENT_PROBE, XCLIENT
    }

    Kind kind;
    Reply reply;
    boolean closeAfter;
    boolean startTlsAfter; // the 220 to STARTTLS: TLS starts on the client's connection once it is sent
    String recipient;      // RCPT_DEFERRED: the recipient to decide at DATA if the upstream accepts it
    CommandLine greeting;  // XCLIENT_PROBE, XCLIENT: the client's HELO or EHLO, sent once the client is introduced
    CommandLine rcpt;      // RCPT, RCPT_VERIFY: the command, kept for the upstream's envelope
    RcptRequest request;   // RCPT_VERIFY: the request to decide once the upstream accepted the recipient
    int transaction;       // MAIL, RCPT, RCPT_VERIFY, RCPT_DEFERRED, and a DATA or BDAT sent on as it came: its transaction
    /**
     * A DATA or BDAT sent on as it came, after the client had named recipients of its transaction: should the upstream
     * hold none of them when it replies, its refusal follows from theirs (see {@link Envelope#heldRecipientOf}).
     */
    boolean afterRecipients;

    Slot(Kind kind) {
        this.kind = kind;
    }

    static Slot local(Reply reply, boolean closeAfter) {
        Slot s = new Slot(Kind.LOCAL);
        s.reply = reply;
        s.closeAfter = closeAfter;
        return s;
    }
}
