package org.greylite.ctl;

import java.io.PrintWriter;
import java.time.Instant;
import java.util.concurrent.Callable;

import org.greylite.greylist.Durations;
import org.greylite.net.Cidr;
import org.greylite.store.GreydbAdmin;
import org.greylite.store.ListEntry;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code greylitectl db whitelist add|remove CIDR}: clients whose mail passes without greylisting. A running
 * greylited sees a change within seconds. {@link DbBlacklistCommand} is the same for the blacklist.
 */
@Command(name = "whitelist", mixinStandardHelpOptions = true,
        description = "Add an address or CIDR block to the whitelist (mail passes at once), or remove one "
                + "(an earned entry too). Takes effect in a running greylited within seconds.")
class DbWhitelistCommand implements Callable<Integer> {

    enum Action { add, remove }

    @ParentCommand
    DbCommand db;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "add|remove", description = "What to do.")
    Action action;

    @Parameters(index = "1", paramLabel = "CIDR|ADDRESS", description = "e.g. 192.0.2.7, 192.0.2.0/24, 2001:db8::/32")
    String client;

    @Option(names = "--comment", paramLabel = "TEXT", description = "Why (kept with the entry).")
    String comment;

    @Option(names = "--until", paramLabel = "DURATION", description = "The entry ends after this long (e.g. 7d); default never.")
    String until;

    boolean black() {
        return false;
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        String list = black() ? "blacklist" : "whitelist";
        Cidr block = Cidr.parse(client);
        try (GreydbAdmin admin = db.open()) {
            if (action == Action.add) {
                Instant now = db.now();
                Instant expires = until == null ? null : now.plus(Durations.parse(until));
                admin.putListEntry(new ListEntry(block.toString(), black(), now, expires, comment));
                out.println("added " + block + " to the " + list + (expires == null ? "" : " until " + expires));
                return 0;
            }
            if (admin.removeListEntry(black(), block.toString())) {
                out.println("removed " + block + " from the " + list);
                return 0;
            }
            spec.commandLine().getErr().println("greylitectl: " + block + " is not on the " + list);
            return GreyliteCtl.PROBLEMS;
        }
    }
}
