package org.greylite.ucspi;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;

/**
 * Copies bytes between a client (an input and an output stream) and a connected socket, one thread
 * per direction, with TCP half-close semantics.
 *
 * <p>Streams are used unbuffered on purpose: whatever one read returns is written at once, so an
 * SMTP reply is never held back waiting for a buffer to fill.
 */
final class Relay {

    /** Large enough for bulk DATA transfers, small enough to cost nothing per connection. */
    private static final int CHUNK = 64 * 1024;

    private final InputStream fromClient;
    private final OutputStream toClient;
    private final Socket server;

    Relay(InputStream fromClient, OutputStream toClient, Socket server) {
        this.fromClient = fromClient;
        this.toClient = toClient;
        this.server = server;
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
            while ((n = in.read(buffer)) >= 0) {
                writeClient(out, buffer, n);
            }
            out.flush();
        }
    }

    /**
     * The client's side of a failure, told apart from the server's: an administrator reading "connection to the
     * server broke" looks at the server, when it was the client that left.
     */
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
