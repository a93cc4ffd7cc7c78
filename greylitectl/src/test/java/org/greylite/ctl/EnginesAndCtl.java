package org.greylite.ctl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Clock;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

import org.greylite.greylist.ClientKeys;
import org.greylite.greylist.Greylister;
import org.greylite.store.GreylistStore;

/**
 * A greydb as the scenarios run on SQLite and on PostgreSQL alike see it ({@link ListOrderScenario},
 * {@link EngineKeysScenario}): engines writing it, keying clients as asked, and greylitectl run on it.
 *
 * @param engines a greylisting engine over the greydb, keying clients as given
 * @param ctl     runs greylitectl on that greydb
 */
record EnginesAndCtl(Function<ClientKeys, Greylister> engines, Function<String[], Ctl.Run> ctl) {

    /** Engines on {@code store} with the default settings and {@code clock}; greylitectl run by {@code ctl}. */
    static EnginesAndCtl on(GreylistStore store, Clock clock, Function<String[], Ctl.Run> ctl) {
        return new EnginesAndCtl(keys -> Engines.keyedBy(store, keys, clock), ctl);
    }

    Greylister engine(ClientKeys keys) {
        return engines.apply(keys);
    }

    Ctl.Run run(String... args) {
        return ctl.apply(args);
    }

    /**
     * The first {@code n} cells of each row {@code args} ({@code db list ...}) lists with {@code --format csv}, joined by
     * a space.
     */
    List<String> csvCells(int n, String... args) {
        String[] csv = Arrays.copyOf(args, args.length + 2);
        csv[args.length] = "--format";
        csv[args.length + 1] = "csv";
        Ctl.Run run = run(csv);
        assertEquals(0, run.exit(), run.toString());
        return Arrays.stream(run.out().split("\r\n")).skip(1).filter(l -> !l.isEmpty())
                .map(l -> String.join(" ", Arrays.asList(l.split(",")).subList(0, n))).toList();
    }
}
