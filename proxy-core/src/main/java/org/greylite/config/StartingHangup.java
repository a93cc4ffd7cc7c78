package org.greylite.config;

import org.slf4j.Logger;

/**
 * The SIGHUP action of a long-running program (greylited, greylite-policy, greydaemon), put in place with
 * {@link Hangup#onHangup} from the first moments of its start. The JVM's own handling of SIGHUP stops the process
 * (exit status 129), and a program that installed its reload only once it was serving kept that default for the
 * seconds its start takes on a busy host (greydaemon's import of a large save file: half a minute): a
 * {@code systemctl reload} right after a restart, a logrotate or certbot hook, killed it. Until the program
 * serves there is nothing to reload (its files are being read for the first time); then {@link #reloadWith}
 * hands the signal its reload.
 */
public final class StartingHangup implements Runnable {

    /** Before logging is set up: nothing to do, and nowhere to say it yet. */
    private volatile Runnable action = () -> { };

    /** Until {@link #reloadWith}, a SIGHUP is said in {@code log}, and otherwise ignored. */
    public void whileStarting(Logger log) {
        action = () -> log.info("SIGHUP while starting: the files are being read now; nothing to reload yet");
    }

    /** From now on a SIGHUP runs {@code reload}. */
    public void reloadWith(Runnable reload) {
        action = reload;
    }

    @Override
    public void run() {
        action.run();
    }
}
