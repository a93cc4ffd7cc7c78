package org.greylite.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import org.greylite.files.FileOwner;

/**
 * Checks, before SQLite gets to fail obscurely, that a greydb path can be used, and makes its folder
 * when it is missing (the greydb is created on first use: no manual step). Failures name the path,
 * the user and the permission at fault, or the read-only mount.
 *
 * <p>The {@code -wal} and {@code -shm} files beside the greydb are checked too: SQLite opens them on every
 * connection, and one left behind by a program run as another user (it takes that user as owner) makes every
 * write of the programs fail with SQLITE_READONLY, a message that names neither the file nor its owner.
 */
final class GreydbFile {

    /** How many links are followed to the file, as Linux's own limit (ELOOP past it). */
    private static final int MAX_LINKS = 40;

    private GreydbFile() {
    }

    static void prepare(Path file) {
        Path named = file.toAbsolutePath();
        // A link to a greydb not made yet is followed as SQLite follows it: the file is made where the link points.
        Path abs = realFile(named);
        String greydb = greydb(named, abs);
        Path dir = abs.getParent();
        if (Files.isDirectory(abs)) {
            throw new StoreException("greydb " + greydb + " is a directory; DBFILE / --db must name a file");
        }
        if (!Files.isDirectory(dir)) {
            Path existing = dir;
            while (existing != null && !Files.exists(existing)) {
                existing = existing.getParent();
            }
            try {
                Files.createDirectories(dir);
                adoptFolders(existing, dir);
            } catch (IOException e) {
                if (existing != null && !Files.isDirectory(existing)) {
                    // No permission helps: the path goes through a file. Said "does not exist, create it and grant
                    // write permission", for a file left by an older DBFILE (/var/db/greylite, the greydb itself then).
                    throw new StoreException("greydb " + greydb + ": directory " + dir + " cannot be created: "
                            + existing + " is a file, not a directory; DBFILE / --db must name a file in a directory"
                            + " (move " + existing + " away, or name another path)");
                }
                Optional<String> readOnly = ReadOnlyMount.of(existing);
                if (readOnly.isPresent()) {
                    throw new StoreException("greydb " + greydb + ": directory " + dir + " does not exist and cannot be"
                            + " created: " + readOnly.get());
                }
                throw new StoreException("greydb " + greydb + ": directory " + dir + " does not exist and cannot be created ("
                        + e.getClass().getSimpleName() + "); " + describe(existing)
                        + "; create it and give user '" + user() + "' write permission on it");
            }
        }
        checkAccess(named);
    }

    /**
     * Gives the folders just made between {@code existing} and {@code dir}, top down, the owner of the folder they were
     * made in when root made them there ({@link FolderOwner}): the greydb made in them is then that user's too, and the
     * programs, run as that user, can make its {@code -wal} beside it. Before, a {@code db init} run as root for
     * {@code /var/lib/greylite/db/greylite.db}, {@code /var/lib/greylite} the programs' and {@code db/} not made yet,
     * left {@code db/} and the greydb root's.
     */
    private static void adoptFolders(Path existing, Path dir) throws IOException {
        if (existing == null) {
            return;
        }
        Path made = existing;
        for (Path part : existing.relativize(dir)) {
            made = made.resolve(part);
            FolderOwner.adopt(made);
        }
    }

    /**
     * Checks, without creating or opening anything, that this user may read and write an existing greydb: its
     * folder, the file, and the {@code -wal} and {@code -shm} files if they are there.
     */
    static void checkAccess(Path file) {
        Path named = file.toAbsolutePath();
        Path abs = realFile(named);
        String greydb = greydb(named, abs);
        Path dir = abs.getParent();
        if (Files.isDirectory(dir) && !Files.isWritable(dir)) {
            Optional<String> readOnly = ReadOnlyMount.of(dir);
            if (readOnly.isPresent()) {
                throw new StoreException("greydb " + greydb + ": SQLite writes the database and creates the -wal and -shm"
                        + " files beside it, but " + readOnly.get());
            }
            throw new StoreException("greydb " + greydb + ": directory " + dir + " is not writable by user '" + user()
                    + "' (" + describe(dir) + "); SQLite creates the -wal and -shm files beside the database, so user '"
                    + user() + "' needs write permission on the directory");
        }
        if (Files.exists(abs) && (!Files.isWritable(abs) || !Files.isReadable(abs))) {
            // Said with the fix, as for the -wal and -shm files: a greydb left owned by root (made by hand, copied
            // back from a backup) was named with its owner and mode only.
            throw new StoreException("greydb " + greydb + " is not readable and writable by user '" + user() + "' ("
                    + describe(abs) + "); the user the programs run as needs both: give that user the file with read"
                    + " and write permission (chown " + user() + " " + abs + "; chmod u+rw " + abs + ", if the programs"
                    + " run as '" + user() + "'), and run greylitectl as that user");
        }
        for (String suffix : new String[] {"-wal", "-shm"}) {
            Path beside = Path.of(abs + suffix);
            if (Files.exists(beside) && (!Files.isWritable(beside) || !Files.isReadable(beside))) {
                throw new StoreException("greydb " + greydb + ": " + beside + " is not readable and writable by user '"
                        + user() + "' (" + describe(beside) + "); SQLite needs it for every change to the greydb. A"
                        + " program run as another user probably left it: give it to user '" + user() + "' (chown "
                        + user() + " " + beside + "), and run greylitectl as the user the programs run as");
            }
        }
    }

    /**
     * The file SQLite opens for {@code named}: the end of its symbolic links, whose folder gets the {@code -wal} and
     * {@code -shm} files (SQLite follows the links first). Checking the link's own folder refused a greydb kept
     * elsewhere and linked from a folder the programs may not write ({@code /etc/greylite/greylite.db} pointing to
     * {@code /var/db/greylite/greylite.db}), and let through one whose real folder they may not write, for SQLite to
     * refuse in its own words. A link to nothing yet (the greydb not made, or its folder not either) ends where it
     * points, where SQLite makes the file: taken as it was, its target's folder was not made and SQLite's bare
     * "unable to open database file" named neither the link nor the target. A path that is no link is checked as
     * it is (links among its folders are followed by every check anyway).
     */
    static Path realFile(Path named) {
        try {
            if (Files.exists(named)) {
                return Files.isSymbolicLink(named) ? named.toRealPath() : named;
            }
            Path end = named.toAbsolutePath();
            for (int hops = 0; hops < MAX_LINKS && Files.isSymbolicLink(end); hops++) {
                end = end.getParent().resolve(Files.readSymbolicLink(end));
            }
            return end;
        } catch (IOException e) {
            return named; // gone meanwhile, or a folder on the way not searchable: the checks below say it
        }
    }

    /** The greydb as messages name it: the path given, and the file it is a link to if it is one. */
    static String greydb(Path named, Path real) {
        return real.equals(named) ? named.toString() : named + " (a link to " + real + ")";
    }

    static String describe(Path p) {
        if (p == null) {
            return "no parent exists";
        }
        return FileOwner.of(p).map(o -> p + " is owned by " + o.owner() + ":" + o.group() + " with mode " + o.mode())
                .orElse(p + " cannot be inspected");
    }

    static String user() {
        return System.getProperty("user.name");
    }
}
