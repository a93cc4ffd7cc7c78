package org.greylite.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Another process holding an SQLite greydb's write lock, as an administrator's {@code sqlite3} session or a
 * backup would: the real {@code sqlite3} runs {@code BEGIN EXCLUSIVE} and a write, and keeps the transaction
 * open until {@link #close()}. A decision that waits longer than its busy timeout then fails with
 * {@code SQLITE_BUSY}: a real greydb failure, with nothing of the program under test faked. The greydb must
 * exist already (the program under test made it), since the write goes to its {@code greydb_meta} table.
 */
public final class Sqlite3Lock implements AutoCloseable {

    private final Process process;

    private Sqlite3Lock(Process process) {
        this.process = process;
    }

    /**
     * Takes the lock and returns once {@code sqlite3} holds it (skips the test, or fails it under CI, when
     * sqlite3 is not installed).
     */
    public static Sqlite3Lock hold(Path greydb) throws IOException {
        return take(greydb, "");
    }

    /**
     * As {@link #hold}, in SQLite's exclusive locking mode, which keeps readers out as well as writers (in WAL mode
     * a write lock alone lets others read): the greydb cannot even be opened meanwhile.
     */
    public static Sqlite3Lock holdAgainstReaders(Path greydb) throws IOException {
        return take(greydb, "PRAGMA locking_mode = EXCLUSIVE;\n");
    }

    private static Sqlite3Lock take(Path greydb, String first) throws IOException {
        Path sqlite3 = ExternalPrograms.require("sqlite3");
        Process p = new ProcessBuilder(sqlite3.toString(), greydb.toString()).redirectErrorStream(true).start();
        OutputStream in = p.getOutputStream();
        in.write((first + "BEGIN EXCLUSIVE;\nINSERT INTO greydb_meta (key, value) VALUES ('held', '1');\nSELECT 'locked';\n")
                .getBytes(StandardCharsets.US_ASCII));
        in.flush();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII));
        String line = out.readLine();
        if ("exclusive".equals(line) && !first.isEmpty()) {
            line = out.readLine(); // the locking mode's pragma says the mode
        }
        if (!"locked".equals(line)) {
            p.destroyForcibly();
            throw new IOException("sqlite3 could not lock " + greydb + ": " + line);
        }
        return new Sqlite3Lock(p);
    }

    /** Whether sqlite3 still runs, and so still holds the lock. */
    public boolean held() {
        return process.isAlive();
    }

    /** Ends sqlite3; its open transaction is rolled back and the lock released. */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
