package org.greylite.config;

import org.slf4j.Logger;

/**
 * The long-running programs' timed work (the greydb purge, the look at the greydb file, the check of a followed
 * file for edits, the background checkpoint) outliving its failures. A {@code ScheduledExecutorService} never runs
 * a task again once a run has thrown, and says nothing: a purge that met one unforeseen exception would leave the
 * greydb to grow for as long as the program runs. Each task's own errors (a greydb that cannot be reached, a file
 * that cannot be read) are said by the task; what nothing foresaw is logged here with its trace, and the task
 * runs again at its next turn.
 */
public final class TimerTasks {

    private TimerTasks() {
    }

    /** {@code task}, its unforeseen failures logged as {@code what} failing; none ends its schedule. */
    public static Runnable outliving(String what, Logger log, Runnable task) {
        return () -> {
            try {
                task.run();
            } catch (RuntimeException | StackOverflowError | LinkageError e) {
                log.error("{} failed unexpectedly; tried again at its next turn", what, e);
            }
        };
    }
}
