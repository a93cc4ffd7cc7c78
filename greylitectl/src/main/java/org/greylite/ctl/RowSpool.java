package org.greylite.ctl;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * Rows of text cells kept in a temporary file (readable by this user only) instead of in memory, to be read back as
 * often as needed: {@code db list} of a greydb of millions of triplets held them all in memory, about 1 KB each,
 * 3.5 GB for 3 million, and with a heap of 512 MB (a host with 2 GB) died of an OutOfMemoryError before printing a
 * line. Printing straight from the greydb was the alternative rejected: the read transaction would last as long as
 * the reader takes (a pager left open), and an SQLite greydb's log cannot be reset meanwhile, so it grows with every
 * decision made. The file is written while the greydb is read, then printed after the transaction ended.
 */
final class RowSpool implements Iterable<List<String>>, AutoCloseable {

    private final Path file;
    private final int columns;
    private final DataOutputStream out;
    private long rows;

    /** A spool for rows of {@code columns} cells, in java.io.tmpdir. */
    RowSpool(int columns) {
        this.columns = columns;
        try {
            this.file = Files.createTempFile("greylitectl-list-", ".rows");
            this.out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file), 1 << 16));
        } catch (IOException e) {
            throw trouble(e);
        }
    }

    /** Adds a row of {@code columns} cells; a cell may be null. */
    void add(List<String> row) {
        try {
            for (String cell : row) {
                if (cell == null) {
                    out.writeInt(-1);
                } else {
                    byte[] b = cell.getBytes(StandardCharsets.UTF_8);
                    out.writeInt(b.length);
                    out.write(b);
                }
            }
            rows++;
        } catch (IOException e) {
            throw trouble(e);
        }
    }

    /** The rows added so far, from the first, read from the file. */
    @Override
    public Iterator<List<String>> iterator() {
        try {
            out.flush();
            DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16));
            return new Iterator<>() {
                private long read;

                @Override
                public boolean hasNext() {
                    if (read < rows) {
                        return true;
                    }
                    close(in);
                    return false;
                }

                @Override
                public List<String> next() {
                    if (!hasNext()) {
                        throw new NoSuchElementException();
                    }
                    try {
                        List<String> row = new ArrayList<>(columns);
                        for (int c = 0; c < columns; c++) {
                            int n = in.readInt();
                            row.add(n < 0 ? null : new String(in.readNBytes(n), StandardCharsets.UTF_8));
                        }
                        read++;
                        return row;
                    } catch (IOException e) {
                        close(in);
                        throw trouble(e);
                    }
                }
            };
        } catch (IOException e) {
            throw trouble(e);
        }
    }

    private static void close(DataInputStream in) {
        try {
            in.close();
        } catch (IOException ignored) {
            // only read
        }
    }

    private UncheckedIOException trouble(IOException e) {
        return new UncheckedIOException("cannot keep the rows in a temporary file ("
                + (file != null ? file : System.getProperty("java.io.tmpdir")) + "): " + e, e);
    }

    @Override
    public void close() {
        try {
            out.close();
        } catch (IOException ignored) {
            // the file goes anyway
        }
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // left in the temporary folder, readable by this user only
        }
    }
}
