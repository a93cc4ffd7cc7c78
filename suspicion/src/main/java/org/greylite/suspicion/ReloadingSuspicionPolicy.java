package org.greylite.suspicion;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;

import org.greylite.files.FollowedFile;
import org.greylite.suspicion.geoip.CountryLocator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The suspicion file of a long-running server ({@code greylited}): follows edits without a restart, as a
 * {@link FollowedFile} (a timer looks for changes; a broken edit keeps the rules in force whole, each bad line
 * logged with file and line and the failure told to the listener; see there for why).
 *
 * <p>An evaluation only reads the rules in force: it never looks at the file, so the decision path does no I/O.
 * At start-up there are no rules to keep, so a file with bad lines loads without them, with a warning each, as
 * greylite(8) does. To drop all rules, empty the file rather than deleting it.
 */
public final class ReloadingSuspicionPolicy implements SuspicionPolicy {

    /** The least time between two looks at the file. */
    public static final long CHECK_INTERVAL_MILLIS = FollowedFile.CHECK_INTERVAL_MILLIS;

    private static final Logger LOG = LoggerFactory.getLogger(ReloadingSuspicionPolicy.class);

    /** Why g lines never match when no database was given at all. */
    private static final String NOT_CONFIGURED = "no GeoIP database is configured (GEOIPDB_FILE)";

    private final CountryLocator geo;
    private final FollowedFile<SuspicionFile> followed;

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
        this(file, geo, NOT_CONFIGURED, clock, reloadFailed);
    }

    /**
     * As {@link #ReloadingSuspicionPolicy(Path, CountryLocator, Clock, Runnable)}; {@code whyNoGeo} says why
     * {@code geo} is {@link CountryLocator#NONE} ("the GeoIP database configured, X, cannot be used"), for the
     * error that the file's g lines never match: a database that is configured but unusable is not "none configured".
     */
    public ReloadingSuspicionPolicy(Path file, CountryLocator geo, String whyNoGeo, Clock clock, Runnable reloadFailed)
            throws IOException {
        this.geo = geo == null ? CountryLocator.NONE : geo;
        this.followed = new FollowedFile<>(file, new Format(this.geo, whyNoGeo), clock, reloadFailed, LOG);
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

    /**
     * As {@link #open(Path, CountryLocator, Runnable)}; {@code whyNoGeo} says why {@code geo} is
     * {@link CountryLocator#NONE}, when it is.
     */
    public static ReloadingSuspicionPolicy open(Path file, CountryLocator geo, String whyNoGeo, Runnable reloadFailed)
            throws IOException {
        return new ReloadingSuspicionPolicy(file, geo, whyNoGeo, Clock.systemUTC(), reloadFailed);
    }

    @Override
    public Suspicion evaluate(ClientFacts facts) {
        // Pure and in memory: the rules in force decide; the file is looked at by checkForChanges() only.
        return followed.current().evaluate(facts);
    }

    /** The rules in force now (for explanations and statistics); does not look at the file. */
    public SuspicionFile current() {
        return followed.current();
    }

    /** The file followed. */
    public Path file() {
        return followed.file();
    }

    /**
     * Reads the file now, changed or not, and the GeoIP database its {@code g} lines use (SIGHUP).
     *
     * @return true when the file was read and its rules are now in force; false when it could not be read or
     *         has lines that do not load, and the previous rules stay (the reasons have been logged)
     */
    public boolean reload() {
        geo.reopen();
        return followed.reload();
    }

    /**
     * Reads the file again if it changed since it was last read, at most once per
     * {@link #CHECK_INTERVAL_MILLIS}: for a timer, off the decision path. Safe from any thread.
     */
    public void checkForChanges() {
        followed.checkForChanges();
    }

    @Override
    public String toString() {
        return "reloading " + followed.current();
    }

    /**
     * A suspicion file: every malformed line keeps a new version out; a line of unknown kind is ignored, as at start
     * (SPEC §5), and logged, so that the same file gives the same rules whether read at start or at a reload (before,
     * such a line was logged as ignored and the whole new file refused). Lines left out are errors, not
     * warnings: the administrator's file says something that is not done, and the wrapper's default LOGTHRESHOLD (3,
     * as greylite(8)'s) shows errors only; SPEC §5 wants them reported with file name and line number.
     */
    private record Format(CountryLocator geo, String whyNoGeo) implements FollowedFile.Format<SuspicionFile> {

        @Override
        public SuspicionFile read(Path file) throws IOException {
            return SuspicionFile.load(file, geo);
        }

        @Override
        public List<?> errors(SuspicionFile rules) {
            return rules.errors();
        }

        @Override
        public void report(SuspicionFile rules, Logger log) {
            for (Problem problem : rules.problems()) {
                log.error("{}", problem);
            }
            if (rules.usesCountries() && geo == CountryLocator.NONE) {
                log.error("{}: g lines never match: {}", rules.fileName(), whyNoGeo);
            }
        }

        @Override
        public String describe(SuspicionFile rules) {
            return rules.ruleCount() + " rules";
        }
    }
}
