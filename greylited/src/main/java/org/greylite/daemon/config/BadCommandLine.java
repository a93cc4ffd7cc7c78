package org.greylite.daemon.config;

import java.io.PrintWriter;
import java.util.Arrays;

import org.greylite.config.BadFlag;

import picocli.CommandLine;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;

/**
 * An unknown flag or a value that is not of the flag's type, for greylited and greylite-policy alike: said as
 * {@link BadFlag} says it for every program with a command line, except that a bad value that came from a setting's
 * variable, not from the command line, is said under the variable's name, without the flag nobody gave. The exit
 * status is picocli's for a bad command line, 2, the programs' status for a configuration error.
 */
public final class BadCommandLine implements IParameterExceptionHandler {

    private final String program;
    private final LayeredDefaults defaults;
    private final BadFlag badFlag;

    /**
     * @param program  the command's name, which starts each line (greylited, greylite-policy)
     * @param defaults where the options' defaults came from (to tell a variable's value from a flag's), or null
     */
    public BadCommandLine(String program, LayeredDefaults defaults) {
        this.program = program;
        this.defaults = defaults;
        this.badFlag = new BadFlag(program);
    }

    @Override
    public int handleParseException(ParameterException e, String[] args) {
        OptionSpec option = e.getArgSpec() instanceof OptionSpec o ? o : null;
        String variable = fromEnvironment(option, defaults, args);
        if (variable == null) {
            return badFlag.handleParseException(e, args);
        }
        // The administrator set the variable, not the flag: name it, and no pointer to the flags.
        CommandLine cmd = e.getCommandLine();
        PrintWriter err = cmd.getErr();
        err.println(program + ": " + variable + ": " + withoutFlag(e.getMessage(), option));
        err.flush();
        return cmd.getCommandSpec().exitCodeOnInvalidInput();
    }

    /** The variable {@code option}'s bad value came from (not given as a flag, nor in a file), or null. */
    private static String fromEnvironment(OptionSpec option, LayeredDefaults defaults, String[] args) {
        if (option == null || defaults == null
                || Arrays.stream(option.names()).anyMatch(n -> onCommandLine(args, n.replaceFirst("^--?", "")))) {
            return null;
        }
        LayeredDefaults.Source s = defaults.source(option, null);
        return s.origin() == LayeredDefaults.Origin.ENV ? s.detail() : null;
    }

    /** picocli's "Invalid value for option '--max-pending': '-1' is not..." without the flag it did not come from. */
    private static String withoutFlag(String message, OptionSpec option) {
        String prefix = "Invalid value for option '" + option.longestName() + "': ";
        return message != null && message.startsWith(prefix) ? message.substring(prefix.length()) : message;
    }

    /** Whether option {@code name} (without its dashes) is among {@code args}, before a {@code --}. */
    public static boolean onCommandLine(String[] args, String name) {
        return Arrays.stream(args).takeWhile(a -> !a.equals("--"))
                .anyMatch(a -> a.equals("--" + name) || a.startsWith("--" + name + "="));
    }
}
