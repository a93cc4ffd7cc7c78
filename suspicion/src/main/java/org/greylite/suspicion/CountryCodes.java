package org.greylite.suspicion;

import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The codes a GeoIP database can give for an address, so that a {@code g} line naming any other is refused where the
 * administrator sees it ({@code suspicion check}, the start's warnings) instead of loading and never matching:
 * {@code g UK} is the usual case, since the databases place British addresses in {@code GB}.
 *
 * <p>Known: ISO 3166-1's current codes, the former ones of ISO 3166-3 (a legacy database may still give {@code YU} or
 * {@code AN}), MaxMind's {@code XK} (Kosovo), and the legacy databases' pseudo-countries ({@code A1} anonymous proxy,
 * {@code A2} satellite provider, {@code O1} other, {@code AP} Asia/Pacific, {@code EU} Europe).
 */
final class CountryCodes {

    /** Codes people write for a country whose ISO code is another one. */
    private static final Map<String, String> USUAL_MISTAKES = Map.of("UK", "GB", "EL", "GR");

    private static final Set<String> KNOWN = known();

    private CountryCodes() {
    }

    /** Why {@code code} (two characters, upper case) is not one a GeoIP database gives, or empty when it is. */
    static Optional<String> problem(String code) {
        if (KNOWN.contains(code)) {
            return Optional.empty();
        }
        String instead = USUAL_MISTAKES.get(code);
        return Optional.of("'" + code + "' is no country code a GeoIP database gives"
                + (instead == null ? " (ISO 3166-1, such as IT or DE)" : ": write " + instead));
    }

    private static Set<String> known() {
        Set<String> codes = new HashSet<>(Locale.getISOCountries(Locale.IsoCountryCode.PART1_ALPHA2));
        for (String former : Locale.getISOCountries(Locale.IsoCountryCode.PART3)) {
            codes.add(former.substring(0, 2)); // ISO 3166-3 codes start with the alpha-2 code they replaced
        }
        codes.addAll(Set.of("XK", "A1", "A2", "O1", "AP", "EU"));
        return Set.copyOf(codes);
    }
}
