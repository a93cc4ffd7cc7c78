package org.greylite.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProgramStartFailureTest {

    @TempDir
    Path dir;

    @Test
    void aMissingProgramIsSaidOnceWithoutTheErrorNumber() {
        IOException e = assertThrows(IOException.class,
                () -> new ProcessBuilder(dir.resolve("no-such-program").toString()).start());
        assertEquals("No such file or directory", ProgramStartFailure.reason(e));
    }

    @Test
    void aProgramThatMayNotBeRunSaysSo() throws IOException {
        Path notExecutable = Files.writeString(dir.resolve("qmail-smtpd"), "#!/bin/sh\n");
        IOException e = assertThrows(IOException.class, () -> new ProcessBuilder(notExecutable.toString()).start());
        assertEquals("Permission denied", ProgramStartFailure.reason(e));
    }

    @Test
    void aFailureWithoutMessageIsNamedByItsKind() {
        assertEquals("IllegalArgumentException", ProgramStartFailure.reason(new IllegalArgumentException()));
        assertEquals("an empty command", ProgramStartFailure.reason(new IndexOutOfBoundsException("an empty command")));
    }
}
