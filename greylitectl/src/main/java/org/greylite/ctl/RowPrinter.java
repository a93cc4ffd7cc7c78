package org.greylite.ctl;

import java.io.PrintWriter;
import java.util.List;
import java.util.Set;

import org.greylite.text.ClientText;

/**
 * Prints rows of named columns as an aligned table, JSON (an array of objects) or CSV (RFC 4180). Cells may hold
 * text from outside (a sender, a recipient, a name a client gave); each format shows it safely (see
 * {@link ClientText}): the table and CSV with '?' for what a terminal must not get, JSON with escapes.
 */
final class RowPrinter {

    enum Format { TABLE, JSON, CSV }

    private RowPrinter() {
    }

    /** {@code null} cells print as "-" in a table, empty in CSV, null in JSON. */
    static void print(PrintWriter out, Format format, List<String> columns, Iterable<List<String>> rows) {
        print(out, format, columns, rows, Set.of());
    }

    /** As {@link #print(PrintWriter, Format, List, List)}; the {@code counts} columns are JSON numbers. */
    static void print(PrintWriter out, Format format, List<String> columns, Iterable<List<String>> rows,
                      Set<String> counts) {
        switch (format) {
            case JSON -> json(out, columns, rows, counts);
            case CSV -> csv(out, columns, rows);
            default -> table(out, columns, rows);
        }
        out.flush();
    }

    /** Reads the rows twice: once for the columns' widths, once to print them. */
    private static void table(PrintWriter out, List<String> columns, Iterable<List<String>> rows) {
        int[] width = new int[columns.size()];
        for (int c = 0; c < width.length; c++) {
            width[c] = columns.get(c).length();
            for (List<String> r : rows) {
                width[c] = Math.max(width[c], cell(r.get(c)).length());
            }
        }
        line(out, columns, width);
        for (List<String> r : rows) {
            line(out, r, width);
        }
    }

    private static void line(PrintWriter out, List<String> cells, int[] width) {
        StringBuilder b = new StringBuilder();
        for (int c = 0; c < width.length; c++) {
            String v = cell(cells.get(c));
            b.append(v);
            if (c < width.length - 1) {
                b.append(" ".repeat(width[c] - v.length() + 2));
            }
        }
        out.println(b.toString().stripTrailing());
    }

    /**
     * A table cell: "-" for none; text as {@link ClientText#printable} shows it, so that each row stays one line
     * and the terminal shows what is there: a control character (a newline, a tab, a terminal escape in a comment
     * someone typed or in a sender a client made up), a line separator or a bidirectional override is a '?'.
     */
    private static String cell(String v) {
        return v == null ? "-" : ClientText.printable(v);
    }

    private static void json(PrintWriter out, List<String> columns, Iterable<List<String>> rows, Set<String> counts) {
        out.println("[");
        String before = null; // the object before, printed with its comma once another follows
        for (List<String> row : rows) {
            if (before != null) {
                out.println(before + ",");
            }
            StringBuilder b = new StringBuilder("  {");
            for (int c = 0; c < columns.size(); c++) {
                String v = row.get(c);
                boolean number = v != null && counts.contains(columns.get(c)) && v.matches("\\d{1,18}");
                b.append(c == 0 ? "" : ", ").append(Json.string(columns.get(c))).append(": ")
                        .append(number ? v : Json.string(v));
            }
            before = b.append("}").toString();
        }
        if (before != null) {
            out.println(before);
        }
        out.println("]");
    }

    private static void csv(PrintWriter out, List<String> columns, Iterable<List<String>> rows) {
        out.print(csvLine(columns));
        for (List<String> r : rows) {
            out.print(csvLine(r));
        }
    }

    private static String csvLine(List<String> cells) {
        StringBuilder b = new StringBuilder();
        for (int c = 0; c < cells.size(); c++) {
            String v = cells.get(c) == null ? "" : csvText(cells.get(c));
            if (c > 0) {
                b.append(',');
            }
            if (v.contains(",") || v.contains("\"") || v.contains("\n") || v.contains("\r")) {
                b.append('"').append(v.replace("\"", "\"\"")).append('"');
            } else {
                b.append(v);
            }
        }
        return b.append("\r\n").toString();
    }

    /**
     * A CSV field's text: line breaks and tabs stay (RFC 4180 quotes them, and a spreadsheet keeps them), every
     * other character {@link ClientText#unsafe} is a '?', as in the table. CSV has no escape that would keep them
     * and still show safely where the file is read (a terminal, a pager); JSON keeps them, escaped.
     */
    private static String csvText(String v) {
        StringBuilder b = null;
        for (int i = 0; i < v.length(); i++) {
            char ch = v.charAt(i);
            if (ch != '\r' && ch != '\n' && ch != '\t' && ClientText.unsafe(ch)) {
                if (b == null) {
                    b = new StringBuilder(v);
                }
                b.setCharAt(i, '?');
            }
        }
        return b == null ? v : b.toString();
    }
}
