package org.greylite.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
            List<String> errors = errors(lines);
            assertEquals(1, errors.size(), String.join("\n", errors));
            assertTrue(errors.get(0).contains(db.toString()) && errors.get(0).contains("not a database"), errors.get(0));

            Files.delete(db);
            check.run(); // a new greydb is made at the path
            check.run();
            List<String> again = errors(lines);
            assertEquals(1, again.size(), String.join("\n", again));
            assertFalse(again.get(0).contains("cannot be opened"), again.get(0));
        } finally {
            log.detachAppender(lines);
        }
    }

    private static List<String> errors(ListAppender<ILoggingEvent> lines) {
        List<String> out = new ArrayList<>();
        lines.list.stream().filter(e -> e.getLevel() == Level.ERROR).forEach(e -> out.add(e.getFormattedMessage()));
        lines.list.clear();
        return out;
    }
}
