#!/usr/bin/env python3
"""Opens many idle TCP connections to one address, holds them, then closes them.

Used by bench/run.sh to check that greylited holds thousands of clients in its greeting delay
cheaply.  It never sends a byte: each connection only waits.

    idle_clients.py --port P [--host 127.0.0.1] [--count 5000] [--hold 5] [--deadline 8]
                    [--ready-file FILE] [--release-file FILE]

* --count connections are opened (non-blocking, --rate per second, at most --batch connects
  outstanding at a time, within --open-timeout seconds).
* Then they are held for --hold seconds after the last one connected, but never later than
  --deadline seconds after the first one connected (the caller sets it below the greeting delay).
* --ready-file: written ("held N") once every connection is up, so the caller can take its
  measurements while they are held; the hold then also lasts until --release-file exists (if given)
  or the hold time is over, whichever comes last, still bounded by --deadline.
* Just before closing, every connection is checked without blocking: still open with nothing
  received (the expected state inside a greeting delay), closed by the server, or received data.

Prints one summary line, "key=value" pairs, and exits 0 when every connection was opened and still
open and silent at the end, 1 otherwise.
"""
import argparse
import errno
import os
import selectors
import socket
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--count", type=int, default=5000)
    ap.add_argument("--hold", type=float, default=5.0)
    ap.add_argument("--deadline", type=float, default=8.0)
    ap.add_argument("--open-timeout", type=float, default=4.0)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--rate", type=float, default=4000.0)
    ap.add_argument("--ready-file")
    ap.add_argument("--release-file")
    a = ap.parse_args()
    if a.host not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("idle_clients: loopback targets only")
    if not 0 < a.count <= 100000:
        sys.exit("idle_clients: --count must be between 1 and 100000")

    sel = selectors.DefaultSelector()
    pending = {}
    socks = []
    failed = 0
    t_start = time.monotonic()
    # Connects are paced (--rate per second, at most --batch outstanding), so that the server's
    # accept queue does not overflow: an overflow costs a retransmission, a second or more.
    started = 0
    first_connected = None
    limit = t_start + a.open_timeout
    while (started < a.count or pending) and time.monotonic() < limit:
        allowed = a.rate * (time.monotonic() - t_start) + a.batch
        while started < a.count and len(pending) < a.batch and started < allowed:
            started += 1
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            try:
                rc = s.connect_ex((a.host, a.port))
            except OSError:
                s.close()
                failed += 1
                continue
            if rc == 0:
                socks.append(s)
                if first_connected is None:
                    first_connected = time.monotonic()
            elif rc in (errno.EINPROGRESS, errno.EAGAIN):
                sel.register(s, selectors.EVENT_WRITE)
                pending[s.fileno()] = s
            else:
                s.close()
                failed += 1
        for key, _ in sel.select(timeout=max(0.0, min(0.01, limit - time.monotonic()))):
            s = key.fileobj
            sel.unregister(s)
            del pending[s.fileno()]
            err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err == 0:
                socks.append(s)
                if first_connected is None:
                    first_connected = time.monotonic()
            else:
                s.close()
                failed += 1
    for s in list(pending.values()):
        sel.unregister(s)
        s.close()
        failed += 1
    failed += a.count - started
    t_open = time.monotonic()
    open_seconds = t_open - t_start
    if first_connected is None:
        first_connected = t_open

    if a.ready_file:
        with open(a.ready_file + ".tmp", "w") as f:
            f.write("held %d\n" % len(socks))
        os.replace(a.ready_file + ".tmp", a.ready_file)

    # Hold: hold seconds after the last connect (and until released), bounded by the deadline.
    hard_end = first_connected + a.deadline
    want_end = t_open + a.hold
    while True:
        now = time.monotonic()
        if now >= hard_end:
            break
        released = not a.release_file or os.path.exists(a.release_file)
        if now >= want_end and released:
            break
        time.sleep(0.05)
    held_seconds = time.monotonic() - t_open

    open_silent = closed = got_data = 0
    for s in socks:
        try:
            data = s.recv(1, socket.MSG_DONTWAIT | socket.MSG_PEEK)
            if data:
                got_data += 1
            else:
                closed += 1
        except BlockingIOError:
            open_silent += 1
        except OSError:
            closed += 1
    for s in socks:
        s.close()
    print("opened=%d failed=%d open_seconds=%.2f held_seconds=%.2f open_silent=%d closed_by_server=%d "
          "got_data=%d" % (len(socks), failed, open_seconds, held_seconds, open_silent, closed, got_data))
    sys.exit(0 if open_silent == a.count else 1)


if __name__ == "__main__":
    main()
