package org.greylite.wrapper;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two hosts of different IPv4 networks that reach an IPv6 server through NAT64's well-known prefix, or through one
 * Teredo server, come from the same IPv6 /64: under the network key each must still be its own client, or one
 * host's refused attempt would let the other pass (min-delay 0 here, so a second attempt of a triplet passes).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EmbeddedIpv4KeyTest {

    @TempDir
    Path dir;

    private String firstRcpt(String client) throws Exception {
        try (Harness h = Harness.start(Harness.smtpd(), Harness.env(dir.resolve("greylite.db"), "TCPREMOTEIP", client,
                "GREYLITE_CLIENT_KEY", "net", "GREYLITE_MIN_DELAY", "0", "GREYLITE_NO_SHIPPED_WHITELIST", ""))) {
            assertEquals("220 upstream ESMTP", h.reply());
            assertEquals("250 8BITMIME", h.command("EHLO client.example"));
            assertEquals("250 ok", h.command("MAIL FROM:<a@example.org>"));
            String reply = h.command("RCPT TO:<b@example.com>");
            assertEquals("221 bye", h.command("QUIT"));
            return reply;
        }
    }

    private List<String> clientKeys() throws Exception {
        List<String> keys = new ArrayList<>();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("greylite.db"));
             Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT client FROM triplet ORDER BY client")) {
            while (r.next()) {
                keys.add(r.getString(1));
            }
        }
        return keys;
    }

    @Test
    void hostsBehindNat64AreKeyedOnTheirIpv4Networks() throws Exception {
        String reply = firstRcpt("64:ff9b::c000:207"); // 192.0.2.7
        assertTrue(reply.startsWith("451 4.7.1"), reply);
        reply = firstRcpt("64:ff9b::cb00:7107"); // 203.0.113.7
        assertTrue(reply.startsWith("451 4.7.1"), "another network's host passed on the first one's triplet: " + reply);
        assertEquals(List.of("192.0.2.0/24", "203.0.113.0/24"), clientKeys());
    }

    @Test
    void teredoClientsOfOneServerAreKeyedOnTheirOwnIpv4Networks() throws Exception {
        // Server 65.54.227.120; clients 203.0.113.7 and 198.51.100.9, whose addresses Teredo stores inverted.
        String reply = firstRcpt("2001:0:4136:e378:8000:63bf:34ff:8ef8");
        assertTrue(reply.startsWith("451 4.7.1"), reply);
        reply = firstRcpt("2001:0:4136:e378:8000:63bf:39cc:9bf6");
        assertTrue(reply.startsWith("451 4.7.1"), "another network's host passed on the first one's triplet: " + reply);
        assertEquals(List.of("198.51.100.0/24", "203.0.113.0/24"), clientKeys());
    }
}
