package org.greylite.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class GreydbLocationTest {

    private static GreydbLocation.Postgres pg(String text) {
        return assertInstanceOf(GreydbLocation.Postgres.class, GreydbLocation.parse(text));
    }

    @Test
    void aPathIsAnSqliteFile() {
        assertEquals(new GreydbLocation.Sqlite(Path.of("/var/db/greylite/greylite.db")),
                GreydbLocation.parse("/var/db/greylite/greylite.db"));
        assertEquals(new GreydbLocation.Sqlite(Path.of("greylite-demo.db")), GreydbLocation.parse("greylite-demo.db"));
        assertEquals(new GreydbLocation.Sqlite(Path.of("/x/g.db")), GreydbLocation.parse("sqlite:/x/g.db"),
                "as the logs describe it");
        assertTrue(GreydbLocation.parse("g.db").describe().startsWith("sqlite:/"));
    }

    @Test
    void libpqUrls() {
        GreydbLocation.Postgres p = pg("postgresql://mx@db.example.net:5433/greylite");
        assertEquals(new GreydbLocation.Postgres("db.example.net", 5433, "greylite", "mx", Map.of()), p);
        assertEquals("postgresql://mx@db.example.net:5433/greylite", p.describe());
        assertEquals("jdbc:postgresql://db.example.net:5433/greylite", p.jdbcUrl());

        assertEquals(5432, pg("postgres://mx@db/greylite").port());
        assertEquals("mx", pg("postgresql://mx@db").database(), "the database defaults to the user, as in psql");
        assertEquals(System.getProperty("user.name"), pg("postgresql://db/greylite").user());
        assertEquals("[::1]", pg("postgresql://mx@[::1]:5432/greylite").host());
        assertEquals("mx@corp", pg("postgresql://mx%40corp@db/greylite").user(), "percent-escapes are decoded");
    }

    /**
     * A primary and its standbys, as libpq and the JDBC driver take them, with libpq's target_session_attrs given to
     * the driver in its own words (it knows no such property, and would try the first server whatever it is).
     */
    @Test
    void severalServers() {
        GreydbLocation.Postgres p = pg("postgresql://mx@db1.example.net,db2.example.net:5433,[::1]/greylite"
                + "?target_session_attrs=read-write&sslmode=verify-full");
        assertEquals(List.of(new GreydbLocation.Server("db1.example.net", 5432),
                new GreydbLocation.Server("db2.example.net", 5433), new GreydbLocation.Server("[::1]", 5432)), p.servers());
        assertEquals(Map.of("targetServerType", "primary", "sslmode", "verify-full"), p.parameters());
        assertEquals("postgresql://mx@db1.example.net:5432,db2.example.net:5433,[::1]:5432/greylite", p.describe());
        assertEquals("jdbc:postgresql://db1.example.net:5432,db2.example.net:5433,[::1]:5432/greylite", p.jdbcUrl());
        assertEquals("mx", p.user());

        GreydbLocation.Postgres j = pg("jdbc:postgresql://db1:6000,db2:6001/greylite?user=mx&targetServerType=primary");
        assertEquals(new GreydbLocation.Postgres(List.of(new GreydbLocation.Server("db1", 6000),
                new GreydbLocation.Server("db2", 6001)), "greylite", "mx", Map.of("targetServerType", "primary")), j);
        assertEquals("secondary", pg("postgresql://mx@a,b/g?target_session_attrs=standby").parameters()
                .get("targetServerType"));
        assertEquals(Map.of(), pg("postgresql://mx@a,b/g").parameters(), "the driver's default: the first that answers");
    }

    @Test
    void jdbcUrls() {
        GreydbLocation.Postgres p = pg("jdbc:postgresql://db:6000/greylite?user=mx&sslmode=verify-full");
        assertEquals(new GreydbLocation.Postgres("db", 6000, "greylite", "mx", Map.of("sslmode", "verify-full")), p);
    }

    @Test
    void parametersGoToTheDriver() {
        assertEquals(Map.of("sslmode", "require", "ApplicationName", "mx1"),
                pg("postgresql://mx@db/greylite?sslmode=require&ApplicationName=mx1").parameters());
    }

    @Test
    void aPasswordInTheUrlIsRefusedAndNotRepeated() {
        for (String url : new String[] {"postgresql://mx:s3cret@db/greylite", "jdbc:postgresql://db/greylite?user=mx&password=s3cret",
            "postgresql://mx@db/greylite?password=s3cret"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GreydbLocation.parse(url));
            assertTrue(e.getMessage().contains("PGPASSWORD") && e.getMessage().contains(".pgpass"), e.getMessage());
            assertFalse(e.getMessage().contains("s3cret"), e.getMessage());
        }
    }

    @Test
    void malformedUrlsSayWhatIsExpected() {
        for (String url : new String[] {"postgresql:greylite", "postgresql://", "postgresql://a,/greylite",
            "postgresql://mx@a,b:99999/greylite", "postgresql://mx@db:99999/greylite",
            "jdbc:mysql://db/greylite", "postgresql://mx@db/greylite?target_session_attrs=writable",
            "postgresql://mx@db/greylite?target_session_attrs=primary&targetServerType=primary"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GreydbLocation.parse(url), url);
            assertTrue(e.getMessage().contains("greydb"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> GreydbLocation.parse("  "));
    }
}
