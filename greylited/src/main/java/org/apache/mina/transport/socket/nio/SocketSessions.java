package org.apache.mina.transport.socket.nio;

import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;

import org.apache.mina.core.service.IoProcessor;
import org.apache.mina.core.service.IoService;

/**
 * greylited's one door into MINA's package: its TCP session class is not public, and greylited's own
 * connector ({@code org.greylite.daemon.EagerSocketConnector}) must create sessions of it, exactly like
 * MINA's connector does, for the I/O processors to serve them; and a session's channel is not public either,
 * which greylited writes to directly from the session's own I/O thread ({@code org.greylite.daemon.LegWriter}),
 * and closes itself, as its selection key, once the selector has let go of it
 * ({@code org.greylite.daemon.SyscallSavingNioProcessor}).
 */
public final class SocketSessions {

    private SocketSessions() {
    }

    /** A TCP session of {@code service} on {@code channel}, served by {@code processor}. */
    public static NioSession newSession(IoService service, IoProcessor<NioSession> processor, SocketChannel channel) {
        return new NioSocketSession(service, processor, channel);
    }

    /** The socket of a TCP session (of {@link #newSession}, or of MINA's own acceptor or connector). */
    public static SocketChannel channel(NioSession session) {
        return (SocketChannel) session.getChannel();
    }

    /** The selection key of a session added to a processor; null before. */
    public static SelectionKey selectionKey(NioSession session) {
        return session.getSelectionKey();
    }
}
