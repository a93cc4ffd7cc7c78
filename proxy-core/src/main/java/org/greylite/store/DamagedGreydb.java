package org.greylite.store;

import java.nio.file.Path;
import java.sql.SQLException;
import java.util.Optional;

/**
 * Tells what to do about an SQLite greydb file that is damaged or no database at all. SQLite's words, "database disk
 * image is malformed" (SQLITE_CORRUPT: a truncated file, a page overwritten) and "file is not a database"
 * (SQLITE_NOTADB: DBFILE naming another file), named the file but left the administrator to find out that no
 * program will ever repair it: every decision that reads a broken page fails, and its mail passes ungreylisted, for
 * as long as the file stays. Advising {@code sqlite3 .recover} or {@code .dump} was rejected: the sqlite3 of Debian
 * 12 (3.40) gives up on a greydb's damaged tables, which have no row ids, and leaves a database without them.
 */
final class DamagedGreydb {

    /** SQLite's primary result codes for a damaged file and for a file that is no database. */
    private static final int SQLITE_CORRUPT = 11;
    private static final int SQLITE_NOTADB = 26;

    private DamagedGreydb() {
    }

    /** For an error about the greydb {@code file}, what to do when it says the file is damaged; else empty. */
    static Optional<String> advice(Path file, SQLException e) {
        return switch (e.getErrorCode() & 0xff) {
            case SQLITE_CORRUPT -> Optional.of(damaged(file));
            case SQLITE_NOTADB -> Optional.of("the file is not an SQLite database: check that DBFILE (or --db) names"
                    + " the greydb; if it does, the greydb is damaged: " + moveAway(file));
            default -> Optional.empty();
        };
    }

    /** Whether SQLite's error says the file is damaged (not: no database at all). */
    static boolean isCorrupt(SQLException e) {
        return (e.getErrorCode() & 0xff) == SQLITE_CORRUPT;
    }

    /** Whether SQLite's error says the file is damaged, or no database. */
    static boolean isDamage(SQLException e) {
        int code = e.getErrorCode() & 0xff;
        return code == SQLITE_CORRUPT || code == SQLITE_NOTADB;
    }

    /** What to do about the greydb {@code file} when SQLite found it damaged (an error, or its own check). */
    static String damaged(Path file) {
        return "the greydb file is damaged; SQLite does not repair it: a program running on it fails every decision"
                + " that reads a damaged part (fail open: the mail passes ungreylisted), and a program starting may"
                + " not open it at all, until it is replaced: " + moveAway(file);
    }

    private static String moveAway(Path file) {
        Path abs = GreydbFile.realFile(file.toAbsolutePath());
        return "stop the programs using it and move it away with its -wal and -shm files (mv " + abs + " " + abs
                + ".damaged; rm -f " + abs + "-wal " + abs + "-shm), or put a backup in its place: a new, empty greydb is"
                + " made at the next use, and the clients it knew are greylisted anew";
    }
}
