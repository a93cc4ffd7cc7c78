package org.greylite.ctl;

import java.io.PrintWriter;
import java.util.Map;

import org.greylite.config.BadFlag;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code greylitectl}: the administrator's tool. One picocli subcommand class per file, grouped by what they
 * work on: {@code suspicion} (check and explain suspicion files); the greydb's commands join as {@code db}
 * next to it.
 *
 * <p>Exit status, for every subcommand: 0 success, 1 the command worked and found something wrong (a
 * check that found problems), 2 it could not do its work (bad usage, a file that cannot be read).
 */
@Command(name = "greylitectl", mixinStandardHelpOptions = true, version = "greylitectl 0.1.0",
        description = "Administration of greylite: check a suspicion file, explain which rule a client hits, "
                + "inspect and edit the greydb.",
        subcommands = {SuspicionCommand.class, DbCommand.class, HelpCommand.class},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:success", "1:the command found problems (e.g. lines that do not load)",
            "2:bad usage, or a file that cannot be read"})
public final class GreyliteCtl {

    static final int PROBLEMS = 1;
    static final int TROUBLE = 2;

    private final Map<String, String> env;
    private final java.time.Clock clock;

    GreyliteCtl(Map<String, String> env, java.time.Clock clock) {
        this.env = Map.copyOf(env);
        this.clock = clock;
    }

    /** What "now" is for expiry and "until" times: the system clock, or a test's. */
    java.time.Clock clock() {
        return clock;
    }

    /** The environment the commands read ({@code GEOIPDB_FILE}...): the process's, or a test's. */
    Map<String, String> env() {
        return env;
    }

    /** The command line over {@code env}; {@link CommandLine#execute} runs it and returns the exit status. */
    public static CommandLine commandLine(Map<String, String> env) {
        return commandLine(env, java.time.Clock.systemUTC());
    }

    /** The command line over {@code env} and {@code clock}. */
    public static CommandLine commandLine(Map<String, String> env, java.time.Clock clock) {
        CommandLine cmd = new CommandLine(new GreyliteCtl(env, clock));
        cmd.setCaseInsensitiveEnumValuesAllowed(true);
        // One line for a bad flag or value and where the options are, not the subcommand's whole usage after it.
        cmd.setParameterExceptionHandler(new BadFlag("greylitectl"));
        cmd.setExecutionExceptionHandler((ex, line, parsed) -> {
            PrintWriter err = line.getErr();
            err.println("greylitectl: " + (ex.getMessage() != null ? ex.getMessage() : ex.toString()));
            err.flush();
            return TROUBLE;
        });
        return cmd;
    }

    /**
     * The encoding picocli itself would write standard output in, but UTF-8 where that is ASCII: under the C locale
     * (cron, a service unit) the greydb's and the suspicion file's UTF-8 text (an international address, a pattern)
     * came out as '?', in JSON too, which RFC 8259 has in UTF-8; the arguments are read as UTF-8 there already
     * ({@link CommandArguments}). Java 18 and later write UTF-8 by default anyway.
     */
    private static java.nio.charset.Charset stdoutCharset() {
        String name = System.getProperty("sun.stdout.encoding");
        java.nio.charset.Charset cs;
        try {
            cs = name == null ? java.nio.charset.Charset.defaultCharset() : java.nio.charset.Charset.forName(name);
        } catch (IllegalArgumentException e) {
            cs = java.nio.charset.Charset.defaultCharset();
        }
        return java.nio.charset.StandardCharsets.US_ASCII.equals(cs) ? java.nio.charset.StandardCharsets.UTF_8 : cs;
    }

    public static void main(String[] args) {
        // warnings and errors only unless LOGTHRESHOLD says otherwise (the model's default for greylitectl), on stderr
        org.greylite.config.Logging.configure(System.getenv(), org.greylite.settings.Program.GREYLITECTL);
        // Straight to file descriptor 1, not through System.out, which hides write errors.
        CheckedOutput out = new CheckedOutput(new java.io.FileOutputStream(java.io.FileDescriptor.out), stdoutCharset());
        CommandLine cmd = commandLine(System.getenv());
        cmd.setOut(out.writer());
        int status = cmd.execute(CommandArguments.asTyped(args));
        System.exit(out.exitStatus(status, cmd.getErr()));
    }
}
