package org.greylite.greylist;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class SenderNormalizerTest {

    private static void same(String expected, String sender) {
        assertEquals(expected, SenderNormalizer.normalize(sender), sender);
    }

    @Test
    void plainAddressesOnlyLoseTheirCase() {
        same("alice@example.org", "Alice@Example.ORG");
        same("", "");
    }

    @Test
    void plusExtensionsAreStripped() {
        same("alice@example.org", "alice+newsletter@example.org");
        same("alice@example.org", "alice+a+b@example.org");
        same("+x@example.org", "+x@example.org"); // nothing before the +: not an extension
    }

    @Test
    void batvTagsAreRemovedWhereverTheyStand() {
        // Two attempts of one bounce carry different tags.
        same("alice@example.org", "prvs=0123abcdef=alice@example.org");
        same("alice@example.org", "prvs=9876fedcba=alice@example.org");
        same("alice@example.org", "alice=prvs=0123abcdef@example.org");
        same("alice@example.org", "btv1==0123456789a==alice@example.org");
        // The reversed order Postgrey also accepts: the part that looks like a tag-val goes.
        same("alice.smith@example.org", "prvs=alice.smith=0123abcdef@example.org");
        same("alice@example.org", "prvs=alice=0123abcdef@example.org");
        // User names of ten letters are no tags: a tag-val is four digits and six hex digits.
        same("newsletter@example.org", "prvs=newsletter=0123abcdef@example.org");
        same("newsletter@example.org", "prvs=newsletter=0456fedcba@example.org");
        same("information@example.org", "prvs=information=1235FEDCBA@example.org");
    }

    @Test
    void srsIsUnwrappedToTheOriginalSender() {
        same("alice@example.org", "SRS0=HHH=TT=example.org=alice@forwarder.example");
        same("alice@example.org", "SRS0=a1b2=2X=example.org=alice@forwarder.example");
        same("alice@example.org", "SRS1=XXX=forwarder.example==HHH=TT=example.org=alice@second.example");
        // A real-looking pair of retries through the same forwarder, days apart (hash and timestamp differ):
        assertEquals(SenderNormalizer.normalize("SRS0=dzeK=XA=example.org=bob@fwd.example"),
                SenderNormalizer.normalize("SRS0=Qq3r=XC=example.org=bob@fwd.example"));
    }

    @Test
    void verpNumbersBecomeHashes() {
        same("bounce-#-#@lists.example", "bounce-1234-5678@lists.example");
        assertEquals(SenderNormalizer.normalize("news-bounce-20261125-4711@lists.example"),
                SenderNormalizer.normalize("news-bounce-20261126-4712@lists.example"), "two attempts, two VERP numbers");
        same("#@example.org", "4711@example.org");
        same("list.#.#@example.org", "list.12.345@example.org");
    }

    @Test
    void digitsInsideAWordNameAMailboxAndStay() {
        // Postgrey's \b\d+\b: only numbers standing as a whole field are VERP numbers.
        same("ops1@sender.test", "ops1@sender.test");
        same("john1980@example.org", "John1980@example.org");
        same("user_42@example.org", "user_42@example.org"); // _ is a word character, as in Perl
        same("a1b-#@example.org", "a1b-77@example.org");
        same("#é@example.org", "12é@example.org"); // not an ASCII word character: a boundary, as on Postgrey's bytes
    }

    @Test
    void tagsCombine() {
        same("list-bounce-#@example.org", "prvs=1234abcd=list-bounce-42+x@example.org");
        same("alice@example.org", "SRS0=HHH=TT=example.org=alice+tag@forwarder.example");
    }
}
