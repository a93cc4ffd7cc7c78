package org.greylite.ctl;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;

import org.greylite.greylist.RecordedTimes;
import org.greylite.store.GreydbAdmin;
import org.greylite.store.ListEntry;
import org.greylite.store.Triplet;
import org.greylite.store.TripletFilter;

import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code greylitectl db list}: triplets (all, pending or passed), or the white- or blacklist. */
@Command(name = "list", mixinStandardHelpOptions = true,
        description = "List triplets (all by default), or the whitelist or blacklist. A pending triplet's "
                + "'retry_counts_from' says when its next attempt will be counted (min-delay after the last refusal); "
                + "'expires' when a triplet is forgotten: a pending one the retry window after its first attempt, a "
                + "passed one the whitelist lifetime after its last use.")
final class DbListCommand implements Callable<Integer> {

    @ParentCommand
    DbCommand db;

    @Spec
    CommandSpec spec;

    static final class What {
        @Option(names = "--pending", description = "Triplets that have not passed yet.")
        boolean pending;
        @Option(names = "--passed", description = "Triplets that passed.")
        boolean passed;
        @Option(names = "--whitelist", description = "The whitelist (earned and hand-made entries).")
        boolean whitelist;
        @Option(names = "--blacklist", description = "The blacklist.")
        boolean blacklist;
    }

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    What what = new What();

    @Option(names = "--client", paramLabel = "ADDRESS|CIDR|DOMAIN",
            description = "Only these clients (an address also in brackets, as Postfix logs it): keys inside a block; "
                    + "for an address also the networks that hold "
                    + "it, whatever their prefix (not with --client-key ip); for a domain the clients keyed by that "
                    + "PTR name.")
    String client;

    @Option(names = "--sender", paramLabel = "RE|ADDRESS", description = "Only senders matching this regular "
            + "expression (any case), or this address as the engine keys it (SRS, BATV, +tags, VERP numbers undone).")
    String sender;

    @Option(names = "--recipient", paramLabel = "RE|ADDRESS",
            description = "Only recipients matching this regular expression (any case), or this address.")
    String recipient;

    @Option(names = "--format", paramLabel = "table|json|csv", defaultValue = "table",
            description = "Output format (default ${DEFAULT-VALUE}).")
    RowPrinter.Format format;

    @Override
    public Integer call() {
        if ((what.whitelist || what.blacklist) && (sender != null || recipient != null)) {
            // Ignoring them would list entries the administrator did not ask for, as if they matched.
            spec.commandLine().getErr().println("greylitectl: " + (sender != null ? "--sender" : "--recipient")
                    + " filters triplets; the " + (what.whitelist ? "whitelist" : "blacklist")
                    + " holds clients only (--client filters it)");
            return GreyliteCtl.TROUBLE;
        }
        TripletSelector selector = db.selector();
        TripletFilter.State state = what.pending ? TripletFilter.State.PENDING
                : what.passed ? TripletFilter.State.PASSED : TripletFilter.State.ANY;
        // Parsed before the greydb is opened: a mistyped filter costs no connection.
        TripletFilter filter = selector.filter(state, client, sender, recipient);
        TripletSelector.Clients clients = selector.clients(client);
        try (GreydbAdmin admin = db.openForReading()) {
            if (what.whitelist) {
                printWhitelist(admin.whitelist(), clients, db.lifetimes(admin).whitelistLifetime().duration());
            } else if (what.blacklist) {
                printBlacklist(admin.blacklist(), clients);
            } else {
                Lifetimes lifetimes = db.lifetimes(admin);
                printTriplets(admin, filter, lifetimes.minDelay().duration(), lifetimes.retryWindow().duration(),
                        lifetimes.whitelistLifetime().duration());
            }
        }
        return 0;
    }

    /** The triplets, kept in a {@link RowSpool} while the greydb is read, printed once it is no longer. */
    private void printTriplets(GreydbAdmin admin, TripletFilter filter, Duration minDelay, Duration retryWindow,
                               Duration whitelistLifetime) {
        List<String> columns = List.of("client", "sender", "recipient", "state", "refusals", "first_seen", "last_seen",
                "passed_at", "retry_counts_from", "expires");
        Instant now = db.now(admin);
        try (RowSpool rows = new RowSpool(columns.size())) {
            admin.eachTriplet(filter, r -> rows.add(tripletRow(r, now, minDelay, retryWindow, whitelistLifetime)));
            RowPrinter.print(spec.commandLine().getOut(), format, columns, rows, java.util.Set.of("refusals"));
        }
    }

    private List<String> tripletRow(GreydbAdmin.TripletRow r, Instant now, Duration minDelay, Duration retryWindow,
                                    Duration whitelistLifetime) {
        Triplet stored = r.state();
        warnIfOutOfRange("triplet " + r.key().client() + " <" + r.key().sender() + "> <" + r.key().recipient() + ">",
                List.of("first_seen", "last_seen", "passed_at"), stored.firstSeen(), stored.lastSeen(), stored.passedAt());
        // A time later than the clock (written while it was ahead, or by another host ahead) is taken as now by the
        // engine (RecordedTimes.latestAt): the state and retry_counts_from are judged so, as the next attempt will
        // be. Judged by the time held they showed a retry counting years ahead, or a row never expiring.
        Triplet t = anyOutOfRange(stored) ? stored : stored.notAfter(RecordedTimes.latestAt(now));
        if (t != stored) {
            spec.commandLine().getErr().println("greylitectl: warning: " + org.greylite.text.ClientText.printable(
                    "triplet " + r.key().client() + " <" + r.key().sender() + "> <" + r.key().recipient() + ">")
                    + ": times later than the clock in the greydb (shown as held), which the programs take as now;"
                    + " its state and retry_counts_from are shown as they judge it");
        }
        // As the engine judges it (SPEC §3.7): an expired row counts as absent, and the next purge removes it.
        Instant expires = t.passed() ? plus(t.lastSeen(), whitelistLifetime) : plus(t.firstSeen(), retryWindow);
        boolean expired = !expires.isAfter(now);
        return Arrays.asList(r.key().client(), "<" + r.key().sender() + ">", "<" + r.key().recipient() + ">",
                expired ? "expired" : t.passed() ? "passed" : "pending", Integer.toString(t.refusals()),
                time(stored.firstSeen()), time(stored.lastSeen()),
                stored.passedAt() == null ? null : time(stored.passedAt()),
                // The engine records a refusal rounded up to the second, so this is when it counts the retry.
                // An expired row has no next attempt: the engine would start a new triplet.
                t.passed() || expired ? null : time(plus(t.lastSeen(), minDelay)),
                // Last, as the whitelist's column of that name: a script reading the columns before keeps their places.
                time(expires));
    }

    private void printWhitelist(List<GreydbAdmin.WhitelistRow> entries, TripletSelector.Clients clients,
                                Duration lifetime) {
        List<List<String>> rows = new ArrayList<>();
        for (GreydbAdmin.WhitelistRow w : entries) {
            if (clients == null || clients.covers(w.client())) {
                Instant expires = w.expires() != null ? w.expires()
                        : "auto".equals(w.source()) ? plus(w.lastSeen(), lifetime) : null;
                warnIfOutOfRange("whitelist entry " + w.client(), List.of("created", "last_seen", "expires"),
                        w.created(), w.lastSeen(), w.expires());
                rows.add(Arrays.asList(w.client(), w.source(), time(w.created()), time(w.lastSeen()),
                        expires == null ? null : time(expires), w.comment()));
            }
        }
        RowPrinter.print(spec.commandLine().getOut(), format,
                List.of("client", "source", "created", "last_seen", "expires", "comment"), rows);
    }

    private void printBlacklist(List<ListEntry> entries, TripletSelector.Clients clients) {
        List<List<String>> rows = new ArrayList<>();
        for (ListEntry e : entries) {
            if (clients == null || clients.covers(e.client())) {
                warnIfOutOfRange("blacklist entry " + e.client(), List.of("created", "expires"), e.created(), e.expires());
                rows.add(Arrays.asList(e.client(), time(e.created()), e.expires() == null ? null : time(e.expires()),
                        e.comment()));
            }
        }
        RowPrinter.print(spec.commandLine().getOut(), format, List.of("client", "created", "expires", "comment"), rows);
    }

    /**
     * A time as the list shows it. A greydb value beyond what a time can hold (written by hand, or damaged) is read as
     * {@link Instant#MIN} or {@link Instant#MAX} and shown as {@value #OUT_OF_RANGE}, with a warning naming the row:
     * before, one such row made every {@code db list} fail with a message naming neither the row nor the column.
     */
    static String time(Instant t) {
        return outOfRange(t) ? OUT_OF_RANGE : t.toString();
    }

    static final String OUT_OF_RANGE = "out-of-range";

    private static boolean anyOutOfRange(Triplet t) {
        return outOfRange(t.firstSeen()) || outOfRange(t.lastSeen()) || (t.passedAt() != null && outOfRange(t.passedAt()));
    }

    private static boolean outOfRange(Instant t) {
        return Instant.MAX.equals(t) || Instant.MIN.equals(t);
    }

    /**
     * {@code t + d}, or {@link Instant#MAX} (shown as out of range) past the end of time; a {@code t} out of range
     * stays so: {@link Instant#MIN} plus five minutes is a time Java holds, and was shown as a date a billion years
     * back.
     */
    private static Instant plus(Instant t, Duration d) {
        if (outOfRange(t)) {
            return t;
        }
        try {
            return t.plus(d);
        } catch (java.time.DateTimeException | ArithmeticException e) {
            return Instant.MAX;
        }
    }

    private void warnIfOutOfRange(String row, List<String> columns, Instant... times) {
        List<String> bad = new ArrayList<>();
        for (int i = 0; i < times.length; i++) {
            if (times[i] != null && outOfRange(times[i])) {
                bad.add(columns.get(i));
            }
        }
        if (!bad.isEmpty()) {
            spec.commandLine().getErr().println("greylitectl: warning: " + org.greylite.text.ClientText.printable(row)
                    + ": " + String.join(", ", bad) + " out of range in the greydb, shown as " + OUT_OF_RANGE
                    + "; db delete (or remove) takes the row away");
        }
    }
}
