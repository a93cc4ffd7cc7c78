package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The envelope of the upstream-first tests, through a proxy whose upstream knows pass@ and grey@example.com
 * and refuses unknown@example.com: pass@ is made a known triplet first, then one envelope holds grey@ (a first
 * attempt: greylisted), unknown@ (the upstream's refusal) and pass@ (a retry: passes), sent pipelined or one
 * command at a time, with DATA or with BDAT. Only pass@ may receive the message.
 */
final class MixedEnvelope {

    static final String SENDER = "sender@example.org";
    static final String PASS = "pass@example.com";
    static final String GREY = "grey@example.com";
    static final String UNKNOWN = "unknown@example.com";
    /** The message as the client sends it (no line starts with a dot, so DATA and BDAT carry the same bytes). */
    static final String MESSAGE = "From: <" + SENDER + ">\r\nTo: <" + PASS + ">\r\nSubject: upstream first\r\n\r\n"
            + "line one\r\n\tline two, indented\r\nlast line\r\n";

    private MixedEnvelope() {
    }

    /** The first attempt of pass@, greylisted, and the time past the delay: its next attempt passes. */
    static void makePassKnown(ProxyHarness proxy, java.net.InetAddress from) throws IOException {
        try (RawClient c = new RawClient(proxy.address(), from).hello()) {
            c.command("MAIL FROM:<" + SENDER + ">", 250);
            c.command("RCPT TO:<" + PASS + ">", 451);
            c.command("QUIT", 221);
        }
        proxy.clock.advance(Duration.ofSeconds(301));
    }

    /**
     * Sends the mixed envelope and the message; checks every reply, in order, and returns them: MAIL, grey@'s,
     * unknown@'s, pass@'s, then DATA's 354 and the message's, or the BDAT's.
     */
    static List<String> send(InetSocketAddress proxy, java.net.InetAddress from, boolean pipelined, boolean bdat)
            throws IOException {
        List<String> replies = new ArrayList<>();
        try (RawClient c = new RawClient(proxy, from).hello()) {
            List<String> commands = List.of("MAIL FROM:<" + SENDER + ">", "RCPT TO:<" + GREY + ">",
                    "RCPT TO:<" + UNKNOWN + ">", "RCPT TO:<" + PASS + ">");
            String message = bdat ? "BDAT " + MESSAGE.length() + " LAST\r\n" + MESSAGE : "DATA\r\n";
            if (pipelined) {
                c.send(String.join("\r\n", commands) + "\r\n" + message); // one write, as a pipelining client sends
                for (int i = 0; i <= commands.size(); i++) {
                    replies.add(c.reply());
                }
            } else {
                for (String command : commands) {
                    c.send(command + "\r\n");
                    replies.add(c.reply());
                }
                c.send(message);
                replies.add(c.reply());
            }
            if (!bdat) {
                c.send(MESSAGE + ".\r\n");
                replies.add(c.reply());
            }
            c.command("QUIT", 221);
        }
        String all = String.join("\n", replies);
        assertTrue(replies.get(0).startsWith("250"), all);
        assertTrue(replies.get(1).startsWith("451 4.7.1 <" + GREY + ">: greylisted"), all);
        assertTrue(replies.get(2).startsWith("550 5.1.1") && replies.get(2).contains(UNKNOWN),
                "the upstream's own refusal: " + all);
        assertTrue(replies.get(3).startsWith("250"), all);
        if (bdat) {
            assertTrue(replies.get(4).startsWith("250"), all);
        } else {
            assertTrue(replies.get(4).startsWith("354"), all);
            assertTrue(replies.get(5).startsWith("250"), all);
        }
        return replies;
    }

    /** The greydb holds triplet rows for grey@ and pass@ and none for unknown@. */
    static void assertNoRowForTheUnknownRecipient(Path db) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db)) {
            assertEquals(0, rows(c, UNKNOWN), "the upstream's refusal writes nothing");
            assertEquals(1, rows(c, GREY));
            assertEquals(1, rows(c, PASS));
        }
    }

    private static int rows(Connection c, String recipient) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT count(*) FROM triplet WHERE recipient = ?")) {
            s.setString(1, recipient);
            try (ResultSet r = s.executeQuery()) {
                r.next();
                return r.getInt(1);
            }
        }
    }
}
