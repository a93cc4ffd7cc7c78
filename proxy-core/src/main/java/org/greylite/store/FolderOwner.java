package org.greylite.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.UserPrincipal;

/**
 * Gives a greydb (or a folder for it) that root has just created to the owner of the folder it is in.
 *
 * <p>An administrator who runs {@code greylitectl db init} as root (or a program started as root) in the folder made
 * for the programs' user ({@code /var/db/greylite}, owned by {@code qmaild}, say) made a greydb owned by root, mode
 * 644: every later change of the programs, which run as that user, then failed, and every mail passed ungreylisted
 * until someone read the log and ran {@code chown}. SQLite does the same for the files it creates beside a greydb:
 * run as root, it gives the {@code -wal} and {@code -shm} files the greydb's owner, so a greydb owned by the right
 * user stays usable whoever opens it. A folder owned by root says nothing about the programs' user, and a file
 * created by any other user cannot be given away: both are left as they are.
 */
final class FolderOwner {

    private FolderOwner() {
    }

    /**
     * Gives {@code created}, a file or folder this process has just made, the owner and group of its folder when this
     * process made it as root and the folder belongs to another user.
     *
     * @throws IOException when the owner cannot be read or changed
     */
    static void adopt(Path created) throws IOException {
        // Never through a link: the folder's owner may have put one at this name, and a chown following it would
        // give them whatever file it points to (lchown changes the link itself, which gives them nothing).
        PosixFileAttributeView view = Files.getFileAttributeView(created, PosixFileAttributeView.class,
                LinkOption.NOFOLLOW_LINKS);
        if (view == null) {
            return; // a file system without owners
        }
        if (Files.isSymbolicLink(created) || (int) Files.getAttribute(created, "unix:uid", LinkOption.NOFOLLOW_LINKS) != 0) {
            return;
        }
        Path folder = created.toAbsolutePath().getParent();
        if ((int) Files.getAttribute(folder, "unix:uid") == 0) {
            return;
        }
        PosixFileAttributes of = Files.readAttributes(folder, PosixFileAttributes.class);
        UserPrincipal owner = of.owner();
        GroupPrincipal group = of.group();
        view.setGroup(group);
        view.setOwner(owner);
    }
}
