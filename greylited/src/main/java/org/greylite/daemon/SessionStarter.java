package org.greylite.daemon;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;

import org.apache.mina.core.buffer.IoBuffer;
import org.apache.mina.core.session.IoSession;
import org.greylite.connect.AccessRule;
import org.greylite.connect.ConnectionFacts;
import org.greylite.greylist.SessionFacts;
import org.greylite.net.AddressText;
import org.greylite.relay.RcptPolicy;
import org.greylite.relay.RelaySession;
import org.greylite.relay.RelaySettings;
import org.greylite.relay.SessionInfo;
import org.greylite.relay.XclientIntroduction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What happens when a client connects, in order: the access rules decide whether it may talk to us (a
 * denied client gets {@code 554 5.7.1} and is disconnected; the upstream never hears of it) and which
 * variables its session gets; the connection limits admit it or tell it 421; its PTR and DNSWL lookups start
 * in the background; then its transport and {@link RelaySession} are made and tied together. Apart from
 * {@link ProxyServer}, which owns the sockets and threads, because this is the part a change of policy
 * touches and the server's is the part a change of I/O touches.
 */
final class SessionStarter {

    private static final Logger LOG = LoggerFactory.getLogger(SessionStarter.class);

    private final ProxyServer.Builder cfg;
    private final ConnectionLimits limits;
    private final EagerSocketConnector connector;
    private final ScheduledExecutorService timers;

    SessionStarter(ProxyServer.Builder cfg, ConnectionLimits limits, EagerSocketConnector connector,
            ScheduledExecutorService timers) {
        this.cfg = cfg;
        this.limits = limits;
        this.connector = connector;
        this.timers = timers;
    }

    /** The relay for a new client, or null when the access rules or the limits refuse it (it has been told, and is going). */
    RelaySession start(IoSession client) {
        ClientEndpoints ends = ClientEndpoints.of(client); // behind a load balancer, what its PROXY header said
        InetSocketAddress remote = ends.client();
        InetAddress address = remote.getAddress();
        Optional<AccessRule> rule = cfg.access.lookup(address);
        if (rule.isPresent() && !rule.get().allowed()) {
            cfg.events.clientConnected(address, false);
            deny(client, address, rule.get());
            return null;
        }
        cfg.events.clientConnected(address, true);
        if (!limits.admit(client, address)) {
            return null; // told 421, and going
        }
        Map<String, String> variables = rule.map(AccessRule::variables).orElse(Map.of());
        boolean skipped = SessionFacts.skipReason(variables) != null;
        // The name is wanted by the suspicion rules, and by the upstream when it is told who the client is.
        CompletableFuture<String> ptrName = cfg.ptrLookup != null && (!skipped || cfg.upstreamXclient)
                ? cfg.ptrLookup.lookup(address) : null;
        // The facts every decision of the session starts from; a relay client skips greylisting, so nothing
        // is looked up for its decisions.
        SessionFacts known = SessionFacts.of(address).withVariables(variables);
        CompletableFuture<SessionFacts> facts = skipped ? CompletableFuture.completedFuture(known)
                : ConnectionFacts.gather(known, ptrName, cfg.dnswl != null ? cfg.dnswl.lookup(address) : null);
        SessionInfo info = new SessionInfo(address, "", variables, true, facts);
        RcptPolicy policy = cfg.policy;
        MinaRelayTransport transport = new MinaRelayTransport(client, connector, cfg.upstream, cfg.connectTimeout, timers);
        if (cfg.upstreamProxyProtocol != ProxyProtocolHeader.Version.OFF) {
            transport.sendFirst(ProxyProtocolHeader.of(cfg.upstreamProxyProtocol, remote, ends.local()));
        }
        if (cfg.clientTls != null) {
            transport.offerTls(cfg.clientTls.get()); // the certificate in force now (SIGHUP may renew it)
        }
        // The settings in force now, for the whole session: a SIGHUP that reads new ones (the greylisting reply, the
        // greeting delay...) gives them to the sessions that start after it.
        RelaySettings relaySettings = cfg.relaySettings.get();
        if (cfg.upstreamTls != null) {
            transport.upstreamStartTls(cfg.upstreamTls, relaySettings.replies().hostname());
        }
        RelaySession relay = new RelaySession(transport, policy, relaySettings, info, cfg.events);
        if (ptrName != null) {
            relay.nameFrom(ptrName);
        }
        if (cfg.upstreamXclient) {
            // Without PTR lookups the name is unknown: XCLIENT says so ([TEMPUNAVAIL]) rather than "no name".
            relay.introduceWithXclient(new XclientIntroduction(
                    ptrName != null ? ptrName : CompletableFuture.completedFuture(null)));
        }
        transport.bind(relay);
        return relay;
    }

    /**
     * A denied client gets a 554 greeting and the connection closes at once. tcpserver would close without a
     * word; the reply tells a legitimate sender's administrator why. RFC 5321 (3.1) would have the server
     * wait for QUIT after a 554 greeting; keeping a refused client's connection open serves no one.
     */
    private void deny(IoSession client, InetAddress address, AccessRule rule) {
        LOG.info("access denied to client {} by {}", AddressText.of(address), rule);
        String reply = "554 5.7.1 " + cfg.relaySettings.get().replies().hostname()
                + " access denied, closing connection\r\n";
        client.write(IoBuffer.wrap(reply.getBytes(StandardCharsets.US_ASCII)));
        client.closeOnFlush();
    }
}
