#!/usr/bin/env python3
"""A tiny authoritative DNS responder on loopback, so that greylited's PTR lookups stay on this machine.

    stub_dns.py --port P [--stats-file FILE] [--max-seconds 900]

Answers over UDP on 127.0.0.1:P:
  * PTR for any 127.in-addr.arpa name  -> localhost.
  * A for localhost.                   -> 127.0.0.1 (so the PTR name is forward-confirmed)
  * anything else                      -> NXDOMAIN (or no data), with an SOA for negative caching
All with a TTL of one hour, so a resolver cache keeps them.  The number of queries answered is
written to --stats-file on exit (SIGTERM, SIGINT or --max-seconds) and printed.
"""
import argparse
import signal
import socket
import struct
import sys
import time

TTL = 3600
T_A, T_PTR, T_SOA, T_AAAA = 1, 12, 6, 28


def encode_name(name):
    out = b""
    for label in name.strip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode("ascii")
    return out + b"\x00"


def parse_question(msg):
    """(qname lower-case without the final dot, qtype, offset after the question) or None."""
    if len(msg) < 12:
        return None
    qdcount = struct.unpack("!H", msg[4:6])[0]
    if qdcount != 1:
        return None
    i, labels = 12, []
    while True:
        if i >= len(msg):
            return None
        n = msg[i]
        if n == 0:
            i += 1
            break
        if n & 0xC0:
            return None
        labels.append(msg[i + 1:i + 1 + n].decode("ascii", "replace"))
        i += 1 + n
    if i + 4 > len(msg):
        return None
    qtype = struct.unpack("!H", msg[i:i + 2])[0]
    return ".".join(labels).lower(), qtype, i + 4


def rr(rtype, rdata):
    # Owner: a pointer to the question's name at offset 12.
    return b"\xc0\x0c" + struct.pack("!HHIH", rtype, 1, TTL, len(rdata)) + rdata


def soa():
    rdata = encode_name("localhost") + encode_name("hostmaster.localhost") + struct.pack("!IIIII", 1, 3600, 600, 86400, TTL)
    return rr(T_SOA, rdata)


def answer(msg):
    q = parse_question(msg)
    if q is None:
        return None
    name, qtype, end = q
    qid, flags = struct.unpack("!HH", msg[0:4])
    rd = flags & 0x0100
    answers, authority, rcode = [], [], 0
    if name == "localhost":
        if qtype == T_A:
            answers.append(rr(T_A, socket.inet_aton("127.0.0.1")))
        else:
            authority.append(soa())
    elif name.endswith(".127.in-addr.arpa") or name == "127.in-addr.arpa":
        if qtype == T_PTR and name.count(".") == 5:
            answers.append(rr(T_PTR, encode_name("localhost")))
        else:
            authority.append(soa())
    else:
        rcode = 3
        authority.append(soa())
    header = struct.pack("!HHHHHH", qid, 0x8000 | 0x0400 | rd | 0x0080 | rcode, 1, len(answers), len(authority), 0)
    return header + msg[12:end] + b"".join(answers) + b"".join(authority)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--stats-file")
    ap.add_argument("--max-seconds", type=float, default=900)
    a = ap.parse_args()
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", a.port))
    s.settimeout(0.2)
    queries = 0
    end = time.monotonic() + a.max_seconds
    while not stop and time.monotonic() < end:
        try:
            msg, peer = s.recvfrom(4096)
        except socket.timeout:
            continue
        except InterruptedError:
            continue
        reply = answer(msg)
        if reply is not None:
            queries += 1
            s.sendto(reply, peer)
    s.close()
    if a.stats_file:
        with open(a.stats_file, "w") as f:
            f.write("%d\n" % queries)
    print("dns queries answered: %d" % queries)
    sys.exit(0)


if __name__ == "__main__":
    main()
