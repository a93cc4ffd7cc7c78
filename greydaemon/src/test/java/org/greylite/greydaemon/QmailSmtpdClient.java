package org.greylite.greydaemon;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/**
 * Asks greydaemon what the patched qmail-smtpd asks at DATA, byte for byte: a connected UDP socket, the
 * datagram {@code "I" ip NUL "F" sender NUL} followed by the recipient list it built at each RCPT
 * ({@code "T" rcpt NUL} per recipient), then a read of at most two bytes with a timeout.
 */
final class QmailSmtpdClient implements AutoCloseable {

    private final DatagramSocket socket;

    QmailSmtpdClient(InetSocketAddress daemon) throws IOException {
        this(daemon, null);
    }

    /**
     * A client whose socket is bound to {@code from} (any port) before it connects, as a qmail-smtpd whose
     * source address is not the one it asks: on one host, the loopback address asking another of the host's.
     */
    QmailSmtpdClient(InetSocketAddress daemon, InetAddress from) throws IOException {
        socket = new DatagramSocket(from == null ? null : new InetSocketAddress(from, 0));
        socket.connect(daemon);
        socket.setSoTimeout(10_000);
    }

    /** The answer as greydaemon writes it ("0,1"), or null when none came within the timeout. */
    String ask(String clientIp, String sender, String... recipients) throws IOException {
        return send(packet(clientIp, sender, recipients));
    }

    static byte[] packet(String clientIp, String sender, String... recipients) {
        ByteArrayOutputStream p = new ByteArrayOutputStream();
        p.writeBytes(("I" + clientIp).getBytes(StandardCharsets.UTF_8));
        p.write(0);
        p.writeBytes(("F" + sender).getBytes(StandardCharsets.UTF_8));
        p.write(0);
        for (String r : recipients) {
            p.writeBytes(("T" + r).getBytes(StandardCharsets.UTF_8));
            p.write(0);
        }
        return p.toByteArray();
    }

    /** Sends raw bytes; the answer ("1,3"), or null when none came within the timeout. */
    String send(byte[] datagram) throws IOException {
        sendOnly(datagram);
        return answer();
    }

    /** Sends raw bytes without waiting for the answer (several clients asking at once). */
    void sendOnly(byte[] datagram) throws IOException {
        socket.send(new DatagramPacket(datagram, datagram.length));
    }

    /**
     * The answer to what was sent ("1,3"), or null when none came within the timeout or the host said that no
     * socket listens there (an ICMP port unreachable, which a connected socket reports).
     */
    String answer() throws IOException {
        byte[] answer = new byte[2];
        DatagramPacket in = new DatagramPacket(answer, answer.length);
        try {
            socket.receive(in);
        } catch (SocketTimeoutException | PortUnreachableException e) {
            return null;
        }
        return in.getLength() == 2 ? answer[0] + "," + answer[1] : "length " + in.getLength();
    }

    void timeout(int millis) throws IOException {
        socket.setSoTimeout(millis);
    }

    @Override
    public void close() {
        socket.close();
    }
}
