package org.greylite.testing;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A strict JSON reader (objects, arrays, strings, numbers, true/false, null), so that tests read a
 * program's JSON output back without trusting its writer (and without a JSON library on the class path).
 */
public final class MiniJson {

    private final String s;
    private int i;

    private MiniJson(String s) {
        this.s = s;
    }

    /** A JSON object. */
    public static Map<String, Object> object(String text) {
        MiniJson p = new MiniJson(text);
        Map<String, Object> map = p.readObject();
        p.blanks();
        if (p.i != text.length()) {
            throw p.error("trailing text");
        }
        return map;
    }

    /** Any JSON document: a Map, a List, a String, a Long, a Double, a Boolean or null. */
    public static Object parse(String text) {
        MiniJson p = new MiniJson(text);
        p.blanks();
        Object v = p.readValue();
        p.blanks();
        if (p.i != text.length()) {
            throw p.error("trailing text");
        }
        return v;
    }

    private java.util.List<Object> readArray() {
        java.util.List<Object> list = new java.util.ArrayList<>();
        expect('[');
        blanks();
        if (peek() == ']') {
            i++;
            return list;
        }
        while (true) {
            blanks();
            list.add(readValue());
            blanks();
            char c = next();
            if (c == ']') {
                return list;
            }
            if (c != ',') {
                throw error("expected , or ]");
            }
        }
    }

    private Map<String, Object> readObject() {
        Map<String, Object> map = new LinkedHashMap<>();
        expect('{');
        blanks();
        if (peek() == '}') {
            i++;
            return map;
        }
        while (true) {
            blanks();
            String key = readString();
            blanks();
            expect(':');
            blanks();
            if (map.put(key, readValue()) != null) {
                throw error("duplicate key " + key);
            }
            blanks();
            char c = next();
            if (c == '}') {
                return map;
            }
            if (c != ',') {
                throw error("expected , or }");
            }
        }
    }

    private Object readValue() {
        char c = peek();
        if (c == '"') {
            return readString();
        }
        if (c == '{') {
            return readObject();
        }
        if (c == '[') {
            return readArray();
        }
        if (s.startsWith("null", i)) {
            i += 4;
            return null;
        }
        if (s.startsWith("true", i)) {
            i += 4;
            return Boolean.TRUE;
        }
        if (s.startsWith("false", i)) {
            i += 5;
            return Boolean.FALSE;
        }
        int start = i;
        if (c == '-') {
            i++;
        }
        while (i < s.length() && Character.isDigit(s.charAt(i))) {
            i++;
        }
        if (i == start) {
            throw error("expected a value");
        }
        if (i < s.length() && s.charAt(i) == '.') {
            i++;
            while (i < s.length() && Character.isDigit(s.charAt(i))) {
                i++;
            }
            return Double.parseDouble(s.substring(start, i));
        }
        return Long.parseLong(s.substring(start, i));
    }

    private String readString() {
        expect('"');
        StringBuilder b = new StringBuilder();
        while (true) {
            char c = next();
            if (c == '"') {
                return b.toString();
            }
            if (c < 0x20) {
                throw error("unescaped control character");
            }
            if (c != '\\') {
                b.append(c);
                continue;
            }
            char e = next();
            switch (e) {
                case '"', '\\', '/' -> b.append(e);
                case 'b' -> b.append('\b');
                case 'f' -> b.append('\f');
                case 'n' -> b.append('\n');
                case 'r' -> b.append('\r');
                case 't' -> b.append('\t');
                case 'u' -> {
                    b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                    i += 4;
                }
                default -> throw error("bad escape \\" + e);
            }
        }
    }

    private void blanks() {
        while (i < s.length() && " \t\r\n".indexOf(s.charAt(i)) >= 0) {
            i++;
        }
    }

    private char peek() {
        if (i >= s.length()) {
            throw error("unexpected end");
        }
        return s.charAt(i);
    }

    private char next() {
        char c = peek();
        i++;
        return c;
    }

    private void expect(char c) {
        if (next() != c) {
            throw error("expected " + c);
        }
    }

    private IllegalArgumentException error(String what) {
        return new IllegalArgumentException(what + " at " + i + " in " + s);
    }
}
