package org.greylite.policy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PushbackInputStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A policy client over a real socket, TCP or unix, as Postfix's smtpd is one: blocking, one connection. Reads
 * have no timeout of their own: the tests bound them with JUnit's {@code @Timeout}.
 */
final class PolicyClient implements AutoCloseable {

    private final SocketChannel channel;
    private final PushbackInputStream in;

    private PolicyClient(SocketChannel channel) throws IOException {
        this.channel = channel;
        this.in = new PushbackInputStream(Channels.newInputStream(channel), 1);
    }

    static PolicyClient tcp(InetSocketAddress address) throws IOException {
        SocketChannel ch = SocketChannel.open(address);
        return new PolicyClient(ch);
    }

    static PolicyClient unix(Path socket) throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        SocketAddress a = UnixDomainSocketAddress.of(socket);
        ch.connect(a);
        return new PolicyClient(ch);
    }

    /** A request as Postfix writes one: the attributes, then an empty line. */
    static String request(Map<String, String> attributes) {
        StringBuilder b = new StringBuilder();
        attributes.forEach((k, v) -> b.append(k).append('=').append(v).append('\n'));
        return b.append('\n').toString();
    }

    /** The attributes smtpd sends at RCPT (Postfix 3.7), for this client and envelope. */
    static Map<String, String> rcpt(String clientAddress, String sender, String recipient) {
        Map<String, String> a = new LinkedHashMap<>();
        a.put("request", "smtpd_access_policy");
        a.put("protocol_state", "RCPT");
        a.put("protocol_name", "ESMTP");
        a.put("client_address", clientAddress);
        a.put("client_name", "unknown");
        a.put("client_port", "40000");
        a.put("reverse_client_name", "unknown");
        a.put("server_address", "127.0.0.1");
        a.put("server_port", "25");
        a.put("helo_name", "mx.example.net");
        a.put("sender", sender);
        a.put("recipient", recipient);
        a.put("recipient_count", "0");
        a.put("queue_id", "");
        a.put("instance", "1a2b." + Integer.toHexString(recipient.hashCode()) + "." + Integer.toHexString(sender.hashCode()));
        a.put("size", "0");
        a.put("etrn_domain", "");
        a.put("stress", "");
        a.put("sasl_method", "");
        a.put("sasl_username", "");
        a.put("sasl_sender", "");
        a.put("ccert_subject", "");
        a.put("ccert_issuer", "");
        a.put("ccert_fingerprint", "");
        a.put("encryption_protocol", "");
        a.put("encryption_cipher", "");
        a.put("encryption_keysize", "0");
        a.put("policy_context", "");
        a.put("server_hostname", "mx.example.org");
        return a;
    }

    void send(String text) throws IOException {
        send(text.getBytes(StandardCharsets.UTF_8));
    }

    void send(byte[] bytes) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) {
            channel.write(b);
        }
    }

    /** Sends one request and returns its action (the text after {@code action=}). */
    String ask(Map<String, String> attributes) throws IOException {
        send(request(attributes));
        return readAnswer();
    }

    /** Reads one answer: {@code action=...} and the empty line; returns the action, or null at end of stream. */
    String readAnswer() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int previous = -1;
        while (true) {
            int c = in.read();
            if (c < 0) {
                if (b.size() == 0) {
                    return null;
                }
                throw new IOException("answer cut short: " + b.toString(StandardCharsets.UTF_8));
            }
            if (c == '\n' && previous == '\n') {
                break;
            }
            b.write(c);
            previous = c;
        }
        String answer = b.toString(StandardCharsets.UTF_8).strip();
        if (!answer.startsWith("action=") || answer.contains("\n")) {
            throw new IOException("not one action line: " + answer);
        }
        return answer.substring("action=".length());
    }

    /** Shuts down the sending side (a half-close): the service reads the end of input; answers can still come. */
    void endInput() throws IOException {
        channel.shutdownOutput();
    }

    /**
     * Whether the server has sent something (or closed the connection) that is not read yet, looked at without
     * waiting; what is there stays to be read.
     */
    boolean hasInput() throws IOException {
        if (in.available() > 0) {
            return true; // a byte looked at before
        }
        ByteBuffer one = ByteBuffer.allocate(1);
        int n;
        channel.configureBlocking(false);
        try {
            n = channel.read(one);
        } finally {
            channel.configureBlocking(true);
        }
        if (n > 0) {
            in.unread(one.get(0));
        }
        return n != 0;
    }

    /** True when the server closed the connection (end of stream); false when it sent more. */
    boolean closedByServer() throws IOException {
        return in.read() < 0;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
