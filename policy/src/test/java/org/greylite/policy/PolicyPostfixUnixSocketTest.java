package org.greylite.policy;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.greylite.testing.JavaProgram;
import org.greylite.testing.PostfixServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The unix socket as examples/postfix-policy sets it up: greylite-policy, a real process started as root with its
 * default {@code --socketmode} (0666), makes its socket in a directory of its own in Postfix's queue directory,
 * and a real Postfix, whose smtpd runs as the user postfix, asks it with {@code check_policy_service
 * unix:greylite-policy/socket}, a path relative to the queue directory.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class PolicyPostfixUnixSocketTest {

    @TempDir
    Path dir;

    @Test
    void postfixAsksOverTheSocketInItsQueueDirectory() throws Exception {
        Path postfixDir = dir.resolve("postfix");
        try (PostfixServer postfix = PostfixServer.in(postfixDir)
                .main("smtpd_recipient_restrictions", "reject_unauth_destination, check_policy_service unix:greylite-policy/socket")
                .listener("smtp")
                .start()) {
            Path socketDir = Files.createDirectories(postfixDir.resolve("queue").resolve("greylite-policy"));
            Path socket = socketDir.resolve("socket");
            try (JavaProgram policy = PolicyProcess.start(dir, "--unix=" + socket)) {
                policy.awaitLine("greylite-policy listening on unix:" + socket, Duration.ofSeconds(60));
                try (SmtpDialogue c = new SmtpDialogue(postfix.address("smtp"), "127.0.0.1")) {
                    c.reply();
                    c.command("EHLO sender.example");
                    c.command("MAIL FROM:<someone@sender.example>");
                    String rcpt = c.command("RCPT TO:<user@example.org>");
                    assertTrue(rcpt.matches("(?s)450 4\\.7\\.1 .*Greylisted, please retry in \\d+ seconds.*"),
                            rcpt + "\n" + postfix.log());
                }
                assertTrue(policy.awaitLine("decision verdict=greylist", Duration.ofSeconds(10)).contains("client=127.0.0.1"),
                        policy.output());
            }
        }
    }
}
