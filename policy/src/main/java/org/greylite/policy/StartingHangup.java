package org.greylite.policy;

/**
 * greylite-policy's SIGHUP action, in place from the start of {@code main}. The JVM's own handling of SIGHUP stops
 * the process (exit status 129), and it kept it until the service was listening, seconds into the start on a busy
 * host: a {@code systemctl reload} (a logrotate or certbot hook, a deploy script reloading after a restart) in that
 * time killed the service, and Postfix deferred mail with its policy default action until systemd started it
 * again. Until the service runs there is nothing to reload (the files are being read for the first time); the
 * signal is said in the log once logging is set up, and the reload is handed over once the service runs.
 * (greylited has the same guard for its own start.)
 */
final class StartingHangup implements Runnable {

    /** Before logging is set up: nothing to do, and nowhere to say it yet. */
    private volatile Runnable action = () -> { };

    /** From now on a SIGHUP runs {@code next}. */
    void then(Runnable next) {
        action = next;
    }

    @Override
    public void run() {
        action.run();
    }
}
