package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.LoggingEvent;

/** The batching appender writes the console appender's bytes, in order, and holds back nothing that matters. */
class BatchedStderrAppenderTest {

    private final LoggerContext context = newContext();

    /** As slf4j sets it up: with an MDC (an event captures it when it is logged). */
    private static LoggerContext newContext() {
        LoggerContext c = new LoggerContext();
        c.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter());
        return c;
    }
    private final List<String> writes = new ArrayList<>();
    private final List<String> writers = new ArrayList<>(); // the thread that made each write
    private volatile long writeMillis; // how long each write takes: a pipe its reader empties slowly
    private BatchedStderrAppender appender;

    /** Records each write the appender makes, so the test sees the batches. */
    private final OutputStream recorder = new OutputStream() {
        @Override
        public void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            writes.add(new String(b, off, len, StandardCharsets.UTF_8));
            writers.add(Thread.currentThread().getName());
            if (writeMillis > 0) {
                try {
                    Thread.sleep(writeMillis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    };

    private BatchedStderrAppender appender(long lingerMillis) {
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern("%-5level %msg%n");
        encoder.start();
        appender = new BatchedStderrAppender();
        appender.setContext(context);
        appender.setEncoder(encoder);
        appender.setLingerMillis(lingerMillis);
        appender.setOutputStream(recorder);
        appender.start();
        return appender;
    }

    private void log(Level level, String message) {
        appender.doAppend(new LoggingEvent("x", context.getLogger("greylite.decision"), level, message, null, null));
    }

    private List<String> writes() {
        synchronized (recorder) {
            return List.copyOf(writes);
        }
    }

    @AfterEach
    void stop() {
        if (appender != null) {
            appender.stop();
        }
    }

    @Test
    void linesWaitForOneAnotherAndAWarningTakesThemAlongAtOnce() {
        appender(3_600_000); // an hour: nothing is written for the linger in this test
        log(Level.INFO, "decision 1");
        log(Level.INFO, "session end 1");
        assertEquals(List.of(), writes(), "informational lines wait");
        log(Level.WARN, "upstream unreachable");
        assertEquals(List.of("INFO  decision 1\nINFO  session end 1\nWARN  upstream unreachable\n"), writes(),
                "one write, in order, when a warning comes");
        log(Level.INFO, "decision 2");
        appender.stop();
        assertEquals(List.of("INFO  decision 1\nINFO  session end 1\nWARN  upstream unreachable\n", "INFO  decision 2\n"),
                writes(), "stopping writes what waits");
    }

    @Test
    void aLineIsWrittenWhenTheLingerIsOver() throws Exception {
        appender(2_000); // long enough that the test thread, however late, logs both lines within it
        log(Level.INFO, "decision 1");
        log(Level.INFO, "decision 2");
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (writes().isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(5); // the writer thread's turn
        }
        assertEquals(List.of("INFO  decision 1\nINFO  decision 2\n"), writes());
    }

    @Test
    void manyLinesAreWrittenWithoutWaitingByTheAppendersThread() throws Exception {
        appender(3_600_000);
        String line = "x".repeat(99); // 106 bytes with "INFO  " and the newline
        int n = BatchedStderrAppender.WRITE_AT;
        for (int i = 0; i < n; i++) {
            log(Level.INFO, line);
        }
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (writes().isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(5); // the writer thread's turn, long before the linger of an hour
        }
        assertEquals(1, writes().size(), "written once " + BatchedStderrAppender.WRITE_AT + " lines gathered");
        assertEquals(n * 106, writes().get(0).length());
        synchronized (recorder) {
            assertEquals(List.of("greylited-log"), writers, "laid out and written by the appender's thread, not the logging one");
        }
    }

    @Test
    void linesOfManyThreadsKeepTheirOrderAndNoneIsLostWhileStderrIsSlow() throws Exception {
        appender(3_600_000);
        // Every write waits: the appender's thread falls behind and the logging threads write too. Long enough that
        // the logging threads, slowed by a loaded machine, still gather a write's worth of lines meanwhile.
        writeMillis = 20;
        int threads = 4;
        int perThread = 3 * BatchedStderrAppender.WRITE_INLINE_AT;
        List<Thread> loggers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int me = t;
            loggers.add(new Thread(() -> {
                for (int i = 0; i < perThread; i++) {
                    log(Level.INFO, "t" + me + " " + i);
                }
            }, "logger-" + t));
        }
        loggers.forEach(Thread::start);
        for (Thread t : loggers) {
            t.join();
        }
        appender.stop();
        int[] next = new int[threads];
        int lines = 0;
        for (String write : writes()) {
            for (String l : write.split("\n")) {
                String[] f = l.substring("INFO  t".length()).split(" ");
                int t = Integer.parseInt(f[0]);
                assertEquals(next[t], Integer.parseInt(f[1]), "thread " + t + "'s lines in the order it logged them");
                next[t]++;
                lines++;
            }
        }
        assertEquals(threads * perThread, lines, "every line written once");
        synchronized (recorder) {
            assertTrue(writers.stream().anyMatch(w -> w.startsWith("logger-")),
                    "with the appender's thread behind, the logging threads wrote too: " + writers);
        }
    }

    @Test
    void noLingerWritesEachLineAtOnce() {
        appender(0);
        log(Level.INFO, "decision 1");
        log(Level.INFO, "decision 2");
        assertEquals(List.of("INFO  decision 1\n", "INFO  decision 2\n"), writes());
    }

    @Test
    void theLinesAreTheConsoleAppendersBytes() {
        appender(3_600_000);
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        PatternLayoutEncoder encoder = (PatternLayoutEncoder) appender.getEncoder();
        for (String m : List.of("décision àccents", "line\twith tab")) {
            LoggingEvent e = new LoggingEvent("x", context.getLogger("greylite.decision"), Level.INFO, m, null, null);
            expected.writeBytes(encoder.encode(e));
            appender.doAppend(e);
        }
        appender.stop();
        assertEquals(List.of(expected.toString(StandardCharsets.UTF_8)), writes());
    }

    @Test
    void aLinePrintedLaterSaysWhatWasTrueWhenItWasLogged() throws Exception {
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern("[%thread] %msg%n");
        encoder.start();
        appender = new BatchedStderrAppender();
        appender.setContext(context);
        appender.setEncoder(encoder);
        appender.setLingerMillis(3_600_000);
        appender.setOutputStream(recorder);
        appender.start();
        StringBuilder state = new StringBuilder("before");
        Thread t = new Thread(() -> appender.doAppend(new LoggingEvent("x", context.getLogger("greylite.decision"),
                Level.INFO, "state {}", null, new Object[] {state})), "greylited-io");
        t.start();
        t.join();
        state.setLength(0);
        state.append("after"); // changed before the line is printed
        appender.stop();
        assertEquals(List.of("[greylited-io] state before\n"), writes());
    }
}
