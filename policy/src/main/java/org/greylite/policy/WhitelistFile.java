package org.greylite.policy;

import java.nio.file.Path;

/**
 * One of postgrey's whitelist files to read, and whether its absence deserves a warning. A file that does not
 * exist is read as empty, as postgrey reads it, and read again at each SIGHUP, so that one created later comes into
 * force then; a file that exists but cannot be read (permissions, a directory) is an error (see
 * {@link PolicyRuleFiles}).
 *
 * @param warnIfMissing whether a missing file is said in a warning at each reading
 */
record WhitelistFile(Path path, boolean warnIfMissing) {

    /**
     * A file named by {@code --whitelist-clients} or {@code --whitelist-recipients}: its absence is said, but for a
     * {@code *.local} file, which Debian's postgrey configuration names whether or not the administrator made one
     * (postgrey says nothing of those either).
     */
    static WhitelistFile named(Path path) {
        return new WhitelistFile(path, !String.valueOf(path.getFileName()).endsWith(".local"));
    }

    /** One of postgrey's own files under /etc/postgrey, read when none is named: on a host without postgrey none exists. */
    static WhitelistFile postgreyDefault(Path path) {
        return new WhitelistFile(path, false);
    }

    @Override
    public String toString() {
        return path.toString();
    }
}
