package org.greylite.it;

import static java.nio.charset.StandardCharsets.US_ASCII;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;

/** A plain SMTP client for the tests: one command, one reply, nothing hidden. */
final class SmtpClient implements AutoCloseable {

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    private SmtpClient(Socket socket) throws IOException {
        this.socket = socket;
        socket.setSoTimeout(30_000);
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    /** The proxy's greylisting reply (its text after the recipient is configurable: not compared). */
    static void assertGreylisted(String recipient, String reply, String... message) {
        org.junit.jupiter.api.Assertions.assertTrue(reply.startsWith("451 4.7.1 <" + recipient + ">: greylisted"),
                (message.length > 0 ? message[0] + ": " : "") + reply);
    }

    static SmtpClient connect(int port) throws IOException {
        return connect("127.0.0.1", port);
    }

    /** Connects from {@code localAddress} (any 127.x.y.z works on loopback): the client tcpserver sees. */
    static SmtpClient connect(String localAddress, int port) throws IOException {
        Socket s = new Socket();
        s.bind(new InetSocketAddress(InetAddress.getByName(localAddress), 0));
        s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
        return new SmtpClient(s);
    }

    /** Reads one reply, all its lines; returns the last line ("250 ok"), or "EOF" when the connection closed. */
    String reply() throws IOException {
        while (true) {
            String line = line();
            if (line == null) {
                return "EOF";
            }
            if (line.length() < 4 || line.charAt(3) != '-') {
                return line;
            }
        }
    }

    /** Sends a command line (CRLF added) and returns the reply's last line. */
    String command(String line) throws IOException {
        send(line + "\r\n");
        return reply();
    }

    void send(String raw) throws IOException {
        out.write(raw.getBytes(US_ASCII));
        out.flush();
    }

    /** True when the server closes the connection (within the read timeout) without sending anything more. */
    boolean closedByServer() throws IOException {
        try {
            return in.read() < 0;
        } catch (SocketTimeoutException e) {
            return false;
        }
    }

    /** Hangs up at once: a reset, as a client that crashed or lost its network would leave. */
    void abort() throws IOException {
        socket.setSoLinger(true, 0);
        socket.close();
    }

    private String line() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n') {
                String s = b.toString(US_ASCII);
                return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
            }
            b.write(c);
        }
        return null;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
