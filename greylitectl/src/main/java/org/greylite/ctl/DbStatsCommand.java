package org.greylite.ctl;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;

import org.greylite.greylist.Durations;
import org.greylite.store.GreydbAdmin;
import org.greylite.text.ClientText;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code greylitectl db stats}: what the greydb says about the mail greylisted lately. */
@Command(name = "stats", mixinStandardHelpOptions = true,
        description = "Triplets pending and passed, whitelist and blacklist sizes, pass rate, the median and 95th "
                + "percentile of the time from first attempt to pass, the 10 client networks refused most, and the lifetimes "
                + "these were judged by, each with where it came from (flag, environment, greydb, default).")
final class DbStatsCommand implements Callable<Integer> {

    @ParentCommand
    DbCommand db;

    @Spec
    CommandSpec spec;

    /**
     * Read as a value of its own, so that a wrong one is refused with the flag, the value and the choices before the
     * greydb is opened: it was checked after the whole greydb had been read (a minute on a large one, or a
     * PostgreSQL server's connect timeout), and said as "--format must be text or json", without the value.
     */
    enum Format { text, json }

    @Option(names = "--format", paramLabel = "text|json", defaultValue = "text",
            description = "Output format (default ${DEFAULT-VALUE}).")
    Format format;

    @Override
    public Integer call() {
        GreydbAdmin.Stats s;
        Lifetimes lifetimes;
        try (GreydbAdmin admin = db.openForReading()) {
            lifetimes = db.lifetimes(admin);
            s = admin.stats(db.now(admin), lifetimes.retryWindow().duration(), lifetimes.whitelistLifetime().duration());
        }
        PrintWriter out = spec.commandLine().getOut();
        if (format == Format.json) {
            out.println(json(s, lifetimes));
        } else {
            text(out, s, lifetimes);
        }
        out.flush();
        return 0;
    }

    private static void text(PrintWriter out, GreydbAdmin.Stats s, Lifetimes l) {
        out.printf("triplets pending      %d%n", s.pending());
        out.printf("triplets passed       %d%n", s.passed());
        out.printf("pass rate             %.1f%%%n", 100 * s.passRate());
        out.printf("whitelist             %d earned, %d by hand%n", s.whitelistAuto(), s.whitelistAdmin());
        out.printf("blacklist             %d%n", s.blacklist());
        out.printf("time to pass, median  %s%n", d(s.medianTimeToPass()));
        out.printf("time to pass, 95th    %s%n", d(s.p95TimeToPass()));
        out.println("most refused client networks:");
        if (s.topRefused().isEmpty()) {
            out.println("  (none)");
        }
        for (GreydbAdmin.NetworkRefusals n : s.topRefused()) {
            out.printf("  %-40s %d%n", ClientText.printable(n.network()), n.refusals()); // a key may be a PTR's domain
        }
        // Which lifetimes the counts above were judged by, and where each came from: the greydb's record is the
        // program's that last started on it, which may not be the one an administrator has in mind.
        out.printf("min delay             %s%n", l.minDelay());
        out.printf("retry window          %s%n", l.retryWindow());
        out.printf("whitelist lifetime    %s%n", l.whitelistLifetime());
    }

    private static String d(Duration d) {
        return d == null ? "-" : Durations.format(d);
    }

    private static String json(GreydbAdmin.Stats s, Lifetimes l) {
        StringBuilder top = new StringBuilder("[");
        for (int i = 0; i < s.topRefused().size(); i++) {
            GreydbAdmin.NetworkRefusals n = s.topRefused().get(i);
            top.append(i == 0 ? "" : ", ").append("{\"network\": ").append(Json.string(n.network()))
                    .append(", \"refusals\": ").append(n.refusals()).append('}');
        }
        top.append(']');
        return "{\"pending\": " + s.pending() + ", \"passed\": " + s.passed()
                + ", \"pass_rate\": " + String.format(java.util.Locale.ROOT, "%.4f", s.passRate())
                + ", \"whitelist_auto\": " + s.whitelistAuto() + ", \"whitelist_admin\": " + s.whitelistAdmin()
                + ", \"blacklist\": " + s.blacklist()
                + ", \"median_seconds_to_pass\": " + seconds(s.medianTimeToPass())
                + ", \"p95_seconds_to_pass\": " + seconds(s.p95TimeToPass())
                + ", \"top_refused\": " + top
                + ", \"lifetimes\": {" + json("min_delay", l.minDelay()) + ", " + json("retry_window", l.retryWindow())
                + ", " + json("whitelist_lifetime", l.whitelistLifetime()) + "}}";
    }

    private static String json(String name, Lifetimes.Value v) {
        return "\"" + name + "\": {\"seconds\": " + v.duration().getSeconds() + ", \"source\": " + Json.string(v.source()) + "}";
    }

    private static String seconds(Duration d) {
        return d == null ? "null" : Long.toString(d.getSeconds());
    }
}
