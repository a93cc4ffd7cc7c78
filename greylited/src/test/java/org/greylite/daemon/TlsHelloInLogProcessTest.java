package org.greylite.daemon;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

import org.greylite.daemon.tls.TestCertificates;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a client puts in its TLS hello reaches greylited's log only as every client text does: the JDK's TLS code
 * quotes a server name (SNI) it refuses, byte for byte, in the message of its exception, and the line of a failed
 * handshake shows that message.
 */
class TlsHelloInLogProcessTest {

    /** A made-up line after a line break, and a terminal escape (clear the screen) before it. */
    private static final String FORGED = "2026-01-01T00:00:00.000Z INFO  decision verdict=accept reason=forged";

    @TempDir
    Path dir;

    @RegisterExtension
    final ScriptedUpstream upstream = ScriptedUpstream.perTest();

    @Test
    void aServerNameWithALineBreakInTheTlsHelloCannotStartALogLineInEitherFormat() throws Exception {
        TestCertificates.Pem pem = TestCertificates.rsa(dir, "proxy");
        for (String format : new String[] {"text", "json"}) {
            try (GreylitedProcess d = GreylitedProcess.command(upstream.address()).db(dir.resolve(format + ".db"))
                    .tls(pem).args("--log-format", format).start()) {
                try (RawClient c = new RawClient(d.address())) {
                    c.expect(220);
                    c.command("EHLO client.example", 250);
                    c.command("STARTTLS", 220);
                    c.send(clientHelloNaming(("evil\u001b[2J\n" + FORGED).getBytes(StandardCharsets.UTF_8)));
                    while (c.socket().getInputStream().read() != -1) {
                        // until greylited closes the connection
                    }
                }
                String failed = d.awaitLine("TLS failed", Duration.ofSeconds(10));
                assertTrue(failed.contains("name=evil?[2J?" + FORGED), format + ": " + failed);
                d.awaitLine("session end ", Duration.ofSeconds(10));
                for (String line : d.log) {
                    assertFalse(line.startsWith(FORGED), format + ": a line the client wrote: " + line);
                    assertFalse(line.contains("\u001b") || line.contains("\\u001b") || line.contains("\\u001B"),
                            format + ": a terminal escape the client sent: " + line);
                }
            }
        }
    }

    /**
     * A TLS 1.2 ClientHello whose server_name extension holds {@code name} as its host_name, as any client may send
     * it: the JDK refuses the name (it is no host name) when it reads the hello, before anything else.
     */
    static byte[] clientHelloNaming(byte[] name) {
        ByteArrayOutputStream serverName = new ByteArrayOutputStream();
        serverName.writeBytes(u16(0)); // extension type: server_name
        serverName.writeBytes(u16(name.length + 5));
        serverName.writeBytes(u16(name.length + 3)); // the list of names
        serverName.write(0); // host_name
        serverName.writeBytes(u16(name.length));
        serverName.writeBytes(name);
        byte[] extensions = serverName.toByteArray();

        ByteArrayOutputStream hello = new ByteArrayOutputStream();
        hello.writeBytes(new byte[] {3, 3}); // TLS 1.2
        hello.writeBytes(new byte[32]); // random
        hello.write(0); // no session id
        hello.writeBytes(u16(2));
        hello.writeBytes(new byte[] {(byte) 0xc0, 0x2f}); // TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
        hello.writeBytes(new byte[] {1, 0}); // no compression
        hello.writeBytes(u16(extensions.length));
        hello.writeBytes(extensions);
        byte[] body = hello.toByteArray();

        ByteArrayOutputStream record = new ByteArrayOutputStream();
        record.writeBytes(new byte[] {0x16, 3, 1}); // a handshake record
        record.writeBytes(u16(body.length + 4));
        record.write(1); // ClientHello
        record.writeBytes(new byte[] {(byte) (body.length >>> 16), (byte) (body.length >>> 8), (byte) body.length});
        record.writeBytes(body);
        return record.toByteArray();
    }

    private static byte[] u16(int n) {
        return new byte[] {(byte) (n >>> 8), (byte) n};
    }
}
