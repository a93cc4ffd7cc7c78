package org.greylite.greydaemon;

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
import java.util.List;
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
 * SPEC §3: the greydb never loses a decision it acknowledged. Many qmail-smtpd processes asking at once, so that
 * their datagrams are decided in batches, one transaction each; greydaemon is killed with SIGKILL in the middle of
 * that; every answer a client received must be in the greydb as it was said: each recipient of a refused message has
 * its triplet's row; a message that passed on its retry has its first recipient's triplet passed and the address
 * known. Twice, the second
 * time on the greydb the first kill left (its log replayed by the restart).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class GreydaemonKilledUnderLoadTest {

    private static final int CLIENTS = 8;

    @TempDir
    Path dir;

    /** One answer a client received, for a message from {@code client} to {@code recipients}. */
    private record Received(String client, List<String> recipients, String answer) {
    }

    @Test
    void everyAnswerAClientReceivedIsInTheGreydbAfterAKillDashNine() throws Exception {
        Path greydb = dir.resolve("greydb");
        Queue<Received> received = new ConcurrentLinkedQueue<>();
        for (int round = 0; round < 2; round++) {
            runAndKill(greydb, round, received);
        }
        int refused = 0;
        int passed = 0;
        try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + greydb)) {
            Map<String, Boolean> triplets = triplets(db);
            Set<String> known = whitelisted(db);
            for (Received r : received) {
                if (r.answer().startsWith("0,")) {
                    refused++;
                    for (String rcpt : r.recipients()) {
                        assertTrue(triplets.containsKey(r.client() + " " + rcpt), "refused, answered, and not in the greydb: " + r);
                    }
                } else if (r.answer().equals("1,3")) {
                    passed++;
                    // The first recipient passes and makes the address known; the others pass as from a known address.
                    assertEquals(Boolean.TRUE, triplets.get(r.client() + " " + r.recipients().get(0)),
                            "passed, answered, and not recorded so: " + r);
                    assertTrue(known.contains(r.client()), "passed, answered, and its address not known: " + r);
                }
            }
        }
        assertTrue(refused > 0 && passed > 0, "both kinds of answer were given: " + refused + " and " + passed);
    }

    /** Starts greydaemon on the greydb, has the clients ask until some answers came, then kills it. */
    private void runAndKill(Path greydb, int round, Queue<Received> received) throws Exception {
        try (JavaProgram d = GreydaemonProcess.start(Map.of("GREYLITE_CLIENT_KEY", "ip"), "-m", "0.0", "127.0.0.1:0",
                greydb.toString())) {
            String line = d.awaitLine("started greydaemon on", Duration.ofSeconds(60));
            Matcher m = Pattern.compile("started greydaemon on 127\\.0\\.0\\.1:(\\d+)").matcher(line);
            assertTrue(m.find(), line);
            InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), Integer.parseInt(m.group(1)));
            LoadThenKill.run(CLIENTS, 300,
                    (i, answers) -> ask(address, "round" + "abc".charAt(round) + "smtpd" + (char) ('a' + i) + "@example.net",
                            received, answers),
                    () -> {
                        assertEquals(0, d.signal("KILL"));
                        assertEquals(137, d.awaitExit(Duration.ofSeconds(10)), d.output());
                    }, d::output);
        }
    }

    /**
     * One qmail-smtpd after another: a new message at each request, from an address of its own (client key {@code ip}:
     * no pass makes another client known), one or two recipients; every third retried at once, which passes with
     * {@code -m 0.0}. Stops when greydaemon no longer answers.
     */
    private static void ask(InetSocketAddress address, String sender, Queue<Received> received, AtomicInteger answers) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        try (QmailSmtpdClient c = new QmailSmtpdClient(address)) {
            c.timeout(5_000);
            for (int n = 1; ; n++) {
                String client = "10." + random.nextInt(256) + "." + random.nextInt(256) + "." + (1 + random.nextInt(254));
                List<String> recipients = n % 2 == 0 ? List.of("r" + n + "-" + sender)
                        : List.of("r" + n + "-" + sender, "q" + n + "-" + sender);
                for (int attempt = 0; attempt < (n % 3 == 0 ? 2 : 1); attempt++) {
                    String answer = c.ask(client, sender, recipients.toArray(String[]::new));
                    if (answer == null) {
                        return;
                    }
                    received.add(new Received(client, recipients, answer));
                    answers.incrementAndGet();
                }
            }
        } catch (IOException gone) {
            // killed: what this client received is recorded
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
