package org.greylite.suspicion;

import java.util.List;
import java.util.function.Function;

/**
 * {@code e}: space-separated {@code r:REGEX} (recipient), {@code s:REGEX} (sender) and {@code h:REGEX}
 * (HELO/EHLO name); holds when any pattern matches its field.
 *
 * <p>These patterns ignore case, as {@code r} lines do (an address's letters of every script, a HELO's ASCII
 * letters, as host names compare), where greylite 2.3 matched them case-sensitively: mail addresses compare case-insensitively (SPEC §3) and so do HELO host names, so
 * {@code s:@example\.com$} must catch {@code Bob@EXAMPLE.com}. An {@code r:} or {@code s:} pattern is tried on
 * the address as written and as the greydb keys it ({@link ClientFacts#senderKey}): a spelling must not earn
 * the triplet of an address a line protects. The sender is empty for the null sender ({@code s:^$} matches bounces); each
 * regular expression ends at the next space, so write a space inside one as {@code [[:space:]]}.
 */
final class EnvelopeRule implements Rule {

    /** The envelope fields a pattern can look at. */
    enum Field {
        RECIPIENT('r', "recipient", ClientFacts::recipient, ClientFacts::recipientKey),
        SENDER('s', "sender", ClientFacts::sender, ClientFacts::senderKey),
        HELO('h', "HELO name", ClientFacts::helo, ClientFacts::helo);

        final char prefix;
        final String label;
        private final Function<ClientFacts, String> value;
        private final Function<ClientFacts, String> keyed;

        Field(char prefix, String label, Function<ClientFacts, String> value, Function<ClientFacts, String> keyed) {
            this.prefix = prefix;
            this.label = label;
            this.value = value;
            this.keyed = keyed;
        }

        String valueOf(ClientFacts facts) {
            return value.apply(facts);
        }

        /** The field as the greydb keys it, when that differs from what was written; else null. */
        String keyedOf(ClientFacts facts) {
            String k = keyed.apply(facts);
            return k.equals(valueOf(facts)) ? null : k;
        }

        /** The field as written, and as keyed when that differs, for the administrator. */
        String shown(ClientFacts facts) {
            String k = keyedOf(facts);
            return Quoting.quote(valueOf(facts)) + (k == null ? "" : " (keyed as " + Quoting.quote(k) + ")");
        }

        /** Whether the program knows this field at all (greydaemon is told no HELO). */
        boolean knownIn(ClientFacts facts) {
            return this != HELO || facts.namesKnown();
        }

        static Field ofPrefix(char prefix) {
            for (Field f : values()) {
                if (f.prefix == prefix) {
                    return f;
                }
            }
            return null;
        }
    }

    /** One {@code X:REGEX} item. */
    record FieldPattern(Field field, EreMatcher regex) {
        /** Whether the pattern finds the field as written or as keyed. */
        boolean matches(ClientFacts facts) {
            if (regex.find(field.valueOf(facts))) {
                return true;
            }
            String keyed = field.keyedOf(facts);
            return keyed != null && regex.find(keyed);
        }

        @Override
        public String toString() {
            return field.prefix + ":" + regex.source();
        }
    }

    private final FieldPattern[] patterns;

    EnvelopeRule(List<FieldPattern> patterns) {
        this.patterns = patterns.toArray(FieldPattern[]::new);
    }

    @Override
    public LineOutcome test(Evaluation client) {
        ClientFacts facts = client.facts();
        boolean evaluable = true;
        for (FieldPattern p : patterns) {
            if (!p.field().knownIn(facts)) {
                evaluable = false; // another pattern may still match
                continue;
            }
            try {
                if (p.matches(facts)) {
                    return LineOutcome.MATCHED;
                }
            } catch (EreMatcher.TextTooLong e) {
                evaluable = false; // another pattern may still match
            }
        }
        return evaluable ? LineOutcome.NOT_MATCHED : LineOutcome.NOT_EVALUABLE;
    }

    @Override
    public String explain(Evaluation client) {
        ClientFacts facts = client.facts();
        String unevaluable = null;
        for (FieldPattern p : patterns) {
            if (!p.field().knownIn(facts)) {
                unevaluable = unevaluable != null ? unevaluable : p + " cannot be evaluated: the " + p.field().label
                        + " is not known here (greydaemon is told none)";
                continue;
            }
            try {
                if (p.matches(facts)) {
                    return p.field().label + " " + p.field().shown(facts) + " matches " + p;
                }
            } catch (EreMatcher.TextTooLong e) {
                unevaluable = unevaluable != null ? unevaluable : p + " cannot be evaluated on the " + p.field().label
                        + ": " + e.getMessage();
            }
        }
        if (unevaluable != null) {
            return unevaluable;
        }
        StringBuilder out = new StringBuilder(patterns.length == 1 ? "the pattern does not match" : "no pattern matches");
        String sep = " (";
        for (Field f : Field.values()) {
            for (FieldPattern p : patterns) {
                if (p.field() == f) {
                    out.append(sep).append(f.label).append(' ').append(f.shown(facts));
                    sep = ", ";
                    break;
                }
            }
        }
        return out.append(')').toString();
    }
}
