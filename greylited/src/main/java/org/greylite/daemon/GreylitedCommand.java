package org.greylite.daemon;

import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.greylite.config.ExitStatus;
import org.greylite.daemon.config.BadCommandLine;
import org.greylite.daemon.config.ConfigException;
import org.greylite.daemon.config.ConfigFile;
import org.greylite.daemon.config.LayeredDefaults;
import org.greylite.daemon.config.ReferencePage;

import picocli.CommandLine;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.Model.OptionSpec;

/**
 * greylited's command line: picocli over {@link Greylited}, with the configuration file and the environment
 * as layered defaults ({@link LayeredDefaults}) and errors reported in one line each, naming the
 * configuration file's line when the bad value came from there.
 *
 * <p>Exit status: 0 after a clean stop (or a --print option), 2 for a command line or configuration file
 * that cannot be used, 111 when greylited cannot start (a port taken, a greydb that cannot be opened):
 * daemontools and systemd retry 111, an administrator fixes 2.
 */
final class GreylitedCommand {

    static final int USAGE = ExitStatus.CONFIGURATION;
    static final int CANNOT_START = ExitStatus.CANNOT_START;

    /** How docs/configuration.md is made; written into its header. */
    static final String REGENERATE_REFERENCE = "bin/greylited --print-reference > docs/configuration.md";

    private GreylitedCommand() {
    }

    static int execute(Greylited app, Map<String, String> env, String[] args) {
        return execute(app, env, args, new PrintWriter(System.out, true),
                new PrintWriter(new java.io.OutputStreamWriter(System.err, Charset.defaultCharset()), true));
    }

    static int execute(Greylited app, Map<String, String> env, String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cmd = commandLine(app);
        cmd.setOut(out);
        cmd.setErr(err);
        LayeredDefaults defaults;
        try {
            Path file = LayeredDefaults.configFile(List.of(args), "--config");
            ConfigFile config = file == null ? ConfigFile.none() : ConfigFile.read(file);
            defaults = new LayeredDefaults(cmd.getCommandSpec(), GreylitedOptions.SETTINGS, config, env);
        } catch (ConfigException e) {
            err.println("greylited: " + e.getMessage());
            return USAGE;
        }
        cmd.setDefaultValueProvider(defaults);
        app.defaults = defaults;

        IParameterExceptionHandler badFlag = new BadCommandLine("greylited", defaults);
        cmd.setParameterExceptionHandler((ex, arguments) -> {
            OptionSpec option = ex.getArgSpec() instanceof OptionSpec o ? o : null;
            String where = fromFile(option, ex.getMessage(), defaults, args);
            if (where == null) {
                return badFlag.handleParseException(ex, arguments); // a flag's value, or a variable's
            }
            err.println("greylited: " + where + ex.getMessage());
            return USAGE;
        });
        cmd.setExecutionExceptionHandler((ex, line, parsed) -> {
            // Configuration and start-up errors are for the administrator: one clear line, no stack trace. A bad
            // value (IllegalArgumentException) is the configuration's, anything else the start's (ExitStatus).
            String message = withDescriptorAdvice(ex, ex.getMessage() != null ? ex.getMessage() : ex.toString());
            String where = fromFile(null, message, defaults, args);
            err.println("greylited: " + (where == null ? "" : where) + message);
            return ExitStatus.of(ex);
        });
        return cmd.execute(args);
    }

    /**
     * {@code message}, and, when the start failed for want of a file descriptor, that and what to raise. MINA words
     * such a failure in its own terms ("Failed to open a selector.", "Failed to initialize."), the JDK's "Too many open
     * files" only in the cause: the line read as a defect, and a service manager restarted greylited for ever under
     * the same limit. Here, not in a class of its own: with no descriptor left, loading one could fail too.
     */
    static String withDescriptorAdvice(Throwable failure, String message) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String m = t.getMessage();
            if (m != null && m.contains("Too many open files")) {
                String why = message.contains(m) ? "" : " (" + m + ")";
                return message + why + "; no file descriptor was left: raise the open-file limit (ulimit -n, or"
                        + " LimitNOFILE= in the systemd unit)";
            }
        }
        return message;
    }

    /** The command line over {@code app}, its options as the settings model declares them, without the configuration layers. */
    static CommandLine commandLine(Greylited app) {
        CommandLine cmd = new CommandLine(app);
        GreylitedOptions.SETTINGS.addTo(cmd.getCommandSpec());
        return cmd;
    }

    /**
     * docs/configuration.md: from the options as declared, whatever the environment or a configuration
     * file say on this machine.
     */
    static String referencePage() {
        return ReferencePage.render(commandLine(new Greylited(Map.of())).getCommandSpec(), GreylitedOptions.SETTINGS,
                REGENERATE_REFERENCE);
    }

    /**
     * What is wrong, as the start would say it (after "greylited: "): a bad value read from the configuration file is
     * named with its {@code FILE:LINE}. For the file read again at SIGHUP ({@link ConfigReload}).
     *
     * @param defaults the layers the values were read from, or null when the file itself could not be read
     */
    static String locate(RuntimeException e, LayeredDefaults defaults, List<String> args) {
        String message = e.getMessage() != null ? e.getMessage() : e.toString();
        if (defaults == null) {
            return message; // the file's own mistakes name their line already
        }
        OptionSpec option = e instanceof CommandLine.ParameterException p && p.getArgSpec() instanceof OptionSpec o
                ? o : null;
        String where = fromFile(option, message, defaults, args.toArray(String[]::new));
        return (where == null ? "" : where) + message;
    }

    /**
     * "FILE:LINE: name: " when the error is about a value from the configuration file (and not one given as a
     * flag, which would have won), else null.
     */
    private static String fromFile(OptionSpec option, String message, LayeredDefaults defaults, String[] args) {
        String name = null;
        String where = null;
        if (option != null) {
            LayeredDefaults.Source s = defaults.source(option, null);
            if (s.origin() == LayeredDefaults.Origin.CONFIG) {
                name = LayeredDefaults.key(option);
                where = s.detail();
            }
        } else {
            LayeredDefaults.Located l = defaults.locate(message);
            if (l != null) {
                name = l.name();
                where = l.where();
            }
        }
        if (where == null || BadCommandLine.onCommandLine(args, name)) {
            return null;
        }
        return where + ": " + (message != null && message.contains("--" + name) ? "" : name + ": ");
    }
}
