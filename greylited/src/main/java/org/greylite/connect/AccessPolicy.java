package org.greylite.connect;

import java.net.InetAddress;
import java.util.Optional;

/** Decides, from the client's address alone, whether it may talk to us and which variables its session gets. */
@FunctionalInterface
public interface AccessPolicy {

    /**
     * The access file line that applies to {@code client}, or empty when none does: the client is then
     * allowed, with no variables (tcpserver's behaviour without a matching rule). Thread-safe, no I/O on
     * the caller's behalf beyond an occasional look at the file's modification time.
     */
    Optional<AccessRule> lookup(InetAddress client);

    /** No access file: every client is allowed, with no variables. */
    AccessPolicy ALLOW_ALL = client -> Optional.empty();
}
