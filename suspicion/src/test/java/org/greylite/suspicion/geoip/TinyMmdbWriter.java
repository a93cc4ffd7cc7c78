package org.greylite.suspicion.geoip;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes small MaxMind DB files for tests, following the published MaxMind DB format 2.0: a binary search
 * tree of 24-bit records, 16 zero bytes, the data section, then the metadata marker and metadata map.
 * Supports the data types tests need: strings, maps, arrays, unsigned integers.
 */
final class TinyMmdbWriter {

    private static final class Node {
        Object[] children = new Object[2]; // Node, Integer (data offset) or null
        int index;
    }

    private final int ipVersion;
    private final Node root = new Node();
    private final ByteArrayOutputStream data = new ByteArrayOutputStream();

    TinyMmdbWriter(int ipVersion) {
        this.ipVersion = ipVersion;
    }

    /**
     * Adds a network. In an IPv6 tree an IPv4 network goes under {@code ::/96}, where readers look IPv4
     * addresses up.
     */
    TinyMmdbWriter add(String network, Map<String, ?> record) {
        String[] parts = network.split("/");
        byte[] address = IpAddresses.parse(parts[0]);
        int length = Integer.parseInt(parts[1]);
        if (ipVersion == 6 && address.length == 4) {
            byte[] wide = new byte[16];
            System.arraycopy(address, 0, wide, 12, 4);
            address = wide;
            length += 96;
        }
        if (ipVersion == 4 && address.length != 4) {
            throw new IllegalArgumentException("IPv6 network in an IPv4 tree: " + network);
        }
        int offset = data.size();
        encode(data, record);
        Node node = root;
        for (int i = 0; i < length; i++) {
            int bit = (address[i >> 3] >> (7 - (i & 7))) & 1;
            if (i == length - 1) {
                node.children[bit] = offset;
            } else {
                if (!(node.children[bit] instanceof Node)) {
                    node.children[bit] = new Node();
                }
                node = (Node) node.children[bit];
            }
        }
        return this;
    }

    byte[] build() {
        List<Node> nodes = new ArrayList<>();
        number(root, nodes);
        int nodeCount = nodes.size();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Node node : nodes) {
            for (Object child : node.children) {
                long record;
                if (child instanceof Node n) {
                    record = n.index;
                } else if (child instanceof Integer offset) {
                    record = nodeCount + 16L + offset;
                } else {
                    record = nodeCount; // no data
                }
                out.write((int) (record >> 16));
                out.write((int) (record >> 8));
                out.write((int) record);
            }
        }
        out.writeBytes(new byte[16]);
        out.writeBytes(data.toByteArray());
        out.writeBytes(GeoIpDatabases.MMDB_MARKER);
        Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put("binary_format_major_version", new Uint(5, 2));
        metadata.put("binary_format_minor_version", new Uint(5, 0));
        metadata.put("build_epoch", new Uint(9, 1_700_000_000L));
        metadata.put("database_type", "Greylite-Test-Country");
        metadata.put("description", Map.of("en", "test database"));
        metadata.put("ip_version", new Uint(5, ipVersion));
        metadata.put("languages", List.of("en"));
        metadata.put("node_count", new Uint(6, nodeCount));
        metadata.put("record_size", new Uint(5, 24));
        encode(out, metadata);
        return out.toByteArray();
    }

    private static void number(Node node, List<Node> nodes) {
        node.index = nodes.size();
        nodes.add(node);
        for (Object child : node.children) {
            if (child instanceof Node n) {
                number(n, nodes);
            }
        }
    }

    /** An unsigned integer of a given MaxMind DB type: 5 uint16, 6 uint32, 9 uint64. */
    record Uint(int type, long value) {
    }

    private static void encode(ByteArrayOutputStream out, Object value) {
        if (value instanceof String s) {
            byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
            control(out, 2, bytes.length);
            out.writeBytes(bytes);
        } else if (value instanceof Map<?, ?> map) {
            control(out, 7, map.size());
            for (Map.Entry<?, ?> e : map.entrySet()) {
                encode(out, (String) e.getKey());
                encode(out, e.getValue());
            }
        } else if (value instanceof List<?> list) {
            control(out, 11, list.size());
            for (Object item : list) {
                encode(out, item);
            }
        } else if (value instanceof Uint u) {
            byte[] bytes = BigInteger.valueOf(u.value()).toByteArray();
            int skip = bytes[0] == 0 && bytes.length > 1 ? 1 : 0;
            int length = u.value() == 0 ? 0 : bytes.length - skip;
            control(out, u.type(), length);
            out.write(bytes, skip, length);
        } else {
            throw new IllegalArgumentException("unsupported value " + value);
        }
    }

    private static void control(ByteArrayOutputStream out, int type, int size) {
        int typeBits = type <= 7 ? type : 0;
        if (size < 29) {
            out.write(typeBits << 5 | size);
            extended(out, type);
        } else if (size < 29 + 256) {
            out.write(typeBits << 5 | 29);
            extended(out, type);
            out.write(size - 29);
        } else {
            int rest = size - 285;
            out.write(typeBits << 5 | 30);
            extended(out, type);
            out.write(rest >> 8);
            out.write(rest);
        }
    }

    private static void extended(ByteArrayOutputStream out, int type) {
        if (type > 7) {
            out.write(type - 7);
        }
    }
}
