#!/usr/bin/env python3
"""Memory per idle keep-alive connection of a running HTTP server (issue 10's "reported" figure).

    python3 bench/http_idle.py PID PORT [CONNECTIONS]

Opens CONNECTIONS (1000) connections to 127.0.0.1:PORT, sends one `GET /hello` on each and reads its
answer, so that every connection is an idle keep-alive one; then reads the server's resident memory
(/proc/PID/status VmRSS) and prints `http_idle_conn_kb` = (RSS with them - RSS before) / CONNECTIONS.
"""
import socket
import sys
import time


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise SystemExit(f"no VmRSS for pid {pid}")


def answered(sock):
    """Reads one response (headers + Content-Length body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            raise SystemExit("the server closed a connection before answering")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        body += sock.recv(4096)
    if not head.startswith(b"HTTP/1.1 200"):
        raise SystemExit(f"unexpected answer: {head[:80]!r}")


def main():
    pid, port = int(sys.argv[1]), int(sys.argv[2])
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
    before = rss_kb(pid)
    sockets = []
    request = b"GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        sock.sendall(request)
        answered(sock)
        sockets.append(sock)
    # The server's buffers settle once every connection is idle; take the larger of two readings.
    time.sleep(0.5)
    after = max(rss_kb(pid), rss_kb(pid))
    # Every connection must still be open (idle, not closed by the server).
    for sock in sockets[:10]:
        sock.sendall(request)
        answered(sock)
    for sock in sockets:
        sock.close()
    print(f"http_idle_conn_kb {(after - before) / count:.1f} KB")


if __name__ == "__main__":
    main()
