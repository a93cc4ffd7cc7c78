package org.greylite.store;

import java.time.Duration;

import org.greylite.testing.PostgresServer;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A PostgreSQL greydb an older version wrote, keying IPv6 clients in Java's full text. */
class PostgresOlderIpv6KeysTest extends OlderIpv6KeysTest {

    @RegisterExtension
    static final PostgresServer PG = new PostgresServer();

    @Override
    GreydbLocation olderGreydb() {
        GreydbLocation greydb = newGreydb();
        execute(greydb, String.join(";\n", GreydbSchema.postgresqlStatements())); // as psql -f greydb-postgresql.sql
        return greydb;
    }

    @Override
    GreydbLocation newGreydb() {
        return GreydbLocation.parse(PG.url(PG.createDatabase()));
    }

    @Override
    void execute(GreydbLocation greydb, String sql) {
        PG.psql(((GreydbLocation.Postgres) greydb).database(), sql);
    }

    @Override
    GreydbOptions options() {
        return new GreydbOptions(Duration.ofSeconds(10), 4, PG.env());
    }
}
