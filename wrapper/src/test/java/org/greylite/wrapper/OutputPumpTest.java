package org.greylite.wrapper;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 20, unit = TimeUnit.SECONDS)
class OutputPumpTest {

    private final List<String> events = new CopyOnWriteArrayList<>();

    private final OutputPump.Listener listener = new OutputPump.Listener() {
        @Override
        public void backlog(OutputPump pump, boolean over) {
            events.add("backlog " + over);
        }

        @Override
        public void written(OutputPump pump) {
        }

        @Override
        public void failed(OutputPump pump, IOException e) {
            events.add("failed");
        }
    };

    /** A stream that blocks every write until released: a peer that does not read. */
    private static final class Gate extends OutputStream {
        final CountDownLatch open = new CountDownLatch(1);
        final ByteArrayOutputStream written = new ByteArrayOutputStream();
        volatile boolean closed;

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            try {
                open.await();
            } catch (InterruptedException e) {
                throw new IOException(e);
            }
            synchronized (written) {
                written.write(b, off, len);
            }
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    @Test
    void backlogIsReportedAboveHighWaterAndClearedBelowLowWater() throws Exception {
        Gate out = new Gate();
        OutputPump pump = new OutputPump("test", out, listener);
        pump.start();
        byte[] chunk = new byte[32 * 1024];
        for (int i = 0; i < 10; i++) {
            pump.write(chunk); // 320 KB queued behind a stream that takes nothing
        }
        assertEquals(List.of("backlog true"), events);
        out.open.countDown();
        pump.closeWhenDrained();
        assertTrue(pump.awaitFinished(10_000));
        assertEquals(List.of("backlog true", "backlog false"), events);
        assertEquals(10 * chunk.length, out.written.size());
        assertTrue(out.closed);
    }

    @Test
    void queuedChunksGoOutInOrderAndMergedAndNothingAfterClose() throws Exception {
        Gate out = new Gate();
        OutputPump pump = new OutputPump("test", out, listener);
        pump.start();
        for (String s : new String[] {"250-a\r\n", "250 b\r\n", "451 c\r\n"}) {
            pump.write(s.getBytes());
        }
        pump.closeWhenDrained();
        pump.write("late\r\n".getBytes());
        out.open.countDown();
        assertTrue(pump.awaitFinished(10_000));
        assertArrayEquals("250-a\r\n250 b\r\n451 c\r\n".getBytes(), out.written.toByteArray());
    }

    @Test
    void abandonDropsWhatIsQueued() throws Exception {
        Gate out = new Gate();
        OutputPump pump = new OutputPump("test", out, listener);
        pump.write("never sent\r\n".getBytes());
        pump.abandon();
        pump.start();
        out.open.countDown();
        assertTrue(pump.awaitFinished(10_000));
        assertEquals(0, out.written.size());
        assertTrue(out.closed);
    }

    @Test
    void aFailingStreamIsReportedOnce() throws Exception {
        OutputStream broken = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw new IOException("Broken pipe");
            }
        };
        OutputPump pump = new OutputPump("test", broken, listener);
        pump.start();
        pump.write("x".getBytes());
        assertTrue(pump.awaitFinished(10_000));
        pump.write("y".getBytes());
        assertEquals(List.of("failed"), events);
    }
}
