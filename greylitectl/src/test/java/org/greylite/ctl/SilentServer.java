package org.greylite.ctl;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A PostgreSQL server that takes every connection on loopback and never says a word: what a server under a hung
 * postmaster, or a firewall that lets the handshake through, looks like to a client, which only its own time limit
 * ends. Closed, with every connection it took, after each test.
 */
final class SilentServer implements AfterEachCallback {

    private final List<Socket> accepted = new CopyOnWriteArrayList<>();
    private ServerSocket socket;

    /** Starts taking connections (on the first call of a test) and returns the port. */
    int port() throws IOException {
        if (socket == null) {
            ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            socket = s;
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        accepted.add(s.accept());
                    }
                } catch (IOException e) {
                    // closed after the test
                }
            }, "silent-postgres");
            acceptor.setDaemon(true);
            acceptor.start();
        }
        return socket.getLocalPort();
    }

    @Override
    public void afterEach(ExtensionContext context) throws IOException {
        if (socket != null) {
            socket.close();
            socket = null;
        }
        for (Socket s : accepted) {
            s.close();
        }
        accepted.clear();
    }
}
