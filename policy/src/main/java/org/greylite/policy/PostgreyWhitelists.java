package org.greylite.policy;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

import org.greylite.config.FileErrors;
import org.greylite.net.Cidr;
import org.greylite.suspicion.SuspicionFile;
import org.greylite.text.ClientText;

/**
 * postgrey's whitelist files, read in postgrey's formats so that an administrator's files keep working
 * ({@code --whitelist-clients}, {@code --whitelist-recipients}). {@code #} starts a comment; blank lines are
 * skipped.
 * <ul>
 * <li>Clients: {@code /REGEX/} (found in the client's name, any case); an IPv4 address or block
 *     ({@code 192.0.2.7}, {@code 192.0.2.0/24}), three or two leading octets ({@code 192.0.2}: its /24;
 *     {@code 192.0}: its /16), an IPv6 address or block; otherwise a host name, which matches that name and
 *     every name under it ({@code example.net} matches {@code mx1.example.net}).</li>
 * <li>Recipients: {@code /REGEX/}; {@code user@domain}, {@code user@} (any domain) and {@code @domain} (any
 *     user), where {@code user} also matches {@code user+extension}; otherwise a domain, matching that domain
 *     and its subdomains.</li>
 * </ul>
 * A {@code /regex/} is Perl's, as postgrey's are ({@link PerlRegex}). A line that cannot be read (a bad regular
 * expression, a bad address) is reported with its file and line and left out; the others still count.
 */
final class PostgreyWhitelists {

    /** One line that matched, for the log: {@code FILE:LINE}. */
    private interface Entry {
        String where();
    }

    /**
     * One line of a client whitelist: an address block, a /regex/ or a host name. Matched at every request against
     * every line, so nothing is made per request that can be made at load: the name's {@code .name} suffix, and
     * whether the regex finds anything in an empty name (a client without one, which most spam is).
     */
    private record ClientEntry(String where, Pattern regex, Cidr block, String name, String dotName,
                               boolean regexMatchesNoName) implements Entry {

        static ClientEntry block(String where, Cidr block) {
            return new ClientEntry(where, null, block, null, null, false);
        }

        static ClientEntry regex(String where, Pattern regex) {
            return new ClientEntry(where, regex, null, null, null, regex.matcher("").find());
        }

        static ClientEntry name(String where, String name) {
            return new ClientEntry(where, null, null, name, "." + name, false);
        }

        boolean matches(InetAddress address, String clientName) {
            if (block != null) {
                return block.contains(address);
            }
            if (clientName.isEmpty()) {
                return regexMatchesNoName;
            }
            if (regex != null) {
                return regex.matcher(clientName).find();
            }
            return clientName.equals(name) || clientName.endsWith(dotName);
        }
    }

    private record RecipientEntry(String where, Pattern regex, String user, String domain) implements Entry {
        boolean matches(String recipient) {
            if (regex != null) {
                return regex.matcher(recipient).find();
            }
            int at = recipient.lastIndexOf('@');
            String local = at < 0 ? recipient : recipient.substring(0, at);
            String dom = at < 0 ? "" : recipient.substring(at + 1);
            if (user == null) { // a bare domain
                return dom.equals(domain) || dom.endsWith("." + domain);
            }
            boolean userOk = user.isEmpty() || local.equals(user) || local.startsWith(user + "+");
            return userOk && (domain.isEmpty() || dom.equals(domain));
        }
    }

    static final PostgreyWhitelists NONE = new PostgreyWhitelists(List.of(), List.of());

    private final List<ClientEntry> clients;
    private final List<RecipientEntry> recipients;

    private PostgreyWhitelists(List<ClientEntry> clients, List<RecipientEntry> recipients) {
        this.clients = List.copyOf(clients);
        this.recipients = List.copyOf(recipients);
    }

    /**
     * Reads the files; each problem goes to {@code problems} as {@code FILE:LINE: what}. A file that does not exist
     * is read as empty, and said in {@code missing} when {@link WhitelistFile#warnIfMissing}.
     *
     * @throws IOException naming the file, when one exists but cannot be read
     */
    static PostgreyWhitelists load(List<WhitelistFile> clientFiles, List<WhitelistFile> recipientFiles,
                                   Consumer<String> problems, Consumer<String> missing) throws IOException {
        List<ClientEntry> c = new ArrayList<>();
        for (WhitelistFile f : clientFiles) {
            readLines(f, "--whitelist-clients", (where, text) -> c.add(clientEntry(where, text)), problems, missing);
        }
        List<RecipientEntry> r = new ArrayList<>();
        for (WhitelistFile f : recipientFiles) {
            readLines(f, "--whitelist-recipients", (where, text) -> r.add(recipientEntry(where, text)), problems, missing);
        }
        return new PostgreyWhitelists(c, r);
    }

    /** The {@code FILE:LINE} of the first client line matching, or null. */
    String matchClient(InetAddress address, String clientName) {
        String name = clientName.toLowerCase(Locale.ROOT);
        for (ClientEntry e : clients) {
            if (e.matches(address, name)) {
                return e.where();
            }
        }
        return null;
    }

    /** The {@code FILE:LINE} of the first recipient line matching, or null. */
    String matchRecipient(String recipient) {
        String r = recipient.toLowerCase(Locale.ROOT);
        for (RecipientEntry e : recipients) {
            if (e.matches(r)) {
                return e.where();
            }
        }
        return null;
    }

    int size() {
        return clients.size() + recipients.size();
    }

    private interface LineReader {
        void read(String where, String text);
    }

    /** @param flag the flag that names such files, for the message when {@code file} cannot be read */
    private static void readLines(WhitelistFile whitelist, String flag, LineReader reader, Consumer<String> problems,
                                  Consumer<String> missing) throws IOException {
        Path file = whitelist.path();
        List<String> lines;
        try {
            lines = ClientText.readLines(file); // as postgrey reads them: bytes
        } catch (NoSuchFileException e) {
            if (whitelist.warnIfMissing()) {
                missing.accept(flag + ": " + file + " does not exist; read as empty until it does (SIGHUP reads it)");
            }
            return;
        } catch (IOException e) {
            throw new IOException(flag + ": " + file + " cannot be read (" + FileErrors.describe(file, e) + ")", e);
        }
        for (int i = 0; i < lines.size(); i++) {
            String text = lines.get(i);
            int hash = text.indexOf('#');
            text = (hash < 0 ? text : text.substring(0, hash)).strip();
            if (text.isEmpty()) {
                continue;
            }
            String where = file + ":" + (i + 1);
            try {
                reader.read(where, text);
            } catch (IllegalArgumentException e) {
                problems.accept(where + ": " + e.getMessage() + " (line left out)");
            }
        }
    }

    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}(/\\d{1,2})?");
    private static final Pattern IPV4_THREE = Pattern.compile("\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");
    private static final Pattern IPV4_TWO = Pattern.compile("\\d{1,3}\\.\\d{1,3}");

    private static ClientEntry clientEntry(String where, String text) {
        if (isRegex(text)) {
            return ClientEntry.regex(where, regex(text));
        }
        if (IPV4.matcher(text).matches() || text.indexOf(':') >= 0) {
            return ClientEntry.block(where, Cidr.parse(text));
        }
        if (IPV4_THREE.matcher(text).matches()) {
            return ClientEntry.block(where, Cidr.parse(text + ".0/24"));
        }
        if (IPV4_TWO.matcher(text).matches()) {
            return ClientEntry.block(where, Cidr.parse(text + ".0.0/16"));
        }
        if (text.chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException("'" + text + "' is not a host name, address or /regex/");
        }
        return ClientEntry.name(where, text.toLowerCase(Locale.ROOT));
    }

    private static RecipientEntry recipientEntry(String where, String text) {
        if (isRegex(text)) {
            return new RecipientEntry(where, regex(text), null, null);
        }
        if (text.chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException("'" + text + "' is not an address, domain or /regex/");
        }
        String t = text.toLowerCase(Locale.ROOT);
        int at = t.indexOf('@');
        if (at < 0) {
            return new RecipientEntry(where, null, null, t);
        }
        return new RecipientEntry(where, null, t.substring(0, at), t.substring(at + 1));
    }

    private static boolean isRegex(String text) {
        return text.length() > 2 && text.startsWith("/") && text.endsWith("/");
    }

    private static Pattern regex(String text) {
        // As long as a suspicion rule's at most: Java takes time growing with the square of a long literal to compile.
        if (text.length() - 2 > SuspicionFile.MAX_EXPRESSION) {
            throw new IllegalArgumentException("regular expression of " + (text.length() - 2) + " characters, more than the "
                    + SuspicionFile.MAX_EXPRESSION + " a line may have");
        }
        try {
            return PerlRegex.compileIgnoringCase(text.substring(1, text.length() - 1)); // postgrey's qr{...}i
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException("bad regular expression " + text + ": " + e.getDescription());
        }
    }
}
