package org.greylite.daemon;

import org.slf4j.Logger;

/**
 * greylited's SIGHUP action, in place from the first moments of the start. The JVM's own handling of SIGHUP stops
 * the process (exit status 129), so a reload asked while greylited was still starting (a certbot hook, logrotate,
 * {@code systemctl reload} right after a restart) killed it. Until the engine is up, a SIGHUP has nothing to do:
 * the files are being read for the first time now; then {@link #reloadWith} hands it the reload.
 */
final class StartingHangup implements Runnable {

    private final Logger log;
    private volatile Runnable reload;

    StartingHangup(Logger log) {
        this.log = log;
    }

    /** From now on a SIGHUP runs {@code action}. */
    void reloadWith(Runnable action) {
        reload = action;
    }

    @Override
    public void run() {
        Runnable action = reload;
        if (action == null) {
            log.info("SIGHUP while starting: the files are being read now; nothing to reload yet");
            return;
        }
        action.run();
    }
}
