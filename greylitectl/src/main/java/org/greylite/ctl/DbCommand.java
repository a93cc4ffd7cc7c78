package org.greylite.ctl;

import java.time.Instant;

import org.greylite.greylist.ClientKeys;
import org.greylite.store.GreydbAdmin;
import org.greylite.store.GreylistStores;
import org.greylite.store.GreydbLocation;
import org.greylite.store.GreydbOptions;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code greylitectl db ...}: the greydb's commands, on an SQLite file or a shared PostgreSQL greydb. They
 * work while greylited (or the tcpserver wrapper) is running and writing: SQLite's WAL (or PostgreSQL)
 * lets them read beside it, and each change is one short transaction that waits for the busy timeout at most.
 */
@Command(name = "db", mixinStandardHelpOptions = true,
        description = "Create, inspect and edit the greydb.",
        subcommands = {DbInitCommand.class, DbListCommand.class, DbWhitelistCommand.class, DbBlacklistCommand.class,
            DbDeleteCommand.class, DbPurgeCommand.class, DbStatsCommand.class, DbCheckCommand.class})
final class DbCommand {

    static final String DEFAULT_DB = org.greylite.settings.Settings.DEFAULT_DBFILE;

    @ParentCommand
    GreyliteCtl root;

    @Option(names = "--db", paramLabel = "FILE|URL", scope = picocli.CommandLine.ScopeType.INHERIT,
            description = "The greydb: an SQLite file, or a shared PostgreSQL greydb as postgresql://USER@HOST[:PORT]/DB "
                    + "(password from PGPASSWORD or ~/.pgpass) (default $DBFILE, else " + DEFAULT_DB + ").")
    String db;

    @Option(names = "--min-delay", paramLabel = "DURATION", scope = picocli.CommandLine.ScopeType.INHERIT,
            description = "As greylited's, to tell when a pending triplet's retry counts "
                    + "(default $GREYLITE_MIN_DELAY, else the greydb's, else 5m).")
    String minDelay;

    @Option(names = "--retry-window", paramLabel = "DURATION", scope = picocli.CommandLine.ScopeType.INHERIT,
            description = "As greylited's, for what counts as expired (default $GREYLITE_RETRY_WINDOW, else the one "
                    + "the program writing the greydb recorded in it, else 24h).")
    String retryWindow;

    @Option(names = "--whitelist-lifetime", paramLabel = "DURATION", scope = picocli.CommandLine.ScopeType.INHERIT,
            description = "As greylited's, for what counts as expired (default $GREYLITE_WHITELIST_LIFETIME, else the "
                    + "one the program writing the greydb recorded in it, else 36d).")
    String whitelistLifetime;

    @Option(names = "--busy-timeout", paramLabel = "DURATION", defaultValue = "10s",
            scope = picocli.CommandLine.ScopeType.INHERIT,
            description = "How long a change waits for greylited's lock; for PostgreSQL also for a lock or a "
                    + "statement, and connecting waits as long or 3s, whichever is shorter (a connect_timeout=SECONDS "
                    + "or connectTimeout=SECONDS URL parameter sets it) (default ${DEFAULT-VALUE}).")
    String busyTimeout;

    @Option(names = "--client-key", paramLabel = "ip|net|smart", scope = picocli.CommandLine.ScopeType.INHERIT,
            description = "As greylited's, so that --client ADDRESS finds the rows keyed by that client's network "
                    + "(net, smart) or address (ip) (default $GREYLITE_CLIENT_KEY, else smart).")
    String clientKey;

    /** The greydb, made where there is none yet: for {@code db init} only. */
    GreydbAdmin create() {
        return GreylistStores.admin(location(), new GreydbOptions(busyTimeout(), 1, root.env()));
    }

    /**
     * The greydb, which must be there already: a command that reads or edits one must not make a new one where a
     * path was mistyped (a blacklist entry would go where no program looks) or add tables to another database.
     * An SQLite file is checked before it is opened (opening makes one); a PostgreSQL database is refused by the
     * store when it has no triplet table, where it used to be given the greydb's tables.
     */
    GreydbAdmin open() {
        GreydbLocation location = location();
        if (location instanceof GreydbLocation.Sqlite sqlite) {
            ExistingGreydb.check(sqlite.file());
        }
        return GreylistStores.existingAdmin(location, new GreydbOptions(busyTimeout(), 1, root.env()));
    }

    /**
     * As {@link #open}, for a command that only reads (db list, db stats): an SQLite greydb this user may read but not
     * write (a monitoring account in the greydb's group) is opened read-only, as SQLite allows it, where it was
     * refused for want of the write access only edits need. When SQLite cannot serve it so either, the refusal
     * says both why and what to grant.
     */
    GreydbAdmin openForReading() {
        GreydbLocation location = location();
        if (location instanceof GreydbLocation.Sqlite sqlite) {
            java.util.Optional<String> cannotWrite = ExistingGreydb.checkForReading(sqlite.file());
            if (cannotWrite.isPresent()) {
                return GreylistStores.sqliteReader(sqlite.file(), busyTimeout(), cannotWrite.get());
            }
        }
        return GreylistStores.existingAdmin(location, new GreydbOptions(busyTimeout(), 1, root.env()));
    }

    /** Read as greylited reads its --busy-timeout: a zero was refused later, by the store, naming no flag. */
    private java.time.Duration busyTimeout() {
        try {
            return org.greylite.settings.Settings.BUSY_TIMEOUT.parse(busyTimeout);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--busy-timeout: " + e.getMessage());
        }
    }

    GreydbLocation location() {
        String where = db != null ? db : new org.greylite.settings.EnvironmentSettings(root.env(),
                org.greylite.settings.Program.GREYLITECTL).get(org.greylite.settings.Settings.DB);
        try {
            return GreydbLocation.parse(where, root.env());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException((db != null ? "--db: " : "DBFILE: ") + e.getMessage());
        }
    }

    /**
     * The lifetimes to judge this greydb by: flag, else environment, else what the program writing it recorded,
     * else the default (see {@link Lifetimes}).
     */
    Lifetimes lifetimes(GreydbAdmin admin) {
        return Lifetimes.resolve(minDelay, retryWindow, whitelistLifetime, root.env(), admin);
    }

    /** Turns --client, --sender and --recipient into the keys the engine wrote. */
    TripletSelector selector() {
        String mode = clientKey != null ? clientKey : root.env().get("GREYLITE_CLIENT_KEY");
        if (clientKey != null && clientKey.isBlank()) {
            // A blank variable counts as unset, as for the programs; a blank flag is a mistake, not "smart".
            throw new IllegalArgumentException("--client-key: empty value; give ip, net or smart");
        }
        try {
            return new TripletSelector(mode == null || mode.isBlank() ? ClientKeys.smart() : ClientKeys.parse(mode));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException((clientKey != null ? "--client-key: " : "GREYLITE_CLIENT_KEY: ")
                    + e.getMessage());
        }
    }

    /** Now on the clock of {@code admin}'s times: a PostgreSQL server's, whatever this host's clock says. */
    Instant now(GreydbAdmin admin) {
        return admin.sharedClock(root.clock()).instant();
    }

}
