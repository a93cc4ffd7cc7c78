package org.greylite.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** What a {@link RelaySession} tells its {@link RelayEvents}: one open, one close, and each upstream failure. */
class RelayEventsTest {

    private final List<String> events = new ArrayList<>();
    private final RelayEvents recorder = new RelayEvents() {
        @Override
        public void sessionOpened(SessionInfo info) {
            events.add("opened " + info.client().getHostAddress());
        }

        @Override
        public void sessionClosed(SessionInfo info) {
            events.add("closed");
        }

        @Override
        public void upstreamFailed(SessionInfo info, UpstreamFailure failure) {
            events.add("upstream " + failure.label());
        }
    };
    private RelaySession session;

    private RelaySession start() throws Exception {
        SessionInfo info = new SessionInfo(InetAddress.getByName("192.0.2.7"), "", Map.of(), true);
        session = new RelaySession(new FakeTransport(), new FakePolicy(), RelaySettings.defaults("proxy.test"), info, recorder);
        session.start();
        return session;
    }

    private static ByteBuffer bytes(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void aCleanSessionOpensAndClosesOnce() throws Exception {
        start();
        session.onUpstreamConnected();
        session.onUpstreamData(bytes("220 mx ESMTP\r\n"));
        session.onClientData(bytes("QUIT\r\n"));
        session.onUpstreamData(bytes("221 bye\r\n"));
        session.onClientClosed();
        session.onUpstreamClosed();
        assertEquals(List.of("opened 192.0.2.7", "closed"), events);
    }

    @Test
    void eachUpstreamFailureIsToldThenTheClose() throws Exception {
        start();
        session.onUpstreamConnectFailed(new java.net.ConnectException("refused"));
        session.onClientClosed();
        assertEquals(List.of("opened 192.0.2.7", "upstream connect", "closed"), events);

        events.clear();
        start();
        session.onUpstreamConnected();
        session.onUpstreamData(bytes("220 mx ESMTP\r\n"));
        session.onUpstreamClosed();
        assertEquals(List.of("opened 192.0.2.7", "upstream closed", "closed"), events);

        events.clear();
        start();
        session.onUpstreamConnected();
        session.onUpstreamData(bytes("220 mx ESMTP\r\n"));
        session.onClientData(bytes("NOOP\r\n"));
        session.onUpstreamIdle(); // a reply is owed
        assertEquals(List.of("opened 192.0.2.7", "upstream timeout", "closed"), events);

        events.clear();
        FakeTransport transport = new FakeTransport();
        session = new RelaySession(transport, new FakePolicy(), RelaySettings.defaults("proxy.test"),
                new SessionInfo(InetAddress.getByName("192.0.2.7"), "", Map.of(), true), recorder);
        session.start();
        session.onUpstreamConnected();
        session.onUpstreamIdle(); // the greeting has a bound of its own: the upstream timeout does not apply
        assertEquals(List.of("opened 192.0.2.7"), events);
        assertEquals(RelaySettings.DEFAULT_GREETING_TIMEOUT_MS, transport.scheduledDelay);
        transport.scheduled.run(); // the greeting timeout
        assertEquals(List.of("opened 192.0.2.7", "upstream timeout", "closed"), events);

        events.clear();
        start();
        session.onUpstreamConnected();
        session.onUpstreamData(bytes("hello there\r\n"));
        assertEquals(List.of("opened 192.0.2.7", "upstream protocol", "closed"), events);
    }

    @Test
    void theClientLeavingClosesOnce() throws Exception {
        start();
        session.onClientClosed();
        session.onClientClosed();
        session.onUpstreamClosed();
        assertEquals(List.of("opened 192.0.2.7", "closed"), events);
    }
}
