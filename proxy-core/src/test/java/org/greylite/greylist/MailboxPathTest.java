package org.greylite.greylist;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class MailboxPathTest {

    private static void reads(String expected, String written) {
        assertEquals(expected, MailboxPath.canonical(written), written);
    }

    @Test
    void aSourceRouteIsDropped() {
        reads("zero@dest.example", "@relay.example:zero@dest.example");
        reads("zero@dest.example", "@one.example,@two.example:zero@dest.example");
        reads("zero@dest.example", "@[IPv6:2001:db8::1]:zero@dest.example");
        reads("zero@dest.example", "@[192.0.2.1],@relay.example:zero@dest.example");
    }

    @Test
    void aQuotedLocalPartThatNeedsNoQuotesLosesThem() {
        reads("zero@dest.example", "\"zero\"@dest.example");
        reads("first.last@dest.example", "\"first.last\"@dest.example");
        reads("zero@dest.example", "\"z\\ero\"@dest.example");
        reads("zero@dest.example", "@relay.example:\"zero\"@dest.example");
        reads("zero", "\"zero\"");
    }

    @Test
    void whatNeedsItsQuotesOrIsNoAddressStaysAsWritten() {
        for (String kept : new String[] {"\"two words\"@dest.example", "\"a@b\"@dest.example", "\"a..b\"@dest.example",
            "\".a\"@dest.example", "\"\"@dest.example", "\"unclosed@dest.example", "\"zero\"x@dest.example",
            "@relay.example", "@relay.example,zero@dest.example", "@[unclosed:zero@dest.example", "", "plain@example.org",
            "Mixed.Case@Example.ORG"}) {
            reads(kept, kept);
        }
    }
}
