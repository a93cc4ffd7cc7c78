package org.greylite.testing;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * Debian's dnsmasq on loopback, serving the PTR test zone. Clients connect from several loopback addresses
 * (all of 127/8 is loopback on Linux), one per case:
 * <ul>
 *   <li>127.0.0.1: PTR mx.ptr.test, whose A record is 127.0.0.1 (confirmed);</li>
 *   <li>127.0.0.2: PTR liar.ptr.test, whose A record is 127.0.0.99 (not confirmed);</li>
 *   <li>127.0.0.3: no PTR record (NXDOMAIN);</li>
 *   <li>127.0.0.4: PTR Mixed.Case.PTR.test, A 127.0.0.4 (confirmed; the name comes back in lower case);</li>
 *   <li>127.0.0.5: PTR nowhere.ptr.test, which has no A record.</li>
 * </ul>
 * DNS whitelist zones: {@code wl.test} lists 127.0.0.1 at trust level 2 (127.0.10.2), {@code low.test} lists it
 * at level 0 (127.0.10.0); other addresses are not listed (NXDOMAIN).
 * Records have a 60 s TTL.
 */
public final class Dnsmasq implements AutoCloseable {

    public static final long TTL_SECONDS = 60;

    private final Process process;
    private final int port;

    private Dnsmasq(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    /** Starts dnsmasq with the zones above (skips the test, or fails it under CI, when dnsmasq is not installed). */
    public static Dnsmasq start() throws Exception {
        return serving("mx.ptr.test.", List.of("--local-ttl=" + TTL_SECONDS,
                // Authoritative for these: unknown names get NXDOMAIN instead of REFUSED.
                "--local=/ptr.test/", "--local=/0.0.127.in-addr.arpa/",
                "--host-record=mx.ptr.test,127.0.0.1",
                "--ptr-record=2.0.0.127.in-addr.arpa,liar.ptr.test",
                "--host-record=liar.ptr.test,127.0.0.99",
                "--ptr-record=4.0.0.127.in-addr.arpa,Mixed.Case.PTR.test",
                "--address=/mixed.case.ptr.test/127.0.0.4",
                "--ptr-record=5.0.0.127.in-addr.arpa,nowhere.ptr.test",
                "--local=/wl.test/", "--address=/1.0.0.127.wl.test/127.0.10.2",
                "--local=/low.test/", "--address=/1.0.0.127.low.test/127.0.10.0"));
    }

    /**
     * Starts dnsmasq on a free loopback port with only the {@code records} given (dnsmasq options such as
     * {@code --local=/zone/} and {@code --address=/name/address}), no cache, no upstream and no hosts file;
     * returns once it answers an A query for {@code probeName} (a name the records answer). Skips the test, or
     * fails it under CI, when dnsmasq is not installed.
     */
    public static Dnsmasq serving(String probeName, List<String> records) throws Exception {
        Path program = ExternalPrograms.require("dnsmasq");
        // A port free when probed may be taken before dnsmasq binds it: try a few.
        for (int attempt = 0; attempt < 5; attempt++) {
            int port = FreePort.loopback();
            List<String> command = new ArrayList<>(List.of(program.toString(),
                    "--no-daemon", "--conf-file=/dev/null", "--pid-file",
                    "--no-resolv", "--no-hosts", "--bind-interfaces", "--listen-address=127.0.0.1",
                    "--port=" + port, "--cache-size=0"));
            command.addAll(records);
            Process process = new ProcessBuilder(command)
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (answers(port, probeName)) {
                return new Dnsmasq(process, port);
            }
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
        throw new AssertionError("dnsmasq did not start");
    }

    /** The port dnsmasq answers on, 127.0.0.1. */
    public int port() {
        return port;
    }

    public InetSocketAddress address() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** A UDP socket that takes queries and never answers: a DNS server that hangs. Close it after the test. */
    public static DatagramSocket blackHole() throws IOException {
        return new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    }

    /** True once the server at {@code port} answers an A query for {@code name} (within ~5 s). */
    private static boolean answers(int port, String name) throws Exception {
        SimpleResolver resolver = new SimpleResolver(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        resolver.setTimeout(Duration.ofMillis(200));
        Message query = Message.newQuery(Record.newRecord(Name.fromString(name), Type.A, DClass.IN));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < deadline) {
            try {
                if (resolver.send(query).getRcode() == Rcode.NOERROR) {
                    return true;
                }
            } catch (IOException notYet) {
                Thread.sleep(50);
            }
        }
        return false;
    }
}
