package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.greylite.testing.AcknowledgedAnswers;
import org.greylite.testing.LoadThenKill;
import org.greylite.testing.RetriedMessages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
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

    @RegisterExtension
    final ScriptedUpstream upstream = ScriptedUpstream.perTest();

    @Test
    void everyReplyAClientReceivedIsInTheGreydbAfterAKillDashNine() throws Exception {
        // Each reply is recorded for its one recipient: the retry's first recipient passes and whitelists the client,
        // the others pass as its, so a 250 is known by the whitelist alone.
        AcknowledgedAnswers received = new AcknowledgedAnswers(reply -> reply.startsWith("451"),
                reply -> reply.startsWith("250"), AcknowledgedAnswers.Pass.CLIENT_WHITELISTED);
        for (int round = 0; round < 2; round++) {
            runAndKill(round, received);
        }
        received.assertAllIn(dir.resolve("greylite.db"));
    }

    /** Starts greylited on the greydb, has the clients send until some replies came, then kills it. */
    private void runAndKill(int round, AcknowledgedAnswers received) throws Exception {
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
     * One SMTP client after another: a session at each message, one or two recipients ({@link RetriedMessages}: from
     * an address of its own in 127/8; every third sent again at once, which passes with {@code --min-delay 0}). Stops
     * when greylited is gone.
     */
    private static void send(InetSocketAddress proxy, String sender, AcknowledgedAnswers received, AtomicInteger replies) {
        try {
            RetriedMessages.sendUntilGone(127, RetriedMessages.oneOrTwoRecipients(sender), (client, recipients) -> {
                try (RawClient c = new RawClient(proxy, InetAddress.getByName(client)).hello()) {
                    c.command("MAIL FROM:<" + sender + ">", 250);
                    for (String rcpt : recipients) {
                        c.send("RCPT TO:<" + rcpt + ">\r\n");
                        received.add(client, List.of(rcpt), c.reply());
                        replies.incrementAndGet();
                    }
                    c.send("QUIT\r\n");
                }
                return true;
            });
        } catch (IOException | AssertionError gone) {
            // killed: what this client received is recorded
        }
    }
}
