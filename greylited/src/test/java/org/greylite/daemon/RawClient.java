package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** An SMTP client on a raw socket: the test controls every byte it sends and sees every byte of the replies. */
final class RawClient implements AutoCloseable {

    private Socket socket;
    private InputStream in;
    private OutputStream out;

    RawClient(InetSocketAddress address) throws IOException {
        this(address, null);
    }

    /** Connects from {@code from} (any address of 127/8 is loopback on Linux), or any local address when null. */
    RawClient(InetSocketAddress address, java.net.InetAddress from) throws IOException {
        socket = new Socket();
        if (from != null) {
            socket.bind(new InetSocketAddress(from, 0));
        }
        socket.connect(address, 5000);
        socket.setSoTimeout(10_000);
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    Socket socket() {
        return socket;
    }

    RawClient send(String text) throws IOException {
        return send(text.getBytes(StandardCharsets.ISO_8859_1));
    }

    RawClient send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        return this;
    }

    /** Reads one whole reply (all its lines); returns its lines joined by "\n", without line endings. */
    String reply() throws IOException {
        List<String> lines = new ArrayList<>();
        while (true) {
            String line = line();
            if (line == null) {
                throw new IOException("connection closed; reply so far: " + lines);
            }
            lines.add(line);
            if (line.length() < 4 || line.charAt(3) != '-') {
                return String.join("\n", lines);
            }
        }
    }

    /** Reads a reply and checks its code; returns the reply. */
    String expect(int code) throws IOException {
        String r = reply();
        assertTrue(r.startsWith(Integer.toString(code)), "expected " + code + " but got: " + r);
        return r;
    }

    /** Sends a command line and checks the reply code. */
    String command(String line, int code) throws IOException {
        send(line + "\r\n");
        return expect(code);
    }

    private String line() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != -1) {
            if (c == '\n') {
                byte[] bytes = b.toByteArray();
                int len = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                return new String(bytes, 0, len, StandardCharsets.ISO_8859_1);
            }
            b.write(c);
        }
        return b.size() == 0 ? null : b.toString(StandardCharsets.ISO_8859_1);
    }

    /** True when the server closes the connection (EOF) within the socket timeout, with nothing more sent. */
    boolean closedByServer() throws IOException {
        try {
            return in.read() == -1;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset
        }
    }

    /**
     * After the server's 220 to STARTTLS: the TLS handshake on the same connection, with a client that trusts what
     * {@code context} trusts; from then on every command and reply goes encrypted.
     */
    RawClient startTls(javax.net.ssl.SSLContext context) throws IOException {
        javax.net.ssl.SSLSocket tls = (javax.net.ssl.SSLSocket) context.getSocketFactory().createSocket(socket,
                socket.getInetAddress().getHostAddress(), socket.getPort(), true);
        javax.net.ssl.SSLParameters p = tls.getSSLParameters();
        p.setEndpointIdentificationAlgorithm("HTTPS"); // the server's certificate must name 127.0.0.1
        tls.setSSLParameters(p);
        tls.startHandshake();
        socket = tls;
        in = tls.getInputStream();
        out = tls.getOutputStream();
        return this;
    }

    /** Plain session opening: greeting and EHLO. */
    RawClient hello() throws IOException {
        expect(220);
        command("EHLO client.example", 250);
        return this;
    }

    /** A whole session from a@example.org to b@example.com through {@code proxy}; returns the reply to RCPT. */
    static String rcptReply(InetSocketAddress proxy) throws IOException {
        return rcptReply(proxy, "a@example.org", "b@example.com");
    }

    /** A whole session from {@code sender} to {@code recipient} through {@code proxy}; returns the reply to RCPT. */
    static String rcptReply(InetSocketAddress proxy, String sender, String recipient) throws IOException {
        try (RawClient c = new RawClient(proxy).hello()) {
            return c.rcptThenQuit(sender, recipient);
        }
    }

    /**
     * The end of a session already greeted: MAIL from {@code sender} (which must be accepted), one RCPT to
     * {@code recipient} and QUIT; returns the reply to the RCPT, whatever it is.
     */
    String rcptThenQuit(String sender, String recipient) throws IOException {
        command("MAIL FROM:<" + sender + ">", 250);
        send("RCPT TO:<" + recipient + ">\r\n");
        String reply = reply();
        command("QUIT", 221);
        return reply;
    }

    void assertReplyIs(String expected) throws IOException {
        assertEquals(expected, reply());
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
