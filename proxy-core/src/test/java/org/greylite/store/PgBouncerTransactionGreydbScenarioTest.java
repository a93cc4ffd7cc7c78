package org.greylite.store;

import java.time.Duration;

import org.greylite.testing.PgBouncer;
import org.greylite.testing.PostgresServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The common greydb story through PgBouncer in transaction pooling, where each transaction may run on another
 * server connection: with {@code prepareThreshold=0} in the URL, as the README says, the JDBC driver keeps no
 * prepared statement on a server connection, which the next transaction would not find there.
 */
class PgBouncerTransactionGreydbScenarioTest extends GreydbScenarioTest {

    @RegisterExtension
    static final PostgresServer PG = new PostgresServer();

    static PgBouncer bouncer;

    @BeforeAll
    static void startBouncer() throws Exception {
        bouncer = PgBouncer.start(PG, PgBouncer.Mode.TRANSACTION);
    }

    @AfterAll
    static void stopBouncer() {
        if (bouncer != null) {
            bouncer.close();
        }
    }

    @Override
    GreydbLocation freshGreydb() {
        return GreydbLocation.parse(bouncer.url(PG.createDatabase()) + "?prepareThreshold=0");
    }

    @Override
    GreydbOptions options() {
        return new GreydbOptions(Duration.ofSeconds(5), 4, PG.env());
    }
}
