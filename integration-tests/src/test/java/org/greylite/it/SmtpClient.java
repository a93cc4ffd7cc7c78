package org.greylite.it;

import static java.nio.charset.StandardCharsets.US_ASCII;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;

import org.greylite.testing.SmtpLines;

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

    /**
     * Waits up to {@code millis} for each reply from now on (30 s by default): for a burst of sessions that
     * each start a JVM, whose greetings on a loaded 2-core machine come as slowly as the burst's CPU allows.
     */
    SmtpClient patience(int millis) throws IOException {
        socket.setSoTimeout(millis);
        return this;
    }

    /** Reads one reply, all its lines; returns the last line ("250 ok"), or "EOF" when the connection closed. */
    String reply() throws IOException {
        return SmtpLines.reply(in);
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

    /** Shuts down the sending side (a half-close): the server reads the end of input, the replies still come. */
    void endInput() throws IOException {
        socket.shutdownOutput();
    }

    /** Hangs up at once: a reset, as a client that crashed or lost its network would leave. */
    void abort() throws IOException {
        socket.setSoLinger(true, 0);
        socket.close();
    }

    private String line() throws IOException {
        return SmtpLines.line(in);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
