package org.greylite.relay;

import java.util.function.BooleanSupplier;

import org.greylite.net.AddressText;
import org.greylite.smtp.CommandLine;
import org.greylite.smtp.Reply;

/**
 * The proxy's side of the XCLIENT dialogue (see {@link XclientIntroduction}), at the client's first HELO or
 * EHLO: probe the upstream with EHLO, send XCLIENT if it is offered, then the client's own greeting command;
 * whatever happens, the client gets exactly one reply to its HELO or EHLO.
 */
final class XclientDialogue {

    private final XclientIntroduction introduction;
    private final RelayTransport transport;
    private final ReplyQueue queue;
    private final SessionInfo info;
    private final Envelope envelope;
    private final Object lock;
    private final BooleanSupplier closed;
    private final String clientAddress;

    /**
     * @param lock   the session's lock, held when the client's name arrives from another thread
     * @param closed whether the session is over by then
     */
    XclientDialogue(XclientIntroduction introduction, RelayTransport transport, ReplyQueue queue, SessionInfo info,
                    Envelope envelope, Object lock, BooleanSupplier closed) {
        this.introduction = introduction;
        this.transport = transport;
        this.queue = queue;
        this.info = info;
        this.envelope = envelope;
        this.lock = lock;
        this.closed = closed;
        this.clientAddress = AddressText.of(info.client());
    }

    /** Starts with the client's HELO or EHLO; returns its slot, which ends up carrying the client's reply. */
    Slot introduce(CommandLine c) {
        Slot s = new Slot(Slot.Kind.XCLIENT_PROBE);
        s.greeting = c;
        queue.forward(isEhlo(c) ? c.raw() : XclientIntroduction.probe(c.args()), s);
        queue.barrier(s);
        return s;
    }

    /**
     * A reply in the dialogue. Returns the reply to give the client for its HELO/EHLO, with the slot turned into
     * an ordinary one; or null when the dialogue goes on (the slot waits for the next reply).
     */
    Reply step(Slot s, Reply r) {
        if (s.kind == Slot.Kind.XCLIENT_PROBE) {
            if (XclientIntroduction.offeredBy(r)) {
                s.kind = Slot.Kind.XCLIENT;
                s.probeReply = r;
                queue.awaitAgain(s);
                introduction.clientName().whenComplete((name, failure) -> sendXclient(s, name));
                return null;
            }
            if (r.code() == 250) {
                XclientIntroduction.notUsed(clientAddress, "the upstream does not offer XCLIENT to this host"
                        + " (Postfix: list it in smtpd_authorized_xclient_hosts)");
            }
            return clientGreeting(s, r);
        }
        if (r.code() / 100 == 2) {
            // Introduced: the upstream greeted the client anew; now the client's own greeting command.
            s.kind = isEhlo(s.greeting) ? Slot.Kind.EHLO : Slot.Kind.OTHER;
            queue.awaitAgain(s);
            transport.toUpstream(s.greeting.raw());
            return null;
        }
        XclientIntroduction.notUsed(clientAddress, "the upstream refused XCLIENT: " + r);
        if (r.code() == 421) {
            s.kind = Slot.Kind.OTHER;
            return r;
        }
        return clientGreeting(s, s.probeReply);
    }

    /** Without XCLIENT: an EHLO client gets the probe's reply; a HELO client's own HELO is sent now. */
    private Reply clientGreeting(Slot s, Reply probeReply) {
        if (isEhlo(s.greeting)) {
            s.kind = Slot.Kind.EHLO;
            return probeReply;
        }
        s.kind = Slot.Kind.OTHER;
        queue.awaitAgain(s);
        transport.toUpstream(s.greeting.raw());
        return null;
    }

    private void sendXclient(Slot s, String ptrName) {
        synchronized (lock) {
            if (!closed.getAsBoolean()) {
                transport.toUpstream(XclientIntroduction.command(info.client(), ptrName, envelope.helo(),
                        isEhlo(s.greeting)));
            }
        }
    }

    static boolean isEhlo(CommandLine c) {
        return c.verb().equals("EHLO");
    }
}
