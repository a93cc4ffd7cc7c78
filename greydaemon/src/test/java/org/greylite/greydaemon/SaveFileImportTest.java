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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.greylite.testing.MutableClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

/** An old greydaemon save file at SAVEFILE: imported into a new greydb, kept as a backup. */
class SaveFileImportTest {

    @TempDir
    Path dir;

    private final Instant now = Instant.parse("2026-12-01T10:00:00Z");
    private final MutableClock clock = new MutableClock(now);

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

    /**
     * Entries already past greydaemon's lifetimes (7 days for a known address, 12 hours for a triplet) are left out,
     * as greylite 2.3's are: imported, they sat in the greydb until a purge, which took their old times for a clock
     * set ahead and refused to remove them.
     */
    @Test
    void entriesAlreadyExpiredAreLeftOut() throws Exception {
        Path save = dir.resolve("greydaemon.save");
        long t = now.getEpochSecond();
        Files.writeString(save, "I " + (t - 60) + " 192.0.2.1\n"
                + "I " + (t - 10 * 86_400) + " 192.0.2.2\n"
                + "G " + (t - 600) + " 198.51.100.3 alice@example.net bob@example.org\n"
                + "G " + (t - 13 * 3_600) + " 198.51.100.4 carol@example.net dave@example.org\n",
                StandardCharsets.ISO_8859_1);
        try (RunningGreydaemon service = start(save);
             QmailSmtpdClient client = new QmailSmtpdClient(service.localAddress())) {
            assertEquals("1,2", client.ask("192.0.2.1", "x@example.net", "y@example.org"));
            assertEquals("0,1", client.ask("192.0.2.2", "x@example.net", "y@example.org"), "forgotten: a new triplet");
            assertEquals("1,3", client.ask("198.51.100.3", "alice@example.net", "bob@example.org"));
            assertEquals("0,1", client.ask("198.51.100.4", "carol@example.net", "dave@example.org"),
                    "a first attempt again, not a stale entry restarted");
        }
        try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + save);
             java.sql.ResultSet rs = c.createStatement().executeQuery(
                     "SELECT (SELECT COUNT(*) FROM whitelist WHERE client LIKE '192.0.2.2%'),"
                             + " (SELECT COUNT(*) FROM triplet WHERE first_seen < " + (t - 12 * 3_600) + ")")) {
            assertTrue(rs.next());
            assertEquals(0, rs.getInt(1), "the old address was not imported");
            assertEquals(0, rs.getInt(2), "the old triplet was not imported");
        }
    }

    /** greydaemon's patterns are not anchored at the end: a line with more after its fields is read as it read it. */
    @Test
    void linesWithMoreAfterTheirFieldsAreImportedAsGreydaemonReadThem() throws Exception {
        Path save = dir.resolve("greydaemon.save");
        long t = now.getEpochSecond();
        Files.writeString(save, "I " + (t - 86_400) + " 192.0.2.10 trailing\n"
                + "G " + (t - 600) + " 198.51.100.3 alice@example.net bob@example.org extra\n"
                + "G " + (t - 600) + " 198.51.100.6 alice@example.net  bob@example.org\n", StandardCharsets.ISO_8859_1);
        try (RunningGreydaemon service = start(save);
             QmailSmtpdClient client = new QmailSmtpdClient(service.localAddress())) {
            assertEquals("1,2", client.ask("192.0.2.10", "x@example.net", "y@example.org"));
            assertEquals("1,3", client.ask("198.51.100.3", "alice@example.net", "bob@example.org"));
            // Two spaces before the recipient: greydaemon's "(\\S+) (\\S+)" did not match, and skipped the line.
            assertEquals("0,1", client.ask("198.51.100.6", "alice@example.net", "bob@example.org"));
        }
    }

    /** Starts on {@code saveFile}, then closes; the lines logged meanwhile. */
    private List<String> startAndStop(Path saveFile) throws Exception {
        Logger logger = (Logger) LoggerFactory.getLogger(GreyDaemon.class);
        ListAppender<ILoggingEvent> log = new ListAppender<>();
        log.start();
        logger.addAppender(log);
        try {
            start(saveFile).close();
        } finally {
            logger.detachAppender(log);
        }
        List<String> lines = new ArrayList<>();
        log.list.forEach(e -> lines.add(e.getLevel() + " " + e.getFormattedMessage()));
        return lines;
    }

    @Test
    void linesGreydaemonWouldSkipAreSkippedOnTheFirstLineToo() throws Exception {
        Path save = dir.resolve("save");
        long t = now.getEpochSecond();
        String text = "I notatime 192.0.2.3\n"
                + "I " + (t - 60) + " 192.0.2.2 extra\n"
                + "I " + (t - 86_400) + " 192.0.2.10\n"
                + "G " + (t - 30) + " 192.0.2.4 a@example.net  b@example.org\n"
                + "I 99999999999999999999999 192.0.2.5\n";
        Files.writeString(save, text, StandardCharsets.ISO_8859_1);

        List<String> logged = startAndStop(save);
        for (int line : new int[] {1, 4, 5}) {
            assertTrue(logged.contains("WARN " + save + ":" + line + ": not an 'I TIME IP' or 'G TIME IP FROM TO' line,"
                    + " not imported (it stays in " + save + SaveFileImport.BACKUP_SUFFIX + ")"), logged::toString);
        }
        assertTrue(logged.stream().anyMatch(l -> l.contains("2 known address(es), 0 pending triplet(s), 0 entries expired by this"
                + " program's lifetimes left out, 3 line(s) skipped")), logged::toString);
        assertEquals(text, Files.readString(dir.resolve("save" + SaveFileImport.BACKUP_SUFFIX),
                StandardCharsets.ISO_8859_1));
        try (RunningGreydaemon service = start(save);
             QmailSmtpdClient client = new QmailSmtpdClient(service.localAddress())) {
            assertEquals("1,2", client.ask("192.0.2.10", "x@example.net", "y@example.org"));
            assertEquals("0,1", client.ask("192.0.2.3", "x@example.net", "y@example.org"), "a skipped line");
            assertEquals("1,2", client.ask("192.0.2.2", "x@example.net", "y@example.org"), "more after the address");
        }
    }

    @Test
    void aPendingTripletWithTheEmptyRecipientIsImportedAsOne() throws Exception {
        // As greydaemon writes the triplet of a message that listed RCPT TO:<>: nothing after the sender's space.
        Path save = dir.resolve("save");
        long t = now.getEpochSecond();
        Files.writeString(save, "G " + (t - 600) + " 203.0.113.50 alice@example.net \n"
                + "G " + (t - 60) + " 203.0.113.51 . \n", StandardCharsets.ISO_8859_1);
        try (RunningGreydaemon service = start(save);
             QmailSmtpdClient client = new QmailSmtpdClient(service.localAddress())) {
            assertEquals("1,3", client.send("I203.0.113.50\0Falice@example.net\0T\0".getBytes(StandardCharsets.US_ASCII)));
            assertEquals("0,2", client.ask("203.0.113.51", "", ""), "the null sender to the empty recipient, a minute old");
        }
    }

    @Test
    void aPendingTripletWithAUtf8SenderIsKeyedAsItsRetryIs() throws Exception {
        // greydaemon wrote the sender's bytes as qmail-smtpd sent them: UTF-8 here (an SMTPUTF8 client).
        Path save = dir.resolve("save");
        long t = now.getEpochSecond();
        byte[] line = ("G " + (t - 600) + " 203.0.113.60 j\u00f6rg@b\u00fccher.example r\u00e9sum\u00e9@example.org\n")
                .getBytes(StandardCharsets.UTF_8);
        Files.write(save, line);
        try (RunningGreydaemon service = start(save);
             QmailSmtpdClient client = new QmailSmtpdClient(service.localAddress())) {
            // The retry, ten minutes after the first attempt: found, so it passes (a new triplet would get 0,1).
            assertEquals("1,3", client.ask("203.0.113.60", "j\u00f6rg@b\u00fccher.example", "r\u00e9sum\u00e9@example.org"));
        }
    }

    @Test
    void aFileOfSaveFileLinesNoneReadableIsStillASaveFile() throws Exception {
        Path save = dir.resolve("save");
        Files.writeString(save, "I notatime 192.0.2.3\n\nG soon 192.0.2.4 a@example.net b@example.org\n");
        List<String> logged = startAndStop(save);
        assertTrue(logged.stream().anyMatch(l -> l.contains("0 known address(es), 0 pending triplet(s), 0 entries expired by this"
                + " program's lifetimes left out, 2 line(s)"
                + " skipped")), logged::toString);
        assertTrue(Files.exists(dir.resolve("save" + SaveFileImport.BACKUP_SUFFIX)));
    }

    @Test
    void aBinaryFileIsNoSaveFile() throws Exception {
        Path gz = dir.resolve("save");
        // A gzip header, then a line that alone would look like a save file's.
        byte[] bytes = "\u001f\u008b\u0008\u0000\u0000\u0000\u0000\u0000\nI 1764583200 192.0.2.10\n"
                .getBytes(StandardCharsets.ISO_8859_1);
        Files.write(gz, bytes);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> start(gz).close());
        assertTrue(e.getMessage().contains(gz + " is neither a greydb nor a greydaemon save file (it holds binary data)"),
                e.getMessage());
        assertArrayEquals(bytes, Files.readAllBytes(gz));
        assertFalse(Files.exists(dir.resolve("save" + SaveFileImport.BACKUP_SUFFIX)));
    }

    @Test
    void aTextFileOfAnotherKindIsNoSaveFile() throws Exception {
        Path conf = dir.resolve("save");
        String text = "# greylisting\nIPADDR 127.0.0.1\nI think so\n";
        Files.writeString(conf, text);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> start(conf).close());
        assertTrue(e.getMessage().contains("(no line among its first 3 is 'I TIME IP' or 'G TIME IP FROM TO')"),
                e.getMessage());
        assertEquals(text, Files.readString(conf));
        assertFalse(Files.exists(dir.resolve("save" + SaveFileImport.BACKUP_SUFFIX)));
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

    /**
     * An import stopped between its backup and its greydb's rename (a crash, a kill -9) leaves the save file under
     * both names, hard-linked, and its unfinished greydb beside: the next start imports again. SAVEFILE was renamed
     * away before the greydb took its name, so a crash between left no SAVEFILE, and the next start made an empty
     * greydb there, every known address forgotten; the backup is now a second name of the save file until the
     * greydb replaces it in one step.
     */
    @Test
    void anImportStoppedBeforeItsGreydbTookTheNameIsDoneAgain() throws Exception {
        Path save = dir.resolve("save");
        long t = now.getEpochSecond();
        String text = "I " + (t - 86_400) + " 192.0.2.10\n";
        Files.writeString(save, text);
        Path backup = dir.resolve("save" + SaveFileImport.BACKUP_SUFFIX);
        Files.createLink(backup, save);
        Files.writeString(dir.resolve("save.importing"), "half a greydb");
        try (RunningGreydaemon service = start(save);
             QmailSmtpdClient client = new QmailSmtpdClient(service.localAddress())) {
            assertEquals("1,2", client.ask("192.0.2.10", "x@example.net", "y@example.org"), "the address is known");
        }
        assertEquals(text, Files.readString(backup));
        assertTrue(new String(Files.readAllBytes(save), 0, 15, StandardCharsets.US_ASCII).startsWith("SQLite format"));
        assertFalse(Files.exists(dir.resolve("save.importing")));
    }
}
