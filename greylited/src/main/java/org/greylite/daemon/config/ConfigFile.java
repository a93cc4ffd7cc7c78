package org.greylite.daemon.config;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A configuration file: one {@code name = value} per line, where the name is a flag's long name without
 * {@code --}. Blank lines and lines starting with {@code #} are ignored; {@code #} after white space ends a
 * value (a comment); a value in double quotes is taken as written ({@code \"} and {@code \\} inside), for
 * text that must keep a {@code " #"} or outer spaces. This class only reads the syntax; which names exist
 * is for the command's model to say ({@link LayeredDefaults}).
 *
 * <p>Why this format and not Java properties: properties treat {@code :} and {@code \} specially, so
 * {@code listen = [::1]:25} or a Windows-looking path would need escapes; here what is written is what
 * the flag would get.
 */
public final class ConfigFile {

    /** One {@code name = value} line. */
    public record Entry(String name, String value, int line) {
    }

    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]*");
    private static final Pattern COMMENT = Pattern.compile("\\s#");

    private final String fileName;
    private final List<Entry> entries;

    private ConfigFile(String fileName, List<Entry> entries) {
        this.fileName = fileName;
        this.entries = List.copyOf(entries);
    }

    /** No file: nothing set. */
    public static ConfigFile none() {
        return new ConfigFile(null, List.of());
    }

    /**
     * Reads {@code file} (UTF-8).
     *
     * @throws ConfigException when it cannot be read or a line is malformed; the message names the file (and line)
     */
    public static ConfigFile read(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read the configuration file: " + describe(e), e);
        }
        return parse(file.toString(), utf8(bytes, file.toString()).lines().toList());
    }

    /**
     * The text, or an error naming the line of the first byte that is not UTF-8: a comment written in Latin-1 (an
     * accented name, a file saved by an old editor) stopped greylited with "not UTF-8 text" and no line to look at.
     */
    private static String utf8(byte[] bytes, String fileName) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult result = decoder.decode(in, out, true);
        if (result.isError()) {
            // The bytes before the bad one are valid UTF-8: the line is the number of lines they start.
            String before = new String(bytes, 0, in.position(), StandardCharsets.UTF_8);
            long line = (before + "x").lines().count();
            throw new ConfigException(fileName + ":" + line + ": not UTF-8 text (save the file as UTF-8)");
        }
        decoder.flush(out);
        return out.flip().toString();
    }

    /** @throws ConfigException naming {@code fileName} and the line, for a malformed line */
    public static ConfigFile parse(String fileName, List<String> lines) {
        List<Entry> entries = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            int number = i + 1;
            if (i == 0 && line.startsWith("\uFEFF")) {
                line = line.substring(1).strip();
            }
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int eq = line.indexOf('=');
            if (eq < 0) {
                throw new ConfigException(fileName + ":" + number + ": expected 'name = value', got '" + line + "'");
            }
            String name = line.substring(0, eq).strip();
            if (name.startsWith("--")) {
                name = name.substring(2);
            }
            if (!NAME.matcher(name).matches()) {
                throw new ConfigException(fileName + ":" + number + ": '" + line.substring(0, eq).strip()
                        + "' is not a setting name (write a flag's long name without --, e.g. 'listen = 0.0.0.0:25')");
            }
            String value = value(line.substring(eq + 1), fileName + ":" + number);
            if (value.isEmpty()) {
                throw new ConfigException(fileName + ":" + number + ": no value for '" + name
                        + "' (remove the line to use the default)");
            }
            entries.add(new Entry(name, value, number));
        }
        return new ConfigFile(fileName, entries);
    }

    private static String value(String raw, String where) {
        String v = raw.strip();
        if (v.startsWith("#")) {
            return "";
        }
        if (!v.startsWith("\"")) {
            Matcher m = COMMENT.matcher(v);
            return (m.find() ? v.substring(0, m.start()) : v).strip();
        }
        StringBuilder b = new StringBuilder();
        int i = 1;
        for (; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c == '"') {
                break;
            }
            if (c == '\\' && i + 1 < v.length() && (v.charAt(i + 1) == '"' || v.charAt(i + 1) == '\\')) {
                c = v.charAt(++i);
            }
            b.append(c);
        }
        if (i >= v.length()) {
            throw new ConfigException(where + ": no closing '\"'");
        }
        String rest = v.substring(i + 1).strip();
        if (!rest.isEmpty() && !rest.startsWith("#")) {
            throw new ConfigException(where + ": unexpected text after the closing '\"': '" + rest + "'");
        }
        if (b.length() == 0) {
            throw new ConfigException(where + ": empty value (remove the line to use the default)");
        }
        return b.toString();
    }

    /** A value as this format reads it back: quoted when it would otherwise change on the way. */
    public static String quote(String value) {
        boolean plain = !value.isEmpty() && value.equals(value.strip()) && !value.startsWith("\"")
                && !COMMENT.matcher(value).find();
        if (plain) {
            return value;
        }
        return "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    /** The file's name as given, or null for {@link #none()}. */
    public String fileName() {
        return fileName;
    }

    /** The settings, in file order. */
    public List<Entry> entries() {
        return entries;
    }

    /** {@code FILE:LINE} of an entry. */
    public String where(Entry e) {
        return fileName + ":" + e.line();
    }

    private static String describe(IOException e) {
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied";
        }
        return e.getMessage() != null ? e.getMessage() : e.toString();
    }
}
