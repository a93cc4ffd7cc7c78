package org.greylite.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;

import org.greylite.suspicion.ClientFacts;
import org.greylite.suspicion.Suspicion;
import org.greylite.suspicion.SuspicionFile;
import org.greylite.suspicion.geoip.CountryLocator;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * A suspicion file as an administrator might mistype it, evaluated for a client made of arbitrary text: loading
 * never fails (a bad line is a problem with its file and line number), and neither does evaluating, whatever the
 * regular expressions and the client's names hold.
 */
class SuspicionFileFuzzTest {

    /**
     * The client's names are kept short: the administrator's regular expressions are trusted (a pattern such as
     * {@code (a*)*b} backtracks exponentially on a long name, as in grep), and the target is the file's loader and
     * the evaluator, not the administrator's choice of patterns.
     */
    private static final int SHORT = 12;

    @FuzzTest(maxDuration = "3s")
    void anyFileLoadsAndEvaluates(FuzzedDataProvider data) {
        String ptr = data.consumeString(SHORT);
        String helo = data.consumeString(SHORT);
        String sender = data.consumeString(SHORT);
        String recipient = data.consumeString(SHORT);
        String variable = data.consumeString(16);
        List<String> lines = data.consumeRemainingAsString().lines().toList();
        SuspicionFile file = SuspicionFile.parse("suspicion", lines, CountryLocator.NONE);
        file.problems().forEach(p -> assertTrue(p.toString().startsWith("suspicion:"), p.toString()));
        assertTrue(file.ruleCount() <= lines.size());
        ClientFacts facts = new ClientFacts("192.0.2.7", ptr, helo, sender, recipient,
                Map.of(variable.isEmpty() ? "X" : variable, "1"), Set.of());
        Suspicion s = file.evaluate(facts);
        assertTrue(s.refusals() >= 0, "N " + s.refusals());
        assertEquals(s.rule() != null, s.suspicious());
    }
}
