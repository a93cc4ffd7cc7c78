package org.greylite.config;

/**
 * Why a program could not be started, for the line that says so: greylite (its PROGRAM) and dnsblenv (the program
 * it runs) both start one another program and say why it did not start alike.
 */
public final class ProgramStartFailure {

    private ProgramStartFailure() {
    }

    /**
     * The reason alone: the JDK's "Cannot run program "x": error=2, No such file or directory" names the program
     * and the error number around it, and the line already names the program, so it is cut to "No such file or
     * directory". A failure with no message is named by its class.
     */
    public static String reason(Exception e) {
        Throwable t = e.getCause() != null ? e.getCause() : e;
        String message = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        int comma = message.indexOf(", ");
        return message.startsWith("error=") && comma > 0 ? message.substring(comma + 2) : message;
    }
}
