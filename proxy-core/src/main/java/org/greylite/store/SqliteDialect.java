package org.greylite.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The greydb in an SQLite file (schema: {@code greydb.sql}), created on first use.
 *
 * <p>WAL journal so readers never wait for the writer; {@code synchronous=NORMAL}, which in WAL mode
 * keeps every committed transaction across a crash or {@code kill -9} of the process (only a power
 * loss may take the last ones back); a busy timeout so that the many processes of a tcpserver site can
 * share the file; {@code BEGIN IMMEDIATE} so a decision takes the write lock before it reads, and two
 * processes never decide on the same row at once (so no lock per triplet is needed).
 *
 * <h2>Why the busy timeout is what is left of a deadline</h2>
 * One connection serves one transaction at a time, so while another process holds the lock the decisions
 * queue behind the first one. With a fixed busy timeout each would wait its whole timeout in turn: ten
 * RCPTs queued behind a lock held for half a minute were answered after 5, 10, 15... seconds. Instead a
 * transaction carries a deadline set when its decision was asked; SQLite waits only for what is left of it,
 * and one started past it tries the lock once without waiting. Every RCPT is then answered within about the busy
 * timeout.
 *
 * <h2>Why a deleted file is reopened at its path</h2>
 * An open SQLite connection keeps working on a file deleted under it, unseen by every other process: greylitectl
 * would create a second greydb at the path, and the two would disagree until a restart lost the deleted one's
 * rows. {@link #reopenIfReplaced} notices (the file at the path is gone, or is another file) and moves this
 * connection to what is at the path now, creating it if need be. The deleted file's rows are lost either way;
 * failing closed until a restart was rejected, since it would refuse mail for as long as nobody restarts and
 * end on the same empty greydb. The old connection is closed before the new one opens: closing it later would
 * remove the journal files at the path, which by then are the new greydb's.
 *
 * <h2>Why statements are kept prepared</h2>
 * Preparing a statement (parsing and planning it, and the driver's bookkeeping) cost more than running it: a
 * decision's few statements and its {@code BEGIN IMMEDIATE}/{@code COMMIT} were prepared anew each time. The one
 * connection lives as long as the dialect, so the statements of the decision path ({@link #prepare}) and the
 * transaction's own are prepared once per connection and kept until it closes.
 *
 * <h2>Why a batch is one transaction</h2>
 * A service that has several decisions waiting (greydaemon's datagrams) runs them in one {@link #batch}: one
 * write lock, one commit, one write of the log for all, where each alone paid for its own. Their transactions
 * join the batch's, in the order they run, so each sees the writes of those before it exactly as if each had
 * committed; the batch commits before any of them is answered, and a failure leaves none of them written.
 *
 * <p>One connection, used by one thread at a time (the methods are synchronized).
 */
final class SqliteDialect implements GreydbDialect {

    private static final Logger LOG = LoggerFactory.getLogger(SqliteDialect.class);
    /** A busy timeout this close to the one set already is left as it is (a statement spared). */
    private static final long SLACK_MILLIS = 50;

    private final Path file;
    private final Duration busyTimeout;
    /** How greylite 2.3's rows are keyed when its database is (re)opened here; null: they are left. */
    private final GreyliteImportRules importRules;
    private final long timeoutNanos;
    /** The open greydb; null after its file was deleted and a new one could not be opened at the path yet. */
    private Connection conn;
    private Statement control;
    /** The identity (device and inode) of the file {@link #conn} has open. */
    private Object fileKey;
    /** The identities of the write-ahead log and its index ({@code -wal}, {@code -shm}) {@link #conn} has open. */
    private Object walKey;
    private Object shmKey;
    /**
     * A connection whose log was removed under it (see {@link #reopenIfReplaced}): never closed, since closing would
     * write its log into the file, and never used again. Null when there is none.
     */
    private Connection abandoned;
    /** The identity of the file {@link #abandoned} has open: no new connection may open it in this process. */
    private Object abandonedFileKey;
    private long busyTimeoutMillis;
    /** The connection's statements kept prepared (see the class comment), by their text. */
    private Map<String, Kept> kept = new HashMap<>();
    /** True while a {@link #batch} runs: the transactions run inside it join its one transaction. */
    private boolean inBatch;
    /** Whether the batch's transaction has begun (at its first use), its description and its deadline. */
    private boolean batchBegun;
    private String batchWhat;
    private long batchDeadlineNanos;

    private SqliteDialect(Path file, Connection conn, Duration busyTimeout, GreyliteImportRules importRules)
            throws SQLException {
        this.file = file;
        this.busyTimeout = busyTimeout;
        this.importRules = importRules;
        this.timeoutNanos = busyTimeout.toNanos();
        use(conn);
    }

    private void use(Connection c) throws SQLException {
        this.conn = c;
        this.control = c.createStatement();
        this.kept = new HashMap<>();
        this.busyTimeoutMillis = busyTimeout.toMillis();
        this.fileKey = fileKeyAtPath();
        this.walKey = keyOf(logFile("-wal"));
        this.shmKey = keyOf(logFile("-shm"));
    }

    /** The identity of the file now at the path, or null when there is none. */
    private Object fileKeyAtPath() {
        return keyOf(file);
    }

    /** The identity of {@code path}'s file (its device and inode), or null when there is none. */
    private Object keyOf(Path path) {
        try {
            return Files.readAttributes(path, BasicFileAttributes.class).fileKey();
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new StoreException(describe() + ": cannot look at " + path + ": " + e, e);
        }
    }

    /** The greydb's {@code -wal} or {@code -shm}: beside the file the path leads to, where SQLite keeps them. */
    private Path logFile(String suffix) {
        return Path.of(GreydbFile.realFile(file) + suffix);
    }

    /**
     * Whether the log files at the path are the ones the connection has open (or were not there when it opened).
     * They are not when they were removed under it, as restoring a copy over the greydb while the program runs
     * does ({@code cp backup greylite.db; rm greylite.db-wal greylite.db-shm}): the file is the same, its content
     * another's.
     */
    private boolean logFilesKept() {
        return (walKey == null || walKey.equals(keyOf(logFile("-wal"))))
                && (shmKey == null || shmKey.equals(keyOf(logFile("-shm"))));
    }

    @Override
    public synchronized String reopenIfReplaced() {
        Object now = fileKeyAtPath();
        if (conn != null && now != null && now.equals(fileKey)) {
            if (logFilesKept()) {
                return null;
            }
            abandon();
        }
        if (abandoned != null && now != null && now.equals(abandonedFileKey)) {
            // SQLite shares a file's log index among the connections of a process: a new connection to this file
            // would read the content written over it through the abandoned connection's index.
            throw new StoreException(describe() + ": the greydb file's write-ahead log (" + logFile("-wal") + ", "
                    + logFile("-shm") + ") was removed while in use, so the file was written by another hand (a copy"
                    + " restored over it while this program ran?). Its last changes are not written into the file,"
                    + " which keeps what was put there; restart this program to use it. Stop the programs before"
                    + " restoring a copy of the greydb");
        }
        boolean wasOpen = conn != null;
        String what = !wasOpen ? "the greydb file " + file + ", which could not be opened, is open again"
                : now == null ? "the greydb file " + file + " was deleted while in use: the rows it held are lost;"
                        + " a new, empty greydb is created at that path"
                : "the greydb file " + file + " was replaced while in use: the rows of the old file are lost;"
                        + " the file now at that path is used";
        try {
            if (wasOpen && now != null) {
                // Before the close, while the connection holds them: closed, their inodes could go to new files
                // another program makes at those names, which would then be taken for the old ones.
                removeOldLog();
            }
        } catch (SQLException e) {
            LOG.warn("{}: {}", describe(), e.getMessage());
        }
        close();
        conn = null;
        try {
            if (fileKeyAtPath() == null) {
                removeLeftovers();
            }
            use(SqliteGreydb.open(file, busyTimeout, importRules));
        } catch (SQLException | StoreException e) {
            conn = null;
            // The cause is kept as it is in both messages: GreydbFileCheck says a failure that goes on only once.
            throw new StoreException((wasOpen ? what + ", but it cannot be opened: "
                    : "the greydb file " + file + " still cannot be opened: ") + e.getMessage(), e);
        }
        return what;
    }

    /**
     * Opens the greydb at {@code file} for reading only, for a user who may not write it (see
     * {@link SqliteReadOnlyGreydb}); {@code cannotWrite} says why, in any refusal.
     */
    static SqliteDialect openReadOnly(Path file, Duration busyTimeout, String cannotWrite) {
        return over(file, SqliteReadOnlyGreydb.open(file, busyTimeout, cannotWrite), busyTimeout, null);
    }

    /**
     * Opens (and if new, creates) the greydb at {@code file}.
     *
     * @throws StoreException naming the path and the permission at fault
     */
    static SqliteDialect open(Path file, Duration busyTimeout) {
        return open(file, busyTimeout, null);
    }

    /** As {@link #open(Path, Duration)}, importing greylite 2.3's tables found in the file by {@code importRules}. */
    static SqliteDialect open(Path file, Duration busyTimeout, GreyliteImportRules importRules) {
        return over(file, SqliteGreydb.open(file, busyTimeout, importRules), busyTimeout, importRules);
    }

    /** The dialect over {@code conn}, opened on {@code file}; the connection is closed if it cannot be made. */
    private static SqliteDialect over(Path file, Connection conn, Duration busyTimeout,
            GreyliteImportRules importRules) {
        try {
            return new SqliteDialect(file.toAbsolutePath(), conn, busyTimeout, importRules);
        } catch (SQLException e) {
            try {
                conn.close();
            } catch (SQLException ignored) {
                // already failing
            }
            throw new StoreException("greydb " + file.toAbsolutePath() + " cannot be prepared: " + e.getMessage(), e);
        }
    }

    /**
     * Removes the journal files a deleted greydb left at the path. SQLite does not checkpoint or remove the WAL
     * of a file that was deleted while open, and a new greydb created at the path would replay that WAL as its
     * own: the deleted file's last pages written into the new one. They are beside the file the path leads to,
     * through its links: that is where SQLite kept them, and where the new greydb is made.
     */
    /**
     * Drops the connection without closing it: its log was removed under it, and closing the last connection to a
     * file writes its log into the file, here into the content someone put in its place. Kept referenced for the
     * life of the process, so that nothing closes it behind the program's back.
     */
    private void abandon() {
        abandoned = conn;
        abandonedFileKey = fileKey;
        conn = null;
        kept = new HashMap<>();
    }

    /**
     * Removes the replaced file's log, left at the path: SQLite did not checkpoint or remove the log of a file that
     * was replaced while open, and the file now at the path would be read through it, its pages overwritten by the
     * old file's. Only the log files the old connection had open: one made since is another program's.
     */
    private void removeOldLog() throws SQLException {
        for (String suffix : new String[] {"-wal", "-shm"}) {
            Path log = logFile(suffix);
            Object recorded = suffix.equals("-wal") ? walKey : shmKey;
            if (recorded == null || !recorded.equals(keyOf(log))) {
                continue;
            }
            try {
                Files.deleteIfExists(log);
                LOG.warn("{}: removed {}, the replaced greydb file's", describe(), log);
            } catch (IOException e) {
                throw new SQLException("cannot remove " + log + ", the replaced greydb file's: " + e, e);
            }
        }
    }

    private void removeLeftovers() throws SQLException {
        Path real = GreydbFile.realFile(file);
        for (String suffix : new String[] {"-wal", "-shm"}) {
            Path leftover = Path.of(real + suffix);
            try {
                if (Files.deleteIfExists(leftover)) {
                    LOG.warn("{}: removed {}, left by the deleted greydb file", describe(), leftover);
                }
            } catch (IOException e) {
                throw new SQLException("cannot remove " + leftover + ", left by the deleted greydb file: " + e, e);
            }
        }
    }

    @Override
    public synchronized <T> T transaction(Supplier<String> what, long deadlineNanos, boolean writes, SqlWork<T> work) {
        if (inBatch) { // the batch's transaction, begun at its first use and committed by the batch
            if (!batchBegun) {
                begin(() -> batchWhat, batchDeadlineNanos, true);
                batchBegun = true;
            }
            try {
                return work.run(conn);
            } catch (SQLException e) {
                throw failure(what.get(), e);
            }
        }
        begin(what, deadlineNanos, writes);
        try {
            T result = work.run(conn);
            run("COMMIT");
            return result;
        } catch (SQLException e) {
            rollback();
            throw failure(what.get(), e);
        } catch (RuntimeException | Error e) {
            // An Error too (a class that cannot be loaded, a stack too deep): a transaction left open would keep
            // the greydb's write lock from every other program, and fail each BEGIN after it.
            rollback();
            throw e;
        }
    }

    /**
     * Runs {@code work} with its transactions joined in one. The transaction begins at the first of them, not
     * before: a batch that memory alone decides (greydaemon's {@code -w} ranges) takes no lock and writes nothing.
     */
    @Override
    public boolean joinsBatches() {
        return true;
    }

    @Override
    public synchronized <T> T batch(String what, long deadlineNanos, Supplier<T> work) {
        if (inBatch) {
            return work.get();
        }
        inBatch = true;
        batchBegun = false;
        batchWhat = what;
        batchDeadlineNanos = deadlineNanos;
        try {
            T result = work.get();
            if (batchBegun) {
                run("COMMIT");
            }
            return result;
        } catch (SQLException e) {
            rollback();
            throw failure(what, e);
        } catch (RuntimeException | Error e) {
            if (batchBegun) {
                rollback();
            }
            throw e;
        } finally {
            inBatch = false;
        }
    }

    /** Begins a transaction, waiting for the lock until the deadline at the latest. */
    private void begin(Supplier<String> what, long deadlineNanos, boolean writes) {
        if (conn == null) {
            throw new StoreException(describe() + ": " + what.get() + ": the greydb file was deleted or replaced, and the"
                    + " file at its path cannot be opened yet (the ERROR line of the file check says why)");
        }
        // Past the deadline the lock is still tried, without waiting: a free greydb costs nothing to take, and the
        // moment a decision was asked is at times only bounded from below (greydaemon's datagrams that came during
        // a batch count from before it), so failing unasked would refuse decisions the greydb could take at once.
        long left = Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()));
        try {
            waitAtMost(left);
            run(writes ? "BEGIN IMMEDIATE" : "BEGIN");
        } catch (SQLException e) {
            if (left == 0 && e.getMessage() != null && e.getMessage().contains("SQLITE_BUSY")) {
                throw new StoreException(describe() + ": " + what.get() + ": no time left within the busy timeout of "
                        + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms (queued behind a greydb lock), and another"
                        + " process holds it: " + e.getMessage(), e);
            }
            if (e.getMessage() != null && e.getMessage().contains("SQLITE_BUSY")) {
                // SQLite's own words ("The database file is locked") say neither that it waited nor for whom: an
                // administrator read them as a broken file. The lock is another process's (a greylitectl command, an
                // sqlite3 shell or a backup with a transaction open), held longer than this could wait.
                throw new StoreException(describe() + ": " + what.get() + ": the greydb stayed locked by another"
                        + " process for the " + left + " ms this could wait (the busy timeout): " + e.getMessage(), e);
            }
            throw failure("cannot start a transaction", e);
        }
    }

    /** Runs one of the transaction's own statements, kept prepared. */
    private void run(String sql) throws SQLException {
        kept(sql).statement().execute();
    }

    @Override
    public Prepared prepare(Connection c, String sql) throws SQLException {
        return c == conn ? kept(sql) : GreydbDialect.super.prepare(c, sql);
    }

    private Kept kept(String sql) throws SQLException {
        Kept k = kept.get(sql);
        if (k == null) {
            k = new Kept(conn.prepareStatement(sql));
            kept.put(sql, k);
        }
        return k;
    }

    /** A statement kept prepared: given back, it stays so (its parameters are all set again at each use). */
    private record Kept(PreparedStatement statement) implements Prepared {
        @Override
        public void close() {
            // kept for the next use; closed with the connection
        }
    }

    private void waitAtMost(long millis) throws SQLException {
        // No wait is none, whatever the slack: a decision past its deadline tries the lock without waiting at all,
        // and one after it that may wait does wait.
        boolean exact = millis == 0 || busyTimeoutMillis == 0;
        if (exact ? millis != busyTimeoutMillis : Math.abs(millis - busyTimeoutMillis) > SLACK_MILLIS) {
            control.execute("PRAGMA busy_timeout = " + millis);
            busyTimeoutMillis = millis;
        }
    }

    private void rollback() {
        try {
            run("ROLLBACK");
        } catch (SQLException e) {
            // No transaction was open (BEGIN failed): nothing to undo. Or the kept statements are what failed: after
            // SQLITE_FULL (a full disk) the kept ROLLBACK and BEGIN answered "statement is not executing" from then on,
            // the transaction stayed open holding the greydb's write lock from every other program, and every
            // decision failed until a restart, long after the disk had room again. They are dropped, prepared afresh
            // at their next use, and the transaction is rolled back by a statement that is not kept.
            dropKept();
            try {
                control.execute("ROLLBACK");
            } catch (SQLException none) {
                // no transaction was open
            }
        }
    }

    /** Closes the kept statements, so that each is prepared again at its next use. */
    private void dropKept() {
        for (Kept k : kept.values()) {
            try {
                k.statement().close();
            } catch (SQLException ignored) {
                // being let go of
            }
        }
        kept = new HashMap<>();
    }

    /**
     * SQLite's {@code PRAGMA integrity_check}: every page of every table and index read and checked, in the read
     * transaction of its own statement (decisions go on meanwhile, in WAL mode). Its one row "ok" means whole. A damaged
     * page it cannot go past (a b-tree's header) ends it with SQLite's error after the rows it found, which is a finding
     * too; and since the error also ends the transaction, the statement runs in none of ours, whose COMMIT would fail.
     */
    @Override
    public synchronized GreydbAdmin.PageCheck checkPages(int limit) {
        List<String> found = new ArrayList<>();
        try (Statement st = conn.createStatement();
             ResultSet rs = st.executeQuery("PRAGMA integrity_check(" + Math.max(1, limit) + ")")) {
            while (rs.next()) {
                found.add(rs.getString(1));
            }
        } catch (SQLException e) {
            if (!DamagedGreydb.isDamage(e)) {
                throw failure("cannot check the greydb's pages", e);
            }
            found.add(e.getMessage());
        }
        boolean whole = found.size() == 1 && "ok".equals(found.get(0));
        return new GreydbAdmin.PageCheck(whole ? List.of() : List.copyOf(found), DamagedGreydb.damaged(file));
    }

    private StoreException failure(String what, SQLException e) {
        return new StoreException(describe() + ": " + what + ": " + e.getMessage()
                + ((e.getErrorCode() & 0xff) == SQLITE_FULL ? FullFileSystem.of(file).map(full -> "; " + full).orElse("") : "")
                + DamagedGreydb.advice(file, e).map(damaged -> "; " + damaged).orElse(""), e);
    }

    /** SQLite's primary result code for a write that found no room ("database or disk is full"). */
    private static final int SQLITE_FULL = 13;

    @Override
    public void lockTriplet(Connection c, TripletKey key) {
        // BEGIN IMMEDIATE holds the file's write lock already: nothing finer to take.
    }

    @Override
    public boolean locksTriplets() {
        return false;
    }

    @Override
    public String greatest() {
        return "MAX";
    }

    @Override
    public long timeoutNanos() {
        return timeoutNanos;
    }

    @Override
    public int parallelism() {
        return 1;
    }

    @Override
    public String describe() {
        return "sqlite:" + file;
    }

    @Override
    public synchronized void close() {
        if (conn == null) {
            return;
        }
        try {
            conn.close();
        } catch (SQLException e) {
            LOG.warn("{}: close failed: {}", describe(), e.getMessage());
        }
    }
}
