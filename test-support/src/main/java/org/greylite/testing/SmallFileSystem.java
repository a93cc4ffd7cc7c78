package org.greylite.testing;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * A small tmpfs mounted for the test, to be filled: the full disk under a greydb. Mounting needs root: as another
 * user the test is skipped on a developer's machine and fails under CI; in a container that gives root no right to
 * mount (no CAP_SYS_ADMIN) it is skipped, saying why, as that is the machine's limit and not a program missing.
 */
public final class SmallFileSystem implements AutoCloseable {

    private final Path mountPoint;
    private final Path filler;

    private SmallFileSystem(Path mountPoint) {
        this.mountPoint = mountPoint;
        this.filler = mountPoint.resolve("filler");
    }

    /** A tmpfs of {@code size} ({@code 300k}) mounted on the new folder {@code mountPoint}. */
    public static SmallFileSystem mount(Path mountPoint, String size) throws IOException, InterruptedException {
        return mount(mountPoint, size, 0);
    }

    /**
     * A tmpfs of {@code size} with room for {@code inodes} files and folders (its root included; 0: tmpfs's default)
     * mounted on the new folder {@code mountPoint}.
     */
    public static SmallFileSystem mount(Path mountPoint, String size, int inodes) throws IOException, InterruptedException {
        RootOnly.require("mounting a small file system needs root");
        Files.createDirectory(mountPoint);
        Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o",
                "size=" + size + (inodes > 0 ? ",nr_inodes=" + inodes : ""), "tmpfs", mountPoint.toString())
                .redirectErrorStream(true).start();
        String said = new String(mount.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        Assumptions.assumeTrue(mount.waitFor() == 0, "cannot mount a small tmpfs here: " + said);
        return new SmallFileSystem(mountPoint);
    }

    public Path path() {
        return mountPoint;
    }

    /** Writes a file until no room is left. */
    public void fill() throws IOException {
        try (OutputStream out = Files.newOutputStream(filler)) {
            byte[] block = new byte[4096];
            while (true) {
                out.write(block);
            }
        } catch (IOException full) {
            // no room left
        }
    }

    /** Removes what {@link #fill} wrote. */
    public void makeRoom() throws IOException {
        Files.deleteIfExists(filler);
    }

    @Override
    public void close() throws IOException, InterruptedException {
        Process p = new ProcessBuilder("umount", mountPoint.toString()).redirectErrorStream(true).start();
        String said = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        Assertions.assertEquals(0, p.waitFor(), "umount " + mountPoint + ": " + said);
    }
}
