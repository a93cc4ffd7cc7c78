package org.greylite.connect;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.xbill.DNS.Message;
import org.xbill.DNS.Record;

/**
 * A UDP DNS proxy on loopback in front of a real DNS server that loses queries on purpose, as a lossy
 * network or an overloaded resolver would: the first {@link #dropFirst n} copies of each question (name and
 * type), or every query while {@link #dropAll} is on. Queries it keeps are forwarded and the server's answer
 * is sent back. It counts what it received and dropped.
 */
final class DroppingDnsProxy implements AutoCloseable {

    private final DatagramSocket socket;
    private final InetSocketAddress upstream;
    private final ExecutorService forwarders = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "dropping-dns-forwarder");
        t.setDaemon(true);
        return t;
    });
    private final Thread receiver;
    private final Map<String, AtomicInteger> copies = new ConcurrentHashMap<>();
    private final AtomicInteger received = new AtomicInteger();
    private final AtomicInteger dropped = new AtomicInteger();
    private volatile int dropFirst;
    private volatile boolean dropAll;

    private DroppingDnsProxy(InetSocketAddress upstream) throws SocketException {
        this.upstream = upstream;
        this.socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        this.receiver = new Thread(this::receive, "dropping-dns-proxy");
        receiver.setDaemon(true);
    }

    static DroppingDnsProxy start(InetSocketAddress upstream) throws SocketException {
        DroppingDnsProxy proxy = new DroppingDnsProxy(upstream);
        proxy.receiver.start();
        return proxy;
    }

    InetSocketAddress address() {
        return (InetSocketAddress) socket.getLocalSocketAddress();
    }

    /** Drops the first {@code n} copies of every question from now on (0: none). */
    DroppingDnsProxy dropFirst(int n) {
        this.dropFirst = n;
        return this;
    }

    /** While on, every query is dropped: a resolver that has gone silent. */
    DroppingDnsProxy dropAll(boolean on) {
        this.dropAll = on;
        return this;
    }

    int received() {
        return received.get();
    }

    int dropped() {
        return dropped.get();
    }

    private void receive() {
        byte[] buffer = new byte[4096];
        while (!socket.isClosed()) {
            DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
            try {
                socket.receive(packet);
            } catch (IOException closed) {
                return;
            }
            received.incrementAndGet();
            byte[] query = Arrays.copyOf(packet.getData(), packet.getLength());
            InetSocketAddress client = (InetSocketAddress) packet.getSocketAddress();
            if (drop(query)) {
                dropped.incrementAndGet();
                continue;
            }
            forwarders.execute(() -> forward(query, client));
        }
    }

    private boolean drop(byte[] query) {
        if (dropAll) {
            return true;
        }
        String question;
        try {
            Record q = new Message(query).getQuestion();
            question = q.getName() + "/" + q.getType();
        } catch (IOException malformed) {
            return false;
        }
        return copies.computeIfAbsent(question, k -> new AtomicInteger()).incrementAndGet() <= dropFirst;
    }

    private void forward(byte[] query, InetSocketAddress client) {
        try (DatagramSocket out = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            out.setSoTimeout(5000);
            out.send(new DatagramPacket(query, query.length, upstream));
            byte[] buffer = new byte[4096];
            DatagramPacket answer = new DatagramPacket(buffer, buffer.length);
            out.receive(answer);
            socket.send(new DatagramPacket(answer.getData(), answer.getLength(), client));
        } catch (IOException lost) {
            // The server did not answer, or the proxy is closing: the client's own timeout deals with it.
        }
    }

    @Override
    public void close() throws InterruptedException {
        socket.close();
        forwarders.shutdownNow();
        forwarders.awaitTermination(5, TimeUnit.SECONDS);
        receiver.join(5000);
    }
}
