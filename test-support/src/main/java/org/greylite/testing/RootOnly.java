package org.greylite.testing;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * For the tests that need this JVM to run as root (another user to check a permission as, a file system to mount,
 * Postfix's master, a privilege to drop). CI runs the tests as root, so there a test that finds itself run by another
 * user fails; on a developer's machine it is skipped, saying why. One rule for every such test, as
 * {@link ExternalPrograms#require} is for the programs the tests drive.
 */
public final class RootOnly {

    private RootOnly() {
    }

    /** Returns when this JVM runs as root; otherwise fails the test under CI and skips it elsewhere, saying {@code why}. */
    public static void require(String why) {
        if (UnprivilegedJava.root()) {
            return;
        }
        String said = why + ", and the tests do not run as root";
        if (ExternalPrograms.underCi()) {
            Assertions.fail(said + "; CI=true runs them as root, so this is a failure, not a skip");
        }
        Assumptions.abort(said);
    }
}
