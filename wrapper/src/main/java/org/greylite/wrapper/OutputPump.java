package org.greylite.wrapper;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.greylite.relay.BackPressure;

/**
 * Writes to one side (the client's descriptor 1, or PROGRAM's standard input) from a thread of its own,
 * so that whoever produces the bytes (the relay, with its lock held) only ever appends to a queue and
 * never waits for a slow reader or a full pipe.
 *
 * <p>Every write is flushed at once: an SMTP reply must not wait for a buffer to fill. Chunks queued
 * together (pipelined replies) go out in one write.
 *
 * <p>Back-pressure: the listener is told {@code backlog(true)} when the queue goes over the limit of
 * {@link BackPressure#over}, and {@code backlog(false)} once it is back under it.
 * Both transitions are decided under this pump's lock, so they can never cross.
 */
final class OutputPump {

    /** The most bytes merged into one write. */
    private static final int MERGE_LIMIT = 64 * 1024;

    /** Told what happens to a pump; called from the pump's thread or under its lock: must not block. */
    interface Listener {
        void backlog(OutputPump pump, boolean over);

        /** A write completed: the side is alive. */
        void written(OutputPump pump);

        /** Writing failed (the reader is gone); what was queued is dropped. */
        void failed(OutputPump pump, IOException e);
    }

    private final String name;
    private final OutputStream out;
    private final Listener listener;
    private final ArrayDeque<byte[]> queue = new ArrayDeque<>();
    private final Thread thread;
    private long queued;
    private boolean over;
    private boolean closing;
    private boolean abandoned;
    private boolean finished;
    /** With {@link #abandonUntil}: what the stream's closing waits for, and for how long at the most. */
    private CompletableFuture<?> closeAfter;
    private long closeAfterMillis;

    OutputPump(String name, OutputStream out, Listener listener) {
        this.name = name;
        this.out = out;
        this.listener = listener;
        this.thread = new Thread(this::run, name);
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    String name() {
        return name;
    }

    /** Queues {@code bytes} (kept, not copied: the caller must not change them). Ignored once closing. */
    synchronized void write(byte[] bytes) {
        if (closing || abandoned || finished || bytes.length == 0) {
            return;
        }
        queue.add(bytes);
        queued += bytes.length;
        if (!over && BackPressure.over(false, queued)) {
            over = true;
            listener.backlog(this, true);
        }
        notifyAll();
    }

    synchronized long queued() {
        return queued;
    }

    /** Writes what is queued, then closes the stream. Writes queued afterwards are ignored. */
    synchronized void closeWhenDrained() {
        closing = true;
        notifyAll();
    }

    /**
     * Queues {@code last} after what is queued, then closes as {@link #closeWhenDrained()}: nothing written after
     * this call can come between the two.
     */
    synchronized void closeWith(byte[] last) {
        write(last);
        closeWhenDrained();
    }

    /** Drops what is queued and closes the stream without writing more. */
    synchronized void abandon() {
        abandoned = true;
        dropQueue();
        notifyAll();
    }

    /**
     * Drops what is queued and writes no more, as {@link #abandon()}, but keeps the stream open until {@code event}
     * has happened or {@code millis} have passed. PROGRAM, just sent SIGTERM, must end by the signal, not by reading
     * the end of its input: ucspi2socket, which reads it as its client's end, half-closed its connection, heard the
     * upstream close and exited 0 before the JVM acted on the signal, and tcpserver logged status 0 for a session
     * greylite had cut short. (The signal must then come through the process handle: {@code Process.destroy()}
     * closes the input itself.) A PROGRAM that ignores SIGTERM still sees its input end, {@code millis} later.
     */
    synchronized void abandonUntil(CompletableFuture<?> event, long millis) {
        closeAfter = event;
        closeAfterMillis = millis;
        abandon();
    }

    synchronized boolean isClosing() {
        return closing || abandoned || finished;
    }

    /** Waits until the stream has been closed; false when that took longer than {@code millis}. */
    synchronized boolean awaitFinished(long millis) throws InterruptedException {
        long deadline = System.nanoTime() + millis * 1_000_000;
        while (!finished) {
            long left = (deadline - System.nanoTime()) / 1_000_000;
            if (left <= 0) {
                return false;
            }
            wait(left);
        }
        return true;
    }

    private void run() {
        try {
            while (true) {
                byte[] chunk;
                synchronized (this) {
                    while (queue.isEmpty() && !closing && !abandoned) {
                        wait();
                    }
                    if (abandoned || queue.isEmpty()) {
                        break; // abandoned, or closing with everything written
                    }
                    chunk = take();
                }
                out.write(chunk);
                out.flush();
                listener.written(this);
                synchronized (this) {
                    queued -= chunk.length;
                    if (over && !BackPressure.over(true, queued)) {
                        over = false;
                        listener.backlog(this, false);
                    }
                }
            }
        } catch (IOException e) {
            synchronized (this) {
                dropQueue();
            }
            listener.failed(this, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            awaitCloseAfter();
            try {
                out.close();
            } catch (IOException ignored) {
                // the reader is gone already; nothing is lost that was not lost before
            }
            synchronized (this) {
                finished = true;
                notifyAll();
            }
        }
    }

    private void awaitCloseAfter() {
        CompletableFuture<?> event;
        long millis;
        synchronized (this) {
            event = closeAfter;
            millis = closeAfterMillis;
        }
        if (event == null) {
            return;
        }
        try {
            event.get(millis, TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            // closed now: the reader that outlived the wait sees its input end
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The next chunk to write: the head of the queue, merged with what follows it up to the limit. */
    private byte[] take() {
        byte[] first = queue.poll();
        if (queue.isEmpty() || first.length >= MERGE_LIMIT) {
            return first;
        }
        int total = first.length;
        int count = 1;
        for (byte[] b : queue) {
            if (total + b.length > MERGE_LIMIT) {
                break;
            }
            total += b.length;
            count++;
        }
        if (count == 1) {
            return first;
        }
        byte[] merged = new byte[total];
        System.arraycopy(first, 0, merged, 0, first.length);
        int at = first.length;
        for (int i = 1; i < count; i++) {
            byte[] b = queue.poll();
            System.arraycopy(b, 0, merged, at, b.length);
            at += b.length;
        }
        return merged;
    }

    private void dropQueue() {
        queue.clear();
        queued = 0;
        if (over) {
            over = false;
            listener.backlog(this, false);
        }
    }
}
