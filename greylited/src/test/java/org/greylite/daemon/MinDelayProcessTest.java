package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** greylited as a real process: how min-delay is written, and what its refusals ask of a client. */
class MinDelayProcessTest {

    @TempDir
    Path dir;

    @RegisterExtension
    final ScriptedUpstream upstream = ScriptedUpstream.perTest();

    /** A duration the parser does not take (milliseconds) is refused with every unit it does take, weeks included. */
    @Test
    void aMinDelayInMillisecondsIsRefusedNamingEveryUnit() throws Exception {
        GreylitedProcess.Exit exit = GreylitedProcess.command(upstream.address()).db(dir.resolve("g.db"))
                .env(Map.of("GREYLITE_MIN_DELAY", "500ms")).runToExit();
        assertTrue(exit.output().contains("GREYLITE_MIN_DELAY: bad duration '500ms'; write whole seconds (300) or a"
                + " number with a unit s, m, h, d or w"), exit.output());
    }

    /**
     * With --min-delay 0 only the count matters: a retry counts at once, so the refusal has no wait to name, and
     * "please retry in 0 seconds" must not be said; it asks for a retry later, and the retry passes.
     */
    @Test
    void withoutAMinDelayTheRefusalAsksForARetryLater() throws Exception {
        try (GreylitedProcess p = GreylitedProcess.command(upstream.address()).db(dir.resolve("g.db"))
                .args("--min-delay", "0").start()) {
            assertEquals("451 4.7.1 <b@example.com>: greylisted, please retry later", RawClient.rcptReply(p.address()));
            assertTrue(RawClient.rcptReply(p.address()).startsWith("250"), "the retry counts at once");
        }
    }
}
