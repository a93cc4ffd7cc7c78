package org.greylite.greydaemon;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.greylite.testing.AcknowledgedAnswers;
import org.greylite.testing.JavaProgram;
import org.greylite.testing.LoadThenKill;
import org.greylite.testing.RetriedMessages;
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

    @Test
    void everyAnswerAClientReceivedIsInTheGreydbAfterAKillDashNine() throws Exception {
        Path greydb = dir.resolve("greydb");
        // The first recipient passes and makes the address known; the others pass as from a known address.
        AcknowledgedAnswers received = new AcknowledgedAnswers(answer -> answer.startsWith("0,"),
                answer -> answer.equals("1,3"), AcknowledgedAnswers.Pass.CLIENT_WHITELISTED_AND_FIRST_TRIPLET_PASSED);
        for (int round = 0; round < 2; round++) {
            runAndKill(greydb, round, received);
        }
        received.assertAllIn(greydb);
    }

    /** Starts greydaemon on the greydb, has the clients ask until some answers came, then kills it. */
    private void runAndKill(Path greydb, int round, AcknowledgedAnswers received) throws Exception {
        try (JavaProgram d = GreydaemonProcess.start(Map.of("GREYLITE_CLIENT_KEY", "ip"), "-m", "0.0", "127.0.0.1:0",
                greydb.toString())) {
            InetSocketAddress address = GreydaemonProcess.awaitStartedOnLoopback(d);
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
     * One qmail-smtpd after another: a new message at each request, one or two recipients ({@link RetriedMessages}:
     * from an address of its own, client key {@code ip}; every third retried at once, which passes with
     * {@code -m 0.0}). Stops when greydaemon no longer answers.
     */
    private static void ask(InetSocketAddress address, String sender, AcknowledgedAnswers received, AtomicInteger answers) {
        try (QmailSmtpdClient c = new QmailSmtpdClient(address)) {
            c.timeout(5_000);
            RetriedMessages.sendUntilGone(10, RetriedMessages.oneOrTwoRecipients(sender), (client, recipients) -> {
                String answer = c.ask(client, sender, recipients.toArray(String[]::new));
                if (answer == null) {
                    return false;
                }
                received.add(client, recipients, answer);
                answers.incrementAndGet();
                return true;
            });
        } catch (IOException gone) {
            // killed: what this client received is recorded
        }
    }
}
