package org.greylite.ctl;

import java.io.PrintWriter;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
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
                + "(an earned entry too; one keyed by a PTR domain by that domain or the client's PTR name). Takes effect in a running greylited within seconds.")
class DbWhitelistCommand implements Callable<Integer> {

    enum Action { add, remove }

    @ParentCommand
    DbCommand db;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "add|remove", description = "What to do.")
    Action action;

    @Parameters(index = "1", paramLabel = "CIDR|ADDRESS", description = "e.g. 192.0.2.7, 192.0.2.0/24, 2001:db8::/32; also in brackets, as Postfix "
            + "logs a client and mynetworks writes a block: [2001:db8::5], [2001:db8::]/32")
    String client;

    @Option(names = "--comment", paramLabel = "TEXT", description = "Why (kept with the entry).")
    String comment;

    @Option(names = "--until", paramLabel = "DURATION", description = "The entry ends after this long (e.g. 7d; at most 36500d); default never, also when an "
                    + "entry is added again.")
    String until;

    boolean black() {
        return false;
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        String list = black() ? "blacklist" : "whitelist";
        String typed = LoggedAddress.unbracketed(client);
        java.util.Set<String> named = black() || action == Action.add ? null : ClientName.keys(typed);
        if (named != null) {
            return removeEarnedByName(out, named);
        }
        Cidr block = action == Action.add ? ListBlock.toAdd(typed) : Cidr.parse(typed);
        java.time.Duration lasting = until == null ? null : until();
        try (GreydbAdmin admin = db.open()) {
            if (action == Action.add) {
                Instant now = db.now(admin);
                // Said again, an entry gets the end given now: none without --until, as the help says ("default
                // never"); it kept its old end before, so an entry once added for 1h could not be made permanent
                // without removing it. Its comment stays unless --comment gives another.
                Held held = held(admin, block.toString());
                ListEntry before = held.handMade();
                // The greydb keeps whole seconds: the end said here is the one db list shows, not a finer one.
                Instant expires = lasting != null ? now.plus(lasting).truncatedTo(ChronoUnit.SECONDS) : null;
                String why = comment != null ? comment : before == null ? null : before.comment();
                admin.putListEntry(new ListEntry(block.toString(), black(), now, expires, why));
                out.println(before == null
                        ? "added " + block + " to the " + list + (expires == null ? "" : " until " + expires)
                                + (held.earned() ? ", in place of the entry it had earned (a"
                                + " hand-made entry ends " + (expires == null ? "never" : "then") + ", not as the client"
                                + " delivers)" : "")
                        : "updated " + block + " on the " + list + ": " + endChange(before.expires(), expires));
                return 0;
            }
            if (admin.removeListEntry(black(), block.toString())) {
                out.println("removed " + block + " from the " + list);
                return 0;
            }
            List<String> covering = covering(admin, block);
            spec.commandLine().getErr().println("greylitectl: " + block + " is not on the " + list
                    + (covering.isEmpty() ? "" : " itself; it is covered by " + String.join(", ", covering)
                    + ": remove that to end it"));
            return GreyliteCtl.PROBLEMS;
        }
    }

    /**
     * Removes the earned entries of a client keyed by its PTR name: under the smart client key (the default) a client
     * with a forward-confirmed PTR name earns its entry keyed by the name's registrable domain ({@code google.com}),
     * which {@code db list --whitelist} shows; such an entry could not be ended but by hand in SQL, as only blocks
     * were taken here. The name the log shows ({@code mail-sor-f41.google.com}) finds its domain's entry, as
     * {@code db list --client} does. Hand-made entries are blocks only, so a name stays refused with {@code add} and
     * on the blacklist.
     */
    private int removeEarnedByName(PrintWriter out, java.util.Set<String> keys) {
        String name = keys.iterator().next();
        boolean removed = false;
        try (GreydbAdmin admin = db.open()) {
            for (String key : keys) {
                if (admin.removeListEntry(false, key)) {
                    out.println("removed " + key + " from the whitelist"
                            + (key.equals(name) ? "" : " (the key of " + name + ")"));
                    removed = true;
                }
            }
        }
        if (removed) {
            return 0;
        }
        spec.commandLine().getErr().println("greylitectl: " + String.join(" or ", keys) + " is not on the whitelist");
        return GreyliteCtl.PROBLEMS;
    }

    /** The longest --until taken: an end further off is a typing mistake, and beyond what time values can hold. */
    static final java.time.Duration LONGEST = java.time.Duration.ofDays(36500);

    private java.time.Duration until() {
        java.time.Duration lasting;
        try {
            lasting = Durations.parse(until);
        } catch (IllegalArgumentException e) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--until: " + e.getMessage());
        }
        if (lasting.isZero() || lasting.isNegative()) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--until wants a duration longer than 0 (7d, 12h...), not '" + until + "'");
        }
        if (lasting.compareTo(LONGEST) > 0) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--until '" + until
                    + "' is too far off: at most " + Durations.format(LONGEST) + " (100 years); without --until the"
                    + " entry never ends");
        }
        return lasting;
    }

    /** What became of an entry's end, for the administrator who changed it. */
    private static String endChange(Instant before, Instant after) {
        if (after == null) {
            return before == null ? "no end, as before" : "no end now (it was to end " + before + ")";
        }
        return "until " + after + (before == null ? " (it had no end)" : " (it was to end " + before + ")");
    }

    /**
     * What holds exactly {@code client} on this list before an {@code add}: a hand-made entry (null if none), and
     * whether the client instead holds one it earned by delivering. The whitelist keeps one row per client, so a
     * hand-made entry takes the place of an earned one: {@code add --until 2h} over a client's 36 earned days leaves
     * it 2 hours, which the administrator should hear.
     */
    private record Held(ListEntry handMade, boolean earned) {
    }

    private Held held(GreydbAdmin admin, String client) {
        String failure = "cannot add " + client + " to the " + (black() ? "blacklist" : "whitelist");
        if (black()) {
            return new Held(admin.blacklist(failure).stream().filter(e -> e.client().equals(client)).findFirst()
                    .orElse(null), false);
        }
        GreydbAdmin.WhitelistRow row = admin.whitelist(failure).stream().filter(w -> w.client().equals(client))
                .findFirst().orElse(null);
        if (row == null || !"admin".equals(row.source())) {
            return new Held(null, row != null);
        }
        return new Held(new ListEntry(row.client(), false, row.created(), row.expires(), row.comment()), false);
    }

    /** The entries of this list (earned ones too) whose blocks hold {@code block}'s first address. */
    private List<String> covering(GreydbAdmin admin, Cidr block) {
        List<String> found = new java.util.ArrayList<>();
        String failure = "cannot remove " + block + " (looking for the entries that cover it)";
        if (black()) {
            admin.blacklist(failure).forEach(e -> addIfCovers(found, e.client(), e.client(), block));
        } else {
            admin.whitelist(failure).forEach(w -> addIfCovers(found, w.client(), w.client() + " (" + w.source() + ")",
                    block));
        }
        return found;
    }

    private static void addIfCovers(List<String> found, String entry, String shown, Cidr block) {
        try {
            Cidr c = Cidr.parse(entry);
            if (c.prefix() <= block.prefix() && c.contains(block.firstAddress())) {
                found.add(shown);
            }
        } catch (IllegalArgumentException notABlock) {
            // an earned entry keyed by a domain (the smart key): no address inside it
        }
    }
}
