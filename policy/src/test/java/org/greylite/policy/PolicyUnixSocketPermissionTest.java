package org.greylite.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;

import org.greylite.testing.UnprivilegedJava;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A unix socket the service may not connect to (another user's service, running) is not taken for one left by a
 * run that ended: the service refuses to start, and the socket stays. Root connects to any socket, so as root the
 * service runs as an unprivileged user ({@link UnprivilegedJava}).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PolicyUnixSocketPermissionTest {

    @TempDir
    Path dir;

    @Test
    void aSocketItMayNotConnectToIsLeftInPlaceAndTheServiceDoesNotStart() throws Exception {
        // A folder anyone may write in, without the sticky bit: the socket could be removed, and must not be.
        Path shared = Files.createDirectory(dir.resolve("shared"));
        Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxrwxrwx"));
        UnprivilegedJava.reachable(dir);
        Path socket = shared.resolve("other.sock");
        try (ServerSocketChannel other = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            other.bind(UnixDomainSocketAddress.of(socket));
            // No one but root may connect: not even its owner, when the test does not run as root.
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("---------"));
            String why;
            if (UnprivilegedJava.root()) {
                Path empty = Files.writeString(shared.resolve("empty.whitelist"), "# nothing\n");
                UnprivilegedJava.Result r = UnprivilegedJava.run(GreylitePolicy.class, "--unix=" + socket,
                        "--db=" + shared.resolve("greylite.db"), "--whitelist-clients=" + empty,
                        "--whitelist-recipients=" + empty, "--no-shipped-whitelist");
                assertNotEquals(0, r.exitStatus(), r.output());
                why = r.output();
            } else {
                why = assertThrows(IOException.class, () -> TestPolicy.start(dir, "--unix=" + socket)).getMessage();
            }
            assertTrue(why.contains("cannot listen on unix socket " + socket
                    + ": cannot tell whether another process serves it (Permission denied)"), why);
            assertTrue(Files.exists(socket), "the socket was removed");
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw-rw-"));
            try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(socket));
                 SocketChannel accepted = other.accept()) {
                assertTrue(c.isConnected() && accepted != null, "the other service still has its socket");
            }
        }
    }

    /**
     * A socket directory the service's user may not write in (root's, or Postfix's private/) is a mistake in the
     * configuration, as a directory that does not exist is: exit 2, which the systemd unit does not restart on, and
     * the line says whose directory it is. It exited 111 with the bind's "Permission denied", and systemd started it
     * again every 5 seconds for good, since waiting does not give the directory to another user.
     */
    @Test
    void aSocketDirectoryItMayNotWriteInStopsTheStartAsAMistake() throws Exception {
        Path closed = Files.createDirectory(dir.resolve("closed"));
        Path socket = closed.resolve("socket");
        String why;
        if (UnprivilegedJava.root()) {
            Files.setPosixFilePermissions(closed, PosixFilePermissions.fromString("rwxr-xr-x")); // root's alone
            Path shared = Files.createDirectory(dir.resolve("shared"));
            Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxrwxrwx"));
            UnprivilegedJava.reachable(dir);
            Path empty = Files.writeString(shared.resolve("empty.whitelist"), "# nothing\n");
            UnprivilegedJava.Result r = UnprivilegedJava.run(GreylitePolicy.class, "--unix=" + socket,
                    "--db=" + shared.resolve("greylite.db"), "--whitelist-clients=" + empty,
                    "--whitelist-recipients=" + empty, "--no-shipped-whitelist");
            assertEquals(2, r.exitStatus(), r.output());
            why = r.output();
        } else {
            Files.setPosixFilePermissions(closed, PosixFilePermissions.fromString("r-xr-xr-x"));
            why = assertThrows(IllegalArgumentException.class, () -> TestPolicy.start(dir, "--unix=" + socket)).getMessage();
        }
        String user = UnprivilegedJava.root() ? UnprivilegedJava.USER : System.getProperty("user.name");
        assertTrue(why.contains("--unix: user '" + user + "' may not make the socket " + socket + " in " + closed
                + " (owned by "), why);
        assertTrue(Files.notExists(socket));
    }
}
