package org.greylite.greydaemon;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Any datagram that reaches greydaemon's port: it is a request with a client address and at least one recipient
 * (possibly empty, as qmail-smtpd lists {@code RCPT TO:<>}), none holding a space or a NUL, or it is malformed
 * (and left unanswered); reading it never fails otherwise and never asks the DNS (the client field must be an
 * address literal).
 */
class RequestFuzzTest {

    @FuzzTest(maxDuration = "3s")
    void aRequestOrMalformed(byte[] datagram) {
        try {
            Request r = Request.parse(datagram, datagram.length);
            assertNotNull(r.client());
            assertFalse(r.recipients().isEmpty());
            for (String rcpt : r.recipients()) {
                assertFalse(rcpt.indexOf(' ') >= 0 || rcpt.indexOf('\0') >= 0, rcpt);
            }
            assertFalse(r.sender().indexOf(' ') >= 0 || r.sender().indexOf('\0') >= 0, r.sender());
        } catch (Request.Malformed e) {
            // unanswered, as greydaemon's clients expect
        }
    }
}
