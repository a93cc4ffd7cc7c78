package org.greylite.policy;

import java.io.PrintWriter;

import picocli.CommandLine;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * An unknown flag or a value that is not of the flag's type: the error, picocli's "did you mean" when it has one,
 * and where the options are listed, on stderr. picocli's own handler followed the error with the whole usage, some
 * 200 lines, so that the one line that mattered scrolled out of sight (and out of journald's short view). The exit
 * status is picocli's for a bad command line, 2, greylited's status for a configuration error.
 */
final class BadCommandLine implements IParameterExceptionHandler {

    @Override
    public int handleParseException(ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        PrintWriter err = cmd.getErr();
        err.println("greylite-policy: " + e.getMessage());
        UnmatchedArgumentException.printSuggestions(e, err);
        err.println("greylite-policy --help lists the options.");
        err.flush();
        return cmd.getCommandSpec().exitCodeOnInvalidInput();
    }
}
