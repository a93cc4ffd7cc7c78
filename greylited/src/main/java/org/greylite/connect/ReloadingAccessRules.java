package org.greylite.connect;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The access file of a running greylited: follows edits without a restart, the way tcpserver sees a new
 * cdb at its next connection, and reloads on demand ({@link #reload()}, for SIGHUP).
 *
 * <p>Works as the suspicion file's reloader does: a lookup reads the rules in memory only (it runs on an
 * I/O thread, as a client connects); a timer calls {@link #checkForChanges()}, which at most once per
 * {@link #CHECK_INTERVAL_MILLIS} looks at the file's modification time, size and identity, and a change is
 * read and parsed once, then swapped in with one volatile write. A file that cannot be read leaves the last rules that
 * loaded in force, with one warning per distinct failure.
 *
 * <p>A file with malformed lines leaves the last rules in force too, whole: each bad line is logged with file
 * and line, the failure goes to the listener (a metric), and that version of the file is not read again until
 * it changes or SIGHUP asks. Loading the rest was rejected: a dropped {@code :deny} line lets in the clients it
 * kept out. Lines tcprules accepts but greylited does not use (host-name and ident rules, shadowed lines) are
 * not errors: an existing {@code /etc/tcp.smtp} with them reloads, with a warning each. At start-up, with no
 * rules to keep, malformed lines are skipped with a warning, as before.
 */
public final class ReloadingAccessRules implements AccessPolicy {

    /** The least time between two looks at the file. */
    public static final long CHECK_INTERVAL_MILLIS = 1000;

    private static final Logger LOG = LoggerFactory.getLogger(ReloadingAccessRules.class);

    private final Path file;
    private final Clock clock;
    private final AtomicLong nextCheck;
    private final Object loadLock = new Object();
    private volatile Loaded loaded;
    /** The failure last logged. Guarded by loadLock. */
    private String lastFailure;
    /** The version of the file last refused for malformed lines. Guarded by loadLock. */
    private Stamp refused;
    /** Told of each reload that left the previous rules in force. */
    private final Runnable reloadFailed;

    private record Loaded(AccessRules rules, Stamp stamp) {
    }

    private record Stamp(FileTime modified, long size, Object fileKey) {
    }

    /**
     * Loads {@code file} and follows its changes.
     *
     * @throws IOException when the file cannot be read now: greylited does not start without its access rules
     */
    public ReloadingAccessRules(Path file, Clock clock) throws IOException {
        this(file, clock, () -> { });
    }

    /**
     * Loads {@code file} and follows its changes, telling {@code reloadFailed} of each reload that kept the
     * previous rules (a file that cannot be read, or with malformed lines).
     *
     * @throws IOException as {@link #ReloadingAccessRules(Path, Clock)}
     */
    public ReloadingAccessRules(Path file, Clock clock, Runnable reloadFailed) throws IOException {
        this.reloadFailed = Objects.requireNonNull(reloadFailed, "reloadFailed");
        this.file = Objects.requireNonNull(file, "file");
        this.clock = Objects.requireNonNull(clock, "clock");
        Stamp stamp = stamp(file);
        AccessRules rules = AccessRules.load(file);
        LOG.info("{}: loaded, {} access rules", file, rules.ruleCount());
        report(rules);
        this.loaded = new Loaded(rules, stamp);
        this.nextCheck = new AtomicLong(clock.millis() + CHECK_INTERVAL_MILLIS);
    }

    /** From the rules in memory: the file is not looked at. */
    @Override
    public Optional<AccessRule> lookup(InetAddress client) {
        return loaded.rules().lookup(client);
    }

    /**
     * Reads the file again if it changed since it was last read, at most once per
     * {@link #CHECK_INTERVAL_MILLIS}: for a timer, off the connection path. Safe from any thread.
     */
    public void checkForChanges() {
        long now = clock.millis();
        long due = nextCheck.get();
        if (now >= due && nextCheck.compareAndSet(due, now + CHECK_INTERVAL_MILLIS)) {
            synchronized (loadLock) {
                load(false);
            }
        }
    }

    /** The rules in force now. */
    public AccessRules current() {
        return loaded.rules();
    }

    /**
     * Reads the file now, changed or not (SIGHUP).
     *
     * @return true when the file was read and its rules are in force; false when it could not be read or has
     *         malformed lines, and the previous rules stay (the reasons have been logged)
     */
    public boolean reload() {
        synchronized (loadLock) {
            return load(true);
        }
    }

    /** Call with loadLock held. */
    private boolean load(boolean force) {
        Loaded current = loaded;
        Stamp stamp;
        AccessRules rules;
        try {
            stamp = stamp(file);
            if (!force && (stamp.equals(current.stamp()) || stamp.equals(refused))) {
                return false;
            }
            rules = AccessRules.load(file);
        } catch (IOException e) {
            String failure = e instanceof NoSuchFileException ? "it does not exist"
                    : e instanceof AccessDeniedException ? "permission denied" : e.toString();
            // SIGHUP always answers; a check every second only when the failure is new.
            if (force || !failure.equals(lastFailure)) {
                LOG.warn("{}: cannot read the file: {}; keeping the {} access rules loaded before", file, failure,
                        current.rules().ruleCount());
                lastFailure = failure;
                reloadFailed.run();
            }
            return false;
        }
        lastFailure = null;
        List<AccessRules.Problem> errors = rules.errors();
        if (!errors.isEmpty()) {
            refused = stamp;
            report(rules);
            LOG.error("{}: not reloaded: {} malformed line(s) (above); keeping the {} access rules loaded before",
                    file, errors.size(), current.rules().ruleCount());
            reloadFailed.run();
            return false;
        }
        refused = null;
        loaded = new Loaded(rules, stamp);
        LOG.info("{}: reloaded, {} access rules", file, rules.ruleCount());
        report(rules);
        return true;
    }

    private static void report(AccessRules rules) {
        for (AccessRules.Problem problem : rules.problems()) {
            LOG.warn("{}", problem);
        }
    }

    private static Stamp stamp(Path file) throws IOException {
        BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
        return new Stamp(attributes.lastModifiedTime(), attributes.size(), attributes.fileKey());
    }

    @Override
    public String toString() {
        return "reloading " + loaded.rules();
    }
}
