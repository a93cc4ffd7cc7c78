package org.greylite.store;

import java.time.Duration;

import org.greylite.testing.PgBouncer;
import org.greylite.testing.PostgresServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The common greydb story through PgBouncer in session pooling, as sites put it between their MX hosts and the
 * database: PgBouncer refuses a connection that sends a startup parameter it does not know ({@code options}).
 */
class PgBouncerSessionGreydbScenarioTest extends GreydbScenarioTest {

    @RegisterExtension
    static final PostgresServer PG = new PostgresServer();

    static PgBouncer bouncer;

    @BeforeAll
    static void startBouncer() throws Exception {
        bouncer = PgBouncer.start(PG, PgBouncer.Mode.SESSION);
    }

    @AfterAll
    static void stopBouncer() {
        if (bouncer != null) {
            bouncer.close();
        }
    }

    @Override
    GreydbLocation freshGreydb() {
        return GreydbLocation.parse(bouncer.url(PG.createDatabase()));
    }

    @Override
    GreydbOptions options() {
        return new GreydbOptions(Duration.ofSeconds(5), 4, PG.env());
    }
}
