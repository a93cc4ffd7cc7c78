package org.greylite.smtp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;

import org.junit.jupiter.api.Test;

class ByteQueueTest {

    private static byte[] seq(int from, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (from + i);
        }
        return b;
    }

    @Test
    void appendTakeAndIndexOf() {
        ByteQueue q = new ByteQueue();
        assertTrue(q.isEmpty());
        q.append(ByteBuffer.wrap("hello\r\nworld".getBytes()));
        assertEquals(12, q.size());
        assertEquals(6, q.indexOf((byte) '\n', 0));
        assertEquals(-1, q.indexOf((byte) '\n', 7));
        assertEquals('w', q.get(7));
        assertArrayEquals("hello\r\n".getBytes(), q.take(7));
        assertEquals(5, q.size());
        assertEquals(0, q.indexOf((byte) 'w', 0));
        assertEquals('w', q.array()[q.head()]);
        q.skip(5);
        assertTrue(q.isEmpty());
    }

    @Test
    void compactionKeepsTheBytesInOrder() {
        ByteQueue q = new ByteQueue();
        q.append(seq(0, 200), 0, 200);
        byte[] array = q.array();
        assertEquals(256, array.length);
        assertArrayEquals(seq(0, 150), q.take(150));
        q.append(seq(200, 100), 0, 100); // 50 live + 100 new fit in 256: compacted, not regrown
        assertSame(array, q.array());
        assertEquals(0, q.head());
        assertArrayEquals(seq(150, 150), q.take(150));
        assertTrue(q.isEmpty());
    }

    @Test
    void growthKeepsTheBytesInOrder() {
        ByteQueue q = new ByteQueue();
        q.append(seq(0, 100), 0, 100);
        q.skip(60);
        q.append(seq(100, 1000), 0, 1000);
        assertEquals(1040, q.size());
        assertEquals(172, q.indexOf((byte) 232, 0)); // the value 232, 60 were skipped
        assertEquals(428, q.indexOf((byte) 232, 173)); // the value 488, the same byte
        assertArrayEquals(seq(60, 1040), q.take(1040));
    }

    @Test
    void indexOfCountsFromTheFrontAfterSkips() {
        ByteQueue q = new ByteQueue();
        q.append("aXbXc".getBytes(), 0, 5);
        q.skip(2);
        assertEquals(1, q.indexOf((byte) 'X', 0));
        assertEquals(1, q.indexOf((byte) 'X', 1));
        assertEquals(-1, q.indexOf((byte) 'X', 2));
        assertEquals(-1, q.indexOf((byte) 'a', 0));
    }

    @Test
    void skippingMoreThanThereIsFails() {
        ByteQueue q = new ByteQueue();
        q.append(new byte[3], 0, 3);
        assertThrows(IllegalArgumentException.class, () -> q.skip(4));
        assertEquals(3, q.size());
        q.clear();
        assertTrue(q.isEmpty());
    }

    @Test
    void aBigBurstGivesItsMemoryBackOnceConsumed() {
        ByteQueue q = new ByteQueue();
        q.append(new byte[200_000], 0, 200_000);
        q.skip(200_000);
        assertTrue(q.array().length < 1024);
        q.append(seq(1, 10), 0, 10);
        assertArrayEquals(seq(1, 10), q.take(10));
    }

    @Test
    void appendRespectsTheOffsetAndTheBufferPosition() {
        ByteQueue q = new ByteQueue();
        q.append(seq(0, 10), 3, 4);
        ByteBuffer b = ByteBuffer.wrap(seq(50, 10));
        b.position(8);
        q.append(b);
        assertEquals(0, b.remaining());
        assertArrayEquals(new byte[] {3, 4, 5, 6, 58, 59}, q.take(6));
    }

    /** Random appends and removals against a plain reference copy, through many compactions and growths. */
    @Test
    void behavesLikeAPlainFifo() {
        Random r = new Random(42);
        ByteQueue q = new ByteQueue();
        byte[] model = new byte[0];
        int next = 0;
        for (int step = 0; step < 20_000; step++) {
            int op = r.nextInt(4);
            if (op <= 1) {
                int n = r.nextInt(op == 0 ? 40 : 700);
                byte[] src = seq(next, n + 5);
                next += n;
                q.append(src, 5, n);
                byte[] m = Arrays.copyOf(model, model.length + n);
                System.arraycopy(src, 5, m, model.length, n);
                model = m;
            } else if (op == 2 && model.length > 0) {
                int n = r.nextInt(model.length + 1);
                assertArrayEquals(Arrays.copyOf(model, n), q.take(n), "step " + step);
                model = Arrays.copyOfRange(model, n, model.length);
            } else if (model.length > 0) {
                byte target = model[r.nextInt(model.length)];
                int from = r.nextInt(model.length);
                int expected = -1;
                for (int i = from; i < model.length; i++) {
                    if (model[i] == target) {
                        expected = i;
                        break;
                    }
                }
                assertEquals(expected, q.indexOf(target, from), "step " + step);
                if (r.nextBoolean()) {
                    int n = r.nextInt(model.length + 1);
                    q.skip(n);
                    model = Arrays.copyOfRange(model, n, model.length);
                }
            }
            assertEquals(model.length, q.size());
        }
        ByteArrayOutputStream rest = new ByteArrayOutputStream();
        rest.writeBytes(q.take(q.size()));
        assertArrayEquals(model, rest.toByteArray());
    }
}
