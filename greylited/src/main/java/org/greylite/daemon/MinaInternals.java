package org.greylite.daemon;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.nio.channels.ByteChannel;
import java.nio.channels.SocketChannel;

import org.apache.mina.core.polling.AbstractPollingIoProcessor;
import org.apache.mina.core.service.IoProcessor;
import org.apache.mina.core.service.IoService;
import org.apache.mina.transport.socket.nio.NioSession;

/**
 * The three things greylited needs of Apache MINA that MINA does not make public, reached by reflection here
 * and nowhere else: a new TCP session ({@code NioSocketSession} is package-private), which greylited's own
 * connector ({@link EagerSocketConnector}) and acceptor ({@link IoThreadAcceptor}) create exactly as MINA's
 * do, so that the I/O processors serve it; a session's socket ({@code NioSession.getChannel()} is
 * package-private), which greylited writes to directly from the session's own I/O thread ({@link LegWriter})
 * and closes itself once the selector has let go of it ({@link SyscallSavingNioProcessor}); and the start of
 * a processor's loop ({@code AbstractPollingIoProcessor.startupProcessor()} is private; MINA starts it only
 * for a new session), which must run for an I/O thread to accept the first client on its listening socket.
 *
 * <p>Why reflection: MINA offers no supported way to either (a subclass of {@code NioSession} outside its
 * package cannot implement the package-private {@code getChannel()}), and the alternative, a class of ours
 * inside MINA's package, breaks silently when an upgrade changes what it calls and makes us part of MINA's
 * internals. Here the handles are looked up once, when the class loads: should MINA change them, greylited
 * fails at its first connection with an error naming what changed, and {@code MinaInternalsTest} fails the
 * build. Method handles held in static finals cost what a direct call costs.
 */
final class MinaInternals {

    private static final String SOCKET_SESSION = "org.apache.mina.transport.socket.nio.NioSocketSession";
    private static final MethodHandle NEW_SESSION;
    private static final MethodHandle CHANNEL;
    private static final MethodHandle START_LOOP;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            Constructor<?> c = Class.forName(SOCKET_SESSION)
                    .getDeclaredConstructor(IoService.class, IoProcessor.class, SocketChannel.class);
            c.setAccessible(true);
            NEW_SESSION = lookup.unreflectConstructor(c)
                    .asType(MethodType.methodType(NioSession.class, IoService.class, IoProcessor.class, SocketChannel.class));
            Method m = NioSession.class.getDeclaredMethod("getChannel");
            m.setAccessible(true);
            CHANNEL = lookup.unreflect(m).asType(MethodType.methodType(ByteChannel.class, NioSession.class));
            Method start = AbstractPollingIoProcessor.class.getDeclaredMethod("startupProcessor");
            start.setAccessible(true);
            START_LOOP = lookup.unreflect(start)
                    .asType(MethodType.methodType(void.class, AbstractPollingIoProcessor.class));
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException("this version of Apache MINA (" + NioSession.class.getPackage()
                    .getImplementationVersion() + ") no longer has " + SOCKET_SESSION + "(IoService, IoProcessor, "
                    + "SocketChannel), NioSession.getChannel() or AbstractPollingIoProcessor.startupProcessor(), which"
                    + " greylited uses: " + e, e);
        }
    }

    private MinaInternals() {
    }

    /** A TCP session of {@code service} on {@code channel}, served by {@code processor}. */
    static NioSession newSession(IoService service, IoProcessor<NioSession> processor, SocketChannel channel) {
        try {
            return (NioSession) NEW_SESSION.invokeExact(service, processor, channel);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /** Starts {@code processor}'s loop on its thread if it is not running (and wakes it up if it is). */
    static void startLoop(AbstractPollingIoProcessor<?> processor) {
        try {
            START_LOOP.invokeExact(processor);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /** The socket of a TCP session (of {@link #newSession}, or of MINA's own acceptor or connector). */
    static SocketChannel channel(NioSession session) {
        try {
            return (SocketChannel) (ByteChannel) CHANNEL.invokeExact(session);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }
}
