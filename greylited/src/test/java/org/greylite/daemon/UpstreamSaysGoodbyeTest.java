package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.greylite.relay.RelaySettings;
import org.greylite.relay.SessionInfo;
import org.greylite.suspicion.SuspicionPolicy;
import org.greylite.testing.PostfixPerClass;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 221 is the upstream saying goodbye (RFC 5321 4.2.3, "service closing transmission channel"), whatever command it
 * answers. Postfix says it to a command of its {@code smtpd_forbidden_commands} ({@code GET}, {@code POST},
 * {@code CONNECT}, a line not starting with a letter: the web scanners that knock on every port) and closes. The
 * client got the 221, then a {@code 421 4.3.0} of greylited's, and the session was logged and counted as an upstream
 * that closed the connection unexpectedly: a warning and an upstream error for every scanner.
 */
class UpstreamSaysGoodbyeTest {

    @TempDir
    static Path dir;

    @RegisterExtension
    static final PostfixPerClass postfix = new PostfixPerClass(p -> p.listener("plain"));

    @Test
    void postfixsGoodbyeToAForbiddenCommandEndsTheSessionAsAQuitWould() throws Exception {
        List<String> upstreamFailures = new CopyOnWriteArrayList<>();
        ServerEvents events = new ServerEvents() {
            @Override
            public void upstreamFailed(SessionInfo info, UpstreamFailure failure) {
                upstreamFailures.add(failure.label());
            }
        };
        try (ProxyHarness proxy = new ProxyHarness(dir.resolve("greylite.db"), postfix.server().address("plain"),
                SuspicionPolicy.NONE, RelaySettings.defaults("proxy.test"), b -> b.events(events));
             RawClient c = proxy.client()) {
            c.expect(220);
            assertEquals("221 2.7.0 Error: I can break rules, too. Goodbye.", c.command("GET / HTTP/1.1", 221));
            assertTrue(c.closedByServer(), "the connection ends after the goodbye, without another reply");
        }
        assertEquals(List.of(), upstreamFailures, "Postfix did what it said, nothing failed");
    }
}
