package org.greylite.wrapper;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** The program's modes, as {@code main} chooses them. */
class GreyliteTest {

    private final ByteArrayOutputStream errors = new ByteArrayOutputStream();
    private final PrintStream err = new PrintStream(errors, true, StandardCharsets.UTF_8);

    @Test
    void withoutProgramItIsAUsageError() {
        assertEquals(Greylite.EXIT_USAGE, Greylite.run(new String[0], Map.of("GREYLIST", ""), err));
        assertTrue(errors.toString(StandardCharsets.UTF_8).startsWith("greylite: usage: greylite PROGRAM [ARG...]"));
    }

    @Test
    void withoutGreylistProgramRunsOnTheSameDescriptorsAndItsStatusIsGreylites() {
        // Nothing but the status can be seen from here: the descriptors are checked under tcpserver
        // (integration-tests), where they are the client's socket.
        assertEquals(5, Greylite.run(new String[] {"sh", "-c", "exit 5"}, Map.of(), err));
        assertEquals("", errors.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aProgramThatCannotRunIsATemporaryFailure() {
        assertEquals(Greylite.EXIT_TEMPORARY, Greylite.run(new String[] {"/nonexistent/qmail-smtpd"}, Map.of(), err));
        assertEquals("greylite: cannot run /nonexistent/qmail-smtpd: No such file or directory\n",
                errors.toString(StandardCharsets.UTF_8));
    }
}
