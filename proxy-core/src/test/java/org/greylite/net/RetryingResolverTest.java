package org.greylite.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.greylite.testing.Dnsmasq;
import org.greylite.testing.FreePort;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * The settings dnsjava's Resolver interface offers reach every copy of a query, against a real dnsmasq on loopback:
 * the port given later, the EDNS parameters.
 */
class RetryingResolverTest {

    private static Message ask(RetryingResolver r) throws Exception {
        Message query = Message.newQuery(Record.newRecord(Name.fromString("mx.ptr.test."), Type.A, DClass.IN));
        return r.sendAsync(query).toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    /**
     * An answer is handed on by dnsjava's own I/O thread, one thread for all of them. Left to the JDK's default
     * async pool, it went to a thread started for each answer on a machine of two cores (the pool's fallback
     * there), which cost a greylited more CPU per new client than the rest of its session.
     */
    @Test
    void answersAreHandedOnByOneThreadNotANewThreadEach() throws Exception {
        try (Dnsmasq dns = Dnsmasq.start()) {
            RetryingResolver r = new RetryingResolver(List.of(dns.address()), Duration.ofSeconds(5), Duration.ofMillis(250));
            java.util.Set<Thread> handedOnBy = java.util.concurrent.ConcurrentHashMap.newKeySet();
            java.util.concurrent.Executor recording = task -> {
                handedOnBy.add(Thread.currentThread());
                task.run();
            };
            for (int i = 0; i < 20; i++) {
                Message query = Message.newQuery(Record.newRecord(Name.fromString("mx.ptr.test."), Type.A, DClass.IN));
                assertEquals(Rcode.NOERROR, r.sendAsync(query, recording).toCompletableFuture().get(10, TimeUnit.SECONDS).getRcode());
            }
            handedOnBy.remove(Thread.currentThread()); // an answer that came before the send returned
            assertEquals(1, handedOnBy.size(), "threads: " + handedOnBy);
            String name = handedOnBy.iterator().next().getName();
            assertTrue(!name.startsWith("ForkJoinPool"), "not the common pool: " + name);
        }
    }

    @Test
    void aServerThatRefusesIsNoAnswerTheNextServerIsAsked() throws Exception {
        try (Dnsmasq dns = Dnsmasq.start();
             Dnsmasq refusing = Dnsmasq.serving("probe.test.", List.of("--address=/probe.test/127.0.0.1"))) {
            RetryingResolver r = new RetryingResolver(List.of(refusing.address(), dns.address()), Duration.ofSeconds(5),
                    Duration.ofMillis(250));
            for (int i = 0; i < 2; i++) { // each query starts at another server: both orders
                Message answer = ask(r);
                assertEquals(Rcode.NOERROR, answer.getRcode());
                assertEquals("127.0.0.1",
                        ((ARecord) answer.getSection(Section.ANSWER).get(0)).getAddress().getHostAddress());
            }
            RetryingResolver alone = new RetryingResolver(List.of(refusing.address()), Duration.ofSeconds(5),
                    Duration.ofMillis(250));
            assertEquals(Rcode.REFUSED, ask(alone).getRcode(), "the only server's refusal is the answer");
        }
    }

    @Test
    void setPortSendsEveryCopyToThatPort() throws Exception {
        try (Dnsmasq dns = Dnsmasq.start()) {
            // Given with a port nothing answers on; setPort moves it to dnsmasq's.
            InetSocketAddress wrongPort = new InetSocketAddress(dns.address().getAddress(), FreePort.loopback());
            RetryingResolver r = new RetryingResolver(List.of(wrongPort), Duration.ofSeconds(5), Duration.ofMillis(250));
            r.setPort(dns.address().getPort());
            Message answer = ask(r);
            assertEquals(Rcode.NOERROR, answer.getRcode());
            assertEquals("127.0.0.1", ((ARecord) answer.getSection(Section.ANSWER).get(0)).getAddress().getHostAddress());
            assertTrue(r.toString().contains(":" + dns.address().getPort()), r.toString());
        }
    }

    @Test
    void ednsParametersGoWithTheQuery() throws Exception {
        try (Dnsmasq dns = Dnsmasq.start()) {
            RetryingResolver r = new RetryingResolver(List.of(dns.address()), Duration.ofSeconds(5), Duration.ofMillis(250));
            r.setEDNS(0, 1232, 0, List.of());
            Message answer = ask(r);
            assertEquals(Rcode.NOERROR, answer.getRcode());
            assertNotNull(answer.getOPT(), "the server answered an EDNS query with its own OPT record");

            r.setEDNS(-1, 0, 0, List.of()); // dnsjava's way of saying: no EDNS
            assertEquals(null, ask(r).getOPT(), "without EDNS the server sends no OPT record");
        }
    }
}
