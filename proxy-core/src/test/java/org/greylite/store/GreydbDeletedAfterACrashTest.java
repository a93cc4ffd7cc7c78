package org.greylite.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.greylite.testing.ExternalPrograms;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A greydb whose writer was killed (its last changes still in the -wal) and which an administrator then deleted to
 * start afresh, leaving the -wal: the greydb the programs make at the path is new and whole.
 */
class GreydbDeletedAfterACrashTest {

    @TempDir
    Path dir;

    @Test
    void aNewGreydbIsNotMadeOfTheDeletedOnesWal() throws Exception {
        Path db = ManyTriplets.greydb(dir.resolve("greylite.db"), 20_000, 0);
        // A writer killed after its commit: the real sqlite3, its changes in the -wal, never copied into the file.
        Process writer = new ProcessBuilder(ExternalPrograms.require("sqlite3").toString(), db.toString())
                .redirectErrorStream(true).start();
        OutputStream in = writer.getOutputStream();
        in.write("PRAGMA wal_autocheckpoint = 0;\nUPDATE triplet SET refusals = refusals + 1;\nSELECT 'written';\n"
                .getBytes(StandardCharsets.US_ASCII));
        in.flush();
        BufferedReader out = new BufferedReader(new InputStreamReader(writer.getInputStream(), StandardCharsets.US_ASCII));
        String said;
        do {
            said = out.readLine(); // the pragma's own answer first
        } while (said != null && !said.equals("written"));
        assertEquals("written", said);
        writer.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        assertTrue(Files.size(Path.of(db + "-wal")) > 100_000, "the writer's changes in its -wal");

        Files.delete(db); // the administrator's rm greylite.db, the -wal forgotten

        GreylistStores.sqlite(db, Duration.ofSeconds(5)).close();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("PRAGMA integrity_check")) {
                assertTrue(rs.next());
                assertEquals("ok", rs.getString(1));
            }
            try (ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM triplet")) {
                assertTrue(rs.next());
                assertEquals(0, rs.getInt(1), "rows of the deleted greydb");
            }
        }
        // Left for SQLite to make, it still has a new greydb's mode: nothing for other users.
        assertFalse(Files.getPosixFilePermissions(db).contains(java.nio.file.attribute.PosixFilePermission.OTHERS_READ),
                java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(db)));
    }
}
