package org.greylite.it;

import static org.greylite.it.SmtpClient.assertGreylisted;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.greylite.testing.ExternalPrograms;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * An administrator replaces greylite 2.3 by bin/greylite under the same tcpserver run script, DBFILE still naming
 * greylite's own database: the clients greylite had verified pass at once, its pending triplets count, and
 * greylitectl shows them. The database is made by the sqlite3 program with greylite's schema and rows as greylite
 * wrote them (DATETIME('now')).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class GreyliteDatabaseSwitchTest {

    @TempDir
    Path dir;

    @RegisterExtension
    final Tcpservers tcpservers = new Tcpservers();

    private Tcpserver tcpserver;

    private Path db() {
        return dir.resolve("greylite.db");
    }

    private void sqlite3(String script) throws Exception {
        Process p = new ProcessBuilder(ExternalPrograms.require("sqlite3").toString(), db().toString())
                .redirectErrorStream(true).start();
        // Waits for the lock as greylite did (sqlite3 alone gives up at once): the wrapper of the session before may
        // still be ending its transaction.
        p.getOutputStream().write((".timeout 30000\n" + script).getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
    }

    /** One message's envelope from {@code client}; returns the reply to its RCPT. */
    private String rcpt(String client, String from, String to) throws IOException {
        try (SmtpClient c = SmtpClient.connect(client, tcpserver.port())) {
            assertTrue(c.reply().startsWith("220 "));
            assertTrue(c.command("EHLO client.example").startsWith("250 "));
            assertEquals("250 ok", c.command("MAIL FROM:<" + from + ">"));
            String reply = c.command("RCPT TO:<" + to + ">");
            assertEquals("221 fake.example bye", c.command("QUIT"));
            return reply;
        }
    }

    private String greylitectl(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Launchers.bin("greylitectl")));
        cmd.addAll(List.of(args));
        cmd.addAll(List.of("--db", db().toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().remove("DBFILE");
        Launchers.Ended ended = Launchers.runToEnd(pb, dir, "greylitectl", 60);
        assertEquals(0, ended.status(), ended.out());
        return ended.out();
    }

    @Test
    void greylitesVerifiedClientsAndPendingTripletsCarryOverToTheWrapper() throws Exception {
        ExternalPrograms.require("tcpserver");
        sqlite3("CREATE TABLE pending (ip varchar(15), envsender varchar, envrecipient varchar,"
                + " tsfirstdelivery timestamp, tslastdelivery timestamp, attempts smallint,"
                + " primary key (ip,envsender,envrecipient));\n"
                + "CREATE TABLE verified (ip varchar(15) primary key, ts timestamp);\n"
                + "INSERT INTO verified (ip,ts) VALUES ('127.0.0.2', DATETIME('now', '-3 days'));\n"
                + "INSERT INTO verified (ip,ts) VALUES ('127.0.0.300', DATETIME('now'));\n"
                // refused ten minutes ago: its retry now comes after min-delay (5 minutes)
                + "INSERT INTO pending (ip, envsender, envrecipient, tsfirstdelivery, tslastdelivery, attempts)"
                + " VALUES ('127.0.0.3','sender@example.org','rcpt@example.com',DATETIME('NOW', '-10 minutes'),"
                + "DATETIME('NOW', '-10 minutes'),1);\n"
                // refused a minute ago: its retry now is too early
                + "INSERT INTO pending (ip, envsender, envrecipient, tsfirstdelivery, tslastdelivery, attempts)"
                + " VALUES ('127.0.0.6','sender@example.org','early@example.com',DATETIME('NOW', '-1 minutes'),"
                + "DATETIME('NOW', '-1 minutes'),1);\n");
        List<String> chain = List.of(Launchers.bin("greylite"), "sh", Launchers.fakeSmtpd(dir));
        tcpserver = tcpservers.start(chain, Map.of("GREYLIST", "", "DBFILE", db().toString(), "GREYLITE_CLIENT_KEY",
                "ip", "LOGTHRESHOLD", "6", "FAKESMTPD_LOG", dir.resolve("smtpd.log").toString()));

        assertEquals("250 ok", rcpt("127.0.0.2", "someone@example.net", "rcpt@example.com"),
                "a client greylite had verified passes at once");
        assertEquals("250 ok", rcpt("127.0.0.3", "sender@example.org", "rcpt@example.com"),
                "greylite's pending triplet, refused more than min-delay ago, passes at its retry");
        assertGreylisted("early@example.com", rcpt("127.0.0.6", "sender@example.org", "early@example.com"),
                "greylite's pending triplet refused a minute ago is still within min-delay");
        assertGreylisted("rcpt@example.com", rcpt("127.0.0.4", "sender@example.org", "rcpt@example.com"),
                "a client greylite never saw is greylisted");

        // greylite run again for a while: a client it verifies then is not brought in a second time
        sqlite3("INSERT INTO verified (ip,ts) VALUES ('127.0.0.5', DATETIME('now'));\n");
        assertGreylisted("rcpt@example.com", rcpt("127.0.0.5", "sender@example.org", "rcpt@example.com"),
                "the import ran once");

        List<String> imports = tcpserver.chainLog().stream().filter(l -> l.contains("greylite 2.3's tables imported"))
                .toList();
        assertEquals(1, imports.size(), String.join("\n", tcpserver.chainLog()));
        assertTrue(imports.get(0).contains(db().toString()) && imports.get(0).contains(" 1 verified clients")
                && imports.get(0).contains(" 2 pending triplets") && imports.get(0).contains("1 rows whose address or"
                + " time cannot be read"), imports.get(0));

        String whitelist = greylitectl("db", "list", "--whitelist");
        assertTrue(whitelist.contains("127.0.0.2"), "the imported auto-whitelist entry is listed: " + whitelist);
        String pending = greylitectl("db", "list", "--pending", "--client", "127.0.0.6", "--client-key", "ip");
        assertTrue(pending.contains("<early@example.com>"), "the imported pending triplet is listed: " + pending);
    }
}
