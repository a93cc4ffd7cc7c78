package org.greylite.ctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;

import org.greylite.store.GreylistStore;
import org.greylite.store.GreylistStores;
import org.greylite.testing.RootOnly;
import org.greylite.testing.UnprivilegedJava;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A monitoring account that may read the greydb but not write it (the file 644, its folder not writable by it): db list
 * and db stats read it, with greylited running or not, and edits are refused. Run as another user than the greydb's
 * owner, so only as root.
 */
class ReadOnlyGreydbTest {

    @TempDir
    Path dir;

    private Path db;

    @BeforeEach
    void greydbOwnedByRoot() throws Exception {
        RootOnly.require("greylitectl runs as another user, which needs root");
        db = dir.resolve("greylite.db");
        GreylistStores.sqlite(db, Duration.ofSeconds(5)).close();
        assertEquals(0, Ctl.run(Map.of(), "db", "blacklist", "add", "192.0.2.7", "--db", db.toString()).exit());
        Files.setPosixFilePermissions(db, PosixFilePermissions.fromString("rw-r--r--"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @Test
    void aGreydbNothingHasOpenIsReadAndLeftAsItWas() throws Exception {
        assertFalse(Files.exists(Path.of(db + "-wal")));

        UnprivilegedJava.Result list = asNobody("db", "list", "--blacklist", "--db", db.toString());
        assertEquals(0, list.exitStatus(), list.output());
        assertTrue(list.output().contains("192.0.2.7"), list.output());
        UnprivilegedJava.Result stats = asNobody("db", "stats", "--db", db.toString());
        assertEquals(0, stats.exitStatus(), stats.output());
        assertTrue(stats.output().contains("blacklist             1"), stats.output());

        assertFalse(Files.exists(Path.of(db + "-wal")), "a reader made a -wal");
        assertFalse(Files.exists(Path.of(db + "-shm")), "a reader made a -shm");
    }

    @Test
    void aGreydbInUseIsReadWithTheChangesStillInItsLog() throws Exception {
        try (GreylistStore running = GreylistStores.sqlite(db, Duration.ofSeconds(5))) {
            // Written while a program has it open: in the -wal, not yet in the file.
            assertEquals(0, Ctl.run(Map.of(), "db", "blacklist", "add", "198.51.100.8", "--db", db.toString()).exit());
            assertTrue(Files.exists(Path.of(db + "-shm")));

            UnprivilegedJava.Result list = asNobody("db", "list", "--blacklist", "--db", db.toString());
            assertEquals(0, list.exitStatus(), list.output());
            assertTrue(list.output().contains("192.0.2.7") && list.output().contains("198.51.100.8"), list.output());

            Files.setPosixFilePermissions(Path.of(db + "-shm"), PosixFilePermissions.fromString("rw-------"));
            UnprivilegedJava.Result refused = asNobody("db", "stats", "--db", db.toString());
            assertNotEquals(0, refused.exitStatus(), refused.output());
            assertTrue(refused.output().contains(db + "-shm") && refused.output().contains("may not read"),
                    refused.output());
        }
    }

    @Test
    void anEditIsStillRefusedSayingWhatToGrant() throws Exception {
        UnprivilegedJava.Result add = asNobody("db", "blacklist", "add", "203.0.113.5", "--db", db.toString());
        assertNotEquals(0, add.exitStatus(), add.output());
        assertTrue(add.output().contains("is not writable by user 'nobody'"), add.output());
        assertFalse(Files.exists(Path.of(db + "-wal")));
    }

    /**
     * A greydb of an older version (no greydb_meta, no lists yet: the tables a program adds when it opens it, which a
     * reader cannot) is refused naming the tables it lacks, not with SQLite's own "no such table: greydb_meta".
     */
    @Test
    void aGreydbOfAnOlderVersionIsRefusedNamingTheTablesItLacks() throws Exception {
        Path old = dir.resolve("old.db");
        try (java.sql.Connection conn = java.sql.DriverManager.getConnection("jdbc:sqlite:" + old);
             java.sql.Statement st = conn.createStatement()) {
            st.executeUpdate("CREATE TABLE triplet (client TEXT NOT NULL, sender TEXT NOT NULL, recipient TEXT NOT NULL,"
                    + " refusals INTEGER NOT NULL, first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,"
                    + " passed_at INTEGER, PRIMARY KEY (client, sender, recipient)) WITHOUT ROWID");
        }
        Files.setPosixFilePermissions(old, PosixFilePermissions.fromString("rw-r--r--"));

        UnprivilegedJava.Result stats = asNobody("db", "stats", "--db", old.toString());
        assertEquals(2, stats.exitStatus(), stats.output());
        assertTrue(stats.output().contains(old + " has no table blacklist, client_behaviour, greydb_meta, whitelist,"
                + " which a program that may write it adds when it opens it"), stats.output());
        assertFalse(stats.output().contains("no such table"), stats.output());
    }

    private static UnprivilegedJava.Result asNobody(String... args) throws Exception {
        return UnprivilegedJava.run(GreyliteCtl.class, args);
    }
}
