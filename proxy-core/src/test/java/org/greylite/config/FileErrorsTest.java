package org.greylite.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** The reasons a suspicion file cannot be read, as the loaders report them, from real files. */
class FileErrorsTest {

    @TempDir
    Path dir;

    private String whyNot(Path file) {
        IOException e = assertThrows(IOException.class,
                () -> SuspicionSetup.load(file, Map.of(), LoggerFactory.getLogger(FileErrorsTest.class)));
        return FileErrors.describe(file, e);
    }

    @Test
    void aMissingFile() {
        assertEquals("no such file", whyNot(dir.resolve("nosuch.susp")));
    }

    @Test
    void aDirectory() {
        assertEquals("is a directory", whyNot(dir));
    }

    @Test
    void aFileThisUserMayNotRead() throws IOException {
        assumeFalse("root".equals(System.getProperty("user.name")), "root reads any file");
        Path file = Files.writeString(dir.resolve("secret.susp"), "1 r ^$\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("-w-------"));
        assertEquals("permission denied", whyNot(file));
    }
}
