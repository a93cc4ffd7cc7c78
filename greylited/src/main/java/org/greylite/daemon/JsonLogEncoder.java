package org.greylite.daemon;

import java.nio.charset.StandardCharsets;

import org.greylite.text.ClientText;

import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxy;

/**
 * logback's {@link JsonEncoder} with, when LOGPID is set, the process id as the first member
 * ({@code {"pid":1234,...}}): the JSON form of greylite(8)'s pid prefix; and {@code formattedMessage} the text the
 * text format writes ({@link org.greylite.config.PrintableMessageConverter}): JSON's escapes keep a line break in
 * one line, but a reader of the decoded text ({@code jq -r .formattedMessage}) would get it back, with the terminal
 * escapes and right-to-left overrides JSON does not escape at all.
 */
public final class JsonLogEncoder extends JsonEncoder {

    private static final byte[] PID = ("\"pid\":" + ProcessHandle.current().pid() + ",").getBytes(StandardCharsets.US_ASCII);

    private boolean withPid;

    public void setWithPid(boolean withPid) {
        this.withPid = withPid;
    }

    @Override
    public byte[] encode(ILoggingEvent event) {
        byte[] json = super.encode(printable(event));
        if (!withPid || json.length < 2 || json[0] != '{') {
            return json;
        }
        byte[] out = new byte[json.length + PID.length];
        out[0] = '{';
        System.arraycopy(PID, 0, out, 1, PID.length);
        System.arraycopy(json, 1, out, 1 + PID.length, json.length - 1);
        return out;
    }

    /** {@code event}, or a copy of it whose message is printable when it is not. */
    private static ILoggingEvent printable(ILoggingEvent event) {
        String message = event.getFormattedMessage();
        if (message == null || ClientText.printable(message).equals(message)) {
            return event; // the usual case: nothing to change
        }
        LoggingEvent copy = new LoggingEvent();
        copy.setLoggerContextRemoteView(event.getLoggerContextVO());
        copy.setLoggerName(event.getLoggerName());
        copy.setThreadName(event.getThreadName());
        copy.setLevel(event.getLevel());
        copy.setInstant(event.getInstant());
        copy.setSequenceNumber(event.getSequenceNumber());
        copy.setMessage(ClientText.printable(message));
        if (event.getThrowableProxy() instanceof ThrowableProxy thrown) {
            copy.setThrowableProxy(thrown);
        }
        return copy;
    }
}
