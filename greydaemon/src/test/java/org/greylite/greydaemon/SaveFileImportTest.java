package org.greylite.greydaemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An old greydaemon save file at SAVEFILE: imported into a new greydb, kept as a backup. */
class SaveFileImportTest {

    @TempDir
    Path dir;

    private final Instant now = Instant.parse("2026-12-01T10:00:00Z");
    private final TestClock clock = new TestClock(now);

    private RunningGreydaemon start(Path saveFile) throws Exception {
        return GreyDaemon.start(CommandLine.parse(List.of("127.0.0.1:0", saveFile.toString())),
                Map.of("GREYLITE_NO_SHIPPED_WHITELIST", ""), clock);
    }

    @Test
    void savedAddressesAndTripletsCarryOverAndTheTextFileIsKept() throws Exception {
        Path save = dir.resolve("greydaemon.save");
        long t = now.getEpochSecond();
        String text = "I " + (t - 86_400) + " 192.0.2.10\n"
                + "G " + (t - 600) + " 198.51.100.3 alice@example.net bob@example.org\n"
                + "G " + (t - 60) + " 198.51.100.4 . list-owner@example.org\n"
                + "G " + (t - 60) + " 198.51.100.5 carol@example.net dave@example.org\n"
                + "? not a save entry\n";
        Files.writeString(save, text, StandardCharsets.ISO_8859_1);
        byte[] before = Files.readAllBytes(save);

        try (RunningGreydaemon service = start(save);
             QmailSmtpdClient client = new QmailSmtpdClient(service.localAddress())) {
            Path backup = dir.resolve("greydaemon.save" + SaveFileImport.BACKUP_SUFFIX);
            assertArrayEquals(before, Files.readAllBytes(backup), "the save file is kept as it was");
            assertTrue(new String(Files.readAllBytes(save), 0, 15, StandardCharsets.US_ASCII).startsWith("SQLite format"));

            // A known address stays known; a triplet first seen 10 minutes ago passes its retry;
            // one seen a minute ago is still too soon, the null sender's too.
            assertEquals("1,2", client.ask("192.0.2.10", "x@example.net", "y@example.org"));
            assertEquals("1,3", client.ask("198.51.100.3", "alice@example.net", "bob@example.org"));
            assertEquals("0,2", client.ask("198.51.100.4", "", "list-owner@example.org"));
            assertEquals("0,2", client.ask("198.51.100.5", "carol@example.net", "dave@example.org"));
            clock.advance(Duration.ofMinutes(5));
            assertEquals("1,3", client.ask("198.51.100.5", "carol@example.net", "dave@example.org"));
        }
        // Started again on the greydb it made: nothing imported twice, the backup untouched.
        try (RunningGreydaemon again = start(save);
             QmailSmtpdClient client = new QmailSmtpdClient(again.localAddress())) {
            assertEquals("1,2", client.ask("198.51.100.3", "z@example.net", "w@example.org"));
        }
        assertArrayEquals(before, Files.readAllBytes(dir.resolve("greydaemon.save" + SaveFileImport.BACKUP_SUFFIX)));
    }

    @Test
    void aFileThatIsNeitherGreydbNorSaveFileIsLeftAloneAndNamed() throws Exception {
        Path other = dir.resolve("notes.txt");
        Files.writeString(other, "remember the milk\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> start(other).close());
        assertTrue(e.getMessage().contains(other.toString()), e.getMessage());
        assertEquals("remember the milk\n", Files.readString(other));
        assertFalse(Files.exists(dir.resolve("notes.txt" + SaveFileImport.BACKUP_SUFFIX)));
    }

    @Test
    void anExistingBackupIsNeverOverwritten() throws Exception {
        Path save = dir.resolve("save");
        Files.writeString(save, "I 1764583200 192.0.2.10\n");
        Files.writeString(dir.resolve("save" + SaveFileImport.BACKUP_SUFFIX), "an earlier backup\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> start(save).close());
        assertTrue(e.getMessage().contains("already exists"), e.getMessage());
        assertEquals("an earlier backup\n", Files.readString(dir.resolve("save" + SaveFileImport.BACKUP_SUFFIX)));
        assertEquals("I 1764583200 192.0.2.10\n", Files.readString(save));
    }
}
