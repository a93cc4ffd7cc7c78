import socket, time, sys
def go(first, later, ip):
    s=socket.create_connection(('127.0.0.1',12528)); s.settimeout(3)
    s.sendall(first)
    for l in later:
        time.sleep(2); s.sendall(l)
    time.sleep(1)
    out=b''
    try:
        while True:
            d=s.recv(1000)
            if not d: break
            out+=d
    except Exception as e: pass
    print(out.decode())
go(b'PROXY TCP4 10.1.1.1 127.0.0.1 1234 25\r\n', [b'EHLO x\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<p1@d.e>\r\nQUIT\r\n'], 1)
go(b'PROXY TCP4 10.2.2.2 127.0.0.1 1234 25\r\nEHLO x\r\n', [b'MAIL FROM:<a@b.c>\r\nRCPT TO:<p1@d.e>\r\nQUIT\r\n'], 2)
go(b'PROXY TCP4 10.3.3.3 127.0.0.1 1234 25\r\n', [], 3)
