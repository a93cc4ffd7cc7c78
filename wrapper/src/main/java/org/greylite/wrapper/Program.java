package org.greylite.wrapper;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.greylite.config.ProgramStartFailure;

/**
 * PROGRAM, the upstream SMTP server, run as a child process. It inherits the environment (so
 * {@code qmail-smtpd} still sees RELAYCLIENT and the TCP variables) and descriptor 2; descriptors 0
 * and 1 are either pipes to greylite (greylisting on) or the client's connection itself (greylisting
 * off).
 */
final class Program {

    /** How long PROGRAM may take to end by itself once its session is over, before it gets SIGTERM. */
    static final long EXIT_GRACE_MS = 10_000;
    /** How long after SIGTERM before SIGKILL. */
    static final long TERM_GRACE_MS = 2_000;

    private Program() {
    }

    /** Starts PROGRAM with pipes on its descriptors 0 and 1, and exactly {@code env} as its environment. */
    static Process startWithPipes(List<String> command, Map<String, String> env) throws IOException {
        try {
            ProcessBuilder pb = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
            if (!env.equals(System.getenv())) {
                pb.environment().clear();
                pb.environment().putAll(env);
            }
            return pb.start();
        } catch (IOException | RuntimeException e) {
            throw new IOException("cannot run " + command.get(0) + ": " + ProgramStartFailure.reason(e), e);
        }
    }

    /** Starts PROGRAM on greylite's own descriptors 0, 1 and 2: no byte passes through greylite. */
    static Process startInheriting(List<String> command) throws IOException {
        try {
            return new ProcessBuilder(command).inheritIO().start();
        } catch (IOException | RuntimeException e) {
            throw new IOException("cannot run " + command.get(0) + ": " + ProgramStartFailure.reason(e), e);
        }
    }

    /**
     * Waits for PROGRAM to end: {@code graceMillis} by itself, then after SIGTERM, then after SIGKILL.
     *
     * @return its exit status, or 128 plus the signal number when a signal ended it (as a shell reports it)
     */
    static int await(Process p, long graceMillis) {
        boolean interrupted = false;
        try {
            long[] waits = {graceMillis, TERM_GRACE_MS};
            for (int step = 0; step < 3; step++) {
                try {
                    if (step == 2) {
                        return p.waitFor();
                    }
                    if (p.waitFor(waits[step], TimeUnit.MILLISECONDS)) {
                        return p.exitValue();
                    }
                    if (step == 0) {
                        p.destroy();
                    } else {
                        p.destroyForcibly();
                    }
                } catch (InterruptedException e) {
                    interrupted = true;
                    p.destroyForcibly();
                }
            }
            return p.isAlive() ? 128 + 9 : p.exitValue();
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
