package org.greylite.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.greylite.testing.ExternalPrograms;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GreydbSchemaTest {

    /** The one home of the schema, at the repository root (tests run in the module's folder). */
    private static final Path SCHEMA = Path.of("..", "greydb.sql");

    @TempDir
    Path dir;

    private static String schema() throws Exception {
        return Files.readString(SCHEMA, StandardCharsets.UTF_8);
    }

    @Test
    void aGreydbMadeByAnOlderVersionGetsTheNewTables() throws Exception {
        Path db = dir.resolve("old.db");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
             Statement st = c.createStatement()) {
            for (String sql : GreydbSchema.statements()) {
                if (!sql.contains("client_behaviour")) {
                    st.execute(sql);
                }
            }
        }
        GreylistStores.sqlite(db, Duration.ofSeconds(1)).close();
        assertEquals(List.copyOf(GreydbSchema.tables()), tables(db));
    }

    @Test
    void splitsTheRootSchemaIntoItsStatements() throws Exception {
        List<String> st = GreydbSchema.split(schema());
        assertEquals("PRAGMA journal_mode = WAL", st.get(0));
        assertEquals("INSERT OR IGNORE INTO greydb_meta (key, value) VALUES ('schema_version', '1')", st.get(st.size() - 1));
        List<String> creates = st.subList(1, st.size() - 1);
        assertEquals(GreydbSchema.tables().size(), creates.size(), st.toString());
        for (String c : creates) {
            assertTrue(c.startsWith("CREATE TABLE IF NOT EXISTS "), c);
            assertTrue(c.endsWith(") WITHOUT ROWID"), c);
            assertFalse(c.contains("--"), "comments are removed: " + c);
        }
        assertTrue(GreydbSchema.tables().containsAll(List.of("triplet", "whitelist", "blacklist", "client_behaviour", "greydb_meta")));
    }

    @Test
    void theJarCarriesTheRootSchema() throws Exception {
        assertEquals(GreydbSchema.split(schema()), GreydbSchema.statements());
    }

    @Test
    void splitDropsCommentsAndBlankStatements() {
        assertEquals(List.of("CREATE TABLE a (x INTEGER)", "INSERT INTO a VALUES (1)"),
                GreydbSchema.split("-- head\n\nCREATE TABLE a (x INTEGER); -- a table\n;\n  INSERT INTO a VALUES (1);\n-- end"));
        assertEquals(List.of(), GreydbSchema.split("-- nothing; here\n\n"));
    }

    @Test
    void theSchemaIsIdempotent() throws Exception {
        Path db = dir.resolve("twice.db");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = c.createStatement()) {
            for (int round = 0; round < 2; round++) {
                for (String sql : GreydbSchema.statements()) {
                    st.execute(sql);
                }
            }
            try (ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM greydb_meta")) {
                rs.next();
                assertEquals(1, rs.getInt(1));
            }
        }
    }

    /**
     * A greydb made by hand from a schema that is not greydb.sql (a column left out or renamed) is refused when it
     * is opened, naming the table and the column: opened, every decision failed on it and every mail passed
     * ungreylisted (fail open), and greylitectl's commands failed one by one with "no such column".
     */
    @Test
    void aTableWithoutAColumnOfTheSchemaIsNamedWhenTheGreydbIsOpened() throws Exception {
        Path sqlite3 = ExternalPrograms.require("sqlite3");
        Path other = dir.resolve("other.sql");
        Files.writeString(other, schema().replace("    comment    TEXT\n) WITHOUT ROWID;\n\n-- Clients whose mail is refused",
                "    note       TEXT\n) WITHOUT ROWID;\n\n-- Clients whose mail is refused")
                + "INSERT INTO greydb_meta (key, value) VALUES ('client_key_text', 'rfc5952');\n");
        Path db = dir.resolve("by-hand.db");
        assertEquals(0, run(sqlite3.toString(), "-init", other.toString(), db.toString(), ".quit"));

        StoreException e = org.junit.jupiter.api.Assertions.assertThrows(StoreException.class,
                () -> GreylistStores.sqlite(db, Duration.ofSeconds(1)).close());
        assertTrue(e.getMessage().contains(db.toString()) && e.getMessage().contains("whitelist")
                && e.getMessage().contains("comment") && e.getMessage().contains("greydb.sql"), e.getMessage());
    }

    /**
     * A triplet table made by hand without greydb.sql's primary key is refused when the greydb is opened: every
     * write of a decision is an upsert on that key, so every decision failed on it and every mail passed
     * ungreylisted (fail open), with an error that said only "SQL error or missing database".
     */
    @Test
    void aTableWithoutThePrimaryKeyOfTheSchemaIsNamedWhenTheGreydbIsOpened() throws Exception {
        Path sqlite3 = ExternalPrograms.require("sqlite3");
        Path other = dir.resolve("other.sql");
        String noKey = schema().replace("    PRIMARY KEY (client, sender, recipient)\n) WITHOUT ROWID;",
                "    note       TEXT\n);");
        assertFalse(noKey.equals(schema()), "the schema still has the triplet's key as this test expects");
        Files.writeString(other, noKey);
        Path db = dir.resolve("by-hand.db");
        assertEquals(0, run(sqlite3.toString(), "-init", other.toString(), db.toString(), ".quit"));

        StoreException e = org.junit.jupiter.api.Assertions.assertThrows(StoreException.class,
                () -> GreylistStores.sqlite(db, Duration.ofSeconds(1)).close());
        assertTrue(e.getMessage().contains(db.toString()) && e.getMessage().contains("triplet")
                && e.getMessage().contains("primary key") && e.getMessage().contains("client, sender, recipient"),
                e.getMessage());
    }

    /** {@code sqlite3 -init greydb.sql FILE .quit}, as the schema's header and SPEC §6 promise. */
    @Test
    void theSqlite3ProgramCreatesAGreydbTheStoreAccepts() throws Exception {
        Path sqlite3 = ExternalPrograms.require("sqlite3");
        Path db = dir.resolve("by-hand.db");
        assertEquals(0, run(sqlite3.toString(), "-init", SCHEMA.toString(), db.toString(), ".quit"));

        assertEquals(List.copyOf(GreydbSchema.tables()), tables(db));
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("PRAGMA journal_mode")) {
                rs.next();
                assertEquals("wal", rs.getString(1), "WAL is persistent: set once by the schema");
            }
            try (ResultSet rs = st.executeQuery("SELECT value FROM greydb_meta WHERE key = 'schema_version'")) {
                rs.next();
                assertEquals("1", rs.getString(1));
            }
        }

        try (GreylistStore store = GreylistStores.sqlite(db, Duration.ofSeconds(5))) {
            Instant now = Instant.parse("2024-05-01T12:00:00Z");
            store.update(new TripletKey("192.0.2.0/24", "a@x", "b@y"),
                    t -> new TripletUpdate<>(new Triplet(1, now, now, null), now, t.isPresent()));
            assertTrue(store.whitelisted("192.0.2.0/24", now, Duration.ofDays(1), Duration.ofHours(1)));
        }
        // ...and applying it by hand to a greydb in use is harmless.
        assertEquals(0, run(sqlite3.toString(), "-init", SCHEMA.toString(), db.toString(), ".quit"));
        try (GreylistStore store = GreylistStores.sqlite(db, Duration.ofSeconds(5))) {
            Optional<Triplet> kept = store.update(new TripletKey("192.0.2.0/24", "a@x", "b@y"),
                    t -> new TripletUpdate<>(null, null, t));
            assertEquals(1, kept.orElseThrow().refusals());
        }
    }

    /**
     * The column check reads its answer from the text SQLite keeps of each CREATE statement when that is
     * greydb.sql's, made by the programs or by {@code sqlite3 -init greydb.sql} (with the schema's comments): the
     * wrapper opens the greydb in every session, and the full check costs a database made in memory first. A
     * table declared otherwise is left to the full check.
     */
    @Test
    void aGreydbMadeFromTheSchemaIsKnownFromItsStatements() throws Exception {
        Path byProgram = dir.resolve("auto.db");
        GreylistStores.sqlite(byProgram, Duration.ofSeconds(5)).close();
        Path bySqlite3 = dir.resolve("by-hand.db");
        assertEquals(0, run(ExternalPrograms.require("sqlite3").toString(), "-init", SCHEMA.toString(),
                bySqlite3.toString(), ".quit"));
        Path other = dir.resolve("other.db");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + other); Statement st = c.createStatement()) {
            for (String sql : GreydbSchema.statements()) {
                st.execute(sql.replace("comment    TEXT", "comment    TEXT, note TEXT"));
            }
        }
        for (Path db : List.of(byProgram, bySqlite3, other)) {
            try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db)) {
                assertEquals(db != other, GreydbColumns.madeBySchema(c), db.toString());
                GreydbColumns.check(c); // a column more is no column less: accepted by the full check
            }
        }
    }

    @Test
    void theStoreCreatesTheSameTables() throws Exception {
        Path db = dir.resolve("auto.db");
        GreylistStores.sqlite(db, Duration.ofSeconds(5)).close();
        assertEquals(List.copyOf(GreydbSchema.tables()), tables(db));
    }

    private static List<String> tables(Path db) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")) {
            List<String> out = new ArrayList<>();
            while (rs.next()) {
                out.add(rs.getString(1));
            }
            return out;
        }
    }

    private int run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve("sqlite3.out").toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
        assertTrue(p.waitFor(20, TimeUnit.SECONDS), "sqlite3 did not finish");
        return p.exitValue();
    }
}
