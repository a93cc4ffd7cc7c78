package org.greylite.ctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SQLite driver copies its native library into the temporary folder at each start, and first deletes the copies
 * other processes left there. Two programs starting together (greylitectl from cron beside a restart, the tests' many
 * JVMs) race for the same old copy: the one that loses logged an ERROR with a 25-line stack trace, though nothing was
 * wrong, and a start that failed for a reason of its own said it after that trace instead of in one line. Such a copy
 * that cannot be deleted is the same event, made here at will: a copy the driver cannot remove (a non-empty folder).
 */
class SqliteNativeLibraryCleanupTest {

    @TempDir
    Path dir;

    @Test
    void anOldNativeLibraryCopyThatCannotBeDeletedPutsNoStackTraceInTheLog() throws Exception {
        Path tmp = Files.createDirectories(dir.resolve("tmp"));
        Path stale = Files.createDirectories(tmp.resolve("sqlite-" + org.sqlite.SQLiteJDBCLoader.getVersion()
                + "-stale-libsqlitejdbc.so"));
        Files.writeString(stale.resolve("in-the-way"), "x");

        Ctl.Run run = Ctl.main(List.of("-Dorg.sqlite.tmpdir=" + tmp), Map.of("DBFILE", dir.resolve("g.db").toString()),
                null, "db", "init").run();

        assertEquals(0, run.exit(), run.toString());
        assertTrue(Files.exists(stale), "the copy was in the way, as another process's would be: " + run);
        assertFalse(run.err().contains("\tat "), "no stack trace: " + run);
        assertFalse(run.err().contains("ERROR"), "nothing went wrong: " + run);
    }
}
