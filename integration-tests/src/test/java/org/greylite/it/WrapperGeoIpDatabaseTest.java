package org.greylite.it;

import static org.greylite.it.SmtpClient.assertGreylisted;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.greylite.testing.ExternalPrograms;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * bin/greylite under tcpserver with a GEOIPDB_FILE it cannot read into memory: the suspicion file's g lines do not
 * match, said once per session, and every RCPT is still decided by the other lines; the session never waits on the
 * database.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class WrapperGeoIpDatabaseTest {

    @TempDir
    Path dir;

    @RegisterExtension
    final Tcpservers tcpservers = new Tcpservers();

    private Tcpserver tcpserver;
    private Path suspicion;

    @BeforeEach
    void setUp() throws IOException {
        ExternalPrograms.require("tcpserver");
        suspicion = dir.resolve("suspicion");
        Files.writeString(suspicion, "3 g DE\n");
    }

    /** One session with GEOIPDB_FILE={@code geoip}: its RCPT is refused once (no line matched), not left waiting. */
    private String firstRcptWith(Path geoip) throws Exception {
        List<String> chain = List.of(Launchers.bin("greylite"), "sh", Launchers.fakeSmtpd(dir));
        tcpserver = tcpservers.start(chain, Map.of("GREYLIST", "", "DBFILE", dir.resolve("greylite.db").toString(),
                "SUSPICION", suspicion.toString(), "GEOIPDB_FILE", geoip.toString()));
        try (SmtpClient c = SmtpClient.connect(tcpserver.port())) {
            c.patience(20_000);
            assertTrue(c.reply().startsWith("220 "));
            assertTrue(c.command("EHLO client.example").startsWith("250 "));
            assertEquals("250 ok", c.command("MAIL FROM:<a@example.org>"));
            assertGreylisted("b@example.com", c.command("RCPT TO:<b@example.com>"),
                    "the default N = 1, the g line not matching");
            assertEquals("221 fake.example bye", c.command("QUIT"));
            assertTrue(c.closedByServer());
        }
        assertEquals(List.of(0), tcpserver.awaitEnds(1, Duration.ofSeconds(15)));
        String line = tcpserver.awaitLine(l -> l.contains("GeoIP database"), Duration.ofSeconds(5));
        assertNotNull(line, String.join("\n", tcpserver.log()));
        assertTrue(line.contains("ERROR") && line.contains(geoip.toString()) && line.contains("g lines will not match"),
                line);
        return line;
    }

    @Test
    void aNamedPipeIsRefusedWithoutWaitingForAWriter() throws Exception {
        Path fifo = dir.resolve("GeoIP.dat");
        Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
        assertEquals(0, mkfifo.waitFor());
        assertTrue(firstRcptWith(fifo).contains("named pipe"));
    }

    @Test
    void aDeviceThatNeverEndsIsRefused() throws Exception {
        assertTrue(firstRcptWith(Path.of("/dev/zero")).contains("not a regular file"));
    }

    @Test
    void aDatabaseLargerThanTheWrappersMemoryIsRefusedNamingItsSize() throws Exception {
        // Sparse: 200 MB that take no room on the disk, more than bin/greylite's heap (-Xmx64m) can hold, ending in
        // the marker of a MaxMind DB's metadata, as a City edition does (GeoLite2-City.mmdb is about 60 MB).
        Path big = dir.resolve("GeoLite2-City.mmdb");
        byte[] marker = {(byte) 0xAB, (byte) 0xCD, (byte) 0xEF, 'M', 'a', 'x', 'M', 'i', 'n', 'd', '.', 'c', 'o', 'm'};
        try (RandomAccessFile f = new RandomAccessFile(big.toFile(), "rw")) {
            f.setLength(200L * 1024 * 1024);
            f.seek(f.length() - 1024);
            f.write(marker);
        }
        String line = firstRcptWith(big);
        assertTrue(line.contains("200 MB") && line.contains("-Xmx"), line);
    }
}
