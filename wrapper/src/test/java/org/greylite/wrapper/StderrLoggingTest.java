package org.greylite.wrapper;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;
import org.slf4j.Logger;

class StderrLoggingTest {

    private static String captured(Runnable r) {
        PrintStream saved = System.err;
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        System.setErr(new PrintStream(b, true, StandardCharsets.UTF_8));
        try {
            r.run();
        } finally {
            System.setErr(saved);
        }
        return b.toString(StandardCharsets.UTF_8);
    }

    private static Logger logger(String name, String level, String prefix) {
        System.setProperty("greylite.log.level", level);
        System.setProperty("greylite.log.prefix", prefix);
        try {
            StderrLogging provider = new StderrLogging();
            provider.initialize();
            return provider.getLoggerFactory().getLogger(name);
        } finally {
            System.clearProperty("greylite.log.level");
            System.clearProperty("greylite.log.prefix");
        }
    }

    @Test
    void linesLookLikeGreylitedsAndHonourTheThreshold() {
        Logger log = logger("greylite.decision", "INFO", "4242 ");
        String out = captured(() -> {
            log.info("decision verdict={} to=<{}>", "greylist", "b@example.com");
            log.debug("not shown");
        });
        assertTrue(out.matches("4242 \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}(Z|[+-]\\d\\d:\\d\\d) INFO  "
                + "decision verdict=greylist to=<b@example.com>\n"), out);
    }

    @Test
    void errorsOnlyByDefaultWithTheirStackTrace() {
        Logger log = logger("x", "ERROR", "");
        String out = captured(() -> {
            log.warn("hidden");
            log.error("failed: {}", "why", new IllegalStateException("boom"));
        });
        assertTrue(out.contains(" ERROR failed: why\njava.lang.IllegalStateException: boom\n"), out);
        assertFalse(out.contains("hidden"));
    }

    /** As greylited's log writer: what a message quotes (an exception's message, say) cannot start a line of its own. */
    @Test
    void aMessageIsOneLineWhateverItQuotes() {
        Logger log = logger("x", "INFO", "");
        String out = captured(() -> log.warn("failed: {}", "name=evil\u001b[2J\n2026-01-01T00:00:00.000Z INFO  forged\u2028x"));
        assertTrue(out.endsWith(" WARN  failed: name=evil?[2J?2026-01-01T00:00:00.000Z INFO  forged?x\n"), out);
        assertEquals(1, out.split("\n", -1).length - 1, out);
    }

    @Test
    void sqliteJdbcHousekeepingIsQuietUnlessDebugging() {
        assertEquals("", captured(() -> logger("org.sqlite.SQLiteJDBCLoader", "ERROR", "").error("Failed to delete old native lib")));
        assertTrue(captured(() -> logger("org.sqlite.SQLiteJDBCLoader", "DEBUG", "").error("x")).contains(" ERROR x"));
    }
}
