package org.greylite.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An SQLite greydb deleted or replaced while a store has it open: noticed, said, and the path used again. */
class DeletedGreydbFileTest {

    private static final Instant T0 = Instant.parse("2024-05-01T12:00:00Z");

    @TempDir
    Path dir;

    private Path db;
    private GreylistStore store;

    @BeforeEach
    void open() {
        db = dir.resolve("greylite.db");
        store = GreylistStores.sqlite(db, Duration.ofSeconds(5));
    }

    @AfterEach
    void close() {
        store.close();
    }

    private void write(String recipient) {
        store.update(new TripletKey("192.0.2.0/24", "a@x", recipient),
                t -> new TripletUpdate<>(new Triplet(1, T0, T0, null), null, "ok"));
    }

    /** The recipients of the triplets in the file at {@code file}, as another process reads them. */
    private static String recipients(Path file) throws Exception {
        return firstValue(file, "SELECT group_concat(recipient) FROM (SELECT recipient FROM triplet ORDER BY 1)");
    }

    /** The first value {@code sql} gives, read by another connection to {@code file}. */
    private static String firstValue(Path file, String sql) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    @Test
    void anUntouchedFileIsLeftAlone() throws Exception {
        write("b@y");
        assertNull(store.reopenIfReplaced());
        write("c@y");
        assertEquals("b@y,c@y", recipients(db));
    }

    @Test
    void aDeletedFileIsRecreatedAtItsPathAndTheNextDecisionsLandThere() throws Exception {
        write("b@y");
        Files.delete(db);
        String said = store.reopenIfReplaced();
        assertTrue(said.contains(db.toString()) && said.contains("deleted") && said.contains("rows it held are lost"), said);
        assertTrue(Files.exists(db), "a new greydb at the path");
        write("c@y");
        assertEquals("c@y", recipients(db), "what the store writes now, every other process sees");
        assertNull(store.reopenIfReplaced(), "said once");
    }

    /**
     * The greydb named through a symbolic link (/etc/greylite/greylite.db to /var/db/greylite/greylite.db) and its real
     * file deleted: its -wal is beside the real file, where SQLite makes the new greydb, and is not left beside the
     * link. SQLite itself sets aside the -wal of a database file it finds empty, so the new greydb does not take the
     * deleted one's rows from it.
     */
    @Test
    void aDeletedFileReachedThroughALinkIsMadeAgainWhereTheLinkLeadsWithoutItsRows() throws Exception {
        store.close();
        Path real = Files.createDirectory(dir.resolve("var")).resolve("greylite.db");
        Path link = Files.createSymbolicLink(Files.createDirectory(dir.resolve("etc")).resolve("greylite.db"),
                Path.of("../var/greylite.db"));
        store = GreylistStores.sqlite(link, Duration.ofSeconds(5));
        write("b@y");
        assertTrue(Files.exists(Path.of(real + "-wal")), "the -wal beside the real file");
        Files.delete(real);
        String said = store.reopenIfReplaced();
        assertTrue(said.contains("deleted"), said);
        write("c@y");
        assertEquals("c@y", recipients(link), "the deleted file's rows replayed from its -wal into the new greydb");
        assertTrue(Files.exists(real), "the new greydb where the link leads");
    }

    @Test
    void aReplacedFileIsTheOneUsedFromThenOn() throws Exception {
        write("b@y");
        Path other = dir.resolve("restored.db");
        GreylistStores.sqlite(other, Duration.ofSeconds(5)).close();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + other); Statement st = c.createStatement()) {
            st.execute("INSERT INTO triplet (client, sender, recipient, refusals, first_seen, last_seen)"
                    + " VALUES ('198.51.100.0/24', 'r@x', 'restored@y', 1, 0, 0)");
        }
        // Restored as SQLite asks: the old file's journal removed with it, or it would be replayed into this one.
        Files.deleteIfExists(Path.of(db + "-wal"));
        Files.deleteIfExists(Path.of(db + "-shm"));
        Files.move(other, db, StandardCopyOption.REPLACE_EXISTING);
        String said = store.reopenIfReplaced();
        assertTrue(said.contains("replaced"), said);
        write("c@y");
        assertEquals("c@y,restored@y", recipients(db));
    }

    /** A greydb with one triplet, to restore; its path. */
    private Path copyToRestore() throws Exception {
        Path other = dir.resolve("restored.db");
        GreylistStores.sqlite(other, Duration.ofSeconds(5)).close();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + other); Statement st = c.createStatement()) {
            st.execute("PRAGMA journal_mode = DELETE"); // one file, as a backup is
            st.execute("INSERT INTO triplet (client, sender, recipient, refusals, first_seen, last_seen)"
                    + " VALUES ('198.51.100.0/24', 'r@x', 'restored@y', 1, 0, 0)");
        }
        return other;
    }

    private static String integrity(Path file) throws Exception {
        return firstValue(file, "PRAGMA integrity_check");
    }

    /**
     * A file moved into the greydb's place with the old file's log left beside it: the log is the old file's, and
     * the new file is not read through it. Before, the old file's last pages were written over the new file's
     * (a backup moved in came out with the old greydb's triplets, or damaged).
     */
    @Test
    void aFileMovedInIsNotReadThroughTheLogOfTheFileItReplaced() throws Exception {
        write("b@y"); // in the log, not yet in the file
        Files.move(copyToRestore(), db, StandardCopyOption.REPLACE_EXISTING);
        String said = store.reopenIfReplaced();
        assertTrue(said.contains("replaced"), said);
        write("c@y");
        assertEquals("c@y,restored@y", recipients(db));
        assertEquals("ok", integrity(db));
    }

    /**
     * A copy written over the open file in place ({@code cp}, which keeps the file) and the log removed: the file is
     * not written from the old log, at once or when the store closes, and decisions fail (the greydb-error answer)
     * until the program is restarted (in another process: this one keeps the abandoned connection). Before, the connection went on in the old log, and closing it wrote the log into
     * the copy: a damaged greydb the programs then refused to start on.
     */
    @Test
    void aCopyRestoredOverTheOpenFileIsNotOverwrittenFromItsOldLog() throws Exception {
        write("b@y");
        Files.write(db, Files.readAllBytes(copyToRestore())); // in place, as cp does
        Files.delete(Path.of(db + "-wal"));
        Files.delete(Path.of(db + "-shm"));
        StoreException e = org.junit.jupiter.api.Assertions.assertThrows(StoreException.class, store::reopenIfReplaced);
        assertTrue(e.getMessage().contains("write-ahead log") && e.getMessage().contains("restart"), e.getMessage());
        org.junit.jupiter.api.Assertions.assertThrows(StoreException.class, () -> write("c@y"), "no decision written");
        org.junit.jupiter.api.Assertions.assertThrows(StoreException.class, store::reopenIfReplaced, "until a restart");
        store.close();
        assertEquals("restored@y", recipients(db));
        assertEquals("ok", integrity(db));
    }
}
