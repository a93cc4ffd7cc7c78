package org.greylite.relay;

import java.util.function.Consumer;

import org.greylite.greylist.RcptRequest;
import org.greylite.greylist.Verdict;

/**
 * Decides on one RCPT. Asynchronous so that the network threads never wait for the greydb: the verdict
 * is handed to {@code done}, possibly on another thread, possibly before {@code decide} returns.
 */
@FunctionalInterface
public interface RcptPolicy {
    void decide(RcptRequest request, Consumer<Verdict> done);
}
