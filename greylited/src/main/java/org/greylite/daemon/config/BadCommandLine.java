package org.greylite.daemon.config;

import java.io.PrintWriter;

import picocli.CommandLine;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * An unknown flag or a value that is not of the flag's type, for greylited and greylite-policy alike: the error,
 * picocli's "did you mean" when it has one, and where the options are listed, on stderr. picocli's own handler
 * followed the error with the whole usage, some 200 to 300 lines, so that the one line that mattered scrolled out
 * of sight (and out of journald's short view of a unit that would not start). The exit status is picocli's for a
 * bad command line, 2, the programs' status for a configuration error.
 */
public final class BadCommandLine implements IParameterExceptionHandler {

    private final String program;

    /** @param program the command's name, which starts each line (greylited, greylite-policy) */
    public BadCommandLine(String program) {
        this.program = program;
    }

    @Override
    public int handleParseException(ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        PrintWriter err = cmd.getErr();
        err.println(program + ": " + e.getMessage());
        UnmatchedArgumentException.printSuggestions(e, err);
        err.println(program + " --help lists the options.");
        err.flush();
        return cmd.getCommandSpec().exitCodeOnInvalidInput();
    }
}
