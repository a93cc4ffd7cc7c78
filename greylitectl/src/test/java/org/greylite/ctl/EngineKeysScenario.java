package org.greylite.ctl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.greylite.greylist.ClientKeys;
import org.greylite.greylist.Greylister;

/**
 * What an administrator copies from the mail log finds the rows the engine keyed for it: the same scenario on
 * SQLite ({@link DbKeysTest}) and PostgreSQL ({@link DbCommandsPostgresTest}).
 */
final class EngineKeysScenario {

    private final EnginesAndCtl greydb;

    /** @param greydb the greydb under test */
    EngineKeysScenario(EnginesAndCtl greydb) {
        this.greydb = greydb;
    }

    void run() {
        Greylister byNetwork = greydb.engine(ClientKeys.networks());
        Engines.decide(byNetwork, "192.0.2.77", "", "ops1@sender.test", "Bob+Tag@Example.com");
        Engines.decide(byNetwork, "192.0.2.78", "", "ops2@sender.test", "bob@example.com");
        Engines.decide(byNetwork, "198.51.100.9", "", "bounce-1234-5678@lists.example", "carol@example.com");
        Engines.decide(byNetwork, "198.51.100.10", "", "", "carol@example.com");
        Engines.decide(greydb.engine(ClientKeys.smart()), "203.0.113.5", "mx1.example.co.uk", "news@example.net",
                "dave@example.com");
        Engines.decide(byNetwork, "2001:db8::1", "", "v6@sender.test", "erin@example.com");
        Engines.decide(greydb.engine(ClientKeys.exactAddresses()), "2001:db8:1::25", "", "v6@sender.test",
                "frank@example.com");

        assertEquals(List.of("192.0.2.0/24 <ops1@sender.test> <bob+tag@example.com>"),
                rows("--sender", "ops1@sender.test"), "the address as the log shows it");
        assertEquals(rows("--sender", "ops1@sender.test"), rows("--sender", "<OPS1+alerts@Sender.test>"),
                "brackets, case and a +tag as the engine undoes them");
        assertEquals(List.of("198.51.100.0/24 <bounce-#-#@lists.example> <carol@example.com>"),
                rows("--sender", "bounce-1234-5678@lists.example"));
        assertEquals(rows("--sender", "bounce-1234-5678@lists.example"), rows("--sender", "bounce-99-1@lists.example"),
                "another attempt's VERP numbers find the same row");
        assertEquals(List.of("198.51.100.0/24 <> <carol@example.com>"), rows("--sender", "<>"), "the null sender");
        assertEquals(List.of("192.0.2.0/24 <ops1@sender.test> <bob+tag@example.com>"),
                rows("--recipient", "Bob+Tag@Example.COM"), "a recipient is keyed lower-cased, its +tag kept");
        assertEquals(rows("--recipient", "bob+tag@example.com"), rows("--recipient", "<\"Bob+Tag\"@Example.COM>"),
                "quotes a local part does not need, as the engine drops them");
        assertEquals(rows("--sender", "ops1@sender.test"), rows("--sender", "\"ops1\"@sender.test"));
        assertEquals(List.of("192.0.2.0/24 <ops1@sender.test> <bob+tag@example.com>",
                "192.0.2.0/24 <ops2@sender.test> <bob@example.com>"), rows("--sender", "^ops\\d@"),
                "a regular expression keeps its meaning");

        assertEquals(List.of("192.0.2.0/24 <ops1@sender.test> <bob+tag@example.com>",
                "192.0.2.0/24 <ops2@sender.test> <bob@example.com>"), rows("--client", "192.0.2.77"),
                "an address finds its network's rows (smart, the default, keys by network without a PTR domain)");
        assertEquals(rows("--client", "192.0.2.77"), rows("--client", "192.0.2.200", "--client-key", "net"));
        assertEquals(List.of(), rows("--client", "192.0.2.77", "--client-key", "ip"),
                "keyed by exact address, the /24 rows are not that client's");
        assertEquals(List.of("example.co.uk <news@example.net> <dave@example.com>"),
                rows("--client", "mx7.example.co.uk"), "a PTR name finds its registrable domain's rows");
        assertEquals(rows("--client", "mx7.example.co.uk"), rows("--client", "Example.co.uk."));
        otherPrefixes();

        ipv6();

        Ctl.Run delete = greydb.run("db", "delete", "--sender", "ops1@sender.test");
        assertEquals("deleted 1 triplet\n", delete.out(), delete.toString());
        assertEquals(List.of(), rows("--sender", "ops1@sender.test"));
        assertEquals(List.of("192.0.2.0/24 <ops2@sender.test> <bob@example.com>"), rows("--client", "192.0.2.1"),
                "ops2's row stays");
        Ctl.Run byClient = greydb.run("db", "delete", "--client", "203.0.113.5", "--client-key", "net");
        assertEquals("deleted 0 triplets\n", byClient.out(), "the smart row is keyed by its domain, not its network");
        byClient = greydb.run("db", "delete", "--client", "mx1.example.co.uk");
        assertEquals("deleted 1 triplet\n", byClient.out(), byClient.toString());

        Ctl.Run bad = greydb.run("db", "list", "--client", "192.0.2.0/33");
        assertEquals(2, bad.exit(), bad.toString());
        assertEquals(true, bad.err().startsWith("greylitectl: --client: "), bad.err());
    }

    /**
     * A network key of another prefix than greylitectl's /24 and /64 (greylite-policy's postgrey flags --ipv4cidr=16
     * --ipv6cidr=48 say): the address from the log still finds it, as it finds the white- and blacklist entries
     * that hold it, without greylitectl being told the prefixes.
     */
    private void otherPrefixes() {
        Greylister wide = greydb.engine(new ClientKeys(ClientKeys.Mode.NET, 16, 48));
        Engines.decide(wide, "10.20.30.40", "", "wide@sender.test", "gina@example.com");
        Engines.decide(wide, "3fff:0:5:6::9", "", "wide@sender.test", "hal@example.com");
        assertEquals(List.of("10.20.0.0/16 <wide@sender.test> <gina@example.com>"), rows("--client", "10.20.99.1"),
                "the /16 the address lies in");
        assertEquals(List.of("3fff:0:5::/48 <wide@sender.test> <hal@example.com>"), rows("--client", "3fff:0:5:77::1"),
                "the /48 the address lies in");
        assertEquals(List.of(), rows("--client", "10.20.99.1", "--client-key", "ip"),
                "keyed by exact address, the /16 row is not that client's");
        assertEquals(List.of(), rows("--client", "10.20.30.0/24"), "a block finds the keys inside it, as before");
    }

    /** IPv6 clients are keyed, listed and found in RFC 5952's text, as mail logs show them, whichever text is typed. */
    private void ipv6() {
        assertEquals(List.of("2001:db8::/64 <v6@sender.test> <erin@example.com>"), rows("--client", "2001:db8::1"),
                "the address as the log shows it finds its /64, keyed in the same text");
        assertEquals(rows("--client", "2001:db8::1"), rows("--client", "2001:DB8:0:0:0:0:0:1"), "or written in full");
        assertEquals(List.of("2001:db8:1::25 <v6@sender.test> <frank@example.com>"),
                rows("--client", "2001:db8:1:0:0:0:0:25", "--client-key", "ip"));
        assertEquals(List.of("2001:db8:1::25 <v6@sender.test> <frank@example.com>",
                "2001:db8::/64 <v6@sender.test> <erin@example.com>"),
                rows("--client", "2001:0DB8::/32").stream().sorted().toList(), "a block, in any text");

        Ctl.Run add = greydb.run("db", "whitelist", "add", "2001:DB8:0:0:0:0:0:0/32");
        assertEquals("added 2001:db8::/32 to the whitelist\n", add.out(), add.toString());
        Ctl.Run listed = greydb.run("db", "list", "--whitelist", "--client", "2001:db8::7", "--format", "csv");
        assertEquals(true, listed.out().contains("\r\n2001:db8::/32,admin,"), listed.toString());
        Ctl.Run removed = greydb.run("db", "whitelist", "remove", "2001:db8:0::/32");
        assertEquals("removed 2001:db8::/32 from the whitelist\n", removed.out(), removed.toString());
    }

    /** The rows listed with these filters, as "client sender recipient". */
    private List<String> rows(String... filters) {
        String[] args = new String[filters.length + 2];
        args[0] = "db";
        args[1] = "list";
        System.arraycopy(filters, 0, args, 2, filters.length);
        return greydb.csvCells(3, args);
    }
}
