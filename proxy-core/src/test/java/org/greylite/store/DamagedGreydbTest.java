package org.greylite.store;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A greydb file that is damaged, or is no database: the error says what to do, not only SQLite's words. */
class DamagedGreydbTest {

    @TempDir
    Path dir;

    private static void assertContains(String message, String... parts) {
        for (String p : parts) {
            assertTrue(message.contains(p), "'" + p + "' missing from: " + message);
        }
    }

    @Test
    void aFileThatIsNoDatabaseAsksWhetherDbfileNamesTheGreydb() throws Exception {
        Path db = Files.writeString(dir.resolve("greylite.db"), "this is a text file, not a database, but long enough ".repeat(40));
        StoreException e = assertThrows(StoreException.class, () -> GreylistStores.sqlite(db, Duration.ofSeconds(5)));
        assertContains(e.getMessage(), db.toString(), "not an SQLite database", "DBFILE", "mv " + db + " " + db + ".damaged");
    }

    /** A greydb cut short (a copy that did not finish, a disk that failed): damaged, and said so with what to do. */
    @Test
    void aTruncatedGreydbIsCalledDamagedWithWhatToDo() throws Exception {
        Path db = greydbOfManyTriplets();
        try (RandomAccessFile f = new RandomAccessFile(db.toFile(), "rw")) {
            f.setLength(f.length() / 2);
        }
        StoreException e = assertThrows(StoreException.class, () -> {
            try (GreydbAdmin admin = GreylistStores.sqliteAdmin(db, Duration.ofSeconds(5))) {
                admin.purgeExpired(java.time.Instant.now(), Duration.ofDays(1), Duration.ofDays(36));
            }
        });
        assertContains(e.getMessage(), db.toString(), "damaged", "fail open", "mv " + db + " " + db + ".damaged",
                "rm -f " + db + "-wal " + db + "-shm");
    }

    /** Pages overwritten in the middle: the greydb opens, and what reads them fails saying what to do. */
    @Test
    void aGreydbWithGarbledPagesIsCalledDamagedWhenTheyAreRead() throws Exception {
        Path db = greydbOfManyTriplets();
        byte[] garbage = new byte[3 * 4096];
        Arrays.fill(garbage, (byte) 0x5a);
        try (RandomAccessFile f = new RandomAccessFile(db.toFile(), "rw")) {
            f.seek(f.length() / 2 / 4096 * 4096);
            f.write(garbage);
        }
        StoreException e = assertThrows(StoreException.class, () -> {
            try (GreydbAdmin admin = GreylistStores.sqliteAdmin(db, Duration.ofSeconds(5))) {
                admin.purgeExpired(java.time.Instant.now(), Duration.ofDays(1), Duration.ofDays(36));
            }
        });
        assertContains(e.getMessage(), db.toString(), "damaged", "mv " + db + " " + db + ".damaged");
    }

    /** A greydb of 20,000 triplets, all in the file (no -wal), as one a program closed. */
    private Path greydbOfManyTriplets() throws Exception {
        Path db = ManyTriplets.greydb(dir.resolve("greylite.db"), 20_000, 0);
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = c.createStatement()) {
            st.execute("PRAGMA wal_checkpoint(TRUNCATE)");
        }
        return db;
    }
}
