package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.greylite.testing.PostfixServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Postfix sending several messages through greylited on one connection, as it does with a backlog for a
 * destination: its smtp client keeps the connection ({@code smtp_connection_cache_destinations}), says RSET and
 * sends the next message. One delivery at a time ({@code smtp_destination_concurrency_limit = 1}), so the messages
 * queued together share the cached connection. Postfix pipelines (RFC 2920): MAIL, the RCPTs and DATA go in one
 * write, and when greylited refused every recipient, the upstream (a real Postfix too) refuses that DATA with
 * {@code 554 5.5.1 Error: no valid recipients}.
 *
 * <p>The suspicion file is {@code 3 b commanderrors} alone, as in the shipped {@code busy-mx.suspicion}: a client
 * that matches no line waits the usual single refusal and earns the auto-whitelist.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class PostfixCachedConnectionTest {

    @TempDir
    static Path dir;
    private static PostfixServer upstream;
    private static GreylitedProcess greylited;
    private static PostfixServer sender;

    @BeforeAll
    static void start() throws Exception {
        upstream = PostfixServer.in(dir.resolve("upstream"))
                .receivingInto(dir.resolve("delivered"))
                .listener("smtp")
                .start();
        Path suspicion = Files.writeString(dir.resolve("suspicion"), "3 b commanderrors\n");
        greylited = GreylitedProcess.start(Files.createDirectories(dir.resolve("greylited")), upstream.address("smtp"),
                "--min-delay", "2s", "--suspicion", suspicion.toString(), "--hostname", "mx.test");
        sender = PostfixServer.in(dir.resolve("sender"))
                .sendingTo(greylited.port)
                .main("smtp_destination_concurrency_limit", "1")
                .main("smtp_connection_cache_destinations", "static:all")
                .main("smtp_connection_cache_time_limit", "10s")
                .listener("submission")
                .start();
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {sender, greylited, upstream}) {
            if (c != null) {
                c.close();
            }
        }
    }

    private static String message(String to, String subject) {
        return "From: <ann@sender.example>\nTo: <" + to + ">\nSubject: " + subject + "\nMessage-ID: <"
                + subject.replace(' ', '-') + "@sender.example>\nDate: Sat, 05 Dec 2026 07:00:00 +0000\n\n"
                + "One of a backlog.\n";
    }

    /**
     * The first message's recipient is greylisted; Postfix's pipelined DATA then gets the upstream's 554, a reply to
     * a command the client sent before it could know its recipients' fate (RFC 2920 has it so). That 554 marked the
     * client {@code commanderrors} for the rest of the session, and the next message on the cached connection was
     * decided by {@code 3 b commanderrors}: three refusals instead of one, and the client, now suspicious, kept off
     * the auto-whitelist. Greylisting's own refusals made a well-behaved MTA look like an address guesser.
     */
    @Test
    void aMessageWhoseRecipientsWereAllGreylistedDoesNotMarkTheSenderForTheNextOne() throws Exception {
        String first = sender.submit("submission", "ann@sender.example", List.of("one@dest.example"),
                message("one@dest.example", "first of two"));
        String second = sender.submit("submission", "ann@sender.example", List.of("two@dest.example"),
                message("two@dest.example", "second of two"));

        upstream.awaitDelivered("one@dest.example");
        upstream.awaitDelivered("two@dest.example");
        sender.awaitLog(first + ": removed");
        sender.awaitLog(second + ": removed");
        List<String> two = sender.deliveryLines("two@dest.example");
        assertTrue(two.get(0).contains(", conn_use=") && two.get(0).contains("status=deferred (host 127.0.0.1[127.0.0.1] "
                + "said: 451 4.7.1 <two@dest.example>: greylisted"), "the second message came on the connection of "
                + "the first, and was greylisted: " + two);
        String decision = greylited.awaitLine("to=<two@dest.example> attempt=1 ", java.time.Duration.ofSeconds(5));
        assertTrue(decision.contains("refusals-needed=1 ") && decision.endsWith("rule=-"),
                "decided as the first message was, by no rule: " + decision);
        assertFalse(greylited.logged("commanderrors"), String.join("\n", greylited.log));
        assertEquals(1, upstream.delivered("one@dest.example").size());
        assertEquals(1, upstream.delivered("two@dest.example").size());
    }
}
