package org.greylite.ctl;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code greylitectl help [COMMAND...]}: the help of a command at any depth, {@code help db list} as
 * {@code db list --help}. picocli's own help command reads one name only: {@code help db list} showed the help of
 * {@code db} without a word about {@code list}, and {@code help db nosuch} did too, with exit status 0.
 */
@Command(name = "help",
        description = "Show the help of a command, e.g. 'help db list' (the same as 'db list --help').")
final class HelpCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "COMMAND", arity = "0..*", description = "The command, and its subcommand: db list.")
    List<String> names = new ArrayList<>();

    @Override
    public Integer call() {
        CommandLine command = spec.commandLine().getParent();
        List<String> path = new ArrayList<>();
        for (String name : names) {
            CommandLine sub = command.getSubcommands().get(name);
            path.add(name);
            if (sub == null) {
                spec.commandLine().getErr().println("greylitectl: no command '" + String.join(" ", path) + "'; "
                        + command.getCommandSpec().qualifiedName() + " --help lists the commands");
                return GreyliteCtl.TROUBLE;
            }
            command = sub;
        }
        command.usage(spec.commandLine().getOut(), command.getColorScheme());
        return 0;
    }
}
