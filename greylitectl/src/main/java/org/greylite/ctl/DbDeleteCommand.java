package org.greylite.ctl;

import java.util.concurrent.Callable;

import org.greylite.store.GreydbAdmin;
import org.greylite.store.TripletFilter;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code greylitectl db delete}: forget triplets, e.g. to let one stuck message start over. */
@Command(name = "delete", mixinStandardHelpOptions = true,
        description = "Delete the triplets that match every given filter (at least one). The next attempt of such a "
                + "message is a first attempt again; to let it through at once, whitelist its client instead.")
final class DbDeleteCommand implements Callable<Integer> {

    @ParentCommand
    DbCommand db;

    @Spec
    CommandSpec spec;

    @Option(names = "--client", paramLabel = "ADDRESS|CIDR|DOMAIN",
            description = "Clients with keys inside this block (an address also in brackets, as Postfix logs it); "
                    + "for an address also the networks that hold "
                    + "it, whatever their prefix (not with --client-key ip); for a domain the clients keyed by that "
                    + "PTR name.")
    String client;

    @Option(names = "--sender", paramLabel = "RE|ADDRESS", description = "Senders matching this regular expression "
            + "(any case), or this address as the engine keys it (SRS, BATV, +tags, VERP numbers undone).")
    String sender;

    @Option(names = "--recipient", paramLabel = "RE|ADDRESS",
            description = "Recipients matching this regular expression (any case), or this address.")
    String recipient;

    @Option(names = "--pending-only", description = "Leave passed triplets alone.")
    boolean pendingOnly;

    @Override
    public Integer call() {
        if (client == null && sender == null && recipient == null) {
            spec.commandLine().getErr().println("greylitectl: say which triplets: --client, --sender and/or --recipient");
            return GreyliteCtl.TROUBLE;
        }
        TripletFilter filter = db.selector().filter(pendingOnly ? TripletFilter.State.PENDING : TripletFilter.State.ANY,
                client, sender, recipient);
        try (GreydbAdmin admin = db.open()) {
            int n = admin.deleteTriplets(filter);
            spec.commandLine().getOut().println("deleted " + n + (n == 1 ? " triplet" : " triplets"));
        }
        return 0;
    }
}
