package org.greylite.testing;

import java.net.InetSocketAddress;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One {@link Dnsmasq} with its test zones for all the tests of a class, started before the first and stopped after
 * the last: {@code @RegisterExtension static final DnsmasqPerClass dns = new DnsmasqPerClass();}.
 */
public final class DnsmasqPerClass implements BeforeAllCallback, AfterAllCallback {

    private Dnsmasq dnsmasq;

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        dnsmasq = Dnsmasq.start();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (dnsmasq != null) {
            dnsmasq.close();
            dnsmasq = null;
        }
    }

    /** Where the running dnsmasq answers. */
    public InetSocketAddress address() {
        return dnsmasq.address();
    }
}
