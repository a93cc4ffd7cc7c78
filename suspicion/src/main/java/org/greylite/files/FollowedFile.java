package org.greylite.files;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;

/**
 * A file of rules that a long-running server follows without a restart (the suspicion file, the access file):
 * what it holds is read into memory, and the readers of the rules never look at the file.
 *
 * <p>A timer calls {@link #checkForChanges()}, which at most once per {@link #CHECK_INTERVAL_MILLIS} looks at
 * the file's modification time, size and identity (one {@code stat}); when any changed, the file is read and
 * parsed again and the new contents replace the old in one volatile write, while other threads go on with the
 * old. {@link #reload()} reads it now (SIGHUP). Checking from the readers' own path was the alternative
 * rejected: it put a {@code stat}, and now and then a whole parse, on a decision's path.
 *
 * <p>A broken edit never changes what is in force: when the file cannot be read (deleted, renamed away,
 * permissions), or reads but has lines that do not load, the last contents that loaded stay in force whole, as
 * {@code nginx -s reload} keeps its configuration. Each line at fault is logged with file and line, the failure
 * is told to the listener (a metric), and the same broken version is not read again every second: the next
 * edit or SIGHUP tries again. Loading the good lines and dropping the bad one was rejected: a rule silently
 * gone (a {@code :deny}, a strict suspicion line) is a policy change nobody asked for, and a file overwritten
 * with garbage would leave no rules at all. At start-up there is nothing to keep, so a file with bad lines
 * loads without them, with a warning each, as greylite(8) and tcprules do.
 *
 * @param <T> the parsed contents
 */
public final class FollowedFile<T> {

    /** The least time between two looks at the file. */
    public static final long CHECK_INTERVAL_MILLIS = 1000;

    /** How a kind of file is read and what its log lines say. */
    public interface Format<T> {

        /** Reads and parses the file; lines that do not load are kept as problems, not thrown. */
        T read(Path file) throws IOException;

        /** The problems that keep a new version from replacing the one in force (each says its file and line). */
        List<?> errors(T contents);

        /** Logs what is worth knowing of a version that loads (its harmless problems, say), each on a line. */
        void report(T contents, Logger log);

        /** What the contents hold, for the log: "12 rules", "3 access rules". */
        String describe(T contents);
    }

    private record Loaded<T>(T contents, Stamp stamp) {
    }

    /** What a {@code stat} tells: any change means the file must be read again. */
    private record Stamp(FileTime modified, long size, Object fileKey) {
    }

    private final Path file;
    private final Format<T> format;
    private final Clock clock;
    private final Runnable reloadFailed;
    private final Logger log;
    private final AtomicLong nextCheck;
    private final Object loadLock = new Object();
    private volatile Loaded<T> loaded;
    /** The failure last logged, so that a lasting failure is logged once. Guarded by loadLock. */
    private String lastFailure;
    /** The version of the file last refused for its bad lines, not read again until it changes. Guarded by loadLock. */
    private Stamp refused;

    /**
     * Loads {@code file}.
     *
     * @param clock        decides when the next check is due (tests pass a controllable one)
     * @param reloadFailed told of each reload that kept the previous contents
     * @param log          where the lines about this file go (the owner's logger)
     * @throws IOException when the file cannot be read now: a server does not start without its rules
     */
    public FollowedFile(Path file, Format<T> format, Clock clock, Runnable reloadFailed, Logger log) throws IOException {
        this.file = Objects.requireNonNull(file, "file");
        this.format = Objects.requireNonNull(format, "format");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.reloadFailed = Objects.requireNonNull(reloadFailed, "reloadFailed");
        this.log = Objects.requireNonNull(log, "log");
        Stamp stamp = stamp(file);
        T contents = read();
        log.info("{}: loaded, {}", file, format.describe(contents));
        format.report(contents, log);
        this.loaded = new Loaded<>(contents, stamp);
        this.nextCheck = new AtomicLong(clock.millis() + CHECK_INTERVAL_MILLIS);
    }

    /** The contents in force: never looks at the file. */
    public T current() {
        return loaded.contents();
    }

    public Path file() {
        return file;
    }

    /**
     * Reads the file again if it changed since it was last read, at most once per {@link #CHECK_INTERVAL_MILLIS}:
     * for a timer, off the readers' path. Safe from any thread.
     */
    public void checkForChanges() {
        long now = clock.millis();
        long due = nextCheck.get();
        // A look due more than an interval ahead was planned by a clock since stepped back (NTP correcting a host
        // that started ahead): it is due now, or an edit went unseen until the clock came back to it, hours or years.
        boolean steppedBack = due - now > CHECK_INTERVAL_MILLIS;
        // One thread wins the check; the others go on with the contents in force.
        if (now < due && !steppedBack || !nextCheck.compareAndSet(due, now + CHECK_INTERVAL_MILLIS)) {
            return;
        }
        synchronized (loadLock) {
            load(false);
        }
    }

    /**
     * Reads the file now, changed or not (SIGHUP).
     *
     * @return true when the file was read and its contents are in force; false when it could not be read or has
     *         lines that do not load, and the previous contents stay (the reasons have been logged)
     */
    public boolean reload() {
        synchronized (loadLock) {
            return load(true);
        }
    }

    /** Call with loadLock held. */
    private boolean load(boolean force) {
        Loaded<T> current = loaded;
        Stamp stamp;
        T contents;
        try {
            // stat before reading: an edit landing in between changes the stamp again and is read next time.
            stamp = stamp(file);
            if (!force && (stamp.equals(current.stamp()) || stamp.equals(refused))) {
                // A version already judged is back (a file moved away and back): whatever kept it from being read is
                // over, so the next failure is news and must be logged and counted, even one like the last.
                lastFailure = null;
                return false;
            }
            contents = read();
        } catch (IOException e) {
            String failure = describe(e);
            // SIGHUP always answers; a check every second only when the failure is new.
            // An error, as a file with a bad line is: either way the rules the administrator asked for are not in
            // force, and at LOGTHRESHOLD=3 (errors only) a warning would leave a SIGHUP unanswered.
            if (force || !failure.equals(lastFailure)) {
                log.error("{}: {}; keeping the {} loaded before", file, failure, format.describe(current.contents()));
                lastFailure = failure;
                reloadFailed.run();
            }
            return false;
        }
        lastFailure = null;
        List<?> errors = format.errors(contents);
        if (!errors.isEmpty()) {
            refused = stamp;
            format.report(contents, log);
            log.error("{}: not reloaded: {} line(s) do not load (above); keeping the {} loaded before",
                    file, errors.size(), format.describe(current.contents()));
            reloadFailed.run();
            return false;
        }
        refused = null;
        loaded = new Loaded<>(contents, stamp);
        log.info("{}: reloaded, {}", file, format.describe(contents));
        format.report(contents, log);
        return true;
    }

    /** The file's contents; one the heap cannot hold (/dev/zero, say) cannot be read, as one without permission. */
    private T read() throws IOException {
        try {
            return format.read(file);
        } catch (OutOfMemoryError e) {
            throw TooLargeForMemory.of(file);
        }
    }

    private static Stamp stamp(Path file) throws IOException {
        BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
        if (attributes.isOther()) {
            NamedPipe.refuse(file); // stat first, then the read: a pipe would hold the read until a writer came
        }
        return new Stamp(attributes.lastModifiedTime(), attributes.size(), attributes.fileKey());
    }

    private String describe(IOException e) {
        return "cannot read the file: " + UnreadableFile.reason(file, e);
    }
}
