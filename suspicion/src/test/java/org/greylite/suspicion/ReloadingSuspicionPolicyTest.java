package org.greylite.suspicion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.greylite.testing.RootOnly;
import org.greylite.testing.UnprivilegedJava;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

class ReloadingSuspicionPolicyTest {

    /** A clock the test moves by hand. */
    static final class ManualClock extends Clock {
        private volatile long millis = 1_700_000_000_000L;

        void advance(long ms) {
            millis += ms;
        }

        @Override
        public long millis() {
            return millis;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this; // the zone is irrelevant to these tests
        }
    }

    @TempDir
    Path dir;

    private Path file;
    private final ManualClock clock = new ManualClock();
    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    private final Logger logger = (Logger) LoggerFactory.getLogger(ReloadingSuspicionPolicy.class);
    private FileTime mtime = FileTime.fromMillis(1_600_000_000_000L);

    @BeforeEach
    void captureLog() {
        log.start();
        logger.addAppender(log);
        file = dir.resolve("suspicion");
    }

    @AfterEach
    void releaseLog() {
        logger.detachAppender(log);
    }

    /** Writes the file with a modification time that moves forward on every edit, as a real edit would. */
    private void write(String... lines) throws IOException {
        Files.write(file, List.of(lines));
        mtime = FileTime.fromMillis(mtime.toMillis() + 10_000);
        Files.setLastModifiedTime(file, mtime);
    }

    /** N for a client named {@code ptr}, after the timer's look at the file (as greylited's runs every second). */
    private static int refusalsFor(SuspicionPolicy policy, String ptr) {
        if (policy instanceof ReloadingSuspicionPolicy followed) {
            followed.checkForChanges();
        }
        return policy.evaluate(new ClientFacts("192.0.2.1", ptr, "", "", "x@example.net", null, null)).refusals();
    }

    private List<String> warnings() {
        return logged(Level.WARN);
    }

    /** Lines that do not load are errors: the wrapper's default threshold (3) shows errors only. */
    private List<String> errors() {
        return logged(Level.ERROR);
    }

    private List<String> logged(Level level) {
        List<String> out = new ArrayList<>();
        for (ILoggingEvent e : log.list) {
            if (e.getLevel() == level) {
                out.add(e.getFormattedMessage());
            }
        }
        return out;
    }

    @Test
    void followsEditsAtMostOncePerSecond() throws IOException {
        write("5 r dsl");
        ReloadingSuspicionPolicy policy = new ReloadingSuspicionPolicy(file, null, clock);
        assertEquals(5, refusalsFor(policy, "dsl.example"));

        write("7 r dsl");
        clock.advance(999);
        assertEquals(5, refusalsFor(policy, "dsl.example"), "not checked again within a second");
        clock.advance(1);
        assertEquals(7, refusalsFor(policy, "dsl.example"));
        assertEquals(file, policy.file());
    }

    /**
     * The clock stepped back an hour (NTP correcting a host that started ahead) after the last look: the next look
     * was put off until the clock came back to it, and an edit made meanwhile went unseen for that hour.
     */
    @Test
    void followsEditsAfterTheClockSteppedBack() throws IOException {
        write("5 r dsl");
        ReloadingSuspicionPolicy policy = new ReloadingSuspicionPolicy(file, null, clock);
        clock.advance(-3_600_000);
        write("7 r dsl");
        clock.advance(1_000);
        assertEquals(7, refusalsFor(policy, "dsl.example"), "seen a second after the edit, not an hour");
    }

    @Test
    void doesNotReadTheFileWhenNothingChanged() throws IOException {
        write("5 r dsl");
        ReloadingSuspicionPolicy policy = new ReloadingSuspicionPolicy(file, null, clock);
        SuspicionFile first = policy.current();

        // Same size, same modification time, same file: a stat cannot tell, so no reload happens.
        Files.write(file, List.of("6 r dsl"));
        Files.setLastModifiedTime(file, mtime);
        clock.advance(5_000);
        assertEquals(5, refusalsFor(policy, "dsl.example"));
        assertSame(first, policy.current());

        // reload() reads regardless: that is what SIGHUP is for.
        assertTrue(policy.reload());
        assertEquals(6, refusalsFor(policy, "dsl.example"));
    }

    @Test
    void noticesAChangeOfSizeAlone() throws IOException {
        write("5 r dsl");
        ReloadingSuspicionPolicy policy = new ReloadingSuspicionPolicy(file, null, clock);
        Files.write(file, List.of("15 r dsl"));
        Files.setLastModifiedTime(file, mtime);
        clock.advance(1_000);
        assertEquals(15, refusalsFor(policy, "dsl.example"));
    }

    @Test
    void keepsTheLastGoodRulesWhenTheFileDisappears() throws IOException {
        write("5 r dsl");
        ReloadingSuspicionPolicy policy = new ReloadingSuspicionPolicy(file, null, clock);
        Files.delete(file);
        for (int i = 0; i < 3; i++) {
            clock.advance(1_000);
            assertEquals(5, refusalsFor(policy, "dsl.example"));
        }
        assertEquals(List.of(file + ": cannot read the file: it does not exist; keeping the 1 rules loaded before"),
                errors(), "one error for a lasting failure, not one a second");
        assertFalse(policy.reload());

        write("8 r dsl");
        clock.advance(1_000);
        assertEquals(8, refusalsFor(policy, "dsl.example"));
    }

    /**
     * A file moved away and back (mv, the same file as before: same inode, time and size) came back unnoticed, as
     * it should; but the failure was still remembered as the one last logged, so when the file went away again
     * nothing was logged nor counted in the metric, and the rules in force no longer followed the file unsaid.
     */
    @Test
    void aFileGoneAgainAfterItCameBackIsSaidAgain() throws IOException {
        write("5 r dsl");
        AtomicInteger failures = new AtomicInteger();
        ReloadingSuspicionPolicy policy = new ReloadingSuspicionPolicy(file, null, clock, failures::incrementAndGet);
        Path aside = dir.resolve("suspicion.aside");
        for (int i = 0; i < 2; i++) {
            Files.move(file, aside);
            clock.advance(1_000);
            assertEquals(5, refusalsFor(policy, "dsl.example"));
            Files.move(aside, file);
            clock.advance(1_000);
            assertEquals(5, refusalsFor(policy, "dsl.example"));
        }
        String gone = file + ": cannot read the file: it does not exist; keeping the 1 rules loaded before";
        assertEquals(List.of(gone, gone), errors(), "each time the file went away");
        assertEquals(2, failures.get());
    }

    @Test
    void keepsTheLastGoodRulesWhenTheFileCannotBeRead() throws IOException {
        write("5 r dsl");
        ReloadingSuspicionPolicy policy = new ReloadingSuspicionPolicy(file, null, clock);
        Files.delete(file);
        Files.createDirectory(file); // stat works, reading does not
        clock.advance(1_000);
        assertEquals(5, refusalsFor(policy, "dsl.example"));
        assertEquals(List.of(file + ": cannot read the file: it is a directory; keeping the 1 rules loaded before"),
                errors());
    }

    /**
     * An edit that leaves the file unreadable by greylited's user (an editor writing a new file with its own owner and
     * mode) was said as "permission denied" only. Root reads any file, so the follower runs as another user, who owns the
     * file and takes its own read permission away ({@link UnprivilegedJava}).
     */
    @Test
    void aReloadDeniedByPermissionsSaysTheOwnerModeAndUser() throws Exception {
        RootOnly.require("the file is given to another user, which needs root");
        write("5 r dsl");
        Files.setOwner(file, file.getFileSystem().getUserPrincipalLookupService()
                .lookupPrincipalByName(UnprivilegedJava.USER));
        UnprivilegedJava.reachable(file.getParent());
        UnprivilegedJava.Result r = UnprivilegedJava.run(ReloadAfterLosingPermission.class, file.toString());
        assertEquals(0, r.exitStatus(), r.output());
        assertTrue(r.output().contains(file + ": cannot read the file: permission denied: " + file + " is owned by "
                + UnprivilegedJava.USER + ":"), r.output());
        assertTrue(r.output().contains(" with mode ---------, and this program runs as user '" + UnprivilegedJava.USER
                + "'; keeping the 1 rules loaded before"), r.output());
    }

    /** Follows the file named by its argument, makes it unreadable, reloads: exit 0 when the rules stayed. */
    static final class ReloadAfterLosingPermission {
        public static void main(String[] args) throws Exception {
            Path file = Path.of(args[0]);
            ReloadingSuspicionPolicy policy = ReloadingSuspicionPolicy.open(file, null);
            Files.setPosixFilePermissions(file, java.util.Set.of());
            boolean reloaded = policy.reload();
            int n = policy.evaluate(new ClientFacts("192.0.2.1", "dsl.example", "", "", "x@example.net", null, null))
                    .refusals();
            System.exit(!reloaded && n == 5 ? 0 : 1);
        }
    }

    /** A named pipe at the path: opening it waits for a writer, which held the start and the reload timer forever. */
    @Test
    void aNamedPipeIsRefusedAtStartAndAtReloadWithoutWaitingForAWriter() throws Exception {
        Path pipe = dir.resolve("pipe");
        mkfifo(pipe);
        IOException atStart = assertTimeoutPreemptively(java.time.Duration.ofSeconds(5),
                () -> assertThrows(IOException.class, () -> ReloadingSuspicionPolicy.open(pipe, null)));
        assertEquals("it is a named pipe (FIFO), not a file: reading it would wait for a writer", atStart.getMessage());

        write("5 r dsl");
        ReloadingSuspicionPolicy policy = new ReloadingSuspicionPolicy(file, null, clock);
        Files.delete(file);
        mkfifo(file);
        clock.advance(1_000);
        assertEquals(5, (int) assertTimeoutPreemptively(java.time.Duration.ofSeconds(5),
                () -> refusalsFor(policy, "dsl.example")));
        assertEquals(List.of(file + ": cannot read the file: it is a named pipe (FIFO), not a file: reading it would wait"
                + " for a writer; keeping the 1 rules loaded before"), errors());
    }

    private static void mkfifo(Path path) throws Exception {
        Process p = new ProcessBuilder(org.greylite.testing.ExternalPrograms.require("mkfifo").toString(), path.toString())
                .redirectErrorStream(true).start();
        assertEquals(0, p.waitFor(), "mkfifo " + path);
    }

    @Test
    void anEditWithMalformedLinesKeepsTheOldRulesWhole() throws IOException {
        write("5 r dsl", "3 r pool");
        AtomicInteger failures = new AtomicInteger();
        ReloadingSuspicionPolicy policy = new ReloadingSuspicionPolicy(file, null, clock, failures::incrementAndGet);
        write("# edited", "9 r dsl(", "7 r dsl");
        clock.advance(1_000);
        assertEquals(5, refusalsFor(policy, "dsl.example"), "the old rules decide, not the good lines of the new file");
        assertEquals(3, refusalsFor(policy, "pool.example"), "no old rule is dropped");
        assertEquals(file + ":2: invalid regular expression 'dsl(': unmatched ( at offset 3, line discarded",
                errors().get(0));
        assertTrue(warnings().isEmpty(), warnings()::toString);
        assertEquals(1, failures.get());
        assertTrue(policy.current().problems().isEmpty());

        clock.advance(5_000);
        refusalsFor(policy, "dsl.example");
        assertEquals(1, failures.get(), "the same broken file is not read again every second");
        assertFalse(policy.reload(), "SIGHUP tries again, and fails again");
        assertEquals(2, failures.get());

        write("7 r dsl");
        clock.advance(1_000);
        assertEquals(7, refusalsFor(policy, "dsl.example"), "the fixed file loads");
        assertEquals(refusalsFor(SuspicionPolicy.NONE, "pool.example"), refusalsFor(policy, "pool.example"),
                "and replaces the old rules whole: the pool line is gone");
    }

    @Test
    void anEditWithALineOfUnknownKindLoadsWithoutIt() throws IOException {
        // SPEC §5 ignores a line of unknown kind (one a newer version knows, say), and the start does: a reload of
        // the same file must give the same rules. Before, the line was logged as ignored and the whole file refused.
        write("5 r dsl");
        AtomicInteger failures = new AtomicInteger();
        ReloadingSuspicionPolicy policy = new ReloadingSuspicionPolicy(file, null, clock, failures::incrementAndGet);
        write("7 r dsl", "3 z future-kind", "2 r pool");
        assertTrue(policy.reload());
        assertEquals(7, refusalsFor(policy, "dsl.example"));
        assertEquals(2, refusalsFor(policy, "pool.example"), "the line after the ignored one is in force");
        assertEquals(0, failures.get());
        assertEquals(List.of(file + ":2: unknown kind 'z', line ignored"), errors());
        ReloadingSuspicionPolicy fresh = new ReloadingSuspicionPolicy(file, null, clock);
        assertEquals(policy.current().ruleCount(), fresh.current().ruleCount(), "as a start reads it");
    }

    @Test
    void aFileOfGarbageLeavesTheRulesInForce() throws IOException {
        write("5 r dsl");
        AtomicInteger failures = new AtomicInteger();
        ReloadingSuspicionPolicy policy = new ReloadingSuspicionPolicy(file, null, clock, failures::incrementAndGet);
        write("<html>", "not a rule at all", "}}}");
        assertFalse(policy.reload());
        assertEquals(5, refusalsFor(policy, "dsl.example"));
        assertEquals(1, policy.current().ruleCount());
        assertEquals(1, failures.get());
        assertTrue(errors().stream().anyMatch(w -> w.startsWith(file + ":1: ")), errors()::toString);
    }

    @Test
    void atStartBadLinesAreSkippedAsGreyliteDoes() throws IOException {
        write("9 r dsl(", "7 r dsl");
        ReloadingSuspicionPolicy policy = new ReloadingSuspicionPolicy(file, null, clock);
        assertEquals(7, refusalsFor(policy, "dsl.example"), "no rules to keep yet: the good lines load");
        assertEquals(1, policy.current().problems().size());
    }

    @Test
    void saysWhenCountryLinesCannotMatch() throws IOException {
        write("5 g CN");
        new ReloadingSuspicionPolicy(file, null, clock);
        assertEquals(List.of(file + ": g lines never match: no GeoIP database is configured (GEOIPDB_FILE)"),
                errors());
    }

    @Test
    void refusesToStartWithoutTheFile() {
        assertThrows(NoSuchFileException.class, () -> ReloadingSuspicionPolicy.open(file, null));
    }

    @Test
    void anEvaluationNeverLooksAtTheFile() throws Exception {
        write("5 r dsl");
        ReloadingSuspicionPolicy policy = new ReloadingSuspicionPolicy(file, null, clock);
        write("7 r dsl");
        clock.advance(5_000);
        ClientFacts dsl = new ClientFacts("192.0.2.1", "dsl.example", "", "", "x@example.net", null, null);
        assertEquals(5, policy.evaluate(dsl).refusals(), "the decision path reads the rules in memory only");
        Files.delete(file);
        assertEquals(5, policy.evaluate(dsl).refusals());
        write("7 r dsl");
        policy.checkForChanges();
        assertEquals(7, policy.evaluate(dsl).refusals(), "the timer's check brings the edit in");
    }

    @Test
    void evaluatesConsistentlyWhileTheFileChanges() throws Exception {
        write("5 r dsl");
        ReloadingSuspicionPolicy policy = new ReloadingSuspicionPolicy(file, null, clock);
        AtomicBoolean stop = new AtomicBoolean();
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            Thread thread = new Thread(() -> {
                try {
                    while (!stop.get()) {
                        clock.advance(1);
                        int n = refusalsFor(policy, "dsl.example");
                        if (n != 5 && n != 6) {
                            throw new AssertionError("unexpected N " + n);
                        }
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            });
            thread.start();
            threads.add(thread);
        }
        for (int i = 0; i < 40; i++) {
            // Replace the file whole, as tools that edit safely do; a reader never sees half a file.
            Path next = Files.write(dir.resolve("suspicion.new"), List.of(i % 2 == 0 ? "6 r dsl" : "5 r dsl"));
            Files.move(next, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            if (i % 4 == 0) {
                policy.reload();
            }
            Thread.sleep(2);
        }
        stop.set(true);
        for (Thread thread : threads) {
            thread.join();
        }
        assertEquals(List.of(), failures);
    }
}
