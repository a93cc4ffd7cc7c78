package org.greylite.connect;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Optional;

import org.greylite.files.FollowedFile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The access file of a running greylited: follows edits without a restart, the way tcpserver sees a new
 * cdb at its next connection, and reloads on demand ({@link #reload()}, for SIGHUP). A {@link FollowedFile},
 * as the suspicion file is: a lookup reads the rules in memory only (it runs on an I/O thread, as a client
 * connects), a timer looks for changes, and a broken edit keeps the rules in force whole.
 *
 * <p>Malformed lines keep a new version out: a dropped {@code :deny} line would let in the clients it kept
 * out. Lines tcprules accepts but greylited does not use (host-name and ident rules, shadowed lines) are not
 * errors: an existing {@code /etc/tcp.smtp} with them reloads, with a warning each. At start-up, with no rules
 * to keep, malformed lines are skipped with a warning.
 */
public final class ReloadingAccessRules implements AccessPolicy {

    /** The least time between two looks at the file. */
    public static final long CHECK_INTERVAL_MILLIS = FollowedFile.CHECK_INTERVAL_MILLIS;

    private static final Logger LOG = LoggerFactory.getLogger(ReloadingAccessRules.class);

    private final FollowedFile<AccessRules> followed;

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
        this.followed = new FollowedFile<>(file, FORMAT, clock, reloadFailed, LOG);
    }

    /** From the rules in memory: the file is not looked at. */
    @Override
    public Optional<AccessRule> lookup(InetAddress client) {
        return followed.current().lookup(client);
    }

    /**
     * Reads the file again if it changed since it was last read, at most once per
     * {@link #CHECK_INTERVAL_MILLIS}: for a timer, off the connection path. Safe from any thread.
     */
    public void checkForChanges() {
        followed.checkForChanges();
    }

    /** The rules in force now. */
    public AccessRules current() {
        return followed.current();
    }

    /**
     * Reads the file now, changed or not (SIGHUP).
     *
     * @return true when the file was read and its rules are in force; false when it could not be read or has
     *         malformed lines, and the previous rules stay (the reasons have been logged)
     */
    public boolean reload() {
        return followed.reload();
    }

    @Override
    public String toString() {
        return "reloading " + followed.current();
    }

    /** tcprules' text format: only malformed lines keep a new version out. */
    private static final FollowedFile.Format<AccessRules> FORMAT = new FollowedFile.Format<>() {

        @Override
        public AccessRules read(Path file) throws IOException {
            return AccessRules.load(file);
        }

        @Override
        public List<?> errors(AccessRules rules) {
            return rules.errors();
        }

        @Override
        public void report(AccessRules rules, Logger log) {
            for (AccessRules.Problem problem : rules.problems()) {
                log.warn("{}", problem);
            }
        }

        @Override
        public String describe(AccessRules rules) {
            return rules.ruleCount() + " access rules";
        }
    };
}
