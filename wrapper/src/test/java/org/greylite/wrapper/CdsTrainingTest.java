package org.greylite.wrapper;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

/**
 * The build's start-up training walks real sessions (a loopback socket, a shell SMTP server as PROGRAM, a new
 * greydb): when the engine answers differently from what the training expects, the archive silently misses
 * the classes of the steps never reached, and every greylite process starts slower. The build only warns, so
 * this test is what notices.
 */
class CdsTrainingTest {

    @Test
    void trainingSessionsGoAsExpected() throws Exception {
        ByteArrayOutputStream said = new ByteArrayOutputStream();
        try (PrintStream err = new PrintStream(said, true, StandardCharsets.UTF_8)) {
            CdsTraining.train(err);
        }
        String complaints = said.toString(StandardCharsets.UTF_8).lines()
                .filter(l -> l.startsWith("greylite start-up training"))
                .reduce("", (a, b) -> a + b + "\n");
        assertEquals("", complaints);
    }
}
