package org.greylite.smtp;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * A growable FIFO of bytes: what a peer sent that has not been handled yet. Not thread-safe.
 *
 * <p>Bytes are appended at the end and consumed from the front; the backing array is compacted
 * instead of reallocated when the consumed prefix makes room.
 */
public final class ByteQueue {

    private byte[] buf = new byte[0];
    private int start;
    private int end;

    public int size() {
        return end - start;
    }

    public boolean isEmpty() {
        return start == end;
    }

    public void append(ByteBuffer src) {
        int n = src.remaining();
        ensureRoom(n);
        src.get(buf, end, n);
        end += n;
    }

    public void append(byte[] src, int off, int len) {
        ensureRoom(len);
        System.arraycopy(src, off, buf, end, len);
        end += len;
    }

    /** The backing array, for scanning in place from {@link #head()}; valid until the next change. */
    public byte[] array() {
        return buf;
    }

    /** Where the first byte stands in {@link #array()}. */
    public int head() {
        return start;
    }

    /** The byte {@code i} positions from the front. */
    public byte get(int i) {
        return buf[start + i];
    }

    /** Position (from the front) of the first {@code b} at or after {@code from}, or -1. */
    public int indexOf(byte b, int from) {
        for (int i = start + from; i < end; i++) {
            if (buf[i] == b) {
                return i - start;
            }
        }
        return -1;
    }

    /** Removes and returns the first {@code n} bytes. */
    public byte[] take(int n) {
        byte[] out = Arrays.copyOfRange(buf, start, start + n);
        skip(n);
        return out;
    }

    public void skip(int n) {
        if (n > size()) {
            throw new IllegalArgumentException("skip " + n + " > " + size());
        }
        start += n;
        if (start == end) {
            start = 0;
            end = 0;
            if (buf.length > 64 * 1024) {
                buf = new byte[0]; // a burst passed: give the memory back
            }
        }
    }

    public void clear() {
        skip(size());
    }

    private void ensureRoom(int n) {
        if (end + n <= buf.length) {
            return;
        }
        int live = size();
        if (live + n <= buf.length && start > 0) {
            System.arraycopy(buf, start, buf, 0, live);
        } else {
            byte[] bigger = new byte[Math.max(live + n, Math.max(256, buf.length * 2))];
            System.arraycopy(buf, start, bigger, 0, live);
            buf = bigger;
        }
        start = 0;
        end = live;
    }
}
