package org.greylite.relay;

import java.net.Inet6Address;
import java.util.function.BooleanSupplier;

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
    private final String proxyName;
    /** Why the client could not be introduced, once that is known; null while it can be. */
    private String failure;

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
     * an ordinary one; or null when the dialogue goes on (the slot waits for the next reply) or has failed
     * ({@link #failure}: the session must end without the client's greeting reaching the upstream). An upstream that
     * is closing (421, 221) has its reply passed on.
     */
    Reply step(Slot s, Reply r) {
        if (r.announcesClose()) {
            s.kind = Slot.Kind.OTHER;
            return r;
        }
        if (s.kind == Slot.Kind.XCLIENT_PROBE) {
            if (XclientIntroduction.offeredBy(r)) {
                s.kind = Slot.Kind.XCLIENT;
                queue.awaitAgain(s);
                introduction.clientName().whenComplete((name, lookupFailure) -> sendXclient(s, name));
                return null;
            }
            failure = r.code() == 250
                    ? "the upstream does not offer XCLIENT to this host; Postfix: list it in smtpd_authorized_xclient_hosts"
                    : "the upstream refused the EHLO that asks for XCLIENT: " + r;
            return null;
        }
        if (r.code() / 100 == 2) {
            // Introduced: the upstream greeted the client anew; now the client's own greeting command.
            sendClientGreeting(s);
            return null;
        }
        failure = "the upstream refused XCLIENT: " + r
                + (info.client() instanceof Inet6Address ? "; Postfix takes an IPv6 client with inet_protocols = all" : "");
        return null;
    }

    /** Why the client could not be introduced, or null: the session must then end, its greeting unsent. */
    String failure() {
        return failure;
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
