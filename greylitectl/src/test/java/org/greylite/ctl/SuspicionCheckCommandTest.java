package org.greylite.ctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;

import org.greylite.testing.RootOnly;
import org.greylite.testing.UnprivilegedJava;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SuspicionCheckCommandTest {

    /** No GeoIP database, unless a test says otherwise. */
    private static final Map<String, String> ENV = Map.of("GEOIPDB_FILE", "/nonexistent/GeoIP.dat");

    @TempDir
    Path dir;

    private Path file(String... lines) throws Exception {
        return Files.writeString(dir.resolve("suspicion"), String.join("\n", lines) + "\n");
    }

    @Test
    void aCleanFileCountsItsRules() throws Exception {
        Path f = file("# dynamic pools", "5 r (^|[.-])(dsl|dyn|pool)[0-9]*[.-]", "", "0 v RELAYCLIENT", "100 b greetdelay");
        Ctl.Run r = Ctl.run(ENV, "suspicion", "check", f.toString());
        assertEquals(0, r.exit(), r.toString());
        assertEquals("3 rules, no problems\n", r.out());
        assertEquals("", r.err());

        Ctl.Run one = Ctl.run(ENV, "suspicion", "check", file("1 v BLACKLISTED").toString());
        assertEquals("1 rule, no problems\n", one.out());
    }

    @Test
    void everyProblemIsPrintedWithItsLineNumber() throws Exception {
        Path f = file("5 r \\.dsl\\.", "3 x whatever", "abc r foo", "2 e q:nothing", "1 r (unclosed", "0 v RELAYCLIENT");
        Ctl.Run r = Ctl.run(ENV, "suspicion", "check", f.toString());
        assertEquals(1, r.exit(), r.toString());
        List<String> lines = r.out().lines().toList();
        assertEquals(4, lines.size(), r.toString());
        assertEquals(f + ":2: unknown kind 'x', line ignored", lines.get(0));
        assertTrue(lines.get(1).startsWith(f + ":3: bad number 'abc'"), lines.get(1));
        assertTrue(lines.get(2).startsWith(f + ":4: pattern 'q:nothing' must start with r:, s: or h:"), lines.get(2));
        assertTrue(lines.get(3).startsWith(f + ":5: invalid regular expression"), lines.get(3));
        assertEquals(f + ": 4 lines do not load; 2 rules are in force\n", r.err());
    }

    @Test
    void countryLinesWithoutADatabaseAreAWarningNotAProblem() throws Exception {
        Ctl.Run r = Ctl.run(ENV, "suspicion", "check", file("4 g CN RU").toString());
        assertEquals(0, r.exit(), r.toString());
        assertEquals("1 rule, no problems\n", r.out());
        assertTrue(r.err().startsWith("warning: ") && r.err().contains("g lines cannot be evaluated")
                && r.err().contains("/nonexistent/GeoIP.dat does not exist (GEOIPDB_FILE)"), r.err());
    }

    @Test
    void anUnreadableFileIsTrouble() throws Exception {
        Path missing = dir.resolve("missing");
        Ctl.Run r = Ctl.run(ENV, "suspicion", "check", missing.toString());
        assertEquals(2, r.exit(), r.toString());
        assertEquals("", r.out());
        assertEquals("greylitectl: " + missing + ": cannot read: no such file\n", r.err());
        // A folder named for the file is said as every program says it (it was the system's "Is a directory").
        Ctl.Run folder = Ctl.run(ENV, "suspicion", "check", dir.toString());
        assertEquals(2, folder.exit(), folder.toString());
        assertEquals("greylitectl: " + dir + ": cannot read: is a directory\n", folder.err());
    }

    /** Root reads any file: as root, greylitectl runs as an unprivileged user instead ({@link UnprivilegedJava}). */
    @Test
    void aFileThisUserMayNotReadIsSaidWithItsOwnerAndMode() throws Exception {
        RootOnly.require("the file is made by another user than the one who checks it");
        Path f = file("5 r dsl");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        UnprivilegedJava.reachable(dir);
        UnprivilegedJava.Result r = UnprivilegedJava.run(GreyliteCtl.class, "suspicion", "check", f.toString());
        assertEquals(2, r.exitStatus(), r.output());
        // "cannot read: permission denied" left the administrator to find the user and what keeps it out.
        assertEquals("greylitectl: " + f + ": cannot read: permission denied: " + f + " is owned by root:root with mode"
                + " rw-------, and this program runs as user '" + UnprivilegedJava.USER + "'", r.output().strip());
    }

    @Test
    void badUsageIsTrouble() {
        assertEquals(2, Ctl.run(ENV).exit(), "no subcommand");
        assertEquals(2, Ctl.run(ENV, "suspicion").exit(), "no subcommand");
        Ctl.Run r = Ctl.run(ENV, "suspicion", "check");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("Missing required parameter: 'FILE'"), r.err());
        assertEquals(2, Ctl.run(ENV, "suspicion", "lint", "x").exit());
    }

    @Test
    void aCommentAfterAnRLineIsAProblemNotAPartOfTheExpression() throws Exception {
        // Loaded as the expression 'dsl  # dial-up pools', the line never matched a client of a DSL pool.
        Path f = file("5 r dsl  # dial-up pools", "3 r [a-z]#[0-9]", "2 r ^$");
        Ctl.Run r = Ctl.run(ENV, "suspicion", "check", f.toString());
        assertEquals(1, r.exit(), r.toString());
        assertEquals(f + ":1: the regular expression 'dsl  # dial-up pools' has a blank followed by '#', which no host"
                + " name holds, line discarded (a '#' after a rule starts no comment: put comments on lines of their own)\n",
                r.out());
        assertEquals(f + ": 1 line does not load; 2 rules are in force\n", r.err());
    }

    @Test
    void aFileSavedAsUtf16IsReadAsItsEditorWroteIt() throws Exception {
        // Windows Notepad's "Unicode" and PowerShell 5's '>' write UTF-16 with a byte order mark. Read as UTF-8,
        // every line was a "bad number" of NULs and replacement characters, and no rule was in force.
        for (java.nio.charset.Charset utf16 : List.of(java.nio.charset.StandardCharsets.UTF_16LE,
                java.nio.charset.StandardCharsets.UTF_16BE)) {
            Path f = Files.write(dir.resolve("suspicion-" + utf16.name()),
                    "\uFEFF# pools\r\n5 r dsl\r\n3 v BLACKLISTED\r\n".getBytes(utf16));
            Ctl.Run check = Ctl.run(ENV, "suspicion", "check", f.toString());
            assertEquals(0, check.exit(), utf16 + ": " + check);
            assertEquals("2 rules, no problems\n", check.out(), utf16.name());

            Ctl.Run explain = Ctl.run(ENV, "suspicion", "explain", f.toString(), "--ip", "192.0.2.7",
                    "--ptr", "host-1.dsl.example", "--json");
            assertEquals(0, explain.exit(), explain.toString());
            assertTrue(explain.out().startsWith("{\"line\": 2, \"attempts\": 5, \"rule\": \"5 r dsl\""),
                    utf16 + ": " + explain.out());
        }
    }

    @Test
    void aCharacterThatLooksLikeABlankIsNamedWhereItGluesTwoFieldsTogether() throws Exception {
        // Quoted as they were, these read "bad number '3 r'" and "bad number '3'": a blank seemed to be there.
        Path f = file("3\u00a0r dsl", "\u200b3 r dsl", "3 r\u000cdsl", "2 v BLACKLISTED");
        Ctl.Run r = Ctl.run(ENV, "suspicion", "check", f.toString());
        assertEquals(1, r.exit(), r.toString());
        assertEquals(List.of(
                f + ":1: bad number '3\\u00a0r' (a count of refusals, 0 or more), line discarded"
                        + " (the line holds U+00A0 NO-BREAK SPACE, which is not a space or a tab: fields are separated by"
                        + " spaces and tabs only)",
                f + ":2: bad number '\\u200b3' (a count of refusals, 0 or more), line discarded"
                        + " (the line holds U+200B ZERO WIDTH SPACE, which is not a space or a tab: fields are separated"
                        + " by spaces and tabs only)",
                f + ":3: unknown kind 'r\\u000cdsl', line ignored"
                        + " (the line holds U+000C FORM FEED (FF), which is not a space or a tab: fields are separated"
                        + " by spaces and tabs only)"), r.out().lines().toList());
    }

    @Test
    void aVariableWrittenAsInTheShellIsAProblem() throws Exception {
        // Loaded as names no program sets, these lines never matched a listed client, and the file was called clean.
        Path f = file("5 v $BLACKLISTED", "5 v ${BLACKLISTED}", "5 v \"BLACKLISTED\"", "5 v RBL 'BLACKLISTED'",
                "5 v BLACKLISTED");
        Ctl.Run r = Ctl.run(ENV, "suspicion", "check", f.toString());
        assertEquals(1, r.exit(), r.toString());
        String why = " (write the name only, without '$' or quotes, as in 3 v BLACKLISTED), line discarded";
        assertEquals(List.of(f + ":1: invalid variable name '$BLACKLISTED'" + why,
                f + ":2: invalid variable name '${BLACKLISTED}'" + why,
                f + ":3: invalid variable name '\"BLACKLISTED\"'" + why,
                f + ":4: invalid variable name ''BLACKLISTED''" + why), r.out().lines().toList());
        assertEquals(f + ": 4 lines do not load; 1 rule is in force\n", r.err());
    }

    @Test
    void helpListsTheCommands() {
        Ctl.Run r = Ctl.run(ENV, "--help");
        assertEquals(0, r.exit());
        assertTrue(r.out().contains("suspicion"), r.out());
        Ctl.Run sub = Ctl.run(ENV, "suspicion", "--help");
        assertTrue(sub.out().contains("check") && sub.out().contains("explain"), sub.out());
    }
}
