package org.greylite.daemon;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.UnsynchronizedAppenderBase;
import ch.qos.logback.core.encoder.Encoder;

/**
 * greylited's log appender: the lines logback's console appender would write to stderr, the same bytes in
 * the same order, written a batch at a time instead of one {@code write} per line. Under load greylited logs
 * two lines per message (the decision and the session summary), and a write per line cost more than
 * everything else the logging does.
 *
 * <p>A line waits at most {@link #setLingerMillis linger} (100 ms by default) before it is written, less
 * when {@value #WRITE_AT} bytes have gathered. Warnings and errors are written at once, with whatever waits
 * before them, so a problem is never held back. When the JVM stops (SIGTERM, or any normal exit) the waiting
 * lines are written and every later one is written at once; logback's own stop writes them too. Only a
 * {@code kill -9} (or a crash of the JVM) can lose lines: those of the last {@code linger} at most. The
 * greydb's decisions are not concerned: each is committed before its reply is sent, whatever its log line.
 *
 * <p>Configured like logback's console appender, with an encoder:
 * <pre>{@code <appender name="STDERR" class="org.greylite.daemon.BatchedStderrAppender">
 *   <lingerMillis>100</lingerMillis>
 *   <encoder><pattern>%d %-5level %msg%n</pattern></encoder>
 * </appender>}</pre>
 */
public final class BatchedStderrAppender extends UnsynchronizedAppenderBase<ILoggingEvent> {

    /** Gathered bytes that are written without waiting any longer. */
    static final int WRITE_AT = 32 * 1024;

    private Encoder<ILoggingEvent> encoder;
    private long lingerMillis = 100;
    private OutputStream out = new FileOutputStream(FileDescriptor.err);

    private final Object lock = new Object();
    private byte[] pending = new byte[4096];
    private int pendingLength;
    private boolean writeScheduled;
    private boolean writeAtOnce; // the JVM is stopping: no more waiting
    private ScheduledExecutorService writer;
    private Thread shutdownHook;

    public void setEncoder(Encoder<ILoggingEvent> encoder) {
        this.encoder = encoder;
    }

    public Encoder<ILoggingEvent> getEncoder() {
        return encoder;
    }

    /** How long a line may wait for others before it is written (0: every line at once). */
    public void setLingerMillis(long lingerMillis) {
        this.lingerMillis = lingerMillis;
    }

    /** Where the lines go instead of stderr (for tests). */
    void setOutputStream(OutputStream out) {
        this.out = out;
    }

    @Override
    public void start() {
        if (encoder == null) {
            addError("no encoder set for the appender named \"" + name + "\"");
            return;
        }
        if (lingerMillis < 0) {
            addError("lingerMillis must be 0 or more, not " + lingerMillis);
            return;
        }
        writer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "greylited-log");
            t.setDaemon(true);
            return t;
        });
        shutdownHook = new Thread(this::writeAllFromNowOn, "greylited-log-stop");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
        super.start();
    }

    @Override
    public void stop() {
        if (!isStarted()) {
            return;
        }
        super.stop();
        writeAllFromNowOn();
        writer.shutdown();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // The JVM is stopping already; the hook has run or is running.
        }
    }

    @Override
    protected void append(ILoggingEvent event) {
        byte[] line = encoder.encode(event); // outside the lock: logback's encoders are thread-safe
        boolean urgent = event.getLevel().isGreaterOrEqual(Level.WARN) || lingerMillis == 0;
        synchronized (lock) {
            add(line);
            if (urgent || writeAtOnce || pendingLength >= WRITE_AT) {
                writePending();
            } else if (!writeScheduled) {
                writeScheduled = true;
                writer.schedule(this::writeScheduled, lingerMillis, TimeUnit.MILLISECONDS);
            }
        }
    }

    private void writeScheduled() {
        synchronized (lock) {
            writeScheduled = false;
            writePending();
        }
    }

    /** Writes what waits, and every later line at once. */
    private void writeAllFromNowOn() {
        synchronized (lock) {
            writeAtOnce = true;
            writePending();
        }
    }

    private void add(byte[] line) {
        if (pendingLength + line.length > pending.length) {
            pending = Arrays.copyOf(pending, Math.max(pending.length * 2, pendingLength + line.length));
        }
        System.arraycopy(line, 0, pending, pendingLength, line.length);
        pendingLength += line.length;
    }

    private void writePending() {
        if (pendingLength == 0) {
            return;
        }
        try {
            out.write(pending, 0, pendingLength);
            out.flush();
        } catch (IOException e) {
            addError("cannot write the log to stderr", e);
        } finally {
            pendingLength = 0;
            if (pending.length > 4 * WRITE_AT) {
                pending = new byte[4096]; // a burst of long lines (stack traces) does not keep its buffer
            }
        }
    }
}
