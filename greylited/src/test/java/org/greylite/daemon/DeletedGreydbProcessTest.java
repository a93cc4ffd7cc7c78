package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The greydb file deleted under a running greylited: said loudly, and a new greydb at the path that all can see. */
class DeletedGreydbProcessTest {

    @TempDir
    Path dir;

    @RegisterExtension
    final ScriptedUpstream upstream = ScriptedUpstream.perTest();

    private static String rcpt(GreylitedProcess d, String to) throws IOException {
        return RawClient.rcptReply(d.address(), "a@example.org", to);
    }

    @Test
    void aDeletedGreydbIsNoticedAndRecreatedWhereGreylitectlLooks() throws Exception {
        Path db = dir.resolve("greylite.db");
        try (GreylitedProcess d = GreylitedProcess.start(dir, upstream.address())) {
            assertTrue(rcpt(d, "before@example.com").startsWith("451"));
            Files.delete(db);
            String line = d.awaitLine("was deleted while in use", Duration.ofSeconds(60));
            assertTrue(line.contains("ERROR") && line.contains(db.toString()) && line.contains("rows it held are lost"),
                    line);
            assertTrue(Files.exists(db), "a new greydb at the path");

            assertTrue(rcpt(d, "after@example.com").startsWith("451"));
            try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT group_concat(recipient) FROM triplet")) {
                rs.next();
                assertEquals("after@example.com", rs.getString(1), "the decision after the check is in the file at the path");
            }
        }
    }
}
