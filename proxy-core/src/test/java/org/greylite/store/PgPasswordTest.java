package org.greylite.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PgPasswordTest {

    static final GreydbLocation.Postgres DB = new GreydbLocation.Postgres("db.example.net", 5432, "greylite", "mx", Map.of());

    @TempDir
    Path dir;

    @Test
    void theFirstMatchingLineWinsWithWildcardsAndEscapes() {
        assertEquals("one", PgPassword.match(List.of("# comment", "db.example.net:5432:greylite:mx:one",
                "*:*:*:*:two"), DB));
        assertEquals("two", PgPassword.match(List.of("db.example.net:5432:other:mx:one", "*:*:*:*:two"), DB));
        assertEquals("a:b\\c", PgPassword.match(List.of("db.example.net:*:greylite:mx:a\\:b\\\\c"), DB));
        assertEquals("with:colon", PgPassword.match(List.of("*:5432:*:mx:with:colon"), DB));
        assertNull(PgPassword.match(List.of("db.example.net:5433:greylite:mx:x", "short:line"), DB));
    }

    @Test
    void severalServersTakeTheFirstServersLineElseTheNexts() {
        GreydbLocation.Postgres two = GreydbLocation.Postgres.class.cast(
                GreydbLocation.parse("postgresql://mx@db1.example.net,db2.example.net:5433/greylite"));
        assertEquals("second", PgPassword.match(List.of("db2.example.net:5433:greylite:mx:second"), two));
        assertEquals("first", PgPassword.match(List.of("db2.example.net:5433:greylite:mx:second",
                "db1.example.net:5432:greylite:mx:first"), two));
        assertNull(PgPassword.match(List.of("db2.example.net:5432:greylite:mx:x"), two));
    }

    @Test
    void anIpv6ServerIsLookedUpWithoutItsBrackets() throws Exception {
        // The URL writes an IPv6 address in brackets, libpq's password file without them (its colons escaped): the
        // line psql found for postgresql://mx@[::1]/greylite was not found, and the server's request for a password
        // was answered with none.
        Path file = dir.resolve("pgpass");
        Files.writeString(file, "[2001\\:db8\\:\\:5]:5432:greylite:mx:bracketed\n"
                + "2001\\:db8\\:\\:5:5432:greylite:mx:as-psql-reads-it\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        GreydbLocation.Postgres v6 = GreydbLocation.Postgres.class.cast(
                GreydbLocation.parse("postgresql://mx@[2001:db8::5]/greylite"));

        assertEquals("as-psql-reads-it", PgPassword.lookup(v6, Map.of("PGPASSFILE", file.toString())));
    }

    @Test
    void pgpasswordThenPgpassfileThenHome() throws Exception {
        Path file = dir.resolve("pgpass");
        Files.writeString(file, "*:*:greylite:mx:fromfile\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        Files.writeString(dir.resolve(".pgpass"), "*:*:*:*:fromhome\n");
        Files.setPosixFilePermissions(dir.resolve(".pgpass"), PosixFilePermissions.fromString("rw-------"));

        assertEquals("env", PgPassword.lookup(DB, Map.of("PGPASSWORD", "env", "PGPASSFILE", file.toString())));
        assertEquals("fromfile", PgPassword.lookup(DB, Map.of("PGPASSFILE", file.toString(), "HOME", dir.toString())));
        assertEquals("fromhome", PgPassword.lookup(DB, Map.of("HOME", dir.toString())));
        assertNull(PgPassword.lookup(DB, Map.of("PGPASSFILE", dir.resolve("missing").toString())));
    }

    @Test
    void aFileOthersMayReadIsIgnoredAsLibpqDoes() throws Exception {
        Path file = dir.resolve("pgpass");
        Files.writeString(file, "*:*:*:*:exposed\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        assertNull(PgPassword.lookup(DB, Map.of("PGPASSFILE", file.toString())));
    }
}
