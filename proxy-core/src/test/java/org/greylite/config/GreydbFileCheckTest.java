package org.greylite.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.greylite.store.GreylistStore;
import org.greylite.store.GreylistStores;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

/**
 * The timer's look at a real SQLite greydb file that was replaced by one SQLite cannot open: said once, not at
 * every look (every 5 s for as long as it lasts), and said again when the path holds a greydb again.
 */
class GreydbFileCheckTest {

    @TempDir
    Path dir;

    @Test
    void aReplacementThatCannotBeOpenedIsSaidOnceAndItsEndOnce() throws Exception {
        Path db = dir.resolve("greylite.db");
        Logger log = (Logger) LoggerFactory.getLogger("greydb-file-check-test");
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        lines.start();
        log.addAppender(lines);
        try (GreylistStore store = GreylistStores.sqlite(db, Duration.ofSeconds(1))) {
            GreydbFileCheck check = new GreydbFileCheck(store, () -> { }, log);
            Files.delete(db);
            Files.deleteIfExists(Path.of(db + "-wal"));
            Files.deleteIfExists(Path.of(db + "-shm"));
            Files.writeString(db, "not a database, put there by mistake\n");
            for (int look = 0; look < 4; look++) {
                check.run();
            }
            List<String> errors = lines(lines, Level.ERROR);
            assertEquals(1, errors.size(), String.join("\n", errors));
            assertTrue(errors.get(0).contains(db.toString()) && errors.get(0).contains("not a database"), errors.get(0));

            Files.delete(db);
            check.run(); // a new greydb is made at the path
            check.run();
            // The end of the failure is good news: a warning, not a second ERROR.
            List<String> again = lines(lines, Level.WARN);
            assertEquals(0, lines(lines, Level.ERROR).size());
            assertEquals(1, again.stream().filter(l -> l.contains("is open again")).count(), String.join("\n", again));
        } finally {
            log.detachAppender(lines);
        }
    }

    /** The lines logged at {@code level} since the last call for that level. */
    private static List<String> lines(ListAppender<ILoggingEvent> lines, Level level) {
        List<String> out = new ArrayList<>();
        lines.list.stream().filter(e -> e.getLevel() == level).forEach(e -> out.add(e.getFormattedMessage()));
        lines.list.removeIf(e -> e.getLevel() == level);
        return out;
    }
}
