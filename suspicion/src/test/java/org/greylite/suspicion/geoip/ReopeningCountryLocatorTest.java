package org.greylite.suspicion.geoip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.Optional;

import org.greylite.suspicion.ClientFacts;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.greylite.suspicion.ReloadingSuspicionPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A GeoIP database replaced on disk is read again on request (SIGHUP), never behind the rules' back. */
class ReopeningCountryLocatorTest {

    @TempDir
    Path dir;

    private Path database(String country) throws IOException {
        return Files.write(dir.resolve(country + ".mmdb"), new TinyMmdbWriter(4)
                .add("81.2.69.0/24", Map.of("country", Map.of("iso_code", country)))
                .build());
    }

    /** Replaces the file the way geoipupdate does: a new file renamed over the old one. */
    private void install(Path source, Path target) throws IOException {
        Files.move(Files.copy(source, target.resolveSibling("incoming"), StandardCopyOption.REPLACE_EXISTING), target,
                StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    @Test
    void aReplacedFileCountsOnlyOnceReadAgain() throws IOException {
        Path file = dir.resolve("GeoIP2-Country.mmdb");
        install(database("GB"), file);
        ReopeningCountryLocator geo = ReopeningCountryLocator.open(file);
        assertEquals(Optional.of("GB"), geo.countryOf("81.2.69.1"));

        install(database("FR"), file);
        assertEquals(Optional.of("GB"), geo.countryOf("81.2.69.1"), "not before it is asked to read it again");
        assertTrue(geo.reopen());
        assertEquals(Optional.of("FR"), geo.countryOf("81.2.69.1"));

        Files.writeString(file, "not a database");
        assertFalse(geo.reopen(), "an unreadable file is refused");
        assertEquals(Optional.of("FR"), geo.countryOf("81.2.69.1"), "and the database read before stays in use");
    }

    /**
     * A database that cannot be read again is a configuration an administrator must mend: it is logged as an
     * error, which shows at LOGTHRESHOLD=3 (the wrapper's default), as a suspicion file that cannot be read does.
     */
    @Test
    void aDatabaseThatCannotBeReadAgainIsLoggedAsAnError() throws IOException {
        Path file = dir.resolve("GeoIP2-Country.mmdb");
        install(database("GB"), file);
        ReopeningCountryLocator geo = ReopeningCountryLocator.open(file);
        Logger logger = (Logger) LoggerFactory.getLogger(ReopeningCountryLocator.class);
        ListAppender<ILoggingEvent> log = new ListAppender<>();
        log.start();
        logger.addAppender(log);
        try {
            Files.delete(file);
            assertFalse(geo.reopen());
        } finally {
            logger.detachAppender(log);
        }
        assertEquals(1, log.list.size(), log.list.toString());
        assertEquals(Level.ERROR, log.list.get(0).getLevel());
        assertTrue(log.list.get(0).getFormattedMessage().contains(file.toString()), log.list.get(0).getFormattedMessage());
    }

    /**
     * The reason is said in words: the JDK's exception for a file gone carries the path alone, and the line read
     * "cannot be read again (/var/lib/GeoIP/GeoIP.dat)", the path a second time where the reason should be.
     */
    @Test
    void aDatabaseGoneIsSaidToBeGone() throws IOException {
        Path file = dir.resolve("GeoIP2-Country.mmdb");
        install(database("GB"), file);
        ReopeningCountryLocator geo = ReopeningCountryLocator.open(file);
        Logger logger = (Logger) LoggerFactory.getLogger(ReopeningCountryLocator.class);
        ListAppender<ILoggingEvent> log = new ListAppender<>();
        log.start();
        logger.addAppender(log);
        try {
            Files.delete(file);
            assertFalse(geo.reopen());
            Files.createDirectory(file);
            assertFalse(geo.reopen());
        } finally {
            logger.detachAppender(log);
        }
        assertEquals("GeoIP database " + file + " cannot be read again (it does not exist); the one read before "
                + "stays in use", log.list.get(0).getFormattedMessage());
        assertEquals("GeoIP database " + file + " cannot be read again (it is a directory); the one read before "
                + "stays in use", log.list.get(1).getFormattedMessage());
    }

    @Test
    void reloadingTheRulesReadsTheDatabaseAgain() throws IOException {
        Path file = dir.resolve("GeoIP2-Country.mmdb");
        install(database("GB"), file);
        Path rules = Files.writeString(dir.resolve("suspicion"), "4 g FR\n");
        ReloadingSuspicionPolicy policy = ReloadingSuspicionPolicy.open(rules, ReopeningCountryLocator.open(file));
        ClientFacts client = new ClientFacts("81.2.69.1", "", "", "", "x@example.net", null, null);
        assertEquals(1, policy.evaluate(client).refusals(), "GB: the default");

        install(database("FR"), file);
        assertTrue(policy.reload());
        assertEquals(4, policy.evaluate(client).refusals(), "FR after the reload (SIGHUP)");
    }
}
