package org.greylite.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.greylite.testing.JavaProgram;
import org.greylite.testing.LoadThenKill;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * SPEC §3: the greydb never loses a decision it acknowledged. Many Postfix connections at once, each asking about new
 * triplets, so that the requests of a turn share one transaction ({@link DecisionTurn}); the process is killed with
 * SIGKILL in the middle of that; every answer a client received must be in the greydb as it was said: a deferred
 * triplet has its row, a retry that passed is passed and its client on the auto-whitelist. Twice, the second time
 * on the greydb the first kill left (its log replayed by the restart).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PolicyKilledUnderLoadTest {

    private static final int CONNECTIONS = 8;

    @TempDir
    Path dir;

    /** One answer a client received: for the triplet of client and recipient (the sender is the connection's). */
    private record Received(String client, String recipient, String action) {
    }

    @Test
    void everyAnswerAClientReceivedIsInTheGreydbAfterAKillDashNine() throws Exception {
        Queue<Received> received = new ConcurrentLinkedQueue<>();
        for (int round = 0; round < 2; round++) {
            runAndKill(round, received);
        }
        int deferred = 0;
        int passed = 0;
        try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("greylite.db"))) {
            Map<String, Boolean> triplets = triplets(db);
            Set<String> whitelisted = whitelisted(db);
            for (Received r : received) {
                String key = r.client() + " " + r.recipient();
                if (r.action().startsWith("DEFER_IF_PERMIT")) {
                    deferred++;
                    assertTrue(triplets.containsKey(key), "deferred, answered, and not in the greydb: " + r);
                } else if (r.action().startsWith("PREPEND X-Greylist")) {
                    passed++;
                    assertEquals(Boolean.TRUE, triplets.get(key), "passed, answered, and not recorded so: " + r);
                    assertTrue(whitelisted.contains(r.client()), "passed, answered, and its client not whitelisted: " + r);
                }
            }
        }
        assertTrue(deferred > 0 && passed > 0, "both kinds of answer were given: " + deferred + " and " + passed);
    }

    /** Starts the service on the greydb, has the connections ask until some answers came, then kills it. */
    private void runAndKill(int round, Queue<Received> received) throws Exception {
        try (JavaProgram p = PolicyProcess.start(dir, "--inet=127.0.0.1:0", "--delay=0", "--client-key=ip")) {
            String line = p.awaitLine("greylite-policy listening on", Duration.ofSeconds(60));
            Matcher m = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)").matcher(line);
            assertTrue(m.find(), line);
            InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), Integer.parseInt(m.group(1)));
            LoadThenKill.run(CONNECTIONS, 300,
                    (i, answers) -> ask(address, "round" + "abc".charAt(round) + "conn" + (char) ('a' + i) + "@example.net",
                            received, answers),
                    () -> {
                        assertEquals(0, p.signal("KILL"));
                        assertEquals(137, p.awaitExit(Duration.ofSeconds(10)), p.output());
                    }, p::output);
        }
    }

    /**
     * One Postfix connection: a new triplet at each request, from an address of its own (client key {@code ip}: no
     * triplet's pass whitelists another's client); every third retried at once, which passes with {@code --delay=0}.
     * Stops when the service is gone.
     */
    private static void ask(InetSocketAddress address, String sender, Queue<Received> received, AtomicInteger answers) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        try (PolicyClient c = PolicyClient.tcp(address)) {
            for (int n = 1; ; n++) {
                String client = "10." + random.nextInt(256) + "." + random.nextInt(256) + "." + (1 + random.nextInt(254));
                String recipient = "r" + n + "-" + sender;
                for (int attempt = 0; attempt < (n % 3 == 0 ? 2 : 1); attempt++) {
                    String action = c.ask(PolicyClient.rcpt(client, sender, recipient));
                    if (action == null) {
                        return;
                    }
                    received.add(new Received(client, recipient, action));
                    answers.incrementAndGet();
                }
            }
        } catch (IOException gone) {
            // killed: what this connection received is recorded
        }
    }

    /** Each triplet's client and recipient, and whether it has passed. */
    private static Map<String, Boolean> triplets(Connection db) throws SQLException {
        Map<String, Boolean> rows = new HashMap<>();
        try (Statement st = db.createStatement();
             ResultSet rs = st.executeQuery("SELECT client, recipient, passed_at IS NOT NULL FROM triplet")) {
            while (rs.next()) {
                rows.put(rs.getString(1) + " " + rs.getString(2), rs.getBoolean(3));
            }
        }
        return rows;
    }

    private static Set<String> whitelisted(Connection db) throws SQLException {
        Set<String> clients = new HashSet<>();
        try (Statement st = db.createStatement(); ResultSet rs = st.executeQuery("SELECT client FROM whitelist")) {
            while (rs.next()) {
                clients.add(rs.getString(1));
            }
        }
        return clients;
    }
}
