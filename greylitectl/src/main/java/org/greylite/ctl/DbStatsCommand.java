package org.greylite.ctl;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;

import org.greylite.greylist.Durations;
import org.greylite.store.GreydbAdmin;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code greylitectl db stats}: what the greydb says about the mail greylisted lately. */
@Command(name = "stats", mixinStandardHelpOptions = true,
        description = "Triplets pending and passed, whitelist and blacklist sizes, pass rate, the median and 95th "
                + "percentile of the time from first attempt to pass, and the 10 client networks refused most.")
final class DbStatsCommand implements Callable<Integer> {

    @ParentCommand
    DbCommand db;

    @Spec
    CommandSpec spec;

    @Option(names = "--format", paramLabel = "text|json", defaultValue = "text",
            description = "Output format (default ${DEFAULT-VALUE}).")
    String format;

    @Override
    public Integer call() {
        GreydbAdmin.Stats s;
        try (GreydbAdmin admin = db.open()) {
            s = admin.stats(db.now(), db.retryWindow(), db.whitelistLifetime());
        }
        PrintWriter out = spec.commandLine().getOut();
        if ("json".equalsIgnoreCase(format)) {
            out.println(json(s));
        } else if ("text".equalsIgnoreCase(format)) {
            text(out, s);
        } else {
            spec.commandLine().getErr().println("greylitectl: --format must be text or json");
            return GreyliteCtl.TROUBLE;
        }
        out.flush();
        return 0;
    }

    private static void text(PrintWriter out, GreydbAdmin.Stats s) {
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
            out.printf("  %-40s %d%n", n.network(), n.refusals());
        }
    }

    private static String d(Duration d) {
        return d == null ? "-" : Durations.format(d);
    }

    private static String json(GreydbAdmin.Stats s) {
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
                + ", \"top_refused\": " + top + "}";
    }

    private static String seconds(Duration d) {
        return d == null ? "null" : Long.toString(d.getSeconds());
    }
}
