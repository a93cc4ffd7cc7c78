package org.greylite.suspicion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import org.greylite.suspicion.SuspicionFileTest.Client;
import org.greylite.suspicion.geoip.CountryLocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The example suspicion files in {@code examples/suspicion} load cleanly and say what their comments say. */
class ExampleFilesTest {

    /** Maven runs the tests in the module's directory. */
    private static final Path EXAMPLES = Path.of("..", "examples", "suspicion");

    private static SuspicionFile load(String name, CountryLocator geo) throws IOException {
        return SuspicionFile.load(EXAMPLES.resolve(name), geo);
    }

    /** An address the test GeoIP database places in Italy. */
    private static final String ITALIAN = "151.1.1.1";

    private static Client client() {
        return SuspicionFileTest.client();
    }

    /** "N by: line text", or "default" when no line matched. */
    private static String decision(SuspicionFile file, Client client) {
        Suspicion s = file.evaluate(client.facts());
        return s.rule() == null ? "default" : s.refusals() + " by: " + s.rule().text();
    }

    @ParameterizedTest
    @ValueSource(strings = {"small-office.suspicion", "busy-mx.suspicion", "greylite-manpage.suspicion"})
    void loadsWithoutProblems(String name) throws IOException {
        SuspicionFile file = load(name, SuspicionFileTest.GEO);
        assertEquals(List.of(), file.problems());
        assertTrue(file.ruleCount() >= 5);
        assertSame(Suspicion.NONE, file.evaluate(client().address(ITALIAN).facts()),
                "an ordinary client gets the default");
    }

    @Test
    void smallOffice() throws IOException {
        SuspicionFile file = load("small-office.suspicion", null);
        assertEquals("0 by: 0 e r:^postmaster@ r:^abuse@",
                decision(file, client().recipient("Postmaster@example.net").showed(Behaviour.GREETDELAY)));
        assertEquals("0 by: 0 e s:@accountant\\.example$ s:@supplier\\.example$",
                decision(file, client().sender("invoices@accountant.example")));
        assertEquals("100 by: 100 b greetdelay", decision(file, client().showed(Behaviour.GREETDELAY)));
        assertEquals("5 by: 5 v BLACKLISTED", decision(file, client().set("BLACKLISTED", "zen.spamhaus.org")));
        assertEquals("3 by: 3 r ^$", decision(file, client().ptr("")));
        assertEquals("3 by: 3 r (^|[.-])(dsl|adsl|dyn|dynamic|dialup|dhcp|pool|ppp|cable)[0-9]*[.-]",
                decision(file, client().ptr("adsl-81-2-69-160.isp.example")));
        assertEquals("default", decision(file, client().ptr("mail.dslreports.example")));
    }

    @Test
    void busyMx() throws IOException {
        SuspicionFile file = load("busy-mx.suspicion", SuspicionFileTest.GEO);
        Client italian = client().address(ITALIAN);
        assertEquals("default", decision(file, italian));
        assertEquals("0 by: 0 r \\.google\\.com$", decision(file, client().ptr("mail-ed1-f54.google.com")));
        assertEquals("default", decision(file, client().address(ITALIAN).ptr("mail.google.com.example")));
        assertEquals("0 by: 0 v DNSWL", decision(file, client().set("DNSWL", "list.dnswl.org").set("BLACKLISTED", "x")));
        assertEquals("100 by: 100 b greetdelay retryinterval", decision(file, client().showed(Behaviour.RETRYINTERVAL)));
        assertEquals("50 by: 50 e h:^localhost(\\.|$) h:^[0-9.]+$ h:^mx\\.example\\.net$",
                decision(file, client().helo("localhost.localdomain")));
        assertEquals("50 by: 50 e h:^localhost(\\.|$) h:^[0-9.]+$ h:^mx\\.example\\.net$",
                decision(file, client().helo("192.0.2.7")));
        assertEquals("default", decision(file, client().address(ITALIAN).helo("localhostmail.example")));
        assertEquals("10 by: 10 v BLACKLISTED", decision(file, client().set("BLACKLISTED", "bl.example")));
        assertEquals("25 by: 10 v BLACKLISTED", decision(file, client().set("BLACKLISTED", "25")));
        assertEquals("6 by: 6 r [0-9]{1,3}[.-][0-9]{1,3}[.-][0-9]{1,3}[.-][0-9]{1,3}",
                decision(file, client().ptr("81-2-69-160.dyn.isp.example")));
        assertEquals("6 by: 6 r [0-9]{1,3}-[0-9]{1,3}-[0-9]{1,3}",
                decision(file, client().ptr("host81-2-69.isp.example")));
        assertTrue(decision(file, client().ptr("cpe.dynamic.isp.example")).startsWith("5 by: 5 r (^|[.-])(dsl|"));
        assertEquals("4 by: 4 r ^$", decision(file, client().ptr("")));
        assertEquals("3 by: 3 g ! IT SM VA CH AT DE FR", decision(file, client().address("218.1.1.1")));
        assertEquals("default", decision(file, client().address("212.27.48.10")));
        assertEquals("default", decision(file, client().address("192.0.2.10")),
                "an address the database places in no country cannot be evaluated, and ! does not match it");
        assertEquals("3 by: 3 b commanderrors",
                decision(file, client().address(ITALIAN).showed(Behaviour.COMMANDERRORS)));
        assertEquals("2 by: 2 e s:^$", decision(file, client().address("151.1.1.1").sender("")));
    }

    @Test
    void busyMxWithoutGeoIpSkipsTheCountryLine() throws IOException {
        SuspicionFile file = load("busy-mx.suspicion", null);
        assertEquals("default", decision(file, client().address("218.1.1.1")));
    }

    @Test
    void greyliteManPage() throws IOException {
        SuspicionFile file = load("greylite-manpage.suspicion", null);
        assertEquals("0 by: 0 r \\.google\\.com$",
                decision(file, client().ptr("mail-yw1-f171.google.com").showed(Behaviour.GREETDELAY)));
        assertEquals("100 by: 100 b greetdelay retryinterval", decision(file, client().showed(Behaviour.GREETDELAY)));
        assertEquals("100 by: 100 b greetdelay retryinterval",
                decision(file, client().showed(Behaviour.RETRYINTERVAL).set("BLACKLISTED", "x")));
        assertEquals("10 by: 10 v BLACKLISTED", decision(file, client().set("BLACKLISTED", "zen.spamhaus.org")));
        assertEquals("6 by: 6 r [0-9]+[.-][0-9]+[.-][0-9]+[.-][0-9]+",
                decision(file, client().ptr("host-81.2.69.160.isp.example")));
        assertEquals("6 by: 6 r [0-9]{12}", decision(file, client().ptr("h081002069160.isp.example")));
        assertEquals("5 by: 5 r (^|[.-])(dsl|adsl|dyn|dynamic|pool|ppp|dhcp|dialup|cable)[0-9]*[.-]",
                decision(file, client().ptr("ppp12.isp.example")));
        assertEquals("3 by: 3 r ^$", decision(file, client().ptr("")));
        assertEquals("default", decision(file, client().ptr("smtp.university.example")));
    }
}
