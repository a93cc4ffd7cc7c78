package org.greylite.ctl;

import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** {@code greylitectl suspicion ...}: the suspicion file's commands. */
@Command(name = "suspicion", mixinStandardHelpOptions = true,
        description = "Check a suspicion file, or explain which of its lines decides for a client.",
        subcommands = {SuspicionCheckCommand.class, SuspicionExplainCommand.class})
final class SuspicionCommand {

    @ParentCommand
    GreyliteCtl root;
}
