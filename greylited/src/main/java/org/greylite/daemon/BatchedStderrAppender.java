package org.greylite.daemon;

import java.io.ByteArrayOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
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
 * everything else the logging does. The lines are also laid out (time stamp, level, padding, bytes) and
 * written by the appender's own thread, not by the I/O thread that logs them: what an event says is fixed
 * when it is logged (its message with its arguments, its thread, its MDC), only its printing waits.
 *
 * <p>A line waits at most {@link #setLingerMillis linger} (100 ms by default) before it is written, less
 * when {@value #WRITE_AT} lines have gathered: the appender's thread is then asked to write them at once.
 * Should it fall behind (stderr a pipe that a slow reader empties), the thread that logs writes them itself
 * once {@value #WRITE_INLINE_AT} lines wait, so that waiting lines cannot fill the memory. Warnings and errors
 * are written at once by the thread that logs them, with whatever waits before them, so a problem is never
 * held back. When the JVM stops (SIGTERM, or any normal exit) the waiting
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

    /** Gathered lines that the appender's thread writes without waiting any longer. */
    static final int WRITE_AT = 256;

    /** Gathered lines that the logging thread writes itself: the appender's thread has fallen behind. */
    static final int WRITE_INLINE_AT = 4 * WRITE_AT;

    private Encoder<ILoggingEvent> encoder;
    private long lingerMillis = 100;
    private OutputStream out = new FileOutputStream(FileDescriptor.err);

    private final Object lock = new Object(); // guards pending and the flags
    private List<ILoggingEvent> pending = new ArrayList<>();
    private final Object writing = new Object(); // held while a batch is laid out and written; guards batch
    private ByteArrayOutputStream batch = new ByteArrayOutputStream(8192);
    private boolean writeScheduled;
    private boolean writeAsked; // the appender's thread has been asked to write a full batch now
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
        event.prepareForDeferredProcessing(); // the message, thread name and MDC of now, for a printing later
        boolean urgent = event.getLevel().isGreaterOrEqual(Level.WARN) || lingerMillis == 0;
        boolean writeHere;
        synchronized (lock) {
            pending.add(event);
            writeHere = urgent || writeAtOnce || pending.size() >= WRITE_INLINE_AT;
            if (writeHere) {
                // written below, outside the lock
            } else if (pending.size() >= WRITE_AT) {
                if (!writeAsked) {
                    writeAsked = true;
                    writer.execute(this::writeAsked);
                }
            } else if (!writeScheduled) {
                writeScheduled = true;
                writer.schedule(this::writeScheduled, lingerMillis, TimeUnit.MILLISECONDS);
            }
        }
        if (writeHere) {
            writeWaiting();
        }
    }

    private void writeScheduled() {
        synchronized (lock) {
            writeScheduled = false;
        }
        writeWaiting();
    }

    private void writeAsked() {
        synchronized (lock) {
            writeAsked = false;
        }
        writeWaiting();
    }

    /** Writes what waits, and every later line at once. */
    private void writeAllFromNowOn() {
        synchronized (lock) {
            writeAtOnce = true;
        }
        writeWaiting();
    }

    /**
     * Takes every waiting line and writes them. The lines are laid out and written holding only {@link #writing},
     * so a thread that logs meanwhile is not kept waiting; and since one thread at a time takes and writes, the
     * batches reach stderr in the order their lines were logged.
     */
    private void writeWaiting() {
        synchronized (writing) {
            List<ILoggingEvent> lines;
            synchronized (lock) {
                if (pending.isEmpty()) {
                    return;
                }
                lines = pending;
                pending = new ArrayList<>();
            }
            try {
                for (ILoggingEvent e : lines) {
                    batch.writeBytes(encoder.encode(e));
                }
                batch.writeTo(out);
                out.flush();
            } catch (IOException | RuntimeException e) {
                addError("cannot write the log to stderr", e);
            } finally {
                if (batch.size() > 256 * 1024) {
                    batch = new ByteArrayOutputStream(8192); // a burst of long lines (stack traces) does not keep its buffer
                } else {
                    batch.reset();
                }
            }
        }
    }
}
