package org.greylite.ctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.greylite.store.GreydbAdmin;
import org.greylite.store.GreylistStores;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code greylitectl db list} on a greydb far larger than the memory it is given, as on a small mail host whose
 * greydb holds millions of triplets: the rows are not all held in memory at once.
 */
class DbListLargeTest {

    /** Rows kept in memory took about 1 KB each: these want some 100 MB, against the 32 MB the JVM is given. */
    private static final int TRIPLETS = 100_000;
    private static final List<String> SMALL_HEAP = List.of("-Xmx32m", "-XX:+UseSerialGC");

    @TempDir
    Path dir;

    private Path db;

    @BeforeEach
    void create() {
        db = dir.resolve("greylite.db");
        GreydbAdmin created = GreylistStores.admin(org.greylite.store.GreydbLocation.parse(db.toString()),
                new org.greylite.store.GreydbOptions(Duration.ofSeconds(5), 1, Map.of()));
        created.close();
    }

    /** {@link #TRIPLETS} pending triplets, {@code perSecond} of them first seen in each second. */
    private void fill(int perSecond) throws SQLException {
        long now = System.currentTimeMillis() / 1000;
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = c.createStatement()) {
            st.execute("WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < " + (TRIPLETS - 1) + ")"
                    + " INSERT INTO triplet (client, sender, recipient, refusals, first_seen, last_seen, passed_at)"
                    + " SELECT '198.51.' || (i % 256) || '.0/24', 'sender' || i || '@example.net', 'rcpt' || i || '@example.org',"
                    + " 1, " + now + " - i / " + perSecond + ", " + now + " - i / " + perSecond + ", NULL FROM n");
        } // all within the retry window
    }

    private Ctl.MainRun list(Path out, String format) {
        return Ctl.main(SMALL_HEAP, Map.of("DBFILE", db.toString()), out.toFile(), "db", "list", "--format", format);
    }

    @Test
    void everyFormatListsEveryRowInLittleMemory() throws IOException, SQLException {
        fill(10);
        for (String format : List.of("csv", "table", "json")) {
            Path out = dir.resolve("list." + format);
            Ctl.MainRun run = list(out, format);
            assertEquals(0, run.run().exit(), format + ": " + run);
            long lines;
            try (BufferedReader r = Files.newBufferedReader(out, StandardCharsets.UTF_8)) {
                lines = r.lines().count();
            }
            // a heading line for the table and CSV; the brackets around JSON's objects
            assertEquals(format.equals("json") ? TRIPLETS + 2 : TRIPLETS + 1, lines, format);
        }
        // Oldest first, as before, and the table's columns still line up.
        List<String> table = Files.readAllLines(dir.resolve("list.table"), StandardCharsets.UTF_8);
        assertTrue(table.get(1).contains("<sender9999"), table.get(1));
        int state = table.get(0).indexOf("state");
        assertEquals(state, table.get(1).indexOf("pending"), table.get(0) + "\n" + table.get(1));
        assertEquals(state, table.get(TRIPLETS).indexOf("pending"), table.get(TRIPLETS));
    }

    /**
     * Rows of one second are held to be put in order by client, but not all of a second that holds them all (a greydb
     * filled by a script): held, they took the memory the rows are kept out of.
     */
    @Test
    void aSecondOfOneHundredThousandFirstAttemptsIsListedInLittleMemory() throws IOException, SQLException {
        fill(TRIPLETS);
        Path out = dir.resolve("list.csv");
        Ctl.MainRun run = list(out, "csv");
        assertEquals(0, run.run().exit(), run.toString());
        List<String> lines = Files.readAllLines(out, StandardCharsets.UTF_8);
        assertEquals(TRIPLETS + 1, lines.size());
    }
}
