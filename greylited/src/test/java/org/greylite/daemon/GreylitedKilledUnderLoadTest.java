package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashSet;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.greylite.testing.LoadThenKill;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * SPEC §3: the greydb never loses a decision it acknowledged. Many SMTP clients at once, each from an address of its
 * own (any address of 127/8 is loopback on Linux), each naming new triplets, so that the greydb's thread decides
 * one after another; greylited is killed with SIGKILL in the middle of that; every reply a client received must be in
 * the greydb as it was said: a {@code 451} triplet has its row, a retry's {@code 250} has its client on the
 * auto-whitelist. Twice, the second time on the greydb the first kill left (its log replayed by the restart).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class GreylitedKilledUnderLoadTest {

    private static final int CLIENTS = 8;

    @TempDir
    Path dir;

    ScriptedUpstream upstream;

    @BeforeEach
    void upstream() throws IOException {
        upstream = new ScriptedUpstream();
    }

    @AfterEach
    void cleanUp() throws IOException {
        upstream.close();
    }

    /** One reply a client received to a RCPT, for the triplet of its address and the recipient. */
    private record Received(String client, String recipient, String reply) {
    }

    @Test
    void everyReplyAClientReceivedIsInTheGreydbAfterAKillDashNine() throws Exception {
        Queue<Received> received = new ConcurrentLinkedQueue<>();
        for (int round = 0; round < 2; round++) {
            runAndKill(round, received);
        }
        int refused = 0;
        int passed = 0;
        try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("greylite.db"))) {
            Set<String> triplets = rows(db, "SELECT client || ' ' || recipient FROM triplet");
            Set<String> whitelisted = rows(db, "SELECT client FROM whitelist");
            for (Received r : received) {
                if (r.reply().startsWith("451")) {
                    refused++;
                    assertTrue(triplets.contains(r.client() + " " + r.recipient()), "refused, replied, and not in the greydb: " + r);
                } else if (r.reply().startsWith("250")) {
                    passed++;
                    // The first recipient of the retry passes and whitelists the client; the others pass as its.
                    assertTrue(whitelisted.contains(r.client()), "passed, replied, and its client not whitelisted: " + r);
                }
            }
        }
        assertTrue(refused > 0 && passed > 0, "both kinds of reply were given: " + refused + " and " + passed);
    }

    /** Starts greylited on the greydb, has the clients send until some replies came, then kills it. */
    private void runAndKill(int round, Queue<Received> received) throws Exception {
        try (GreylitedProcess g = GreylitedProcess.start(dir, upstream.address(), "--min-delay", "0", "--client-key", "ip")) {
            LoadThenKill.run(CLIENTS, 80,
                    (i, replies) -> send(g.address(), "round" + "abc".charAt(round) + "client" + (char) ('a' + i)
                            + "@example.net", received, replies),
                    () -> {
                        g.process.destroyForcibly(); // SIGKILL: no shutdown hook, no clean close of the greydb
                        assertTrue(g.process.waitFor(10, TimeUnit.SECONDS));
                    }, () -> String.join("\n", g.log));
        }
    }

    /**
     * One SMTP client after another: a session from a new address at each message, one or two recipients; every
     * third message sent again at once, which passes with {@code --min-delay 0}. Stops when greylited is gone.
     */
    private static void send(InetSocketAddress proxy, String sender, Queue<Received> received, AtomicInteger replies) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        try {
            for (int n = 1; ; n++) {
                InetAddress from = InetAddress.getByAddress(new byte[] {127, (byte) (1 + random.nextInt(254)),
                        (byte) random.nextInt(256), (byte) (1 + random.nextInt(254))});
                List<String> recipients = n % 2 == 0 ? List.of("r" + n + "-" + sender)
                        : List.of("r" + n + "-" + sender, "q" + n + "-" + sender);
                for (int attempt = 0; attempt < (n % 3 == 0 ? 2 : 1); attempt++) {
                    try (RawClient c = new RawClient(proxy, from).hello()) {
                        c.command("MAIL FROM:<" + sender + ">", 250);
                        for (String rcpt : recipients) {
                            c.send("RCPT TO:<" + rcpt + ">\r\n");
                            String reply = c.reply();
                            received.add(new Received(from.getHostAddress(), rcpt, reply));
                            replies.incrementAndGet();
                        }
                        c.send("QUIT\r\n");
                    }
                }
            }
        } catch (IOException | AssertionError gone) {
            // killed: what this client received is recorded
        }
    }

    private static Set<String> rows(Connection db, String query) throws SQLException {
        Set<String> values = new HashSet<>();
        try (Statement st = db.createStatement(); ResultSet rs = st.executeQuery(query)) {
            while (rs.next()) {
                values.add(rs.getString(1));
            }
        }
        return values;
    }
}
