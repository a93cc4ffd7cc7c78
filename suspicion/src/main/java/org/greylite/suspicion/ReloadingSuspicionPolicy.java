package org.greylite.suspicion;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

import org.greylite.suspicion.geoip.CountryLocator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The suspicion file of a long-running server ({@code greylited}): follows edits without a restart.
 *
 * <p>An evaluation only reads the rules in force: it never looks at the file, so the decision path does no
 * I/O. A timer calls {@link #checkForChanges()}, which at most once per {@link #CHECK_INTERVAL_MILLIS} looks
 * at the file's modification time, size and identity (one {@code stat}); when any changed, the file is read
 * and parsed again and the new rules replace the old in one volatile write, while the other threads keep
 * evaluating the old rules. {@link #reload()} forces a reload (for SIGHUP). (Checking from the evaluation, as
 * this class once did, put a {@code stat} and now and then a whole parse on a decision's path.)
 *
 * <p>A broken edit never leaves the server without rules: when the file cannot be read (deleted, renamed
 * away, permissions) the last rules that loaded stay in force, and a warning says so (once per distinct
 * failure, not every second). A file that reads but has malformed or unknown lines loads like any
 * suspicion file: those lines are discarded with a warning each, the rest takes effect. To drop all rules,
 * empty the file rather than deleting it.
 */
public final class ReloadingSuspicionPolicy implements SuspicionPolicy {

    /** The least time between two looks at the file. */
    public static final long CHECK_INTERVAL_MILLIS = 1000;

    private static final Logger LOG = LoggerFactory.getLogger(ReloadingSuspicionPolicy.class);

    private final Path file;
    private final CountryLocator geo;
    private final Clock clock;
    private final AtomicLong nextCheck;
    private final Object loadLock = new Object();
    private volatile Loaded loaded;
    /** The failure last logged, so that a lasting failure is logged once. Guarded by loadLock. */
    private String lastFailure;

    private record Loaded(SuspicionFile rules, Stamp stamp) {
    }

    /** What a {@code stat} tells: any change means the file must be read again. */
    private record Stamp(FileTime modified, long size, Object fileKey) {
    }

    /**
     * Loads {@code file} and follows its changes.
     *
     * @param geo   the GeoIP database for {@code g} lines, or {@code null} / {@link CountryLocator#NONE}
     * @param clock decides when the next check is due (tests pass a controllable one)
     * @throws IOException when the file cannot be read now: a server should not start without its rules
     */
    public ReloadingSuspicionPolicy(Path file, CountryLocator geo, Clock clock) throws IOException {
        this.file = Objects.requireNonNull(file, "file");
        this.geo = geo == null ? CountryLocator.NONE : geo;
        this.clock = Objects.requireNonNull(clock, "clock");
        Stamp stamp = stamp(file);
        SuspicionFile rules = SuspicionFile.load(file, this.geo);
        LOG.info("{}: loaded, {} rules", file, rules.ruleCount());
        report(rules);
        this.loaded = new Loaded(rules, stamp);
        this.nextCheck = new AtomicLong(clock.millis() + CHECK_INTERVAL_MILLIS);
    }

    /** Loads {@code file} and follows its changes, checking by the system clock. */
    public static ReloadingSuspicionPolicy open(Path file, CountryLocator geo) throws IOException {
        return new ReloadingSuspicionPolicy(file, geo, Clock.systemUTC());
    }

    @Override
    public Suspicion evaluate(ClientFacts facts) {
        // Pure and in memory: the rules in force decide; the file is looked at by checkForChanges() only.
        return loaded.rules().evaluate(facts);
    }

    /** The rules in force now (for explanations and statistics); does not look at the file. */
    public SuspicionFile current() {
        return loaded.rules();
    }

    /** The file followed. */
    public Path file() {
        return file;
    }

    /**
     * Reads the file now, changed or not, and the GeoIP database its {@code g} lines use (SIGHUP).
     *
     * @return true when the file was read and its rules are now in force; false when it could not be read
     *         and the previous rules stay (a warning has been logged)
     */
    public boolean reload() {
        geo.reopen();
        synchronized (loadLock) {
            return load(true);
        }
    }

    /**
     * Reads the file again if it changed since it was last read, at most once per
     * {@link #CHECK_INTERVAL_MILLIS}: for a timer, off the decision path. Safe from any thread.
     */
    public void checkForChanges() {
        long now = clock.millis();
        long due = nextCheck.get();
        // One thread wins the check; the others go on with the rules in force.
        if (now < due || !nextCheck.compareAndSet(due, now + CHECK_INTERVAL_MILLIS)) {
            return;
        }
        synchronized (loadLock) {
            load(false);
        }
    }

    /** Reloads if forced or changed; returns whether new rules are in force. Call with loadLock held. */
    private boolean load(boolean force) {
        Loaded current = loaded;
        Stamp stamp;
        SuspicionFile rules;
        try {
            // stat before reading: an edit landing in between changes the stamp again and is read next time.
            stamp = stamp(file);
            if (!force && stamp.equals(current.stamp())) {
                return false;
            }
            rules = SuspicionFile.load(file, geo);
        } catch (IOException e) {
            String failure = describe(e);
            if (!failure.equals(lastFailure)) {
                LOG.warn("{}: {}; keeping the {} rules loaded before", file, failure, current.rules().ruleCount());
                lastFailure = failure;
            }
            return false;
        }
        lastFailure = null;
        loaded = new Loaded(rules, stamp);
        LOG.info("{}: reloaded, {} rules", file, rules.ruleCount());
        report(rules);
        return true;
    }

    private void report(SuspicionFile rules) {
        for (Problem problem : rules.problems()) {
            LOG.warn("{}", problem);
        }
        if (rules.usesCountries() && geo == CountryLocator.NONE) {
            LOG.warn("{}: g lines never match: no GeoIP database is configured (GEOIPDB_FILE)", file);
        }
    }

    private static Stamp stamp(Path file) throws IOException {
        BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
        return new Stamp(attributes.lastModifiedTime(), attributes.size(), attributes.fileKey());
    }

    private static String describe(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "cannot read the file: it does not exist";
        }
        if (e instanceof AccessDeniedException) {
            return "cannot read the file: permission denied";
        }
        return "cannot read the file: " + e;
    }

    @Override
    public String toString() {
        return "reloading " + loaded.rules();
    }
}
