package org.greylite.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A greydb a newer greylite wrote (its schema_version above greydb.sql's), met after a downgrade. */
class NewerSchemaVersionTest {

    @TempDir
    Path dir;

    @Test
    void aGreydbOfANewerSchemaIsRefusedNamingBothVersions() throws Exception {
        Path file = made(dir.resolve("newer.db"));
        int newer = GreydbSchemaVersion.known() + 1;
        execute(file, "UPDATE greydb_meta SET value = '" + newer + "' WHERE key = 'schema_version'");
        execute(file, "DROP TABLE client_behaviour"); // as if the newer schema had no use for it

        StoreException e = assertThrows(StoreException.class, () -> GreylistStores.sqlite(file, Duration.ofSeconds(5)));
        assertTrue(e.getMessage().contains("schema version " + newer), e.getMessage());
        assertTrue(e.getMessage().contains("knows schema version " + GreydbSchemaVersion.known()), e.getMessage());
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        // Nothing was added to it: the newer greylite finds its greydb as it left it.
        assertEquals(0, count(file, "SELECT count(*) FROM sqlite_master WHERE name = 'client_behaviour'"));
    }

    /**
     * A refused file is left as it was, its journal mode too: the switch to WAL came with the open, before the checks,
     * and a newer greylite's greydb kept in rollback mode (or another program's database) came out converted.
     */
    @Test
    void aRefusedGreydbKeepsItsJournalMode() throws Exception {
        Path file = made(dir.resolve("newer-delete.db"));
        execute(file, "PRAGMA journal_mode = DELETE");
        execute(file, "UPDATE greydb_meta SET value = '" + (GreydbSchemaVersion.known() + 1) + "' WHERE key = 'schema_version'");
        assertThrows(StoreException.class, () -> GreylistStores.sqlite(file, Duration.ofSeconds(5)));
        assertEquals("delete", text(file, "PRAGMA journal_mode"));
    }

    /**
     * Another program's database with a table named as one of the greydb's (its own triplet table) is refused before
     * anything is added: it was given the greydb's other tables and switched to WAL, then refused.
     */
    @Test
    void anotherProgramsTableOfTheSameNameIsRefusedBeforeAnythingIsAdded() throws Exception {
        Path file = dir.resolve("other.db");
        execute(file, "CREATE TABLE triplet (client TEXT, sender TEXT, recipient TEXT, n INTEGER)");
        StoreException e = assertThrows(StoreException.class, () -> GreylistStores.sqlite(file, Duration.ofSeconds(5)));
        assertTrue(e.getMessage().contains("not made by greydb.sql"), e.getMessage());
        assertEquals(1, count(file, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"), "nothing added");
        assertEquals("delete", text(file, "PRAGMA journal_mode"));
    }

    private static String text(Path file, String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    @Test
    void anUnreadableSchemaVersionIsRefused() throws Exception {
        Path file = made(dir.resolve("odd.db"));
        execute(file, "UPDATE greydb_meta SET value = 'two' WHERE key = 'schema_version'");

        StoreException e = assertThrows(StoreException.class, () -> GreylistStores.sqlite(file, Duration.ofSeconds(5)));
        assertTrue(e.getMessage().contains("'two'"), e.getMessage());
    }

    @Test
    void aGreydbOfThisSchemaOrWithoutAVersionIsUsed() throws Exception {
        Path current = made(dir.resolve("current.db"));
        try (GreylistStore store = GreylistStores.sqlite(current, Duration.ofSeconds(5))) {
            assertTrue(store != null);
        }
        Path older = made(dir.resolve("older.db"));
        execute(older, "DELETE FROM greydb_meta WHERE key = 'schema_version'");
        try (GreylistStore store = GreylistStores.sqlite(older, Duration.ofSeconds(5))) {
            assertTrue(store != null);
        }
    }

    /** A greydb as {@code sqlite3 -init greydb.sql} makes it. */
    private static Path made(Path file) {
        for (String sql : GreydbSchema.statements()) {
            execute(file, sql);
        }
        return file;
    }

    private static void execute(Path file, String sql) {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement st = c.createStatement()) {
            st.execute(sql);
        } catch (SQLException e) {
            throw new AssertionError(sql + ": " + e.getMessage(), e);
        }
    }

    private static int count(Path file, String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
