package org.greylite.policy;

import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;

import org.greylite.greylist.Durations;

/** postgrey's ways of writing values, read as postgrey reads them; each error names the flag. */
final class PostgreyValues {

    private PostgreyValues() {
    }

    /**
     * {@code --retry-window}: postgrey's days ({@code 2}) or hours ({@code 6h}); also any duration with a unit
     * ({@code 30m}, {@code 1d}). A bare number is days, however many digits it has, as postgrey reads it, never
     * seconds: the engine's reading of a bare number (seconds) took over past six digits, so that {@code 999999}
     * was days and {@code 1000000} eleven days' worth of seconds.
     */
    static Duration retryWindow(String text) {
        String t = text.trim();
        boolean days = !t.isEmpty() && t.chars().allMatch(c -> c >= '0' && c <= '9');
        try {
            return Durations.parse(days ? t + "d" : t);
        } catch (IllegalArgumentException e) {
            if (days) {
                throw new IllegalArgumentException("--retry-window: " + t + " days is too long");
            }
            throw new IllegalArgumentException("--retry-window: '" + text + "' is not days (2), hours (6h) or a duration "
                    + "with a unit (30m, 1d)");
        }
    }

    /**
     * {@code --greylist-action}, {@code --greylist-text}, {@code --x-greylist-header}: an empty (or blank) value gives
     * the default, as postgrey's {@code $opt{...} || DEFAULT} gives it. Taken as it is, it made answers Postfix
     * cannot use: {@code action= 4.7.1 ...}, a text that is one space, {@code PREPEND} with no header.
     */
    static String orDefault(String value, String defaultValue) {
        return value == null || value.isBlank() ? defaultValue : value;
    }

    /** {@code --max-age}: days. */
    static Duration days(String flag, int days) {
        if (days < 1) {
            throw new IllegalArgumentException(flag + " must be at least 1 day, not " + days);
        }
        return Duration.ofDays(days);
    }

    /**
     * {@code --inet}: {@code PORT} (on localhost, as postgrey binds it) or {@code HOST:PORT}, {@code [IPV6]:PORT}.
     * An IPv6 address must be in brackets: {@code ::1:10023} is also the address {@code ::1:10023}, and which was
     * meant cannot be told.
     *
     * @throws IllegalArgumentException for text that is no {@code [HOST:]PORT}
     * @throws UncheckedIOException     for a host name that does not resolve (yet: DNS may not be up at boot), as
     *                                  greylited's {@code --listen}
     */
    static InetSocketAddress inet(String text) {
        String t = text.trim();
        String host = "127.0.0.1";
        String port = t;
        if (t.startsWith("[") && t.endsWith("]")) {
            // The address alone: its last colon is no port's, and the brackets the other message asks for are there.
            throw new IllegalArgumentException("--inet wants a port after the address (e.g. " + t + ":10023), not '"
                    + text + "'");
        }
        int colon = t.lastIndexOf(':');
        if (colon >= 0) {
            host = t.substring(0, colon);
            port = t.substring(colon + 1);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            } else if (host.indexOf(':') >= 0) {
                throw new IllegalArgumentException("--inet: write an IPv6 address in brackets, e.g. [::1]:10023, not '"
                        + text + "'");
            }
            if (host.isEmpty() || host.equals("*")) {
                host = "::"; // every address, IPv6 too, as postgrey binds it; 0.0.0.0 is IPv4's alone (InetListener)
            }
        }
        int p;
        try {
            p = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            p = -1;
        }
        if (p < 0 || p > 65535) {
            throw new IllegalArgumentException("--inet: '" + text + "' is not [HOST:]PORT (e.g. 10023 or 127.0.0.1:10023)");
        }
        InetSocketAddress address = new InetSocketAddress(host, p);
        if (address.isUnresolved()) {
            String why = "--inet: cannot resolve host '" + host + "'";
            throw new UncheckedIOException(why, new UnknownHostException(why));
        }
        return address;
    }

    /**
     * The longest unix socket path that can be bound: Linux's {@code sun_path} holds 108 bytes, and the JDK takes
     * at most 106 of them (107 fails as "Unix domain path too long", measured).
     */
    static final int UNIX_PATH_MAX = 106;

    /**
     * {@code --unix}: a path the kernel can bind. A longer one can never work, so it is a mistake in the flag
     * (exit 2), said before anything is bound rather than as the JDK's "Unix domain path too long". So is a path
     * in a directory that does not exist or that the service's user may not write in, and one where a file that is
     * not a socket lies (a regular file, a directory): the service makes no directory, changes no permissions and
     * removes no such file, and retrying cannot make any of these go away (it exited 111, and systemd restarted it
     * without end).
     */
    static java.nio.file.Path unixSocket(java.nio.file.Path path) {
        int bytes = path.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        if (bytes > UNIX_PATH_MAX) {
            throw new IllegalArgumentException("--unix: " + path + " is " + bytes + " bytes long; a unix socket's path "
                    + "holds at most " + UNIX_PATH_MAX + " (e.g. /run/greylite-policy/socket)");
        }
        if (java.nio.file.Files.isDirectory(path)) {
            throw new IllegalArgumentException("--unix: " + path + " is a directory; give the path of the socket in it "
                    + "(e.g. " + path.resolve("socket") + ")");
        }
        // Said as what it is, where the bind said "No such file or directory" of a socket it was to make, and exited
        // 111: systemd restarted it every few seconds for good, since the directory does not come by waiting.
        java.nio.file.Path dir = path.toAbsolutePath().getParent();
        if (dir != null && java.nio.file.Files.notExists(dir)) {
            throw new IllegalArgumentException("--unix: the directory " + dir + " of " + path + " does not exist; make it "
                    + "first (e.g. install -d -o USER -g postfix -m 0750 " + dir + ")");
        }
        // Nor does a directory the service's user may not write in: the bind's "Permission denied" exited 111 too.
        if (dir != null && (!java.nio.file.Files.isWritable(dir) || !java.nio.file.Files.isExecutable(dir))) {
            String user = System.getProperty("user.name");
            String owner = org.greylite.files.FileOwner.of(dir)
                    .map(o -> " (owned by " + o.owner() + ":" + o.group() + ", mode " + o.mode() + ")").orElse("");
            throw new IllegalArgumentException("--unix: user '" + user + "' may not make the socket " + path + " in " + dir
                    + owner + "; give it a directory of its own that it may write in (e.g. install -d -o " + user
                    + " -g postfix -m 0750 DIR)");
        }
        if (java.nio.file.Files.isRegularFile(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            throw new IllegalArgumentException("--unix: " + path + " is a regular file, not a socket; remove it or give "
                    + "another path");
        }
        return path;
    }

    /** {@code --socketmode}: octal, as chmod takes it ({@code 0666}, {@code 660}). */
    static Set<PosixFilePermission> socketMode(String text) {
        int mode;
        try {
            mode = Integer.parseInt(text.trim(), 8);
        } catch (NumberFormatException e) {
            mode = -1;
        }
        if (mode < 0 || mode > 0777) {
            throw new IllegalArgumentException("--socketmode: '" + text + "' is not an octal mode such as 0666");
        }
        Set<PosixFilePermission> perms = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] bits = {
            PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
            PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
            PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ};
        for (int i = 0; i < bits.length; i++) {
            if ((mode & (1 << i)) != 0) {
                perms.add(bits[i]);
            }
        }
        return perms;
    }
}
