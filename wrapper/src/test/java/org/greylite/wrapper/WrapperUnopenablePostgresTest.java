package org.greylite.wrapper;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import org.greylite.testing.PostgresServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * DBFILE names a real PostgreSQL greydb the wrapper cannot open: a wrong password, a server that is not there.
 * The client still gets an answer (fail open) and the session goes on; nothing hangs.
 */
class WrapperUnopenablePostgresTest {

    @RegisterExtension
    static final PostgresServer PG = new PostgresServer();

    private static Map<String, String> env(String dbfile, String password) {
        Map<String, String> env = new HashMap<>();
        env.put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
        env.put("GREYLIST", "");
        env.put("TCPREMOTEIP", "192.0.2.7");
        env.put("DBFILE", dbfile);
        env.put("PGPASSWORD", password);
        return env;
    }

    private static void failsOpen(Map<String, String> env) {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            try (Harness h = Harness.start(Harness.smtpd(), env)) {
                assertEquals("220 upstream ESMTP", h.reply());
                assertEquals("250 ok", h.command("MAIL FROM:<a@example.org>"));
                assertEquals("250 ok", h.command("RCPT TO:<b@example.com>"), "accepted: greydb errors fail open");
                assertEquals("250 ok", h.command("RCPT TO:<c@example.com>"), "and the next RCPT too");
                assertEquals("221 bye", h.command("QUIT"));
                assertEquals(0, h.exitStatus());
            }
        });
    }

    @Test
    void aWrongPasswordFailsOpen() {
        failsOpen(env(PG.url(PG.createDatabase()), "not-the-password"));
    }

    @Test
    void aServerThatIsNotThereFailsOpen() throws Exception {
        int unused;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            unused = s.getLocalPort();
        }
        failsOpen(env("postgresql://" + PostgresServer.USER + "@127.0.0.1:" + unused + "/greylite", PG.password()));
    }
}
