package org.greylite.net;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.PortUnreachableException;
import java.net.SocketTimeoutException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

import org.junit.jupiter.api.Test;

class DnsFailureTextTest {

    @Test
    void aTimeoutIsSaidSoWhateverItsKind() {
        assertEquals("timed out", DnsFailureText.of(new TimeoutException("after 2000 ms")));
        assertEquals("timed out", DnsFailureText.of(new SocketTimeoutException("Read timed out")));
    }

    @Test
    void anIcmpPortUnreachableMeansNoServerListensThere() {
        assertEquals("port unreachable (no DNS server there)",
                DnsFailureText.of(new PortUnreachableException("ICMP Port Unreachable")));
    }

    @Test
    void theFailureIsTakenOutOfTheFuturesThatCarriedIt() {
        Throwable wrapped = new CompletionException(new ExecutionException(new SocketTimeoutException()));
        assertEquals("timed out", DnsFailureText.of(wrapped));
        assertEquals("Network is unreachable",
                DnsFailureText.of(new ExecutionException(new IOException("Network is unreachable"))));
    }

    @Test
    void withoutAMessageTheKindOfFailureIsNamed() {
        assertEquals("IOException", DnsFailureText.of(new IOException()));
        assertEquals("IOException", DnsFailureText.of(new IOException(" ")));
        assertEquals("CompletionException", DnsFailureText.of(new CompletionException(null)));
    }
}
