package org.greylite.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.greylite.testing.PostfixServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Postfix asks the service where it decides nothing: {@code check_policy_service} in
 * {@code smtpd_sender_restrictions} with {@code smtpd_delay_reject=no}, which postgrey greylisted at MAIL. Nothing is
 * greylisted there (there is no recipient yet), and the administrator is told so once, with where the line belongs,
 * instead of the mail passing ungreylisted without a word.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class PolicyAskedAtAnotherStageTest {

    @TempDir
    Path dir;

    @Test
    void askedAtMailTheServiceSaysOnceWhereItBelongs() throws Exception {
        ListAppender<ILoggingEvent> log = TestPolicy.capture(PolicyService.class);
        try (RunningPolicy policy = TestPolicy.start(dir, "--delay=2")) {
            String service = "check_policy_service inet:127.0.0.1:" + policy.tcpAddress().getPort();
            try (PostfixServer postfix = PostfixServer.in(dir.resolve("postfix"))
                    .main("smtpd_delay_reject", "no")
                    .main("smtpd_sender_restrictions", service)
                    .main("smtpd_recipient_restrictions", "reject_unauth_destination")
                    .listener("smtp")
                    .start()) {
                for (String sender : new String[] {"one@sender.example", "two@sender.example"}) {
                    try (SmtpDialogue c = new SmtpDialogue(postfix.address("smtp"), "127.0.0.1")) {
                        c.reply();
                        c.command("EHLO sender.example");
                        String mail = c.command("MAIL FROM:<" + sender + ">");
                        assertTrue(mail.startsWith("250"), "nothing is decided at MAIL: " + mail);
                    }
                }
            }
        }
        String lines = TestPolicy.lines(log);
        assertTrue(lines.contains("protocol_state=MAIL") && lines.contains("smtpd_recipient_restrictions"), lines);
        assertEquals(1, lines.lines().filter(l -> l.contains("protocol_state=MAIL")).count(), "said once:\n" + lines);
    }
}
