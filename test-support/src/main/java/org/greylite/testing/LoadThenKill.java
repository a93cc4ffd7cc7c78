package org.greylite.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Clients keep a program busy until it has answered a number of times drawn at random, and the program is then killed
 * (SIGKILL): the tests of SPEC §3's "a crash or kill -9 loses at most the triplet whose reply was not yet sent". The
 * number differs from run to run, so that the kill falls on another moment of the load each time: answers in flight,
 * commits under way.
 */
public final class LoadThenKill {

    /** One client: asks until the program is gone, counting in {@code answers} each answer it receives. */
    @FunctionalInterface
    public interface Client {
        void run(int index, AtomicInteger answers);
    }

    /** Kills the program; fails the test if it did not die. */
    @FunctionalInterface
    public interface Kill {
        void run() throws Exception;
    }

    private LoadThenKill() {
    }

    /**
     * Starts {@code clients} threads running {@code client}, waits until at least {@code least} to {@code 2 * least - 1}
     * answers came (40 s at most), kills the program and waits for the clients to notice.
     *
     * @param program the program's output, for the failure message when it answered too little
     */
    public static void run(int clients, int least, Client client, Kill kill, Supplier<String> program) throws Exception {
        AtomicInteger answers = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            int index = i;
            Thread t = new Thread(() -> client.run(index, answers));
            t.start();
            threads.add(t);
        }
        int killAfter = least + ThreadLocalRandom.current().nextInt(least);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
        while (answers.get() < killAfter && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertTrue(answers.get() >= killAfter, "the program answered too little: " + answers.get() + "\n" + program.get());
        kill.run();
        for (Thread t : threads) {
            t.join(15_000);
        }
    }
}
