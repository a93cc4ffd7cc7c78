package org.greylite.relay;

import java.util.function.BooleanSupplier;

import org.greylite.net.AddressText;
import org.greylite.smtp.CommandLine;
import org.greylite.smtp.Reply;

/**
 * The proxy's side of the XCLIENT dialogue (see {@link XclientIntroduction}), at the client's first HELO or
 * EHLO: probe the upstream with EHLO, send XCLIENT if it is offered, then the client's own greeting command;
 * whatever happens, the client gets exactly one reply to its HELO or EHLO.
 *
 * <p>A client that greets without a name (a bare {@code HELO} or {@code EHLO}) is probed with the proxy's own
 * name: an {@code EHLO} with an empty name would be refused (Postfix: 501) and the client never introduced. Its
 * own bare command still follows, so it gets the upstream's answer to it, as without the proxy.
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
    private final String proxyName;

    /**
     * @param lock      the session's lock, held when the client's name arrives from another thread
     * @param closed    whether the session is over by then
     * @param proxyName the name the proxy greets with when the client gave none (greylited's --hostname)
     */
    XclientDialogue(XclientIntroduction introduction, RelayTransport transport, ReplyQueue queue, SessionInfo info,
                    Envelope envelope, Object lock, BooleanSupplier closed, String proxyName) {
        this.introduction = introduction;
        this.transport = transport;
        this.queue = queue;
        this.info = info;
        this.envelope = envelope;
        this.lock = lock;
        this.closed = closed;
        this.clientAddress = AddressText.of(info.client());
        this.proxyName = proxyName;
    }

    /** Starts with the client's HELO or EHLO; returns its slot, which ends up carrying the client's reply. */
    Slot introduce(CommandLine c) {
        Slot s = new Slot(Slot.Kind.XCLIENT_PROBE);
        s.greeting = c;
        queue.forward(probe(c), s);
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
            sendClientGreeting(s);
            return null;
        }
        XclientIntroduction.notUsed(clientAddress, "the upstream refused XCLIENT: " + r);
        if (r.announcesClose()) {
            s.kind = Slot.Kind.OTHER;
            return r;
        }
        return clientGreeting(s, s.probeReply);
    }

    /**
     * Without XCLIENT: a client whose own EHLO was the probe gets the probe's reply, as does any client when the
     * upstream is closing (421, 221); any other client's own greeting command is sent now.
     */
    private Reply clientGreeting(Slot s, Reply probeReply) {
        if (probedWithItsOwnCommand(s.greeting)) {
            s.kind = Slot.Kind.EHLO;
            return probeReply;
        }
        if (probeReply.announcesClose()) {
            s.kind = Slot.Kind.OTHER;
            return probeReply;
        }
        sendClientGreeting(s);
        return null;
    }

    private void sendClientGreeting(Slot s) {
        s.kind = isEhlo(s.greeting) ? Slot.Kind.EHLO : Slot.Kind.OTHER;
        queue.awaitAgain(s);
        transport.toUpstream(s.greeting.raw());
    }

    /** An EHLO naming the client serves as the probe itself; a HELO is turned into one; no name, the proxy's. */
    private byte[] probe(CommandLine c) {
        if (c.args().isEmpty()) {
            return XclientIntroduction.probe(proxyName);
        }
        return isEhlo(c) ? c.raw() : XclientIntroduction.probe(c.args());
    }

    private static boolean probedWithItsOwnCommand(CommandLine c) {
        return isEhlo(c) && !c.args().isEmpty();
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
