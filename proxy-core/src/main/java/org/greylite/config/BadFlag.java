package org.greylite.config;

import java.io.PrintWriter;

import picocli.CommandLine;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * An unknown flag, or a value a flag does not take, on the command line of greylited, greylite-policy or
 * greylitectl: the error, picocli's "did you mean" when it has one, and where the options are listed, on stderr.
 * picocli's own handler followed the error with the command's whole usage (40 to 300 lines), so that the one line
 * that mattered scrolled out of sight, or out of journald's short view of a unit that would not start. The exit
 * status stays picocli's for a bad command line, 2.
 */
public final class BadFlag implements IParameterExceptionHandler {

    private final String program;

    /** @param program the program's name, which starts the error's line (greylited, greylitectl...) */
    public BadFlag(String program) {
        this.program = program;
    }

    @Override
    public int handleParseException(ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        PrintWriter err = cmd.getErr();
        err.println(program + ": " + e.getMessage());
        UnmatchedArgumentException.printSuggestions(e, err);
        // A command made of subcommands (greylitectl, greylitectl db) is mostly given without one: its --help
        // lists them, and those are what the administrator looks for.
        String listed = cmd.getSubcommands().isEmpty() ? "options" : "subcommands";
        err.println(program + subcommandPath(cmd) + " --help lists the " + listed + ".");
        err.flush();
        return cmd.getCommandSpec().exitCodeOnInvalidInput();
    }

    /** " db list" for greylitectl's {@code db list}, whose own --help lists its options; "" for the program itself. */
    private static String subcommandPath(CommandLine cmd) {
        StringBuilder path = new StringBuilder();
        for (CommandLine c = cmd; c.getParent() != null; c = c.getParent()) {
            path.insert(0, " " + c.getCommandName());
        }
        return path.toString();
    }
}
