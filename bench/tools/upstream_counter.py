#!/usr/bin/env python3
"""A stand-in upstream SMTP server that only counts the connections it accepts.

    upstream_counter.py --port P --count-file FILE [--max-seconds 600]

Listens on 127.0.0.1:P.  Every accepted connection is counted, answered "421" and closed.  The
count is kept in --count-file (rewritten at every accept, "0" from the start), so that a caller can
read it at any moment; it is also printed on exit (SIGTERM, SIGINT or --max-seconds).
"""
import argparse
import os
import selectors
import signal
import socket
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--count-file", required=True)
    ap.add_argument("--max-seconds", type=float, default=600)
    a = ap.parse_args()

    count = 0

    def save():
        with open(a.count_file + ".tmp", "w") as f:
            f.write("%d\n" % count)
        os.replace(a.count_file + ".tmp", a.count_file)

    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))

    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", a.port))
    srv.listen(1024)
    srv.setblocking(False)
    save()
    sel = selectors.DefaultSelector()
    sel.register(srv, selectors.EVENT_READ)
    end = time.monotonic() + a.max_seconds
    while not stop and time.monotonic() < end:
        for _ in sel.select(timeout=0.2):
            while True:
                try:
                    c, _ = srv.accept()
                except (BlockingIOError, InterruptedError):
                    break
                count += 1
                try:
                    c.setblocking(False)
                    c.send(b"421 4.3.2 bench counter: no service\r\n")
                except OSError:
                    pass
                c.close()
                save()
    srv.close()
    save()
    print("upstream connections accepted: %d" % count)
    sys.exit(0)


if __name__ == "__main__":
    main()
