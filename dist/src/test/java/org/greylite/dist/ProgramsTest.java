package org.greylite.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

/** The dispatch of greylite.jar where it does not start a program: usage and unknown names. */
class ProgramsTest {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return Programs.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void withoutProgramPrintsUsage() {
        assertEquals(Programs.USAGE_ERROR, run());
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("usage: java -jar greylite.jar PROGRAM"));
    }

    @Test
    void unknownProgramIsNamed() {
        assertEquals(Programs.USAGE_ERROR, run("greylisted", "--help"));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("no program named 'greylisted'"));
    }

    @Test
    void helpListsEveryProgram() {
        assertEquals(0, run("--help"));
        String usage = out.toString(StandardCharsets.UTF_8);
        for (String p : new String[] {"greylited", "greylitectl", "greylite-policy", "greylite ", "ucspi2socket", "dnsblenv", "greydaemon"}) {
            assertTrue(usage.contains("  " + p), p + " missing from: " + usage);
        }
    }
}
