package org.greylite.ctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import org.greylite.greylist.ClientKeys;
import org.greylite.greylist.Greylister;
import org.greylite.store.GreylistStore;
import org.greylite.store.GreylistStores;
import org.greylite.testing.MiniJson;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * greylitectl's output of text a client made up, from a real SQLite greydb the greylisting engine wrote: the table
 * and CSV show what a terminal must not get as '?', JSON keeps the exact text with those characters escaped, and
 * stays valid JSON.
 */
class ClientTextOutputTest {

    /** Characters no output may hold as they are: controls (C0, DEL, C1), line separators, bidi formatting. */
    private static final Pattern UNSAFE =
            Pattern.compile("[\\x00-\\x1f\\x7f-\\x9f\\u2028\\u2029\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069]");

    /** A sender as the relay reads one that is not UTF-8 (a character a byte): CSI (0x9b), NEL (0x85), then RLO. */
    private static final String SENDER = "a\u009b2j\u0085b\u202e@example.org";
    private static final String RECIPIENT = "\u2067rcpt\u2028x@example.com";
    private static final String COMMENT = "\u001b]0;owned\u0007 partner \u202eok";

    @TempDir
    Path dir;

    Map<String, String> env;

    @BeforeEach
    void greydbWithClientText() throws Exception {
        Path db = dir.resolve("greylite.db");
        env = Map.of("DBFILE", db.toString());
        try (GreylistStore store = GreylistStores.sqlite(db, Duration.ofSeconds(10))) {
            Greylister engine = Engines.keyedBy(store, ClientKeys.exactAddresses(), Clock.systemUTC());
            Engines.decide(engine, "192.0.2.1", "", SENDER, RECIPIENT);
        }
        Ctl.Run add = Ctl.run(env, "db", "whitelist", "add", "203.0.113.0/24", "--comment", COMMENT);
        assertEquals(0, add.exit(), add.toString());
    }

    private static void assertSafe(String out, String except) {
        out.chars().filter(c -> except.indexOf(c) < 0 && UNSAFE.matcher(String.valueOf((char) c)).matches())
                .findFirst().ifPresent(c -> {
                    throw new AssertionError(String.format("U+%04X printed as it is in:%n%s", c, out));
                });
    }

    @Test
    void theTableShowsEveryUnsafeCharacterAsAQuestionMark() {
        Ctl.Run table = Ctl.run(env, "db", "list");
        assertEquals(0, table.exit(), table.toString());
        assertSafe(table.out(), "\n");
        String row = table.out().split("\n")[1];
        assertTrue(row.startsWith("192.0.2.1  <a?2j?b?@example.org>  <?rcpt?x@example.com>  pending  1 "), row);

        Ctl.Run whitelist = Ctl.run(env, "db", "list", "--whitelist");
        assertSafe(whitelist.out(), "\n");
        assertTrue(whitelist.out().split("\n")[1].endsWith("  ?]0;owned? partner ?ok"), whitelist.out());
    }

    @Test
    void jsonKeepsTheExactTextEscapedAndStaysValid() {
        Ctl.Run json = Ctl.run(env, "db", "list", "--format", "json");
        assertEquals(0, json.exit(), json.toString());
        assertSafe(json.out(), "\n");
        assertTrue(json.out().contains("\"<a\\u009b2j\\u0085b\\u202e@example.org>\""), json.out());
        Map<?, ?> row = (Map<?, ?>) ((List<?>) MiniJson.parse(json.out())).get(0);
        assertEquals("<" + SENDER + ">", row.get("sender"));
        assertEquals("<" + RECIPIENT + ">", row.get("recipient"));

        Ctl.Run whitelist = Ctl.run(env, "db", "list", "--whitelist", "--format", "json");
        assertSafe(whitelist.out(), "\n");
        assertEquals(COMMENT, ((Map<?, ?>) ((List<?>) MiniJson.parse(whitelist.out())).get(0)).get("comment"));
    }

    @Test
    void csvShowsThemAsTheTableDoes() {
        Ctl.Run csv = Ctl.run(env, "db", "list", "--format", "csv");
        assertEquals(0, csv.exit(), csv.toString());
        assertSafe(csv.out(), "\r\n");
        assertTrue(csv.out().split("\r\n")[1].startsWith("192.0.2.1,<a?2j?b?@example.org>,<?rcpt?x@example.com>,pending,1,"),
                csv.out());
        Ctl.Run whitelist = Ctl.run(env, "db", "list", "--whitelist", "--format", "csv");
        assertSafe(whitelist.out(), "\r\n");
        assertTrue(whitelist.out().split("\r\n")[1].endsWith(",?]0;owned? partner ?ok"), whitelist.out());
    }

    @Test
    void aLineBreakInACommentStaysInCsvQuotedAndIsAQuestionMarkInTheTable() {
        assertEquals(0, Ctl.run(env, "db", "whitelist", "add", "203.0.113.0/24", "--comment", "line one\nline two").exit());
        Ctl.Run csv = Ctl.run(env, "db", "list", "--whitelist", "--format", "csv");
        assertTrue(csv.out().contains(",\"line one\nline two\"\r\n"), csv.out());
        Ctl.Run table = Ctl.run(env, "db", "list", "--whitelist");
        assertTrue(table.out().split("\n")[1].endsWith("  line one?line two"), table.out());
    }
}
