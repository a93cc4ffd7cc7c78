package org.greylite.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.greylite.greylist.ClientKeys;
import org.greylite.greylist.GreylistSettings;
import org.greylite.testing.ExternalPrograms;
import org.greylite.testing.MutableClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * greylite 2.3's own database given as the greydb (the same DBFILE after the switch): what its {@code verified} and
 * {@code pending} tables knew is brought into the greydb once, its tables left as they were. The file is made by the
 * sqlite3 program with greylite's schema and rows as greylite writes them (DATETIME('now') text, in UTC).
 */
class Greylite23DatabaseTest {

    /** greylite 2.3's greydb.sql. */
    private static final String GREYLITE_SCHEMA = "CREATE TABLE pending (ip varchar(15), envsender varchar,"
            + " envrecipient varchar, tsfirstdelivery timestamp, tslastdelivery timestamp, attempts smallint,"
            + " primary key (ip,envsender,envrecipient));\n"
            + "CREATE TABLE verified (ip varchar(15) primary key, ts timestamp);\n";

    /** The time now, for the engine: greylite's rows are dated from it. */
    private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock(NOW);

    private Path greyliteDb(String rows) throws Exception {
        Path file = dir.resolve("greylite.db");
        sqlite3(file, GREYLITE_SCHEMA + rows);
        return file;
    }

    private static void sqlite3(Path file, String script) throws Exception {
        Path sqlite3 = ExternalPrograms.require("sqlite3");
        Process p = new ProcessBuilder(sqlite3.toString(), file.toString()).redirectErrorStream(true).start();
        p.getOutputStream().write(script.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
    }

    private GreyliteImportRules rules(ClientKeys keys) {
        return new GreyliteImportRules(GreylistSettings.defaults().withClientKeys(keys), clock);
    }

    private void open(Path file, GreyliteImportRules rules) {
        GreylistStores.sqlite(file, Duration.ofSeconds(5), rules).close();
    }

    private static List<String> rows(Path file, String sql) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery(sql)) {
            int n = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                List<String> cols = new ArrayList<>();
                for (int i = 1; i <= n; i++) {
                    cols.add(rs.getString(i));
                }
                out.add(String.join("|", cols));
            }
        }
        return out;
    }

    private static long epoch(String utc) {
        return Instant.parse(utc).getEpochSecond();
    }

    @Test
    void verifiedClientsAndPendingTripletsAreImportedAsTheEngineKeysThem() throws Exception {
        Path file = greyliteDb(""
                + "INSERT INTO verified VALUES ('192.0.2.7', '2025-12-20 10:00:00');\n"
                + "INSERT INTO verified VALUES ('198.51.100.9', '2025-10-01 00:00:00');\n" // older than 36 days
                + "INSERT INTO verified VALUES ('mx.example.net', '2025-12-31 00:00:00');\n" // no address
                + "INSERT INTO verified VALUES ('203.0.113.5', 'yesterday');\n" // no time
                + "INSERT INTO pending VALUES ('192.0.2.50', 'Sender@Example.ORG', 'Rcpt@Example.COM',"
                + " '2025-12-31 23:40:00', '2025-12-31 23:50:00', 2);\n"
                + "INSERT INTO pending VALUES ('192.0.2.51', '', 'postbox@example.com',"
                + " '2025-12-31 23:58:00', '2025-12-31 23:58:00', 1);\n" // the null sender, as greylite stores it
                + "INSERT INTO pending VALUES ('192.0.2.52', 'a@example.org', 'b@example.com',"
                + " '2025-12-30 00:00:00', '2025-12-31 12:00:00', 3);\n" // first tried 48 h ago: past the retry window
                + "INSERT INTO pending VALUES ('192.0.2.999', 'a@example.org', 'b@example.com',"
                + " '2025-12-31 23:00:00', '2025-12-31 23:00:00', 1);\n"); // no address

        open(file, rules(ClientKeys.exactAddresses()));

        assertEquals(List.of("192.0.2.7|auto|" + epoch("2025-12-20T10:00:00Z") + "|" + epoch("2025-12-20T10:00:00Z")),
                rows(file, "SELECT client, source, created, last_seen FROM whitelist"));
        assertEquals(List.of(
                        "192.0.2.50|sender@example.org|rcpt@example.com|2|" + epoch("2025-12-31T23:40:00Z") + "|"
                                + epoch("2025-12-31T23:50:00Z") + "|null",
                        "192.0.2.51||postbox@example.com|1|" + epoch("2025-12-31T23:58:00Z") + "|"
                                + epoch("2025-12-31T23:58:00Z") + "|null"),
                rows(file, "SELECT client, sender, recipient, refusals, first_seen, last_seen, coalesce(passed_at, 'null')"
                        + " FROM triplet ORDER BY client"));
        assertEquals(List.of(Long.toString(NOW.getEpochSecond())),
                rows(file, "SELECT value FROM greydb_meta WHERE key = 'greylite23_import'"));
        assertEquals(List.of("4|4"), rows(file, "SELECT (SELECT COUNT(*) FROM verified), (SELECT COUNT(*) FROM pending)"),
                "greylite's tables are left as they were, for going back to greylite");
    }

    @Test
    void aSecondOpenImportsNothingMore() throws Exception {
        Path file = greyliteDb("INSERT INTO verified VALUES ('192.0.2.7', '2025-12-31 10:00:00');\n");
        open(file, rules(ClientKeys.exactAddresses()));
        // greylite run again meanwhile (the administrator went back to it for a day), then this program once more
        sqlite3(file, "INSERT INTO verified VALUES ('192.0.2.8', '2025-12-31 11:00:00');\n"
                + "DELETE FROM verified WHERE ip = '192.0.2.7';\n");
        open(file, rules(ClientKeys.exactAddresses()));
        assertEquals(List.of("192.0.2.7"), rows(file, "SELECT client FROM whitelist"));
    }

    @Test
    void underTheNetworkKeyAddressesOfOneNetworkMakeOneEntry() throws Exception {
        Path file = greyliteDb(""
                + "INSERT INTO verified VALUES ('192.0.2.7', '2025-12-20 10:00:00');\n"
                + "INSERT INTO verified VALUES ('192.0.2.9', '2025-12-30 10:00:00');\n"
                + "INSERT INTO pending VALUES ('192.0.2.50', 'a@example.org', 'b@example.com',"
                + " '2025-12-31 23:40:00', '2025-12-31 23:40:00', 1);\n");
        open(file, rules(ClientKeys.networks()));
        assertEquals(List.of("192.0.2.0/24|" + epoch("2025-12-20T10:00:00Z") + "|" + epoch("2025-12-30T10:00:00Z")),
                rows(file, "SELECT client, created, last_seen FROM whitelist"));
        assertEquals(List.of("192.0.2.0/24|a@example.org"), rows(file, "SELECT client, sender FROM triplet"));
    }

    @Test
    void aProgramThatDoesNotGreylistLeavesTheImportToTheFirstThatDoes() throws Exception {
        Path file = greyliteDb("INSERT INTO verified VALUES ('192.0.2.7', '2025-12-31 10:00:00');\n");
        // greylitectl db init, say: the greydb's tables are added, nothing is imported
        GreylistStores.sqliteAdmin(file, Duration.ofSeconds(5)).close();
        assertEquals(List.of(), rows(file, "SELECT client FROM whitelist"));
        assertEquals(List.of(), rows(file, "SELECT value FROM greydb_meta WHERE key = 'greylite23_import'"));

        open(file, rules(ClientKeys.exactAddresses()));
        assertEquals(List.of("192.0.2.7"), rows(file, "SELECT client FROM whitelist"));
    }

    @Test
    void whatTheGreydbHoldsAlreadyUnderAKeyIsKept() throws Exception {
        Path file = greyliteDb("INSERT INTO verified VALUES ('192.0.2.7', '2025-12-31 10:00:00');\n"
                + "INSERT INTO pending VALUES ('192.0.2.50', 'a@example.org', 'b@example.com',"
                + " '2025-12-31 23:40:00', '2025-12-31 23:40:00', 1);\n");
        GreylistStores.sqliteAdmin(file, Duration.ofSeconds(5)).close();
        sqlite3(file, "INSERT INTO whitelist (client, source, created, last_seen, comment) VALUES ('192.0.2.7', 'admin',"
                + " 5, 5, 'our relay');\n"
                + "INSERT INTO triplet VALUES ('192.0.2.50', 'a@example.org', 'b@example.com', 1, 7, 7, 8);\n");
        open(file, rules(ClientKeys.exactAddresses()));
        assertEquals(List.of("192.0.2.7|admin|5|our relay"), rows(file, "SELECT client, source, last_seen, comment FROM whitelist"));
        assertEquals(List.of("192.0.2.50|1|7|8"), rows(file, "SELECT client, refusals, first_seen, passed_at FROM triplet"));
    }

    @Test
    void tablesOfThoseNamesWithoutGreylitesColumnsAreLeftAlone() throws Exception {
        Path file = dir.resolve("other.db");
        sqlite3(file, "CREATE TABLE verified (id INTEGER PRIMARY KEY, who TEXT);\n"
                + "CREATE TABLE pending (id INTEGER PRIMARY KEY, what TEXT);\n"
                + "INSERT INTO verified VALUES (1, '192.0.2.7');\n");
        open(file, rules(ClientKeys.exactAddresses()));
        assertEquals(List.of(), rows(file, "SELECT client FROM whitelist"));
    }
}
