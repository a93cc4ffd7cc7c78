#!/usr/bin/env python3
"""A loopback UDP DNS proxy that loses a set share of queries, as a lossy network or a resolver dropping
packets under load does.

    lossy_dns.py --port P --upstream PORT [--drop 0.02] [--seed 1] [--stats-file FILE] [--max-seconds 7200]

Listens on 127.0.0.1:P. Each query is dropped with probability --drop (a seeded generator, so two runs
lose the same queries); the others go to 127.0.0.1:PORT from a socket of their own (so that answers find
their client whatever the query's ID) and the answer is sent back. "received N dropped M" is written to
--stats-file on exit (SIGTERM, SIGINT or --max-seconds) and printed.
"""
import argparse
import random
import selectors
import signal
import socket
import sys
import time

ANSWER_WAIT = 5.0  # seconds an upstream socket waits for its answer


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--upstream", type=int, required=True)
    p.add_argument("--drop", type=float, default=0.02)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--stats-file")
    p.add_argument("--max-seconds", type=float, default=7200)
    a = p.parse_args()
    if not 0 <= a.drop < 1:
        sys.exit("lossy_dns.py: --drop must be at least 0 and below 1, not %s" % a.drop)

    rng = random.Random(a.seed)
    sel = selectors.DefaultSelector()
    front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    front.bind(("127.0.0.1", a.port))
    front.setblocking(False)
    sel.register(front, selectors.EVENT_READ, None)
    pending = {}  # upstream socket -> (client address, deadline)
    counts = {"received": 0, "dropped": 0}
    stop = []

    def finish(*_):
        stop.append(True)

    signal.signal(signal.SIGTERM, finish)
    signal.signal(signal.SIGINT, finish)
    end = time.monotonic() + a.max_seconds

    while not stop and time.monotonic() < end:
        for key, _ in sel.select(timeout=0.5):
            if key.data is None:
                try:
                    query, client = front.recvfrom(4096)
                except BlockingIOError:
                    continue
                counts["received"] += 1
                if rng.random() < a.drop:
                    counts["dropped"] += 1
                    continue
                up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                up.setblocking(False)
                up.sendto(query, ("127.0.0.1", a.upstream))
                pending[up] = (client, time.monotonic() + ANSWER_WAIT)
                sel.register(up, selectors.EVENT_READ, "upstream")
            else:
                up = key.fileobj
                try:
                    answer = up.recv(4096)
                    front.sendto(answer, pending[up][0])
                except OSError:
                    pass
                sel.unregister(up)
                up.close()
                del pending[up]
        now = time.monotonic()
        for up in [u for u, (_, deadline) in pending.items() if deadline < now]:
            sel.unregister(up)
            up.close()
            del pending[up]

    line = "received %d dropped %d" % (counts["received"], counts["dropped"])
    if a.stats_file:
        with open(a.stats_file, "w") as f:
            f.write(line + "\n")
    print(line)


if __name__ == "__main__":
    main()
