package org.greylite.store;

import java.time.Duration;

import org.greylite.testing.PostgresServer;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The common greydb story on PostgreSQL: a new database for each test, created by the store on first use. */
class PostgresGreydbScenarioTest extends GreydbScenarioTest {

    @RegisterExtension
    static final PostgresServer PG = new PostgresServer();

    @Override
    GreydbLocation freshGreydb() {
        return GreydbLocation.parse(PG.url(PG.createDatabase()));
    }

    @Override
    GreydbOptions options() {
        return new GreydbOptions(Duration.ofSeconds(5), 4, PG.env());
    }
}
