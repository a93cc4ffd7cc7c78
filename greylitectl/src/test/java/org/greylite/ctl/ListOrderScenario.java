package org.greylite.ctl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;

import org.greylite.greylist.ClientKeys;
import org.greylite.greylist.Greylister;
import org.greylite.testing.MiniJson;

/**
 * Clients are listed as an administrator reads addresses: IPv4 before IPv6, by address as a number, the wider block
 * first, names after; not by their text, where 10.0.0.10 came before 10.0.0.9. The same scenario on SQLite
 * ({@link ListOrderTest}) and PostgreSQL ({@link DbCommandsPostgresTest}).
 */
final class ListOrderScenario {

    private final EnginesAndCtl greydb;

    /**
     * @param greydb the greydb under test, its engines' clock standing still (every first attempt in the same second)
     */
    ListOrderScenario(EnginesAndCtl greydb) {
        this.greydb = greydb;
    }

    void run() {
        Greylister byAddress = greydb.engine(ClientKeys.exactAddresses());
        for (String ip : List.of("10.0.0.10", "2001:db8::10", "10.0.0.9", "9.1.1.1", "2001:db8::5", "192.0.2.1",
                "10.0.0.100", "2001:db8:0:1::1")) {
            Engines.decide(byAddress, ip, "", "a@x.example", "b@y.example");
        }
        Engines.decide(byAddress, "10.0.0.9", "", "a@x.example", "a@y.example");
        Engines.decide(greydb.engine(ClientKeys.networks()), "10.0.0.77", "", "a@x.example", "b@y.example");
        Engines.decide(greydb.engine(ClientKeys.smart()), "203.0.113.5", "mx1.example.co.uk", "a@x.example",
                "b@y.example");

        assertEquals(List.of("9.1.1.1 <a@x.example> <b@y.example>", "10.0.0.0/24 <a@x.example> <b@y.example>",
                "10.0.0.9 <a@x.example> <a@y.example>", "10.0.0.9 <a@x.example> <b@y.example>",
                "10.0.0.10 <a@x.example> <b@y.example>", "10.0.0.100 <a@x.example> <b@y.example>",
                "192.0.2.1 <a@x.example> <b@y.example>", "2001:db8::5 <a@x.example> <b@y.example>",
                "2001:db8::10 <a@x.example> <b@y.example>", "2001:db8:0:1::1 <a@x.example> <b@y.example>",
                "example.co.uk <a@x.example> <b@y.example>"), greydb.csvCells(3, "db", "list"),
                "triplets first seen in the same second");

        for (String block : List.of("100.0.0.0/8", "2001:db8::/32", "10.0.0.0/24", "9.0.0.0/8", "10.0.0.0/8",
                "10.0.0.9", "2001:db8::5")) {
            Ctl.Run add = greydb.run("db", "whitelist", "add", block);
            assertEquals(0, add.exit(), add.toString());
            add = greydb.run("db", "blacklist", "add", block);
            assertEquals(0, add.exit(), add.toString());
        }
        List<String> blocks = List.of("9.0.0.0/8", "10.0.0.0/8", "10.0.0.0/24", "10.0.0.9", "100.0.0.0/8",
                "2001:db8::/32", "2001:db8::5");
        assertEquals(blocks, greydb.csvCells(1, "db", "list", "--blacklist"));
        assertEquals(blocks, greydb.csvCells(1, "db", "list", "--whitelist"), "no entry earned yet");

        Ctl.Run stats = greydb.run("db", "stats", "--format", "json");
        assertEquals(0, stats.exit(), stats.toString());
        List<?> top = (List<?>) ((Map<?, ?>) MiniJson.parse(stats.out())).get("top_refused");
        assertEquals(List.of("10.0.0.0/24", "2001:db8::/64", "9.1.1.0/24", "192.0.2.0/24", "2001:db8:0:1::/64",
                "example.co.uk"), top.stream().map(n -> ((Map<?, ?>) n).get("network")).toList(),
                "the networks refused most first (10.0.0.0/24: 5 refusals; 2001:db8::/64: 2), then as many, in order");
    }
}
