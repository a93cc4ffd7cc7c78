package org.greylite.ctl;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.greylite.config.KnownSendersEnvironment;
import org.greylite.greylist.KnownSenders;
import org.greylite.greylist.KeyedAddress;
import org.greylite.greylist.MailboxPath;
import org.greylite.net.Cidr;
import org.greylite.net.IpLiteral;
import org.greylite.net.PtrName;
import org.greylite.suspicion.Behaviour;
import org.greylite.suspicion.ClientFacts;
import org.greylite.suspicion.Explanation;
import org.greylite.suspicion.LineExplanation;
import org.greylite.suspicion.Suspicion;
import org.greylite.suspicion.SuspicionFile;
import org.greylite.text.ClientText;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code greylitectl suspicion explain FILE --ip IP ...}: which line decides for a client, the N it gives,
 * and why each line above it did not match. The client is described by options; the file is evaluated
 * exactly as greylited evaluates it ({@link SuspicionFile#explain}, which agrees with {@code evaluate}), or as the
 * program {@code --as} names sees the client ({@link ExplainedProgram}).
 */
@Command(name = "explain", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Shows, line by line, how FILE decides for the client described by the options: which line "
                + "matches, the N it gives (the number of refusals before the mail may pass), and why the lines above "
                + "it did not match. With --json, prints one object: {\"line\": L, \"attempts\": N, \"rule\": "
                + "\"...\", \"suspicious\": true|false, \"skipped\": null|\"...\", \"lines\": [{\"line\", \"rule\", \"outcome\", \"reason\"}...]} "
                + "(line and rule are null when no line matches and the default applies; lines are those tried, in order). "
                + "A client greylisting skips (--var RELAYCLIENT or WHITELISTED, a recipient postmaster@ or abuse@, a "
                + "known sender by --ip or --ptr: the shipped list unless $GREYLITE_NO_SHIPPED_WHITELIST is set (to "
                + "other than 0, no, false or off), and $GREYLITE_WHITELIST_FILES) is accepted at once: N = 0, and "
                + "skipped says why. GeoIP database "
                + "for g lines: $GEOIPDB_FILE, else /usr/local/share/GeoIP/GeoIP.dat.",
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {"0:explained", "2:FILE cannot be read, or bad usage"})
final class SuspicionExplainCommand implements Callable<Integer> {

    private static final Pattern VARIABLE_NAME = Pattern.compile("[^=\\s]+");

    @ParentCommand
    SuspicionCommand parent;

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "FILE", description = "The suspicion file.")
    Path file;

    @Option(names = "--ip", required = true, paramLabel = "IP", description = "The client's address (IPv4 or IPv6), also in brackets as "
            + "Postfix logs it ([2001:db8::5]).")
    String ip;

    @Option(names = "--ptr", paramLabel = "NAME",
            description = "The client's confirmed PTR name, for r lines, compared as the programs compare it: in "
                    + "lower case, without a final dot (default: none, the empty name).")
    String ptr = "";

    @Option(names = "--helo", paramLabel = "NAME", description = "The HELO/EHLO name, for e lines' h: patterns.")
    String helo = "";

    @Option(names = "--from", paramLabel = "SENDER",
            description = "The envelope sender, for s: patterns (default: the null sender).")
    String from = "";

    @Option(names = "--to", paramLabel = "RECIPIENT", description = "The envelope recipient, for r: patterns.")
    String to = "";

    @Option(names = "--var", paramLabel = "NAME[=VALUE]",
            description = "A variable that is set (as tcprules or dnsblenv would set it), for v lines; repeatable. "
                    + "Without =VALUE it is set to the empty string.")
    List<String> variables = new ArrayList<>();

    @Option(names = {"--behaviour", "--behavior"}, paramLabel = "KEYWORD", split = ",",
            description = "A behaviour the client showed, for b lines: greetdelay, retryinterval, commanderrors; "
                    + "repeatable or comma-separated.")
    List<String> behaviours = new ArrayList<>();

    @Option(names = "--as", paramLabel = "PROGRAM",
            description = "The program whose decision to explain: greylited (the default), greylite, greylite-policy or "
                    + "greydaemon. greydaemon is told no PTR name and no HELO, so r lines and h: patterns cannot be "
                    + "evaluated and do not match (--ptr and --helo are refused); neither it nor greylite-policy sees a "
                    + "variable (--var is refused) or a behaviour but retryinterval.")
    String as = ExplainedProgram.GREYLITED.command();

    @Option(names = "--json", description = "Print one JSON object instead of the explanation.")
    boolean json;

    @Override
    public Integer call() {
        ClientFacts facts = facts();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        SuspicionFile rules = parent.load(file, err, p -> err.println("warning: " + p));
        if (rules == null) {
            return GreyliteCtl.TROUBLE;
        }

        String skipped = GreylistingSkip.reason(facts, knownSenders(err));
        if (skipped != null) {
            // The engine accepts at once and never reads the file for this RCPT: the file's N would be no refusal at all.
            if (json) {
                out.println("{\"line\": null, \"attempts\": 0, \"rule\": null, \"suspicious\": false, \"skipped\": "
                        + Json.string(skipped) + ", \"lines\": []}");
            } else {
                out.println(ClientText.printable(describe(facts)));
                out.println(ClientText.printable("verdict: not greylisted: " + skipped
                        + ", so the mail is accepted at once (N = 0) and the suspicion file is not consulted"));
            }
            out.flush();
            return 0;
        }
        Explanation explanation = rules.explain(facts);
        if (json) {
            out.println(json(explanation));
        } else {
            // The facts come from the command line, often pasted from a log: shown as any text from outside.
            out.println(ClientText.printable(describe(facts)));
            explanation.format().lines().forEach(l -> out.println(ClientText.printable(l)));
        }
        out.flush();
        return 0;
    }

    /**
     * The known senders the wrapper loads from the same environment (the shipped list unless
     * GREYLITE_NO_SHIPPED_WHITELIST, and GREYLITE_WHITELIST_FILES); as there, a list that cannot be read is said and
     * left out.
     */
    private KnownSenders knownSenders(PrintWriter err) {
        try {
            KnownSenders known = KnownSendersEnvironment.knownSenders(parent.root.env(), org.greylite.settings.Program.GREYLITECTL);
            known.problems().forEach(p -> err.println("warning: known senders: " + p));
            return known;
        } catch (IOException | IllegalArgumentException e) {
            err.println("warning: known senders not loaded: " + e.getMessage());
            return KnownSenders.NONE;
        }
    }

    /** The explanation as one object: the verdict, then every line tried with what it said and why. */
    private static String json(Explanation explanation) {
        Suspicion result = explanation.result();
        StringBuilder b = new StringBuilder();
        b.append("{\"line\": ").append(result.rule() == null ? "null" : Integer.toString(result.rule().line()))
                .append(", \"attempts\": ").append(result.refusals())
                .append(", \"rule\": ").append(Json.string(result.rule() == null ? null : result.rule().text()))
                .append(", \"suspicious\": ").append(result.suspicious())
                .append(", \"skipped\": null")
                .append(", \"lines\": [");
        String separator = "";
        for (LineExplanation l : explanation.lines()) {
            b.append(separator).append("{\"line\": ").append(l.line().line())
                    .append(", \"rule\": ").append(Json.string(l.line().text()))
                    .append(", \"outcome\": ").append(Json.string(l.outcome().words()))
                    .append(", \"reason\": ").append(Json.string(l.reason())).append('}');
            separator = ", ";
        }
        return b.append("]}").toString();
    }

    private ClientFacts facts() {
        ExplainedProgram program = program();
        String typed = LoggedAddress.unbracketed(ip);
        if (IpLiteral.parse(typed).isEmpty()) {
            throw new ParameterException(spec.commandLine(), "--ip wants an IPv4 or IPv6 address, not '" + ip + "'");
        }
        String address = Cidr.canonical(typed); // as the engine shows it to the rules: 2001:db8::1, however typed
        Map<String, String> vars = new LinkedHashMap<>();
        if (!program.seesVariables() && !variables.isEmpty()) {
            throw new ParameterException(spec.commandLine(), "--var: no variable reaches " + program.command()
                    + "'s rules, so its v lines never match; leave --var out");
        }
        for (String v : variables) {
            int equals = v.indexOf('=');
            String name = equals < 0 ? v : v.substring(0, equals);
            if (!VARIABLE_NAME.matcher(name).matches()) {
                throw new ParameterException(spec.commandLine(), "--var wants NAME or NAME=VALUE, not '" + v + "'");
            }
            vars.put(name, equals < 0 ? "" : v.substring(equals + 1));
        }
        EnumSet<Behaviour> shown = EnumSet.noneOf(Behaviour.class);
        for (String keyword : behaviours) {
            Optional<Behaviour> b = Behaviour.fromKeyword(keyword.trim().toLowerCase(Locale.ROOT));
            if (b.isEmpty()) {
                throw new ParameterException(spec.commandLine(), "unknown behaviour '" + keyword + "'; known: "
                        + EnumSet.allOf(Behaviour.class).stream().map(Behaviour::keyword).collect(Collectors.joining(", ")));
            }
            if (!program.sees(b.get())) {
                throw new ParameterException(spec.commandLine(), "--behaviour: " + program.command()
                        + " never sees a client show " + b.get().keyword() + "; of the behaviours it sees only retryinterval");
            }
            shown.add(b.get());
        }
        if (!program.namesKnown()) {
            if (!ptr.isBlank() || !helo.isBlank()) {
                throw new ParameterException(spec.commandLine(), program.command() + " is told no PTR name and no HELO,"
                        + " so its r lines and h: patterns cannot be evaluated; leave --ptr and --helo out");
            }
            return keyed(ClientFacts.withoutNames(address, address("--from", from), address("--to", to), vars, shown));
        }
        return keyed(new ClientFacts(address, PtrName.compared(ptr), helo.trim(), address("--from", from),
                address("--to", to), vars, shown));
    }

    /** The facts with the addresses also as the engine keys them, as it hands them to the rules (senders normalised). */
    private static ClientFacts keyed(ClientFacts f) {
        return f.withKeys(KeyedAddress.sender(f.sender(), true), KeyedAddress.recipient(f.recipient()));
    }

    private ExplainedProgram program() {
        ExplainedProgram program = ExplainedProgram.named(as.trim());
        if (program == null) {
            throw new ParameterException(spec.commandLine(), "--as wants greylited, greylite, greylite-policy or"
                    + " greydaemon, not '" + as + "'");
        }
        return program;
    }

    /**
     * The address of {@code --from} or {@code --to}, without its brackets. Anything after it (a MAIL FROM's
     * {@code SIZE=}, a RCPT's {@code NOTIFY=}, pasted with the address) is refused: taken as part of the address,
     * it made s: and r: patterns fail that the engine, which sees the address alone, matches. A blank inside a
     * quoted local part ({@code "john doe"@example.org}) belongs to the address.
     */
    private String address(String option, String given) {
        String a = unbracket(given);
        boolean quoted = false;
        for (int i = 0; i < a.length(); i++) {
            char c = a.charAt(i);
            if (c == '\\' && quoted) {
                i++;
            } else if (c == '"') {
                quoted = !quoted;
            } else if (!quoted && Character.isWhitespace(c)) {
                throw new ParameterException(spec.commandLine(), option + " takes the address alone, not '" + given
                        + "': leave out what follows it (SMTP parameters such as SIZE= are not part of it)");
            }
        }
        return MailboxPath.canonical(a); // as the engine hands it to the rules
    }

    /** Addresses may be written as in SMTP, {@code <a@example.org>}; the rules see them without brackets. */
    private static String unbracket(String address) {
        String a = address.trim();
        return a.startsWith("<") && a.endsWith(">") ? a.substring(1, a.length() - 1) : a;
    }

    private static String describe(ClientFacts f) {
        return "client " + f.address()
                + (f.namesKnown() ? ", PTR " + orNone(f.ptrName()) + ", HELO " + orNone(f.helo())
                        : ", PTR and HELO not known (greydaemon is told neither)")
                + ", from <" + f.sender() + ">, to <" + f.recipient() + ">"
                + ", variables " + (f.variables().isEmpty() ? "none" : f.variables().entrySet().stream()
                        .sorted(Map.Entry.comparingByKey())
                        .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(" ")))
                + ", behaviours " + (f.behaviours().isEmpty() ? "none" : f.behaviours().stream()
                        .sorted().map(Behaviour::keyword).collect(Collectors.joining(" ")));
    }

    private static String orNone(String s) {
        return s.isEmpty() ? "none" : s;
    }
}
