package org.greylite.net;

/**
 * A listening socket whose accept failed (most often no file descriptor left), as greylited and greylite-policy
 * meet it. The client stays in the kernel's queue, so the socket is ready again at once: a server that tried again
 * at every turn would burn its I/O thread and write a warning each time. Both rest the listener for
 * {@link #PAUSE_MILLIS} instead, serving their connections meanwhile, and say so in the same words.
 *
 * <p>Constants only, which the compiler copies into the code that uses them: the path that meets a full
 * descriptor table must not load a class, which from a folder of classes takes a descriptor.
 */
public final class AcceptFailure {

    /** How long a listener rests after a failed accept. */
    public static final long PAUSE_MILLIS = 1000;

    /** What the warning says after the reason: the rest, and what to change. */
    public static final String ADVICE = "trying again in " + PAUSE_MILLIS + " ms (if no file descriptor is left, raise"
            + " the open-file limit: ulimit -n, or LimitNOFILE= in the systemd unit)";

    private AcceptFailure() {
    }
}
