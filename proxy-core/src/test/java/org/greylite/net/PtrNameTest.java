package org.greylite.net;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class PtrNameTest {

    @Test
    void theNameIsComparedInLowerCaseWithoutItsFinalDot() {
        assertEquals("mx.example.com", PtrName.compared(" MX.Example.COM. "));
        assertEquals("host.dsl.example.net", PtrName.compared("host.dsl.example.net"));
    }

    @Test
    void noNameIsTheEmptyName() {
        assertEquals("", PtrName.compared(null));
        assertEquals("", PtrName.compared(""));
        assertEquals("", PtrName.compared("  "));
        assertEquals("", PtrName.compared("."));
    }
}
