package org.greylite.daemon;

import java.nio.charset.StandardCharsets;

import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;

/**
 * logback's {@link JsonEncoder} with, when LOGPID is set, the process id as the first member
 * ({@code {"pid":1234,...}}): the JSON form of greylite(8)'s pid prefix.
 */
public final class JsonLogEncoder extends JsonEncoder {

    private static final byte[] PID = ("\"pid\":" + ProcessHandle.current().pid() + ",").getBytes(StandardCharsets.US_ASCII);

    private boolean withPid;

    public void setWithPid(boolean withPid) {
        this.withPid = withPid;
    }

    @Override
    public byte[] encode(ILoggingEvent event) {
        byte[] json = super.encode(event);
        if (!withPid || json.length < 2 || json[0] != '{') {
            return json;
        }
        byte[] out = new byte[json.length + PID.length];
        out[0] = '{';
        System.arraycopy(PID, 0, out, 1, PID.length);
        System.arraycopy(json, 1, out, 1 + PID.length, json.length - 1);
        return out;
    }
}
