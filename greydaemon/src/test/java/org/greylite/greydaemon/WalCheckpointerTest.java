package org.greylite.greydaemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteConfig;

/**
 * The background checkpoints follow the greydb file at its path, on real SQLite files: a deleted file is let go
 * of and never recreated by the checkpointer, the new file at the path is checkpointed, and what the new file's
 * writer committed stays in it.
 */
class WalCheckpointerTest {

    @TempDir
    Path dir;

    private WalCheckpointer checkpointer;

    @AfterEach
    void stop() {
        if (checkpointer != null) {
            checkpointer.close();
        }
    }

    /** A writer's connection as the store opens one: WAL journal, synchronous=NORMAL. */
    private static Connection writer(Path file) throws Exception {
        SQLiteConfig config = new SQLiteConfig();
        config.setJournalMode(SQLiteConfig.JournalMode.WAL);
        config.setSynchronous(SQLiteConfig.SynchronousMode.NORMAL);
        Connection c = config.createConnection("jdbc:sqlite:" + file);
        try (Statement st = c.createStatement()) {
            st.execute("CREATE TABLE IF NOT EXISTS triplet (recipient TEXT PRIMARY KEY) WITHOUT ROWID");
        }
        return c;
    }

    private static void insert(Connection c, String recipient) throws Exception {
        try (Statement st = c.createStatement()) {
            st.execute("INSERT INTO triplet VALUES ('" + recipient + "')");
        }
    }

    private static Object identity(Path file) throws Exception {
        return Files.readAttributes(file, BasicFileAttributes.class).fileKey();
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(condition.getAsBoolean(), what);
    }

    private static int rows(Path file, String recipient) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*) FROM triplet WHERE recipient = '" + recipient + "'")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    @Test
    void aDeletedGreydbIsLetGoOfNotRecreatedAndTheNewOneIsFollowed() throws Exception {
        Path db = dir.resolve("greydb");
        Connection old = writer(db);
        insert(old, "before@example.org");
        checkpointer = WalCheckpointer.start(db);
        assertNotNull(checkpointer);
        assertEquals(identity(db), checkpointer.fileInUse());

        Files.delete(db);
        await(() -> checkpointer.fileInUse() == null, "the connection to the deleted file is closed at a checkpoint");
        Thread.sleep(3 * WalCheckpointer.EVERY_MILLIS);
        assertFalse(Files.exists(db), "the checkpointer does not create a greydb at the path: the store does");

        // The store's move, as SqliteDialect.reopenIfReplaced makes it.
        old.close();
        Files.deleteIfExists(Path.of(db + "-wal"));
        Files.deleteIfExists(Path.of(db + "-shm"));
        try (Connection now = writer(db)) {
            Object newFile = identity(db);
            await(() -> newFile.equals(checkpointer.fileInUse()), "the checkpoints go to the new file at the path");
            insert(now, "after@example.org");
            for (int i = 0; i < 5; i++) {
                checkpointer.checkpoint();
                assertEquals(1, rows(db, "after@example.org"), "a committed row stays in the new greydb");
            }
        }
        // The writer gone and its log removed (the checkpointer's connection still open, so nothing checkpointed
        // at the writer's close), the row can only come from the file itself: the checkpoints copied it there.
        Files.deleteIfExists(Path.of(db + "-wal"));
        assertEquals(1, rows(db, "after@example.org"), "the row was checkpointed into the new file");
    }

    @Test
    void theFileCheckLetsGoOfAReplacedFileAtOnce() throws Exception {
        Path db = dir.resolve("greydb");
        try (Connection first = writer(db)) {
            insert(first, "a@example.org");
        }
        checkpointer = WalCheckpointer.start(db);
        assertNotNull(checkpointer);
        Path other = dir.resolve("other");
        try (Connection c = writer(other)) {
            insert(c, "b@example.org");
        }
        Files.move(other, db, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        checkpointer.dropIfStale();
        Object inUse = checkpointer.fileInUse();
        assertTrue(inUse == null || inUse.equals(identity(db)), "not on the replaced file any more: " + inUse);
        checkpointer.checkpoint();
        assertEquals(identity(db), checkpointer.fileInUse());
        assertEquals(1, rows(db, "b@example.org"));
    }

    /**
     * A copy written over the greydb in place (cp keeps the file) and its log removed while the daemon runs: the
     * checkpoints stop, so the old log's pages, which the store's connection goes on writing until its file check
     * abandons it, are not copied into the copy. Before, the background checkpoint did so every 200 ms, and undid
     * the restore though the store's ERROR line said the copy was kept.
     */
    @Test
    void aCopyRestoredInPlaceIsNotCheckpointedFromTheRemovedLog() throws Exception {
        Path db = dir.resolve("greydb");
        Path copy = dir.resolve("copy");
        try (Connection c = writer(copy)) {
            insert(c, "restored@example.org");
            try (Statement st = c.createStatement()) {
                st.execute("PRAGMA journal_mode = DELETE"); // one file, as a backup is
            }
        }
        Connection store = writer(db);
        insert(store, "old@example.org");
        checkpointer = WalCheckpointer.start(db);
        assertNotNull(checkpointer);
        Files.delete(Path.of(db + "-wal"));
        Files.delete(Path.of(db + "-shm"));
        Files.write(db, Files.readAllBytes(copy)); // in place, as cp does
        insert(store, "after@example.org"); // the store's connection, in the removed log, until its check
        Thread.sleep(5 * WalCheckpointer.EVERY_MILLIS);
        checkpointer.checkpoint();
        assertEquals(0, rows(db, "after@example.org"), "nothing of the removed log in the copy");
        assertEquals(1, rows(db, "restored@example.org"));
        assertNull(checkpointer.fileInUse(), "no checkpoints of that file any more");
        store.close();
    }

    @Test
    void noFileNoCheckpointer() {
        assertNull(WalCheckpointer.start(dir.resolve("missing")));
        assertFalse(Files.exists(dir.resolve("missing")), "nothing created");
    }
}
