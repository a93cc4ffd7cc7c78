package org.greylite.greydaemon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.greylite.config.TimerTasks;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteOpenMode;

/**
 * Copies an SQLite greydb's write-ahead log into the database file from a thread of its own, every
 * {@link #EVERY_MILLIS} ms, so that the greydb thread does not. SQLite otherwise checkpoints inside the commit
 * that finds the log past 1,000 pages, and with {@code synchronous=NORMAL} a checkpoint is where the
 * {@code fsync}s happen: the request whose commit does it waits milliseconds (about one request in 300 under
 * a stream of new triplets), and every request queued behind it waits too. A passive checkpoint on another
 * connection takes no lock a decision needs; the log's next writer starts it over from the beginning.
 * Durability is unchanged: each decision is in the log, and the log on disk, as before. (Changing the store's
 * own connection to checkpoint less often was the alternative; it is the engine's, shared by every program.)
 *
 * <h2>Why it follows the file at its path</h2>
 * When the greydb file is deleted or replaced while the daemon runs, the store moves to the file now at the path
 * ({@link org.greylite.config.GreydbFileCheck}). A checkpoint connection left on the old file is one more
 * connection of this process to an unlinked database whose journal files bear the new greydb's names: in a test
 * run under load, a decision the new greydb had committed and answered was then missing from it. So before each
 * checkpoint the connection is checked against the file at the path, closed when that is another file or none
 * (SQLite neither checkpoints nor removes the journal of a database that has moved when it closes), and opened
 * again on the file at the path, never creating one: the store creates the new greydb. {@link #dropIfStale} does
 * the same at once, for the file check to call before the store moves.
 */
final class WalCheckpointer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(WalCheckpointer.class);

    static final long EVERY_MILLIS = 200;

    private final Path file;
    private final ScheduledExecutorService timer;
    private Connection conn; // null between a file that went and the next one at the path
    private Object connFile; // the identity of the file conn is on
    private Object walFile; // the identities of its -wal and -shm when conn was opened (null: not there then)
    private Object shmFile;
    /**
     * A file whose log was removed under the connection (see {@link #logRemoved}): never checkpointed again in this
     * process. Null when there is none.
     */
    private Object abandonedFile;
    private boolean warned;

    private WalCheckpointer(Path file, Connection conn, Object connFile) throws IOException {
        this.file = file;
        this.conn = conn;
        this.connFile = connFile;
        this.walFile = identityAt(logFile("-wal"));
        this.shmFile = identityAt(logFile("-shm"));
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "wal-checkpoint");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(TimerTasks.outliving("the background checkpoint", LOG, this::checkpoint),
                EVERY_MILLIS, EVERY_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** Starts checkpointing the greydb at {@code file}, or returns null (logged) when it cannot be opened. */
    static WalCheckpointer start(Path file) {
        Path abs = file.toAbsolutePath();
        try {
            Object identity = identityAt(abs);
            if (identity != null) {
                return new WalCheckpointer(abs, openExisting(abs), identity);
            }
            LOG.warn("greydb {}: no background checkpoints (no file at that path); SQLite checkpoints in the commits", file);
        } catch (SQLException | IOException e) {
            LOG.warn("greydb {}: no background checkpoints ({}); SQLite checkpoints in the commits", file, e.getMessage());
        }
        return null;
    }

    synchronized void checkpoint() {
        try {
            if (!onFileAtPath()) {
                return;
            }
            if (logRemoved()) {
                // The same file, another's content (a copy written over it, its log removed): a checkpoint would copy
                // the old log's pages into it. The store leaves its connection open for the same reason.
                LOG.warn("greydb {}: its write-ahead log was removed while in use; no more background checkpoints of"
                        + " this file until a restart", file);
                abandonedFile = connFile;
                closeConnection(); // the store's connection is still open: closing this one checkpoints nothing
                return;
            }
            try (Statement st = conn.createStatement()) {
                st.execute("PRAGMA wal_checkpoint(PASSIVE)");
            }
            warned = false;
        } catch (SQLException | IOException e) {
            if (!warned) { // once per run of failures, not every 200 ms
                LOG.warn("greydb background checkpoint failed: {}", e.getMessage());
                warned = true;
            }
        }
    }

    /** Closes the connection at once if the file at the path is no longer the one it is on. */
    synchronized void dropIfStale() {
        try {
            if (conn != null && !identityEquals(identityAt(file))) {
                closeConnection();
            }
        } catch (IOException e) {
            closeConnection(); // cannot tell: the next checkpoint opens again what is there
        }
    }

    /** The identity of the file the connection is on, or null when it has none (for tests). */
    synchronized Object fileInUse() {
        return conn == null ? null : connFile;
    }

    /** Whether the -wal or -shm at the path is not the one the connection opened. */
    private boolean logRemoved() throws IOException {
        return (walFile != null && !walFile.equals(identityAt(logFile("-wal"))))
                || (shmFile != null && !shmFile.equals(identityAt(logFile("-shm"))));
    }

    /** The greydb's {@code -wal} or {@code -shm}, beside the file the path leads to, where SQLite keeps them. */
    private Path logFile(String suffix) {
        Path real;
        try {
            real = file.toRealPath();
        } catch (IOException e) {
            real = file; // gone: the next look at the file says so
        }
        return Path.of(real + suffix);
    }

    /** Whether the connection is on the file now at the path, opening it there if need be. */
    private boolean onFileAtPath() throws SQLException, IOException {
        Object now = identityAt(file);
        if (conn != null && identityEquals(now)) {
            return true;
        }
        closeConnection();
        if (now == null || now.equals(abandonedFile)) {
            return false; // deleted, and the store has not made the new one yet; or abandoned until a restart
        }
        Connection c = openExisting(file);
        if (!now.equals(identityAt(file))) { // replaced again while opening
            c.close();
            return false;
        }
        conn = c;
        connFile = now;
        walFile = identityAt(logFile("-wal"));
        shmFile = identityAt(logFile("-shm"));
        return true;
    }

    private boolean identityEquals(Object now) {
        return now != null && now.equals(connFile);
    }

    private void closeConnection() {
        if (conn == null) {
            return;
        }
        try {
            conn.close();
        } catch (SQLException e) {
            LOG.warn("closing the checkpoint connection: {}", e.getMessage());
        }
        conn = null;
        connFile = null;
    }

    /** A connection to the greydb at {@code path} that never creates it: a missing file is an error. */
    private static Connection openExisting(Path path) throws SQLException {
        SQLiteConfig config = new SQLiteConfig();
        config.resetOpenMode(SQLiteOpenMode.CREATE);
        return org.greylite.store.SqliteFileUrl.uris(config).createConnection(org.greylite.store.SqliteFileUrl.of(path));
    }

    /** The identity of the file at {@code path} (device and inode), or null when there is none. */
    private static Object identityAt(Path path) throws IOException {
        try {
            return Files.readAttributes(path, BasicFileAttributes.class).fileKey();
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
        try {
            timer.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (this) {
            closeConnection();
        }
    }
}
