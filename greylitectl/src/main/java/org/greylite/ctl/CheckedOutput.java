package org.greylite.ctl;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.Charset;

/**
 * greylitectl's standard output, remembering the first write that failed. A {@link PrintWriter} (and
 * {@code System.out}) swallows write errors, so {@code db list --format csv > /dev/full}, or a list onto a full disk,
 * ended with status 0 and a truncated file a script took for the whole list. Every command prints through
 * {@link #writer()}; {@link #exitStatus} then turns a failed write into a message and a failing status, in this one
 * place for all of them.
 */
final class CheckedOutput extends FilterOutputStream {

    /** The message of the IOException a write to a pipe whose reader has gone raises (EPIPE). */
    private static final String BROKEN_PIPE = "Broken pipe";

    private final PrintWriter writer;
    private IOException failure;

    CheckedOutput(OutputStream out, Charset charset) {
        super(out);
        this.writer = new PrintWriter(new OutputStreamWriter(this, charset), true);
    }

    /** What the commands print to. */
    PrintWriter writer() {
        return writer;
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        if (failure != null) {
            throw failure; // the rest cannot be written either; no point in trying each line
        }
        try {
            out.write(b, off, len);
        } catch (IOException e) {
            failure = e;
            throw e;
        }
    }

    @Override
    public void flush() throws IOException {
        if (failure != null) {
            throw failure;
        }
        try {
            out.flush();
        } catch (IOException e) {
            failure = e;
            throw e;
        }
    }

    /**
     * The command's exit status, or {@link GreyliteCtl#TROUBLE} when its output could not all be written (said on
     * {@code err}): whoever reads the output must not take a part of it for the whole.
     */
    int exitStatus(int commandStatus, PrintWriter err) {
        writer.flush();
        if (failure == null && !writer.checkError()) {
            return commandStatus;
        }
        String why = failure == null || failure.getMessage() == null ? "write error" : failure.getMessage();
        if (why.equals(BROKEN_PIPE)) {
            // The reader left on purpose ("greylitectl db list | head"): a line about it on the terminal is noise,
            // as the tools killed by SIGPIPE there say nothing. The status still tells a script the output stopped.
            return GreyliteCtl.TROUBLE;
        }
        err.println("greylitectl: the standard output could not be written (" + why + "); what was written is incomplete");
        err.flush();
        return GreyliteCtl.TROUBLE;
    }
}
