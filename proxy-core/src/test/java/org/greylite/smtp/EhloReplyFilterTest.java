package org.greylite.smtp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

class EhloReplyFilterTest {

    private final EhloReplyFilter filter = new EhloReplyFilter(Set.of("starttls", "XCLIENT"));

    private static Reply parse(String text) throws SmtpProtocolException {
        List<Reply> out = new ArrayList<>();
        new ReplyAssembler(4096).feed(ByteBuffer.wrap(text.getBytes(StandardCharsets.ISO_8859_1)), out::add);
        assertEquals(1, out.size());
        return out.get(0);
    }

    private static String raw(Reply r) {
        return new String(r.raw(), StandardCharsets.ISO_8859_1);
    }

    @Test
    void removesAnExtensionFromTheMiddle() throws Exception {
        Reply r = filter.filter(parse("250-mx.example.org\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 8BITMIME\r\n"));
        assertEquals("250-mx.example.org\r\n250-PIPELINING\r\n250 8BITMIME\r\n", raw(r));
        assertEquals(List.of("mx.example.org", "PIPELINING", "8BITMIME"), r.lines());
        assertEquals(250, r.code());
    }

    @Test
    void removingTheLastLineTurnsThePreviousIntoTheLast() throws Exception {
        Reply r = filter.filter(parse("250-mx.example.org\r\n250-SIZE 1000\r\n250 STARTTLS\r\n"));
        assertEquals("250-mx.example.org\r\n250 SIZE 1000\r\n", raw(r));
    }

    @Test
    void removesEveryListedKeywordInAnyCaseAndWithParameters() throws Exception {
        Reply r = filter.filter(parse("250-mx\r\n250-StartTLS\r\n250-XCLIENT NAME ADDR\r\n250-AUTH PLAIN\r\n250 XCLIENT=x\r\n"));
        assertEquals("250-mx\r\n250 AUTH PLAIN\r\n", raw(r));
    }

    @Test
    void onlyTheServerNameLeftIsASingleLineReply() throws Exception {
        Reply r = filter.filter(parse("250-mx.example.org greets you\r\n250 STARTTLS\r\n"));
        assertEquals("250 mx.example.org greets you\r\n", raw(r));
    }

    @Test
    void theFirstLineIsNeverRemoved() throws Exception {
        Reply r = filter.filter(parse("250-STARTTLS\r\n250 STARTTLS\r\n"));
        assertEquals("250 STARTTLS\r\n", raw(r));
    }

    @Test
    void similarKeywordsStay() throws Exception {
        Reply in = parse("250-mx\n250-STARTTLSX\n250 XCLIENTS\n");
        assertSame(in, filter.filter(in));
    }

    @Test
    void nothingRemovedGivesTheSameBytes() throws Exception {
        String text = "250-mx.example.org\n250-PIPELINING\r\n250 CHUNKING\r\n";
        Reply in = parse(text);
        Reply out = filter.filter(in);
        assertSame(in, out);
        assertEquals(text, raw(out), "LF-only lines are kept as they are");
    }

    @Test
    void aSingleLineReplyIsUntouched() throws Exception {
        Reply in = parse("250 STARTTLS\r\n");
        assertSame(in, filter.filter(in));
    }

    @Test
    void otherCodesAreUntouched() throws Exception {
        Reply in = parse("550-no\r\n550 STARTTLS\r\n");
        assertSame(in, filter.filter(in));
    }
}
