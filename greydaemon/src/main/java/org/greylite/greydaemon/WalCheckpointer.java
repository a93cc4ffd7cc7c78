package org.greylite.greydaemon;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies an SQLite greydb's write-ahead log into the database file from a thread of its own, every
 * {@link #EVERY_MILLIS} ms, so that the greydb thread does not. SQLite otherwise checkpoints inside the commit
 * that finds the log past 1,000 pages, and with {@code synchronous=NORMAL} a checkpoint is where the
 * {@code fsync}s happen: the request whose commit does it waits milliseconds (about one request in 300 under
 * a stream of new triplets), and every request queued behind it waits too. A passive checkpoint on another
 * connection takes no lock a decision needs; the log's next writer starts it over from the beginning.
 * Durability is unchanged: each decision is in the log, and the log on disk, as before. (Changing the store's
 * own connection to checkpoint less often was the alternative; it is the engine's, shared by every program.)
 */
final class WalCheckpointer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(WalCheckpointer.class);

    static final long EVERY_MILLIS = 200;

    private final Connection conn;
    private final ScheduledExecutorService timer;
    private volatile boolean warned;

    private WalCheckpointer(Connection conn) {
        this.conn = conn;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "wal-checkpoint");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(this::checkpoint, EVERY_MILLIS, EVERY_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** Starts checkpointing the greydb at {@code file}, or returns null (logged) when it cannot be opened. */
    static WalCheckpointer start(Path file) {
        try {
            return new WalCheckpointer(DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath()));
        } catch (SQLException e) {
            LOG.warn("greydb {}: no background checkpoints ({}); SQLite checkpoints in the commits", file, e.getMessage());
            return null;
        }
    }

    private void checkpoint() {
        try (Statement st = conn.createStatement()) {
            st.execute("PRAGMA wal_checkpoint(PASSIVE)");
            warned = false;
        } catch (SQLException e) {
            if (!warned) { // once per run of failures, not every 200 ms
                LOG.warn("greydb background checkpoint failed: {}", e.getMessage());
                warned = true;
            }
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
        try {
            timer.awaitTermination(5, TimeUnit.SECONDS);
            conn.close();
        } catch (SQLException e) {
            LOG.warn("closing the checkpoint connection: {}", e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
