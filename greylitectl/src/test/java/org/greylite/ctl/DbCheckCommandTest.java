package org.greylite.ctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code greylitectl db check} on a real SQLite greydb: whole, it says ok; with a page in its middle overwritten (as a
 * copy that lost a block leaves it), which the programs and the other commands only meet when a decision or a query
 * reads that page, it names what SQLite found and what to do, and exits 1.
 */
class DbCheckCommandTest {

    @TempDir
    Path dir;

    @Test
    void aWholeGreydbIsOkAndOneDamagedInItsMiddleIsNamedWithWhatToDo() throws Exception {
        Path greydb = dir.resolve("greylite.db");
        assertEquals(0, Ctl.run(Map.of(), "db", "init", "--db", greydb.toString()).exit());
        int pages = fill(greydb, 20_000);
        assertTrue(pages > 100, pages + " pages");

        Ctl.Run whole = Ctl.run(Map.of(), "db", "check", "--db", greydb.toString());
        assertEquals(0, whole.exit(), whole.toString());
        assertEquals("sqlite:" + greydb + ": ok\n", whole.out());

        overwritePage(greydb, pages / 2);
        // Still opens, and what does not read the damaged page works: nothing says the greydb is damaged.
        Ctl.Run elsewhere = Ctl.run(Map.of(), "db", "whitelist", "add", "192.0.2.1", "--db", greydb.toString());
        assertEquals(0, elsewhere.exit(), elsewhere.toString());
        assertEquals("", elsewhere.err());

        Ctl.Run damaged = Ctl.run(Map.of(), "db", "check", "--db", greydb.toString());
        assertEquals(1, damaged.exit(), damaged.toString());
        assertTrue(damaged.out().contains("page " + (pages / 2 + 1)), damaged.out()); // SQLite counts pages from 1
        assertTrue(damaged.err().contains("the greydb file is damaged") && damaged.err().contains("mv " + greydb + " "
                + greydb + ".damaged"), damaged.err());
    }

    /**
     * A greydb cut short (a copy that did not finish) is damaged where opening it reads: exit 1 with what to do, as
     * for damage found by the check, so that a monitor reads it as damaged. It exited 2, the status of bad usage.
     */
    @Test
    void aGreydbCutShortIsDamagedNotTrouble() throws Exception {
        Path greydb = dir.resolve("greylite.db");
        assertEquals(0, Ctl.run(Map.of(), "db", "init", "--db", greydb.toString()).exit());
        fill(greydb, 20_000);
        try (FileChannel ch = FileChannel.open(greydb, StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() / 3);
        }
        Ctl.Run cut = Ctl.run(Map.of(), "db", "check", "--db", greydb.toString());
        assertEquals(1, cut.exit(), cut.toString());
        assertTrue(cut.err().contains("the greydb file is damaged") && cut.err().contains("mv "), cut.err());
    }

    @Test
    void aLimitOfNoProblemsIsRefused() {
        Ctl.Run run = Ctl.run(Map.of(), "db", "check", "--db", dir.resolve("greylite.db").toString(), "--max-problems", "0");
        assertEquals(2, run.exit(), run.toString());
        assertTrue(run.err().contains("--max-problems must be 1 or more, not 0"), run.err());
    }

    /** Pending triplets from {@code n} clients, written to the main file; returns its pages. */
    private static int fill(Path greydb, int n) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + greydb)) {
            c.setAutoCommit(false);
            try (PreparedStatement insert = c.prepareStatement(
                    "INSERT INTO triplet (client, sender, recipient, refusals, first_seen, last_seen) VALUES (?, ?, ?, 1, ?, ?)")) {
                for (int i = 0; i < n; i++) {
                    insert.setString(1, "10." + (i >> 16) + "." + ((i >> 8) & 255) + ".0/24");
                    insert.setString(2, "sender" + i + "@example.org");
                    insert.setString(3, "rcpt" + i + "@example.com");
                    insert.setLong(4, 1_700_000_000L);
                    insert.setLong(5, 1_700_000_000L);
                    insert.addBatch();
                }
                insert.executeBatch();
            }
            c.commit();
            c.setAutoCommit(true);
            try (Statement st = c.createStatement()) {
                st.execute("PRAGMA wal_checkpoint(TRUNCATE)");
                try (ResultSet rs = st.executeQuery("PRAGMA page_count")) {
                    rs.next();
                    return rs.getInt(1);
                }
            }
        }
    }

    /** The header of page {@code index} (from 0) overwritten: no valid b-tree page type, cell count or offsets. */
    private static void overwritePage(Path greydb, int index) throws IOException {
        byte[] junk = new byte[16];
        Arrays.fill(junk, (byte) 0x5a);
        try (FileChannel f = FileChannel.open(greydb, StandardOpenOption.WRITE)) {
            f.write(ByteBuffer.wrap(junk), (long) index * 4096);
        }
    }
}
