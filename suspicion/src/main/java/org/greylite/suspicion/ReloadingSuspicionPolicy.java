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
 * <p>A broken edit never changes the rules in force: when the file cannot be read (deleted, renamed away,
 * permissions), or reads but has lines that do not load (malformed, of unknown kind), the last rules that
 * loaded stay in force whole, as {@code nginx -s reload} keeps its configuration. Each line at fault is logged
 * with file and line, the failure is reported to the listener given (a metric), and the same broken version of
 * the file is not read again every second: the next edit or SIGHUP tries again. Loading the good lines and
 * dropping the bad one was rejected: a rule silently gone is a policy change nobody asked for, and a file
 * overwritten with garbage would leave no rules at all. At start-up there are no rules to keep, so a file with
 * bad lines loads without them, with a warning each, as greylite(8) does. To drop all rules, empty the file
 * rather than deleting it.
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
    /** The version of the file last refused for its bad lines, not read again until it changes. Guarded by loadLock. */
    private Stamp refused;
    /** Told of each reload that left the previous rules in force. */
    private final Runnable reloadFailed;

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
        this(file, geo, clock, () -> { });
    }

    /**
     * Loads {@code file} and follows its changes, telling {@code reloadFailed} of each reload that kept the
     * previous rules (a file that cannot be read, or with lines that do not load).
     *
     * @throws IOException as {@link #ReloadingSuspicionPolicy(Path, CountryLocator, Clock)}
     */
    public ReloadingSuspicionPolicy(Path file, CountryLocator geo, Clock clock, Runnable reloadFailed)
            throws IOException {
        this.reloadFailed = Objects.requireNonNull(reloadFailed, "reloadFailed");
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

    /** As {@link #open(Path, CountryLocator)}, telling {@code reloadFailed} of each failed reload. */
    public static ReloadingSuspicionPolicy open(Path file, CountryLocator geo, Runnable reloadFailed)
            throws IOException {
        return new ReloadingSuspicionPolicy(file, geo, Clock.systemUTC(), reloadFailed);
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
     * @return true when the file was read and its rules are now in force; false when it could not be read or
     *         has lines that do not load, and the previous rules stay (the reasons have been logged)
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
            if (!force && (stamp.equals(current.stamp()) || stamp.equals(refused))) {
                return false;
            }
            rules = SuspicionFile.load(file, geo);
        } catch (IOException e) {
            String failure = describe(e);
            // SIGHUP always answers; a check every second only when the failure is new.
            if (force || !failure.equals(lastFailure)) {
                LOG.warn("{}: {}; keeping the {} rules loaded before", file, failure, current.rules().ruleCount());
                lastFailure = failure;
                reloadFailed.run();
            }
            return false;
        }
        lastFailure = null;
        if (!rules.problems().isEmpty()) {
            refused = stamp;
            for (Problem problem : rules.problems()) {
                LOG.warn("{}", problem);
            }
            LOG.error("{}: not reloaded: {} line(s) do not load (above); keeping the {} rules loaded before",
                    file, rules.problems().size(), current.rules().ruleCount());
            reloadFailed.run();
            return false;
        }
        refused = null;
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
