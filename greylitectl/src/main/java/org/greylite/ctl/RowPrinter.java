package org.greylite.ctl;

import java.io.PrintWriter;
import java.util.List;
import java.util.Set;

/** Prints rows of named columns as an aligned table, JSON (an array of objects) or CSV (RFC 4180). */
final class RowPrinter {

    enum Format { TABLE, JSON, CSV }

    private RowPrinter() {
    }

    /** {@code null} cells print as "-" in a table, empty in CSV, null in JSON. */
    static void print(PrintWriter out, Format format, List<String> columns, List<List<String>> rows) {
        print(out, format, columns, rows, Set.of());
    }

    /** As {@link #print(PrintWriter, Format, List, List)}; the {@code counts} columns are JSON numbers. */
    static void print(PrintWriter out, Format format, List<String> columns, List<List<String>> rows,
                      Set<String> counts) {
        switch (format) {
            case JSON -> json(out, columns, rows, counts);
            case CSV -> csv(out, columns, rows);
            default -> table(out, columns, rows);
        }
        out.flush();
    }

    private static void table(PrintWriter out, List<String> columns, List<List<String>> rows) {
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
     * A table cell: "-" for none; a control character (a newline, a tab, a terminal escape in a comment someone
     * typed) shown as '?', so that each row stays one line and the terminal shows what is there. CSV and JSON
     * quote them instead.
     */
    private static String cell(String v) {
        if (v == null) {
            return "-";
        }
        StringBuilder b = new StringBuilder(v.length());
        for (int i = 0; i < v.length(); i++) {
            char ch = v.charAt(i);
            b.append(ch < 0x20 || ch == 0x7f ? '?' : ch);
        }
        return b.toString();
    }

    private static void json(PrintWriter out, List<String> columns, List<List<String>> rows, Set<String> counts) {
        out.println("[");
        for (int i = 0; i < rows.size(); i++) {
            StringBuilder b = new StringBuilder("  {");
            for (int c = 0; c < columns.size(); c++) {
                String v = rows.get(i).get(c);
                boolean number = v != null && counts.contains(columns.get(c)) && v.matches("\\d{1,18}");
                b.append(c == 0 ? "" : ", ").append(Json.string(columns.get(c))).append(": ")
                        .append(number ? v : Json.string(v));
            }
            out.println(b.append(i == rows.size() - 1 ? "}" : "},"));
        }
        out.println("]");
    }

    private static void csv(PrintWriter out, List<String> columns, List<List<String>> rows) {
        out.print(csvLine(columns));
        for (List<String> r : rows) {
            out.print(csvLine(r));
        }
    }

    private static String csvLine(List<String> cells) {
        StringBuilder b = new StringBuilder();
        for (int c = 0; c < cells.size(); c++) {
            String v = cells.get(c) == null ? "" : cells.get(c);
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
}
