package org.greylite.greydaemon;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;

import org.greylite.config.FileErrors;
import org.greylite.greylist.GreylistSettings;
import org.greylite.store.GreylistStores;
import org.greylite.store.TripletKey;
import org.slf4j.Logger;

/**
 * Turns an old greydaemon save file into a greydb, so that switching programs forgets no client: greydaemon
 * wrote its memory to SAVEFILE as text ({@link SaveFileLines}). When SAVEFILE holds such a file, a new greydb
 * is written beside it, the text file is kept as {@code SAVEFILE.greydaemon} (a backup, untouched)
 * and the greydb takes its name.
 *
 * <p>Known addresses become auto-whitelist entries, pending triplets pending triplets with one refusal,
 * each keyed as the engine keys them (so a retry of an imported triplet is recognised). The engine's own
 * expiry applies from then on, and to the import itself, as greylite 2.3's is imported: an address last seen longer
 * ago than the whitelist lifetime ({@code -t}), or a triplet first tried longer ago than the retry window
 * ({@code -g}), is left out and counted (imported, such an entry sat there until a purge, and a purge took its old
 * time for a clock set ahead and refused to remove it). Lines greydaemon itself would have skipped are skipped with a warning naming
 * them (the backup keeps them), wherever they are in the file. A file that is not a save file (see
 * {@link SaveFileLines#notASaveFile}) stops the start, and nothing is renamed.
 */
final class SaveFileImport {

    static final String BACKUP_SUFFIX = ".greydaemon";

    private static final byte[] SQLITE_MAGIC = "SQLite format 3\0".getBytes(StandardCharsets.US_ASCII);

    private SaveFileImport() {
    }

    /** What an import brought in. */
    record Imported(int knownAddresses, int pendingTriplets, int expired, int skippedLines, Path backup) {
    }

    /**
     * Imports SAVEFILE when it is a greydaemon save file; returns null when it is not there, empty, or a greydb.
     *
     * @throws IOException naming the path at fault
     * @throws IllegalArgumentException when the file is neither a greydb nor a save file
     */
    static Imported importIfSaveFile(Path file, GreylistSettings settings, Duration busyTimeout, Instant now,
                                     Logger log) throws IOException {
        if (!Files.isRegularFile(file)) {
            return null;
        }
        String notASaveFile;
        try {
            if (Files.size(file) == 0 || isSqlite(file)) {
                return null;
            }
            notASaveFile = SaveFileLines.notASaveFile(file);
        } catch (IOException e) {
            throw unreadable(file, e);
        }
        if (notASaveFile != null) {
            throw new IllegalArgumentException(file + " is neither a greydb nor a greydaemon save file (" + notASaveFile
                    + "); give another SAVEFILE or move this file away");
        }
        Path backup = file.resolveSibling(file.getFileName() + BACKUP_SUFFIX);
        if (sameFile(file, backup)) {
            // An import that stopped between its backup and its greydb's rename (a crash, a kill): the backup is
            // another name of the save file itself. Nothing is lost; the import starts again.
            log.warn("{} and its backup {} are the same file, left by an import that did not end; importing again",
                    file, backup);
            Files.delete(backup);
        }
        if (Files.exists(backup, LinkOption.NOFOLLOW_LINKS)) {
            throw new IllegalArgumentException(file + " is a greydaemon save file to import, but its backup " + backup
                    + " already exists; move one of them away");
        }
        Path fresh = file.resolveSibling(file.getFileName() + ".importing");
        removeGreydb(fresh);
        GreylistStores.sqlite(fresh, busyTimeout).close(); // the schema, as every program creates it
        Imported counts;
        try {
            counts = write(fresh, file, settings, backup, now.getEpochSecond(), log);
        } catch (SQLException e) {
            removeGreydb(fresh);
            throw new IOException("cannot write the imported greydb " + fresh + ": " + e.getMessage(), e);
        } catch (IOException e) {
            removeGreydb(fresh);
            throw unreadable(file, e);
        }
        putInPlace(fresh, file, backup);
        return counts;
    }

    private static boolean sameFile(Path file, Path backup) {
        try {
            return Files.exists(backup, LinkOption.NOFOLLOW_LINKS) && Files.isSameFile(file, backup);
        } catch (IOException e) {
            return false; // a backup that cannot be looked at: the check below says it is in the way
        }
    }

    /**
     * Keeps the save file as {@code backup} and gives the greydb its name, so that SAVEFILE is at every moment either
     * the save file or the whole greydb: the backup is made as a second name of the save file (a hard link), then the
     * greydb is renamed over SAVEFILE in one step. Renaming the save file away first left a moment without SAVEFILE,
     * and a crash in it had the next start make an empty greydb there, the import left behind under another name.
     * A file system without hard links (vfat, some FUSE mounts) gets the two renames; the save file's move to its
     * backup fails rather than replace a file that took the backup's name meanwhile.
     */
    private static void putInPlace(Path fresh, Path file, Path backup) throws IOException {
        try {
            Files.createLink(backup, file);
        } catch (FileAlreadyExistsException e) {
            throw e; // a backup made since the check: never replaced
        } catch (UnsupportedOperationException | FileSystemException e) {
            Files.move(file, backup); // no option: fails if the backup exists
        }
        Files.move(fresh, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /**
     * Writes the entries of {@code source} into {@code greydb}, reading a line at a time: a busy site's save file
     * holds millions of entries, and read whole (its bytes, a string of them, a list of its lines: some four times
     * its size) a 124 MB file did not fit bin/greydaemon's 256 MB heap, and the start died at every restart.
     */
    private static Imported write(Path greydb, Path source, GreylistSettings settings, Path backup, long now,
                                  Logger log) throws SQLException, IOException {
        int known = 0;
        int pending = 0;
        int expired = 0;
        int skipped = 0;
        long lifetime = settings.whitelistLifetime().getSeconds();
        long window = settings.retryWindow().getSeconds();
        try (BufferedReader lines = SaveFileLines.reader(source);
             Connection conn = DriverManager.getConnection(org.greylite.store.SqliteFileUrl.of(greydb),
                     org.greylite.store.SqliteFileUrl.uris(new org.sqlite.SQLiteConfig()).toProperties());
             Statement control = conn.createStatement();
             PreparedStatement whitelist = conn.prepareStatement(
                     "INSERT INTO whitelist (client, source, created, last_seen) VALUES (?, 'auto', ?, ?)"
                             + " ON CONFLICT (client) DO UPDATE SET last_seen = MAX(last_seen, excluded.last_seen)");
             PreparedStatement triplet = conn.prepareStatement(
                     "INSERT INTO triplet (client, sender, recipient, refusals, first_seen, last_seen, passed_at)"
                             + " VALUES (?, ?, ?, 1, ?, ?, NULL) ON CONFLICT (client, sender, recipient) DO UPDATE SET"
                             + " first_seen = MIN(first_seen, excluded.first_seen), last_seen = MIN(last_seen, excluded.last_seen)")) {
            control.execute("BEGIN IMMEDIATE");
            int number = 0;
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                number++;
                SaveFileLines.Entry entry = SaveFileLines.entry(line);
                if (entry instanceof SaveFileLines.Known k) {
                    if (k.time() + lifetime <= now) {
                        expired++;
                        continue;
                    }
                    whitelist.setString(1, EngineDecisions.clientKey(settings, k.client()));
                    whitelist.setLong(2, k.time());
                    whitelist.setLong(3, k.time());
                    whitelist.executeUpdate();
                    known++;
                } else if (entry instanceof SaveFileLines.Pending g) {
                    if (g.time() + window <= now) {
                        expired++;
                        continue;
                    }
                    TripletKey key = EngineDecisions.tripletKey(settings, g.client(), g.sender(), g.recipient());
                    triplet.setString(1, key.client());
                    triplet.setString(2, key.sender());
                    triplet.setString(3, key.recipient());
                    triplet.setLong(4, g.time());
                    triplet.setLong(5, g.time());
                    triplet.executeUpdate();
                    pending++;
                } else if (!line.isBlank()) {
                    log.warn("{}:{}: not an 'I TIME IP' or 'G TIME IP FROM TO' line, not imported (it stays in {})",
                            source, number, backup);
                    skipped++;
                }
            }
            control.execute("COMMIT");
        }
        return new Imported(known, pending, expired, skipped, backup);
    }

    /**
     * The JDK's AccessDeniedException says only the path: the start stopped with "greydaemon: SAVEFILE" and nothing
     * else. Under -u the file an old greydaemon left may belong to root.
     */
    private static IOException unreadable(Path file, IOException e) {
        return new IOException("SAVEFILE " + file + " cannot be read (" + FileErrors.describe(file, e) + ")", e);
    }

    private static boolean isSqlite(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return Arrays.equals(in.readNBytes(SQLITE_MAGIC.length), SQLITE_MAGIC);
        }
    }

    /** A greydb file and the WAL files SQLite keeps beside it. */
    private static void removeGreydb(Path db) throws IOException {
        for (String suffix : List.of("", "-wal", "-shm", "-journal")) {
            Files.deleteIfExists(db.resolveSibling(db.getFileName() + suffix));
        }
    }
}
