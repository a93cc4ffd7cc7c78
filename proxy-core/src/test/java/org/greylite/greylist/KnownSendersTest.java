package org.greylite.greylist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KnownSendersTest {

    @TempDir
    Path dir;

    private static InetAddress ip(String s) throws Exception {
        return InetAddress.getByName(s);
    }

    @Test
    void theShippedListLoadsWithEveryEntryValidAndAReasonOnEach() throws Exception {
        KnownSenders shipped = KnownSenders.load(true, List.of());
        assertEquals(List.of(), shipped.problems());
        assertTrue(shipped.size() >= 20, "entries: " + shipped.size());
        assertEquals("suffix", shipped.match(ip("209.85.220.41"), "mail-sor-f41.google.com").orElseThrow().kind());
        assertTrue(shipped.match(ip("54.240.48.108"), "a48-108.smtp-out.amazonses.com").isPresent());
        assertFalse(shipped.match(ip("203.0.113.7"), "evilgoogle.com").isPresent(), "whole labels only");
        assertTrue(shipped.match(ip("209.85.220.41"), "Google.COM").isPresent(), "the suffix itself, in any case");
        assertFalse(shipped.match(ip("203.0.113.7"), "com").isPresent(), "a name shorter than the suffix");
        assertFalse(shipped.match(ip("203.0.113.7"), "google.com.evil.example").isPresent(), "at the end only");
        assertFalse(shipped.match(ip("209.85.220.41"), "").isPresent(), "no confirmed name, no name match");
    }

    @Test
    void theExampleFileIsTheOneInTheJar() throws Exception {
        String shipped = Files.readString(Path.of("../examples/whitelist/known-senders.whitelist"));
        assertEquals(KnownSenders.parse("x", List.of(shipped.split("\n"))).size(), KnownSenders.load(true, List.of()).size());
    }

    @Test
    void administratorsFilesAddEntriesAndProblemsNameTheLine() throws Exception {
        Path mine = Files.writeString(dir.resolve("mine.whitelist"), String.join("\n",
                "# ours",
                "cidr 192.0.2.0/24 partner relay that never retries",
                "regex ^relay[0-9]+\\.partner\\.example$ partner relays",
                "suffix no-reason.example",
                "cidr 999.1.1.1 bad block",
                "host x.example unknown kind",
                "regex ([ unbalanced"));
        KnownSenders k = KnownSenders.load(false, List.of(mine));
        assertEquals(2, k.size());
        assertTrue(k.match(ip("192.0.2.99"), "").isPresent());
        assertTrue(k.match(ip("198.51.100.1"), "relay7.partner.example").isPresent());
        List<String> p = k.problems();
        assertEquals(4, p.size(), p.toString());
        assertTrue(p.get(0).startsWith(mine + ":4: every entry needs a reason"), p.get(0));
        assertTrue(p.get(1).startsWith(mine + ":5: "), p.get(1));
        assertTrue(p.get(2).contains(":6: unknown kind 'host'"), p.get(2));
        assertTrue(p.get(3).startsWith(mine + ":7: "), p.get(3));
    }
}
