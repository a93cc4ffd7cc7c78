package org.greylite.greydaemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.greylite.testing.JavaProgram;
import org.greylite.testing.PostgresServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A postgresql:// SAVEFILE that greydaemon cannot log in to, against a real PostgreSQL server that asks for a
 * password (scram-sha-256): the real program stops with one line saying why and exit status 111, whether the
 * password is wrong or missing. Started with no password at all, it used to go on as if the server were down,
 * answering every request as a greydb failure (letting all mail in) for as long as nobody read its log.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class GreydaemonPostgresStartTest {

    @RegisterExtension
    static final PostgresServer PG = new PostgresServer();

    @TempDir
    Path dir;

    private Map<String, String> env(String password) {
        Map<String, String> env = new HashMap<>();
        env.put("HOME", dir.toString()); // no ~/.pgpass
        env.put("PGPASSFILE", dir.resolve("no-pgpass").toString());
        env.put("GREYLITE_BUSY_TIMEOUT", "2s");
        if (password != null) {
            env.put("PGPASSWORD", password);
        }
        return env;
    }

    private void stopsWithOneLine(Map<String, String> env, String says) throws Exception {
        try (JavaProgram d = GreydaemonProcess.start(env, "127.0.0.1:0", PG.url(PG.createDatabase()))) {
            assertEquals(111, d.awaitExit(Duration.ofSeconds(60)), d.output());
            String out = d.output();
            assertEquals(1, out.lines().filter(l -> l.contains("ERROR greydaemon: postgresql://") && l.contains(says)).count(),
                    out);
            assertTrue(out.contains("(the password comes from PGPASSWORD, or from the password file: the URL's passfile,"
                    + " else PGPASSFILE, else ~/.pgpass)"), out);
            assertFalse(out.contains("starting anyway") || out.contains("started greydaemon"), out);
            assertFalse(out.contains("\tat "), "no stack trace: " + out);
        }
    }

    @Test
    void aWrongPasswordStopsTheStart() throws Exception {
        stopsWithOneLine(env("not-" + PG.password()), "password authentication failed");
    }

    @Test
    void noPasswordAtAllStopsTheStartToo() throws Exception {
        stopsWithOneLine(env(null), "no password was provided");
    }
}
