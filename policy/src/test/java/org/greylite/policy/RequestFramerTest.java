package org.greylite.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/** Requests cut at every byte come out whole; CRLF lines are read like LF lines; UTF-8 values are decoded. */
class RequestFramerTest {

    private static final String TWO = "request=smtpd_access_policy\nprotocol_state=RCPT\nrecipient=b@example.org\n\n"
            + "request=smtpd_access_policy\r\nsender=\r\nccert_subject=CN=a=b\r\n\r\n";

    @Test
    void splitAtEveryByte() throws Exception {
        byte[] bytes = TWO.getBytes(StandardCharsets.UTF_8);
        for (int cut = 0; cut <= bytes.length; cut++) {
            RequestFramer f = new RequestFramer();
            List<PolicyRequest> out = new ArrayList<>();
            f.feed(ByteBuffer.wrap(bytes, 0, cut), out);
            f.feed(ByteBuffer.wrap(bytes, cut, bytes.length - cut), out);
            assertEquals(2, out.size(), "cut at " + cut);
            assertEquals("RCPT", out.get(0).get("protocol_state"));
            assertEquals("b@example.org", out.get(0).get("recipient"));
            assertEquals("", out.get(1).get("sender"));
            assertEquals("CN=a=b", out.get(1).get("ccert_subject"), "only the first '=' separates");
        }
    }

    @Test
    void utf8ValuesBesideAsciiOnes() throws Exception {
        String request = "request=smtpd_access_policy\nrecipient=j\u00f6rg@b\u00fccher.example\nsender=a@example.net\n"
                + "client_name=\u00e9t\u00e9=hiver\n\n";
        RequestFramer f = new RequestFramer();
        List<PolicyRequest> out = new ArrayList<>();
        f.feed(ByteBuffer.wrap(request.getBytes(StandardCharsets.UTF_8)), out);
        assertEquals(1, out.size());
        assertEquals("j\u00f6rg@b\u00fccher.example", out.get(0).get("recipient"));
        assertEquals("a@example.net", out.get(0).get("sender"));
        assertEquals("\u00e9t\u00e9=hiver", out.get(0).get("client_name"), "only the first '=' separates");
    }

    @Test
    void controlCharactersOfTheClientsEnvelopeArePartOfTheValue() throws Exception {
        String request = "request=smtpd_access_policy\nsender=a\u0001b@example.net\nrecipient=c\u001bd\u007f@example.org\n\n";
        RequestFramer f = new RequestFramer();
        List<PolicyRequest> out = new ArrayList<>();
        f.feed(ByteBuffer.wrap(request.getBytes(StandardCharsets.UTF_8)), out);
        assertEquals(1, out.size());
        assertEquals("a\u0001b@example.net", out.get(0).get("sender"));
        assertEquals("c\u001bd\u007f@example.org", out.get(0).get("recipient"));
    }
}
