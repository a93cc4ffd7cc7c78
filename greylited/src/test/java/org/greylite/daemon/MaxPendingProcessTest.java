package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** --max-pending through a real greylited: the RCPT beyond the cap is greylisted, logged apart, and not recorded. */
class MaxPendingProcessTest {

    @TempDir
    Path dir;

    @RegisterExtension
    final ScriptedUpstream upstream = ScriptedUpstream.perTest();

    @Test
    void aClientAtItsCapGetsTheGreylistingReplyAndNoNewRow() throws Exception {
        try (GreylitedProcess d = GreylitedProcess.start(dir, upstream.address(), "--max-pending", "2");
             RawClient c = new RawClient(d.address()).hello()) {
            c.command("MAIL FROM:<bulk@example.org>", 250);
            c.command("RCPT TO:<one@example.com>", 451);
            c.command("RCPT TO:<two@example.com>", 451);
            String over = c.command("RCPT TO:<three@example.com>", 451);
            assertTrue(over.contains("greylisted"), "the usual greylisting reply: " + over);
            c.command("QUIT", 221);
            d.awaitLine("reason=too-many-pending", Duration.ofSeconds(30));
            assertTrue(d.log.stream().anyMatch(l -> l.contains("reason=too-many-pending") && l.contains("to=<three@example.com>")),
                    d.log.toString());
        }
        try (Connection conn = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("greylite.db"));
             Statement st = conn.createStatement();
             ResultSet rs = st.executeQuery("SELECT group_concat(recipient) FROM (SELECT recipient FROM triplet ORDER BY recipient)")) {
            rs.next();
            assertEquals("one@example.com,two@example.com", rs.getString(1));
        }
    }
}
