package org.greylite.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.greylite.testing.AcknowledgedAnswers;
import org.greylite.testing.JavaProgram;
import org.greylite.testing.LoadThenKill;
import org.greylite.testing.RetriedMessages;
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

    @Test
    void everyAnswerAClientReceivedIsInTheGreydbAfterAKillDashNine() throws Exception {
        AcknowledgedAnswers received = new AcknowledgedAnswers(action -> action.startsWith("DEFER_IF_PERMIT"),
                action -> action.startsWith("PREPEND X-Greylist"),
                AcknowledgedAnswers.Pass.CLIENT_WHITELISTED_AND_FIRST_TRIPLET_PASSED);
        for (int round = 0; round < 2; round++) {
            runAndKill(round, received);
        }
        received.assertAllIn(dir.resolve("greylite.db"));
    }

    /** Starts the service on the greydb, has the connections ask until some answers came, then kills it. */
    private void runAndKill(int round, AcknowledgedAnswers received) throws Exception {
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
     * One Postfix connection: a new triplet at each request ({@link RetriedMessages}: from an address of its own,
     * client key {@code ip}, so that no triplet's pass whitelists another's client; every third retried at once, which
     * passes with {@code --delay=0}). Stops when the service is gone.
     */
    private static void ask(InetSocketAddress address, String sender, AcknowledgedAnswers received, AtomicInteger answers) {
        try (PolicyClient c = PolicyClient.tcp(address)) {
            RetriedMessages.sendUntilGone(10, RetriedMessages.oneRecipient(sender), (client, recipients) -> {
                String action = c.ask(PolicyClient.rcpt(client, sender, recipients.get(0)));
                if (action == null) {
                    return false;
                }
                received.add(client, recipients, action);
                answers.incrementAndGet();
                return true;
            });
        } catch (IOException gone) {
            // killed: what this connection received is recorded
        }
    }
}
