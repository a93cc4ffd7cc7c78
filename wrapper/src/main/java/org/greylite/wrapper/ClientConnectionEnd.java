package org.greylite.wrapper;

import java.io.IOException;
import java.nio.channels.Channel;
import java.nio.channels.SocketChannel;

/**
 * Ends the client's connection, as the client sees it, once its last reply is written.
 *
 * <p>Under tcpserver the connection is on descriptors 0 and 1 both. Closing descriptor 1 after the last reply does not
 * end it: descriptor 0 still holds the socket, and does until greylite exits, which is after PROGRAM has exited (up to
 * 10 s, then SIGTERM and 2 s more, see {@link Program#await}). A client waiting for the server to close after its
 * {@code 221} waited that long. Closing descriptor 0 would not help either: the thread blocked reading it keeps the
 * socket until its read returns. So the sending side is shut down ({@code shutdown(2)}), which ends the connection for
 * the client whatever still refers to it; the JDK reaches the inherited socket through
 * {@link System#inheritedChannel()}. When descriptor 0 is no socket (a pipe, a terminal), there is nothing to do.
 */
final class ClientConnectionEnd {

    private ClientConnectionEnd() {
    }

    /** The end of the connection on descriptor 0, when it is a socket; else an action that does nothing. */
    static Runnable inherited() {
        return () -> {
            try {
                Channel channel = System.inheritedChannel();
                if (channel instanceof SocketChannel socket && socket.isConnected()) {
                    socket.shutdownOutput();
                }
            } catch (IOException | RuntimeException e) {
                // the client is gone already, or the descriptor is not what it seemed: nothing left to end
            }
        };
    }
}
