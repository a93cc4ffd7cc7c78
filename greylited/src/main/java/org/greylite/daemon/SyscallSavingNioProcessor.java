package org.greylite.daemon;

import java.util.concurrent.Executor;

import org.apache.mina.core.buffer.IoBuffer;
import org.apache.mina.transport.socket.nio.NioProcessor;
import org.apache.mina.transport.socket.nio.NioSession;

/**
 * MINA's NIO processor, without the system calls that find nothing to do.
 *
 * <p><b>One read per readable socket.</b> For TCP, MINA reads a readable socket again and again until a
 * read returns nothing, so every SMTP command and every reply costs a second, empty {@code read}. A read
 * that did not fill the buffer has already taken everything the kernel held; this processor answers the
 * read that follows it with 0 without asking the kernel. Nothing is lost: the selector is level-triggered,
 * so bytes that arrive in between (and the end of the stream) make the socket readable at the next select.
 * The alternative, a per-session "drained" flag, would need a session attribute; MINA hands the same buffer
 * to the read that follows, so the buffer itself tells the two reads of one round apart from any other.
 */
public class SyscallSavingNioProcessor extends NioProcessor {

    /**
     * The buffer whose last read came back short; the very next read into it is the empty one MINA
     * asks for. Only the processor's thread reads, one session at a time.
     */
    private IoBuffer drained;

    public SyscallSavingNioProcessor(Executor executor) {
        super(executor);
    }

    @Override
    protected int read(NioSession session, IoBuffer buf) throws Exception {
        if (buf == drained) {
            drained = null;
            return 0;
        }
        drained = null;
        int n = super.read(session, buf);
        if (n > 0 && buf.hasRemaining()) {
            drained = buf;
        }
        return n;
    }
}
