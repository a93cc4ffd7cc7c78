package org.greylite.store;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code -wal} file of an SQLite greydb after a long reader: while a read transaction is open (greylitectl db
 * list or db stats on a large greydb, a backup), SQLite cannot start the log over, so it grows with every decision;
 * once the reader is gone it is started over, and cut back to {@link SqliteGreydb#WAL_SIZE_LIMIT} instead of
 * staying at the largest size it reached for as long as the programs have the greydb open.
 */
@Timeout(120)
class SqliteWalSizeTest {

    private static final Instant NOW = Instant.parse("2026-03-01T10:00:00Z");

    @TempDir
    Path dir;

    private Path db;
    private GreylistStore store;
    private int decisions;

    @BeforeEach
    void open() {
        db = dir.resolve("greylite.db");
        store = GreylistStores.sqlite(db, Duration.ofSeconds(5));
    }

    @AfterEach
    void close() {
        store.close();
    }

    /** A first attempt of a new triplet, committed alone as the engine commits each decision. */
    private void decide() {
        int n = decisions++;
        TripletKey key = new TripletKey("10." + (n >> 16 & 255) + "." + (n >> 8 & 255) + "." + (n & 255),
                "sender" + n + "@example.net", "rcpt" + n + "@example.org");
        store.update(key, row -> new TripletUpdate<>(new Triplet(1, NOW, NOW, null), null, null));
    }

    private long walSize() throws Exception {
        Path wal = Path.of(db + "-wal");
        return Files.exists(wal) ? Files.size(wal) : 0;
    }

    @Test
    void theLogGrownBehindALongReaderIsCutBackOnceItEnds() throws Exception {
        try (Connection reader = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = reader.createStatement()) {
            st.execute("BEGIN");
            try (ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM triplet")) {
                rs.next(); // the snapshot is taken: from now on the log cannot start over
            }
            while (walSize() <= SqliteGreydb.WAL_SIZE_LIMIT) {
                for (int i = 0; i < 500; i++) {
                    decide();
                }
            }
            st.execute("COMMIT");
        }
        long grown = walSize();
        // The reader is gone: a commit copies the log into the greydb, the next write starts it over.
        for (int i = 0; i < 3; i++) {
            decide();
        }
        long after = walSize();
        assertTrue(after <= SqliteGreydb.WAL_SIZE_LIMIT, "the -wal file grew to " + grown + " bytes behind the reader"
                + " and is " + after + " bytes after it, more than the limit of " + SqliteGreydb.WAL_SIZE_LIMIT);
    }
}
