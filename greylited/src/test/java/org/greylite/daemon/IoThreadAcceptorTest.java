package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import org.apache.mina.core.buffer.IoBuffer;
import org.apache.mina.core.service.IoHandlerAdapter;
import org.apache.mina.core.session.DefaultIoSessionDataStructureFactory;
import org.apache.mina.core.session.IoSession;
import org.apache.mina.core.session.IoSessionAttributeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Clients accepted by the I/O threads themselves, through real sockets: a session is made (accepted and given
 * its attributes) on an I/O thread, never on the acceptor's, and with the threads equally busy on the very thread
 * that then reads from it; many clients at once are spread over both threads; unbinding stops new connections at
 * once while a session in flight goes on, and frees the port; the I/O threads stop once the acceptor is gone.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class IoThreadAcceptorTest {

    private RelayProcessorPool pool;
    private IoThreadAcceptor acceptor;
    /** Per session id: the thread its session was made on (accepted, attributes set up), and the one reading it. */
    private final Map<Long, String> madeOn = new ConcurrentHashMap<>();
    private final Map<Long, String> readOn = new ConcurrentHashMap<>();

    @BeforeEach
    void start() throws IOException {
        pool = new RelayProcessorPool(2);
        acceptor = echoServer();
        acceptor.bind(new InetSocketAddress("127.0.0.1", 0));
    }

    @AfterEach
    void stop() {
        acceptor.dispose(true);
        pool.dispose(); // returns only once both I/O threads' loops have ended
    }

    @Test
    void aClientIsAcceptedByTheIoThreadThatThenReadsIt() throws Exception {
        // One client at a time: the threads carry the same load, so each keeps the client it accepted.
        for (int i = 0; i < 6; i++) {
            try (Socket s = connect(acceptor.getLocalAddress())) {
                assertEquals("client " + i, echo(s, "client " + i));
            }
            while (acceptor.getManagedSessionCount() > 0) {
                Thread.sleep(5);
            }
        }
        assertEquals(6, readOn.size());
        for (Map.Entry<Long, String> e : readOn.entrySet()) {
            assertTrue(e.getValue().startsWith("SyscallSavingNioProcessor"), "read on " + e.getValue());
            assertEquals(e.getValue(), madeOn.get(e.getKey()), "session " + e.getKey() + " was made on another thread");
        }
    }

    @Test
    void manyClientsAtOnceAreSpreadOverBothThreads() throws Exception {
        List<Socket> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 16; i++) {
                clients.add(connect(acceptor.getLocalAddress()));
            }
            for (int i = 0; i < clients.size(); i++) {
                assertEquals("client " + i, echo(clients.get(i), "client " + i));
            }
        } finally {
            for (Socket s : clients) {
                s.close();
            }
        }
        assertEquals(16, readOn.size());
        Map<String, Integer> perThread = new HashMap<>();
        readOn.values().forEach(t -> perThread.merge(t, 1, Integer::sum));
        assertEquals(2, perThread.size(), "sessions per thread: " + perThread);
        assertTrue(madeOn.values().stream().allMatch(t -> t.startsWith("SyscallSavingNioProcessor")),
                "made on " + madeOn.values());
    }

    @Test
    void unbindingRefusesNewClientsAtOnceLetsSessionsGoOnAndFreesThePort() throws Exception {
        InetSocketAddress address = acceptor.getLocalAddress();
        try (Socket inFlight = connect(address)) {
            assertEquals("before", echo(inFlight, "before"));
            acceptor.unbind();
            assertThrows(ConnectException.class, () -> connect(address).close());
            assertEquals("after", echo(inFlight, "after"));

            IoThreadAcceptor again = echoServer();
            try {
                again.bind(address);
                try (Socket s = connect(address)) {
                    assertEquals("again", echo(s, "again"));
                }
            } finally {
                again.dispose(true);
            }
        }
    }

    /**
     * {@code --listen 0.0.0.0:25} takes IPv4 clients alone, as every MTA binds it: the JDK's default socket bound it as
     * {@code ::}, so greylited took mail on IPv6 too, a side the administrator may not have firewalled or meant to
     * serve. {@code [::]} takes both.
     */
    @Test
    void theIpv4WildcardTakesIpv4ClientsAloneAndTheIpv6OneBoth() throws Exception {
        IoThreadAcceptor ipv4 = echoServer();
        ipv4.bind(new InetSocketAddress("0.0.0.0", 0));
        int port = ipv4.getLocalAddress().getPort();
        try (Socket s = connect(new InetSocketAddress("127.0.0.1", port))) {
            assertEquals("v4", echo(s, "v4"));
        }
        assertThrows(ConnectException.class, () -> connect(new InetSocketAddress("::1", port)).close(),
                "0.0.0.0 must not take IPv6 clients");
        ipv4.dispose(true);

        IoThreadAcceptor both = echoServer();
        both.bind(new InetSocketAddress("::", 0));
        int bothPort = both.getLocalAddress().getPort();
        for (String host : new String[] {"127.0.0.1", "::1"}) {
            try (Socket s = connect(new InetSocketAddress(host, bothPort))) {
                assertEquals(host, echo(s, host));
            }
        }
        both.dispose(true);
    }

    private IoThreadAcceptor echoServer() {
        IoThreadAcceptor a = new IoThreadAcceptor(pool);
        a.setReuseAddress(true);
        a.setCloseOnDeactivation(false); // as greylited's: unbinding stops new connections only
        a.setSessionDataStructureFactory(new DefaultIoSessionDataStructureFactory() {
            @Override
            public IoSessionAttributeMap getAttributeMap(IoSession session) throws Exception {
                madeOn.put(session.getId(), Thread.currentThread().getName()); // right after the accept
                return super.getAttributeMap(session);
            }
        });
        a.setHandler(new IoHandlerAdapter() {
            @Override
            public void messageReceived(IoSession session, Object message) {
                readOn.put(session.getId(), Thread.currentThread().getName());
                IoBuffer in = (IoBuffer) message;
                IoBuffer copy = IoBuffer.allocate(in.remaining());
                copy.put(in).flip();
                session.write(copy);
            }
        });
        return a;
    }

    private static Socket connect(InetSocketAddress address) throws IOException {
        return LineEcho.connect(address);
    }

    private static String echo(Socket s, String line) throws IOException {
        return LineEcho.echo(s, line);
    }
}
