package org.greylite.smtp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

import org.junit.jupiter.api.Test;

class CommandLineTest {

    private static CommandLine line(String s) {
        return CommandLine.parse(s.getBytes(StandardCharsets.ISO_8859_1));
    }

    @Test
    void theVerbIsUpperCasedAndTheRawBytesKept() {
        byte[] raw = "mail from:<A@B>\r\n".getBytes(StandardCharsets.ISO_8859_1);
        CommandLine c = CommandLine.parse(raw);
        assertEquals("MAIL", c.verb());
        assertEquals("from:<A@B>", c.args());
        assertArrayEquals(raw, c.raw());
    }

    @Test
    void argumentsAreTrimmedAndATabSeparates() {
        assertEquals("TO:<x@y>", line("Rcpt\tTO:<x@y>  \r\n").args());
        assertEquals("RCPT", line("Rcpt\tTO:<x@y>  \r\n").verb());
        assertEquals("", line("quit\n").args());
        assertEquals("QUIT", line("quit\n").verb());
        assertEquals("NOOP", line("NOOP").verb(), "a line without ending");
    }

    @Test
    void anEmptyLineHasAnEmptyVerb() {
        assertEquals("", line("\r\n").verb());
        assertEquals("", line(" x\r\n").verb());
    }

    @Test
    void pathArgumentTakesTheAddressBetweenTheBrackets() {
        assertEquals(Optional.of("a@b"), line("MAIL FROM:<a@b> SIZE=10\r\n").pathArgument("FROM"));
        assertEquals(Optional.of("a@b"), line("MAIL FROM: <a@b>\r\n").pathArgument("FROM"));
        assertEquals(Optional.of("a@b"), line("mail from:<a@b>\r\n").pathArgument("FROM"));
        assertEquals(Optional.of(""), line("MAIL FROM:<>\r\n").pathArgument("FROM"));
        assertEquals(Optional.of(""), line("RCPT TO:<>\r\n").pathArgument("TO"));
        assertEquals(Optional.of("Postmaster"), line("RCPT TO:<Postmaster>\r\n").pathArgument("TO"));
        assertEquals(Optional.of("User@Example.ORG"), line("RCPT TO:<User@Example.ORG> NOTIFY=NEVER\r\n").pathArgument("TO"),
                "case kept: the greylister lower-cases for the key, the log shows what was sent");
    }

    @Test
    void pathArgumentAcceptsAMissingBracketPair() {
        assertEquals(Optional.of("a@b"), line("RCPT TO:a@b\r\n").pathArgument("TO"));
        assertEquals(Optional.of("a@b"), line("MAIL FROM: a@b SIZE=10\r\n").pathArgument("FROM"));
    }

    @Test
    void pathArgumentRefusesGarbage() {
        assertEquals(Optional.empty(), line("RCPT TO <a@b>\r\n").pathArgument("TO"), "no colon");
        assertEquals(Optional.empty(), line("RCPT TO:<a@b\r\n").pathArgument("TO"), "no closing bracket");
        assertEquals(Optional.empty(), line("RCPT TO:\r\n").pathArgument("TO"), "nothing after the colon");
        assertEquals(Optional.empty(), line("RCPT TO: \r\n").pathArgument("TO"));
        assertEquals(Optional.empty(), line("RCPT TOO:<a@b>\r\n").pathArgument("TO"));
        assertEquals(Optional.empty(), line("RCPT\r\n").pathArgument("TO"));
        assertEquals(Optional.empty(), line("RCPT T\r\n").pathArgument("TO"));
        assertEquals(Optional.empty(), line("RCPT FROM:<a@b>\r\n").pathArgument("TO"), "the wrong keyword");
    }

    @Test
    void controlCharactersAreFoundButTabAndEightBitAreNot() {
        assertTrue(line("NOOP\0\r\n").hasControlCharacters(), "NUL");
        assertTrue(line("RCPT TO:<a\u001b[2J@b>\r\n").hasControlCharacters(), "ESC");
        assertTrue(line("NOOP \u007f\r\n").hasControlCharacters(), "DEL");
        assertTrue(line("MAIL FROM:<a@b>\rRCPT TO:<c@d>\r\n").hasControlCharacters(), "a CR inside the line");
        assertFalse(line("RCPT\tTO:<a@b>\r\n").hasControlCharacters(), "TAB");
        assertFalse(line("MAIL FROM:<j\u00f6rg@b\u00e4r.example>\r\n").hasControlCharacters(), "8-bit");
        assertFalse(line("NOOP\r\n").hasControlCharacters());
        assertFalse(line("NOOP\n").hasControlCharacters(), "LF-only ending");
    }

    @Test
    void anSmtputf8AddressIsReadAsUtf8AndOtherEightBitBytesStayAsTheyCame() {
        byte[] utf8 = "MAIL FROM:<j\u00f6s@b\u00fccher.example> SMTPUTF8\r\n".getBytes(StandardCharsets.UTF_8);
        assertEquals(Optional.of("j\u00f6s@b\u00fccher.example"), CommandLine.parse(utf8).pathArgument("FROM"));
        byte[] cjk = "RCPT TO:<\u7528\u6237@\u4f8b\u5b50.example>\r\n".getBytes(StandardCharsets.UTF_8);
        assertEquals(Optional.of("\u7528\u6237@\u4f8b\u5b50.example"), CommandLine.parse(cjk).pathArgument("TO"));
        byte[] latin1 = "RCPT TO:<j\u00f6s@b.example>\r\n".getBytes(StandardCharsets.ISO_8859_1);
        assertEquals(Optional.of("j\u00f6s@b.example"), CommandLine.parse(latin1).pathArgument("TO"),
                "not UTF-8: one char a byte, as before");
        assertArrayEquals(utf8, CommandLine.parse(utf8).raw(), "the line itself goes on unchanged");
    }

    @Test
    void aQuotedLocalPartMayHoldAClosingBracket() {
        assertEquals(Optional.of("\"a>b\"@victim.example"), line("RCPT TO:<\"a>b\"@victim.example>\r\n").pathArgument("TO"));
        assertEquals(Optional.of("\"x@partner.example>\"@victim.example"),
                line("RCPT TO:<\"x@partner.example>\"@victim.example> NOTIFY=NEVER\r\n").pathArgument("TO"));
        assertEquals(Optional.of("\"a\\\">b\"@x"), line("RCPT TO:<\"a\\\">b\"@x>\r\n").pathArgument("TO"),
                "an escaped quote does not end the quoted part");
        assertEquals(Optional.empty(), line("RCPT TO:<\"a>b@x>\r\n").pathArgument("TO"), "an unclosed quote");
    }
    @Test
    void aLineAnUpstreamCouldReadAnotherAddressFromIsRefused() {
        // qmail-smtpd reads what follows the first '<' of the line: these are RCPTs to the victim there.
        assertEquals(Optional.empty(), line("RCPT TO:postmaster <victim@example.com>\r\n").pathArgument("TO"));
        assertEquals(Optional.empty(), line("RCPT TO:abuse@example.com <victim@example.com>\r\n").pathArgument("TO"));
        assertEquals(Optional.empty(), line("RCPT TO:postmaster NOTIFY=<victim@example.com>\r\n").pathArgument("TO"));
        assertEquals(Optional.empty(), line("MAIL FROM:a@example.org <b@example.org>\r\n").pathArgument("FROM"));
        // Postfix drops RFC 822 comments: a RCPT to ceo@example.com there, to "(" here.
        assertEquals(Optional.empty(), line("RCPT TO:<(>)ceo@example.com>\r\n").pathArgument("TO"));
        assertEquals(Optional.empty(), line("RCPT TO:<postmaster@(>)victim@example.com>\r\n").pathArgument("TO"));
        assertEquals(Optional.empty(), line("RCPT TO:<victim@example.com (x)>\r\n").pathArgument("TO"));
        assertEquals(Optional.empty(), line("RCPT TO:postmaster(x)@example.com\r\n").pathArgument("TO"));
        // qmail-smtpd takes a backslash as an escape anywhere: "postmaster@x>victim@example.com" there.
        assertEquals(Optional.empty(), line("RCPT TO:<postmaster@x\\>victim@example.com>\r\n").pathArgument("TO"));
        assertEquals(Optional.empty(), line("RCPT TO:postmaster\\@x\r\n").pathArgument("TO"));
        assertEquals(Optional.empty(), line("RCPT TO:<<victim@example.com>>\r\n").pathArgument("TO"));
        assertEquals(Optional.empty(), line("RCPT TO:\"postmaster\"@example.com\r\n").pathArgument("TO"));
        // Text glued to the closing bracket is no parameter: an upstream may read it as part of the address.
        assertEquals(Optional.empty(), line("RCPT TO:<postmaster>victim@example.com\r\n").pathArgument("TO"));
        // What real clients send still reads.
        assertEquals(Optional.of("\"a(b)\"@example.com"), line("RCPT TO:<\"a(b)\"@example.com>\r\n").pathArgument("TO"),
                "in quotes, parentheses are the local part's");
        assertEquals(Optional.of("@relay.example:b@example.com"),
                line("RCPT TO:<@relay.example:b@example.com>\r\n").pathArgument("TO"), "a source route");
        assertEquals(Optional.of("b@example.com"),
                line("RCPT TO:<b@example.com>\tNOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b@example.com\r\n").pathArgument("TO"));
    }

    @Test
    void hasParameterLooksAfterThePathOnly() {
        assertTrue(line("MAIL FROM:<a@b> PRDR\r\n").hasParameter("FROM", "PRDR"));
        assertTrue(line("MAIL FROM:<a@b> SIZE=10\tprdr\r\n").hasParameter("FROM", "PRDR"));
        assertTrue(line("MAIL FROM:a@b PRDR=yes\r\n").hasParameter("FROM", "PRDR"));
        assertFalse(line("MAIL FROM:<a@b> SIZE=10 PRDRX\r\n").hasParameter("FROM", "PRDR"));
        assertFalse(line("MAIL FROM:<\"x PRDR\"@b>\r\n").hasParameter("FROM", "PRDR"), "a quoted local part is no parameter");
        assertFalse(line("MAIL FROM:<PRDR@b>\r\n").hasParameter("FROM", "PRDR"));
        // A path the proxy cannot read: any word may be a parameter to a lenient upstream.
        assertTrue(line("MAIL FROM:<a@b PRDR\r\n").hasParameter("FROM", "PRDR"));
        assertTrue(line("MAIL <a@b> PRDR\r\n").hasParameter("FROM", "PRDR"));
    }
}
