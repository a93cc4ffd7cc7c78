package org.greylite.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

/** The one back-pressure rule of both transports, and the gate that several reasons hold. */
class BackPressureTest {

    /** A gate whose suspends and resumes are recorded, as a MINA session's would be. */
    private static ReadGate recorded(List<String> log, String name) {
        return new ReadGate(new ReadGate.Switch() {
            @Override
            public void suspend() {
                log.add(name + " suspended");
            }

            @Override
            public void resume() {
                log.add(name + " resumed");
            }
        });
    }

    @Test
    void aClientNotReadingItsRepliesStopsBothSidesUntilItsQueueDrainsUnderTheLowMark() {
        List<String> log = new ArrayList<>();
        BackPressure p = new BackPressure(recorded(log, "client"));
        p.upstreamGate(recorded(log, "upstream"));
        p.clientQueued(BackPressure.HIGH_WATER);
        assertEquals(List.of(), log, "at the mark, not over it");
        p.clientQueued(BackPressure.HIGH_WATER + 1);
        assertEquals(List.of("client suspended", "upstream suspended"), log);
        p.clientQueued(BackPressure.LOW_WATER);
        assertEquals(2, log.size(), "still held between the marks");
        p.clientQueued(BackPressure.LOW_WATER - 1);
        assertEquals(List.of("client suspended", "upstream suspended", "client resumed", "upstream resumed"), log);
    }

    @Test
    void anUpstreamBacklogHoldsTheClientOnly() {
        List<String> log = new ArrayList<>();
        BackPressure p = new BackPressure(recorded(log, "client"));
        p.upstreamGate(recorded(log, "upstream"));
        p.upstreamQueued(BackPressure.HIGH_WATER + 1);
        p.upstreamQueued(0);
        assertEquals(List.of("client suspended", "client resumed"), log);
    }

    @Test
    void oneReasonGoneDoesNotResumeAReaderAnotherStillHolds() {
        List<String> log = new ArrayList<>();
        ReadGate client = recorded(log, "client");
        BackPressure p = new BackPressure(client);
        client.set(ReadGate.RELAY_QUEUE, true);
        p.upstreamQueued(BackPressure.HIGH_WATER + 1);
        p.upstreamQueued(0);
        assertEquals(List.of("client suspended"), log, "the relay's own reason still holds it");
        client.set(ReadGate.RELAY_QUEUE, false);
        assertEquals(List.of("client suspended", "client resumed"), log);
    }

    @Test
    void aReaderThreadWaitsAtTheGateUntilItOpens() throws Exception {
        ReadGate gate = new ReadGate();
        gate.set(ReadGate.OWN_BACKLOG, true);
        assertFalse(gate.isOpen());
        CountDownLatch started = new CountDownLatch(1);
        AtomicReference<Thread> readerThread = new AtomicReference<>();
        CompletableFuture<Void> reader = CompletableFuture.runAsync(() -> {
            readerThread.set(Thread.currentThread());
            started.countDown();
            try {
                gate.awaitOpen();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        // the reader has reached the gate and is parked in it, not merely not scheduled yet
        assertTrue(started.await(10, TimeUnit.SECONDS), "the reader started");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (readerThread.get().getState() != Thread.State.WAITING && !reader.isDone()
                && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertFalse(reader.isDone(), "held");
        assertEquals(Thread.State.WAITING, readerThread.get().getState(), "waiting at the gate");
        gate.set(ReadGate.OWN_BACKLOG, false);
        reader.get(10, TimeUnit.SECONDS);
        assertTrue(gate.isOpen());
    }
}
