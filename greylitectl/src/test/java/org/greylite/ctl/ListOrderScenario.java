package org.greylite.ctl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import org.greylite.greylist.ClientKeys;
import org.greylite.greylist.Greylister;
import org.greylite.greylist.RcptRequest;
import org.greylite.suspicion.ClientFacts;
import org.greylite.testing.MiniJson;

/**
 * Clients are listed as an administrator reads addresses: IPv4 before IPv6, by address as a number, the wider block
 * first, names after; not by their text, where 10.0.0.10 came before 10.0.0.9. The same scenario on SQLite
 * ({@link ListOrderTest}) and PostgreSQL ({@link DbCommandsPostgresTest}).
 */
final class ListOrderScenario {

    private final Function<ClientKeys, Greylister> engines;
    private final Function<String[], Ctl.Run> ctl;

    /**
     * @param engines a greylisting engine over the greydb under test, keying clients as given, its clock standing
     *                still (every first attempt in the same second)
     * @param ctl     runs greylitectl on that greydb
     */
    ListOrderScenario(Function<ClientKeys, Greylister> engines, Function<String[], Ctl.Run> ctl) {
        this.engines = engines;
        this.ctl = ctl;
    }

    void run() {
        Greylister byAddress = engines.apply(ClientKeys.exactAddresses());
        for (String ip : List.of("10.0.0.10", "2001:db8::10", "10.0.0.9", "9.1.1.1", "2001:db8::5", "192.0.2.1",
                "10.0.0.100", "2001:db8:0:1::1")) {
            decide(byAddress, ip, "", "a@x.example", "b@y.example");
        }
        decide(byAddress, "10.0.0.9", "", "a@x.example", "a@y.example");
        decide(engines.apply(ClientKeys.networks()), "10.0.0.77", "", "a@x.example", "b@y.example");
        decide(engines.apply(ClientKeys.smart()), "203.0.113.5", "mx1.example.co.uk", "a@x.example", "b@y.example");

        assertEquals(List.of("9.1.1.1 <a@x.example> <b@y.example>", "10.0.0.0/24 <a@x.example> <b@y.example>",
                "10.0.0.9 <a@x.example> <a@y.example>", "10.0.0.9 <a@x.example> <b@y.example>",
                "10.0.0.10 <a@x.example> <b@y.example>", "10.0.0.100 <a@x.example> <b@y.example>",
                "192.0.2.1 <a@x.example> <b@y.example>", "2001:db8::5 <a@x.example> <b@y.example>",
                "2001:db8::10 <a@x.example> <b@y.example>", "2001:db8:0:1::1 <a@x.example> <b@y.example>",
                "example.co.uk <a@x.example> <b@y.example>"), cells(3, "db", "list"),
                "triplets first seen in the same second");

        for (String block : List.of("100.0.0.0/8", "2001:db8::/32", "10.0.0.0/24", "9.0.0.0/8", "10.0.0.0/8",
                "10.0.0.9", "2001:db8::5")) {
            Ctl.Run add = ctl.apply(new String[] {"db", "whitelist", "add", block});
            assertEquals(0, add.exit(), add.toString());
            add = ctl.apply(new String[] {"db", "blacklist", "add", block});
            assertEquals(0, add.exit(), add.toString());
        }
        List<String> blocks = List.of("9.0.0.0/8", "10.0.0.0/8", "10.0.0.0/24", "10.0.0.9", "100.0.0.0/8",
                "2001:db8::/32", "2001:db8::5");
        assertEquals(blocks, cells(1, "db", "list", "--blacklist"));
        assertEquals(blocks, cells(1, "db", "list", "--whitelist"), "no entry earned yet");

        Ctl.Run stats = ctl.apply(new String[] {"db", "stats", "--format", "json"});
        assertEquals(0, stats.exit(), stats.toString());
        List<?> top = (List<?>) ((Map<?, ?>) MiniJson.parse(stats.out())).get("top_refused");
        assertEquals(List.of("10.0.0.0/24", "2001:db8::/64", "9.1.1.0/24", "192.0.2.0/24", "2001:db8:0:1::/64",
                "example.co.uk"), top.stream().map(n -> ((Map<?, ?>) n).get("network")).toList(),
                "the networks refused most first (10.0.0.0/24: 5 refusals; 2001:db8::/64: 2), then as many, in order");
    }

    /** The first {@code n} cells of each row of {@code db list ... --format csv}, joined by a space. */
    private List<String> cells(int n, String... args) {
        String[] csv = Arrays.copyOf(args, args.length + 2);
        csv[args.length] = "--format";
        csv[args.length + 1] = "csv";
        Ctl.Run run = ctl.apply(csv);
        assertEquals(0, run.exit(), run.toString());
        return Arrays.stream(run.out().split("\r\n")).skip(1).filter(l -> !l.isEmpty())
                .map(l -> String.join(" ", Arrays.asList(l.split(",")).subList(0, n))).toList();
    }

    private static void decide(Greylister engine, String ip, String ptr, String from, String to) {
        try {
            engine.decide(new RcptRequest(InetAddress.getByName(ip), new ClientFacts(ip, ptr, "h", from, to, null, null),
                    null));
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
