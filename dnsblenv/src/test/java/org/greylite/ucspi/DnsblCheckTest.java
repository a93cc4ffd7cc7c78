package org.greylite.ucspi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/** The pure parts: DNSCACHEIP parsing, the meaning of answers, the settings. No network. */
class DnsblCheckTest {

    private final List<String> log = new ArrayList<>();

    @Test
    void dnscacheipTakesDjbdnsAddressesAndOptionalPorts() throws Exception {
        assertEquals(List.of(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 53),
                        new InetSocketAddress(InetAddress.getByName("192.0.2.53"), 5353),
                        new InetSocketAddress(InetAddress.getByName("::1"), 53),
                        new InetSocketAddress(InetAddress.getByName("2001:db8::53"), 5353),
                        new InetSocketAddress(InetAddress.getByName("::1"), 53)),
                DnsblCheck.servers(" 127.0.0.1  192.0.2.53:5353\t::1 [2001:db8::53]:5353 [::1]", log::add));
        assertEquals(List.of(), log);
    }

    /**
     * A link-local resolver (a router's) is reached through one interface only: its zone is kept, as greylite and
     * greylited keep it. dnsblenv dropped it, and its queries to such a resolver went nowhere; an interface the host
     * has not is no server.
     */
    @Test
    void aLinkLocalResolverKeepsItsZone() throws Exception {
        List<InetSocketAddress> servers = DnsblCheck.servers("fe80::1%1 [fe80::2%1]:5353 fe80::3%nosuchif0", log::add);
        assertEquals(2, servers.size(), servers.toString());
        // A numeric zone (the interface's index) is read on any host; a named one needs the host to have it.
        assertEquals(1, ((java.net.Inet6Address) servers.get(0).getAddress()).getScopeId());
        assertEquals(5353, servers.get(1).getPort());
        assertEquals(1, log.size(), log.toString());
        assertTrue(log.get(0).contains("not 'fe80::3%nosuchif0'; ignored"), log.get(0));
    }

    @Test
    void badDnscacheipEntriesAreLoggedAndSkipped() throws Exception {
        assertEquals(List.of(new InetSocketAddress(InetAddress.getByName("10.0.0.1"), 53)),
                DnsblCheck.servers("dns.example 10.0.0.1 10.0.0.2:0 10.0.0.3:x [::1 [::1]x 1.2.3.4:70000", log::add));
        assertEquals(6, log.size(), log.toString());
        assertEquals("DNSCACHEIP wants an IP address with an optional port (192.0.2.53, 192.0.2.53:5353, "
                + "[2001:db8::53]:5353), not 'dns.example'; ignored", log.get(0));
        assertTrue(DnsblCheck.servers(null, log::add).isEmpty());
        assertTrue(DnsblCheck.servers("   ", log::add).isEmpty());
    }

    @Test
    void only127SlashEightAnswersAreListings() throws Exception {
        assertTrue(DnsblCheck.isListingCode(InetAddress.getByName("127.0.0.2")));
        assertTrue(DnsblCheck.isListingCode(InetAddress.getByName("127.0.1.4")));
        assertFalse(DnsblCheck.isListingCode(InetAddress.getByName("127.255.255.254")), "Spamhaus error code");
        assertFalse(DnsblCheck.isListingCode(InetAddress.getByName("93.184.216.34")), "parked/expired list");
        assertFalse(DnsblCheck.isListingCode(InetAddress.getByName("::1")));
    }

    @Test
    void answersAreInterpreted() throws Exception {
        assertEquals(new DnsblCheck.NotListed(), DnsblCheck.interpret("bl.test", response(Rcode.NXDOMAIN)));
        assertEquals(new DnsblCheck.NotListed(), DnsblCheck.interpret("bl.test", response(Rcode.NOERROR)));
        assertEquals(new DnsblCheck.Failed("SERVFAIL"), DnsblCheck.interpret("bl.test", response(Rcode.SERVFAIL)));
        assertEquals(new DnsblCheck.Listed("bl.test", InetAddress.getByName("127.0.0.10")),
                DnsblCheck.interpret("bl.test", response(Rcode.NOERROR, "127.0.0.10")));
        assertEquals(new DnsblCheck.Listed("bl.test", InetAddress.getByName("127.0.0.3")),
                DnsblCheck.interpret("bl.test", response(Rcode.NOERROR, "127.255.255.254", "127.0.0.3")));
        assertEquals(new DnsblCheck.Failed("answered 127.255.255.254, which is no listing code"),
                DnsblCheck.interpret("bl.test", response(Rcode.NOERROR, "127.255.255.254")));
    }

    @Test
    void timeoutSetting() {
        assertEquals(2000, DnsblEnv.timeoutMs(null, log::add));
        assertEquals(750, DnsblEnv.timeoutMs(" 750 ", log::add));
        assertEquals(List.of(), log);
        assertEquals(2000, DnsblEnv.timeoutMs("2s", log::add));
        assertEquals(2000, DnsblEnv.timeoutMs("0", log::add));
        assertEquals(2, log.size());
        assertEquals(300_000, DnsblEnv.timeoutMs("9300000000000", log::add), "capped, not left to overflow");
        assertEquals("DNSBL_TIMEOUT: '9300000000000' is more than 300000 ms, longer than a client waits for the"
                + " greeting; using 300000", log.get(2));
    }

    @Test
    void varnameSetting() {
        assertEquals("BLACKLISTED", DnsblEnv.varname(null, log::add));
        assertEquals("BLACKLISTED", DnsblEnv.varname("", log::add));
        assertEquals("RBLSMTPD", DnsblEnv.varname("RBLSMTPD", log::add));
        assertEquals("_rbl_2", DnsblEnv.varname("_rbl_2", log::add));
        assertEquals(List.of(), log);
        assertEquals(null, DnsblEnv.varname("A=B", log::add));
        assertEquals(1, log.size());
    }

    private static Message response(int rcode, String... addresses) throws Exception {
        Name name = Name.fromString("2.0.0.127.bl.test.");
        Message message = Message.newQuery(Record.newRecord(name, Type.A, DClass.IN));
        message.getHeader().setRcode(rcode);
        for (String address : addresses) {
            message.addRecord(new ARecord(name, DClass.IN, 60, InetAddress.getByName(address)), Section.ANSWER);
        }
        return message;
    }
}
