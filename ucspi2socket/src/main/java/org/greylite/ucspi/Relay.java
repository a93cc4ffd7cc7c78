package org.greylite.ucspi;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.concurrent.TimeUnit;

/**
 * Copies bytes between a client (an input and an output stream) and a connected socket, one thread
 * per direction, with TCP half-close semantics.
 *
 * <p>Streams are used unbuffered on purpose: whatever one read returns is written at once, so an
 * SMTP reply is never held back waiting for a buffer to fill.
 *
 * <p><b>Silence.</b> A connection over which no byte has passed either way for the silence limit is given up
 * ({@link Silent}). Behind the wrapper its own timeouts act well before; without it (a run script without the
 * wrapper, or {@code GREYLIST} unset for the client, when the wrapper hands PROGRAM the connection untouched)
 * nothing else would end a session whose upstream stopped answering without closing (a hung server, a network
 * cut without a reset): the process and its tcpserver slot stayed for good. greylite(8)'s ucspi2socket gave up
 * after 40 s of silence; that is too short for a server still checking a message (RFC 5321 4.5.3.2.6 gives
 * the reply to the end of DATA 10 minutes), so the limit is qmail-smtpd's own timeout, 1200 s.
 */
final class Relay {

    /** Large enough for bulk DATA transfers, small enough to cost nothing per connection. */
    private static final int CHUNK = 64 * 1024;

    private final InputStream fromClient;
    private final OutputStream toClient;
    private final Socket server;
    private final long silenceNanos;
    // System.nanoTime() of the latest byte read from either side
    private volatile long lastTraffic = System.nanoTime();

    /** @param silenceMillis how long the connection may carry nothing either way before it is given up */
    Relay(InputStream fromClient, OutputStream toClient, Socket server, long silenceMillis) {
        this.fromClient = fromClient;
        this.toClient = toClient;
        this.server = server;
        this.silenceNanos = TimeUnit.MILLISECONDS.toNanos(silenceMillis);
    }

    /** No byte passed either way for the silence limit: the session is given up. */
    static final class Silent extends IOException {
        Silent(long seconds) {
            super("nothing passed either way for " + seconds + " s");
        }
    }

    /**
     * Relays until the server closes its side, then closes the client's output and returns.
     *
     * <p>The client → server direction runs on a daemon thread: its end of input only shuts down
     * the socket's sending side (the server still answers, e.g. after a pipelined QUIT). The
     * caller's thread copies server → client; when it ends the session is over, and the other thread,
     * which may be blocked reading a client that sends nothing more, is simply abandoned.
     *
     * @throws ClientGone when the client can no longer be written
     * @throws Silent when nothing passed either way for the silence limit
     * @throws IOException when the server connection breaks
     */
    void run() throws IOException {
        Thread upstream = new Thread(this::clientToServer, "client-to-server");
        upstream.setDaemon(true);
        upstream.start();

        try (OutputStream out = toClient) {
            byte[] buffer = new byte[CHUNK];
            InputStream in = server.getInputStream();
            int n;
            while ((n = readServer(in, buffer)) >= 0) {
                lastTraffic = System.nanoTime();
                writeClient(out, buffer, n);
            }
            out.flush();
        }
    }

    /**
     * The client's side of a failure, told apart from the server's: an administrator reading "connection to the
     * server broke" looks at the server, when it was the client that left.
     */
    /**
     * Reads the server, waking when the silence limit would be reached to see whether the client sent
     * anything meanwhile (its bytes are read by the other thread).
     */
    private int readServer(InputStream in, byte[] buffer) throws IOException {
        while (true) {
            long silent = System.nanoTime() - lastTraffic;
            if (silent >= silenceNanos) {
                throw new Silent(TimeUnit.NANOSECONDS.toSeconds(silenceNanos));
            }
            server.setSoTimeout((int) Math.max(1, Math.min(Integer.MAX_VALUE,
                    TimeUnit.NANOSECONDS.toMillis(silenceNanos - silent) + 1)));
            try {
                return in.read(buffer);
            } catch (SocketTimeoutException e) {
                // the socket stays usable: look again at the time of the latest traffic
            }
        }
    }

    static final class ClientGone extends IOException {
        ClientGone(IOException cause) {
            super(cause.getMessage(), cause);
        }
    }

    private static void writeClient(OutputStream out, byte[] buffer, int n) throws ClientGone {
        try {
            out.write(buffer, 0, n);
        } catch (IOException e) {
            throw new ClientGone(e);
        }
    }

    private void clientToServer() {
        byte[] buffer = new byte[CHUNK];
        try {
            OutputStream out = server.getOutputStream();
            int n;
            while ((n = readClient(buffer)) >= 0) {
                lastTraffic = System.nanoTime();
                out.write(buffer, 0, n);
            }
            server.shutdownOutput();
        } catch (IOException e) {
            // The server side broke while we were writing to it; the server → client thread sees
            // the same failure on its next read and reports it. Nothing useful to add here.
        }
    }

    /** A read error on the client's side (connection reset) ends its input like an end of file. */
    private int readClient(byte[] buffer) {
        try {
            return fromClient.read(buffer);
        } catch (IOException e) {
            return -1;
        }
    }
}
