package org.greylite.daemon;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;

import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * Serves the metrics in the Prometheus text format at {@code http://HOST:PORT/metrics} (the JDK's HTTP
 * server, on its own small pool of daemon threads, apart from the SMTP I/O threads).
 */
final class MetricsEndpoint implements AutoCloseable {

    private final HTTPServer server;
    private final InetSocketAddress address;

    private MetricsEndpoint(HTTPServer server, InetSocketAddress address) {
        this.server = server;
        this.address = address;
    }

    static MetricsEndpoint start(InetSocketAddress at, PrometheusRegistry registry) {
        try {
            HTTPServer s = HTTPServer.builder()
                    .inetAddress(at.getAddress())
                    .port(at.getPort())
                    .registry(registry)
                    .buildAndStart();
            return new MetricsEndpoint(s, new InetSocketAddress(at.getAddress(), s.getPort()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serve metrics on " + ProxyServer.hostPort(at) + ": " + e.getMessage(), e);
        }
    }

    /** The address bound (its port is known here when 0 was asked for). */
    InetSocketAddress address() {
        return address;
    }

    String url() {
        return "http://" + ProxyServer.hostPort(address) + "/metrics";
    }

    @Override
    public void close() {
        server.close();
    }
}
