package org.greylite.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

class ClientTextTest {

    @Test
    void everyCharacterThatMovesOrBreaksALineIsUnsafeAndPrintableTextIsNot() {
        for (char c : new char[] {0, '\t', '\n', '\r', 0x1b, 0x7f, 0x80, 0x85, 0x9b, 0x9f, '\u2028', '\u2029',
                '\u061c', '\u200e', '\u200f', '\u202a', '\u202e', '\u2066', '\u2069'}) {
            assertTrue(ClientText.unsafe(c), String.format("U+%04X", (int) c));
        }
        for (char c : new char[] {' ', 'a', '~', 0xa0, 0xe9, '\u200d', '\u2030', '\u2065', '\u206a', '\u7528'}) {
            assertFalse(ClientText.unsafe(c), String.format("U+%04X", (int) c));
        }
    }

    @Test
    void textWithNothingToChangeComesBackAsItIs() {
        String s = "j\u00f6s@b\u00fccher.example";
        assertSame(s, ClientText.field(s));
        assertSame(s, ClientText.printable(s));
    }

    @Test
    void aFieldHasNoSpaceOfAnyKindAndIsCutWithAMark() {
        assertEquals("a?b?c?d", ClientText.field("a b\u00a0c\u3000d"));
        assertEquals("a b\u00a0c", ClientText.printable("a b\u00a0c"));
        assertEquals("x".repeat(256) + "...", ClientText.field("x".repeat(300)));
        assertEquals("ab...", ClientText.printable("ab\ud83d\ude00", 3), "not between the halves of a surrogate pair");
    }

    @Test
    void bytesAreUtf8WhenTheyAreValidUtf8ElseACharacterAByte() {
        byte[] utf8 = "caf\u00e9".getBytes(StandardCharsets.UTF_8);
        assertEquals("caf\u00e9", ClientText.fromBytes(utf8, 0, utf8.length));
        assertEquals("caf\u00e9", ClientText.fromOctets(new String(utf8, StandardCharsets.ISO_8859_1)));
        byte[] latin1 = {'b', (byte) 0xe4, 'r', (byte) 0x9b};
        assertEquals("b\u00e4r\u009b", ClientText.fromBytes(latin1, 0, latin1.length));
    }
}
