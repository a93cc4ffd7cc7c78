package org.greylite.greydaemon;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.greylite.testing.MutableClock;
import org.greylite.testing.PostgresServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** SAVEFILE as a postgresql:// URL: two greydaemons (two MX hosts) sharing one real PostgreSQL greydb. */
class GreyDaemonPostgresTest {

    @RegisterExtension
    static final PostgresServer PG = new PostgresServer();

    @Test
    void aRetryAtTheOtherHostPasses() throws Exception {
        Map<String, String> env = new HashMap<>(PG.env());
        env.put("GREYLITE_NO_SHIPPED_WHITELIST", "");
        String url = PG.url(PG.createDatabase());
        MutableClock clock = new MutableClock(Instant.parse("2026-12-01T10:00:00Z"));
        try (RunningGreydaemon mx1 = GreyDaemon.start(CommandLine.parse(List.of("127.0.0.1:0", url)), env, clock);
             RunningGreydaemon mx2 = GreyDaemon.start(CommandLine.parse(List.of("127.0.0.1:0", url)), env, clock);
             QmailSmtpdClient one = new QmailSmtpdClient(mx1.localAddress());
             QmailSmtpdClient two = new QmailSmtpdClient(mx2.localAddress())) {
            assertEquals("0,1", one.ask("198.51.100.7", "alice@example.net", "bob@example.org"));
            assertEquals("0,2", two.ask("198.51.100.7", "alice@example.net", "bob@example.org"));
            clock.advance(Duration.ofMinutes(6));
            assertEquals("1,3", two.ask("198.51.100.7", "alice@example.net", "bob@example.org"));
            assertEquals("1,2", one.ask("198.51.100.7", "carol@example.net", "dave@example.org"));
        }
    }
}
