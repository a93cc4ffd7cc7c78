package org.greylite.ctl;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * What {@code db init} says of an SQLite greydb that is root's in a folder of root's: the programs, run as another
 * user, can neither write it nor make its {@code -wal} beside it, and every mail would pass ungreylisted. Made by root
 * in a folder of another user, the greydb (and any folder made for it) is given to that user; a folder of root's says
 * nothing about the programs' user, so nothing is given away there, and the administrator is told what to run.
 */
final class RootOwnedGreydb {

    private RootOwnedGreydb() {
    }

    /**
     * The warning for {@code file}, or none when it or its folder is another user's (or the file system has no owners).
     *
     * @param folderMade the greydb's folder was made by this run
     */
    static Optional<String> warning(Path file, boolean folderMade) {
        try {
            Path real = file.toRealPath();
            Path folder = real.getParent();
            if (uid(real) != 0 || uid(folder) != 0) {
                return Optional.empty();
            }
            String fix = folderMade ? "chown -R USER " + folder
                    : "chown USER " + real + " and the folder if it is the greydb's own (chown USER " + folder
                            + "), else keep the greydb in a folder of that user's and run db init there";
            return Optional.of("greydb " + real + " and its folder " + folder + (folderMade ? " (made now)" : "")
                    + " are root's: programs run as another user can neither write it nor make its -wal beside it, and"
                    + " would pass every mail ungreylisted; unless they run as root, give them to the user they run as: "
                    + fix);
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            // A file system without unix owners (getAttribute's UnsupportedOperationException, or its
            // IllegalArgumentException for an unknown attribute), or a greydb gone again: no owner to warn about.
            return Optional.empty();
        }
    }

    private static int uid(Path p) throws IOException {
        return (int) Files.getAttribute(p, "unix:uid");
    }
}
