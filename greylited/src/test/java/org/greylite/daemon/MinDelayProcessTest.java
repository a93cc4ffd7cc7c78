package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** greylited as a real process: how min-delay is written, and what its refusals ask of a client. */
class MinDelayProcessTest {

    @TempDir
    Path dir;

    ScriptedUpstream upstream;

    @BeforeEach
    void upstream() throws IOException {
        upstream = new ScriptedUpstream();
    }

    @AfterEach
    void cleanUp() throws IOException {
        upstream.close();
    }

    /** A duration the parser does not take (milliseconds) is refused with every unit it does take, weeks included. */
    @Test
    void aMinDelayInMillisecondsIsRefusedNamingEveryUnit() throws Exception {
        GreylitedProcess.Exit exit = GreylitedProcess.command(upstream.address()).db(dir.resolve("g.db"))
                .env(Map.of("GREYLITE_MIN_DELAY", "500ms")).runToExit();
        assertTrue(exit.output().contains("GREYLITE_MIN_DELAY: bad duration '500ms'; write whole seconds (300) or a"
                + " number with a unit s, m, h, d or w"), exit.output());
    }
}
