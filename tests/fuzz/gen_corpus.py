#!/usr/bin/python3
"""Regenerate the record seeds in tests/fuzz/corpus/record (struct layouts of include/wd_abi.h)."""
import os
import socket
import struct

OUT = os.path.join(os.path.dirname(__file__), "corpus", "record")


def hdr(typ, size, ts=5_000_000_000):
    return struct.pack("<HHIQ", typ, 3, size, ts)


def proc(pid, ppid, uid, start, comm):
    return struct.pack("<QIIII16s", start, pid, ppid, uid, 0, comm)


def connect(typ, family, daddr, dport, tree, cookie=0, protocol=6, sport=0, error=0):
    addr = socket.inet_pton(family, daddr).ljust(16, b"\0")
    body = struct.pack("<QQIIIiHHHHI16s16s16sHH", 77, cookie, 0, tree[0][0], 1000, error,
                       family, sport, dport, len(tree), 0, b"\0" * 16, addr, b"app",
                       protocol, 0)
    body += b"".join(proc(*p) for p in tree)
    return hdr(typ, 16 + len(body)) + body


def proc_event(typ, pid, ppid, start, pstart, comm, data=b""):
    body = struct.pack("<QQIIIIIHH16s", start, pstart, pid, ppid, 1000, 1000, 0,
                       max(0, len(data) - 256), 0, comm) + data
    return hdr(typ, 16 + len(body)) + body


def chunk(rec, mode=0):
    return struct.pack("<BH", mode, len(rec)) + rec


def write(name, first, *recs):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(bytes([first]) + b"".join(recs))


tree = [(300, 100, 1000, 3_000_000_000, b"app"), (100, 1, 0, 1_000_000_000, b"sh"),
        (1, 0, 0, 10, b"init")]
exe = b"/usr/bin/curl".ljust(256, b"\0") + b"curl\0-s\0example.test\0"
os.makedirs(OUT, exist_ok=True)
write("connect4", 0, chunk(connect(1, socket.AF_INET, "192.0.2.7", 443, tree)))
write("connect6", 1, chunk(connect(1, socket.AF_INET6, "2001:db8::1", 80, tree[:1],
                                   error=-111)))
write("lifecycle", 4,
      chunk(proc_event(2, 400, 300, 4_000_000_000, 3_000_000_000, b"curl")),
      chunk(proc_event(3, 400, 300, 4_000_000_000, 0, b"curl", exe)),
      chunk(connect(1, socket.AF_INET, "198.51.100.1", 443,
                    [(400, 300, 1000, 4_000_000_000, b"curl")] + tree)),
      chunk(proc_event(4, 400, 300, 4_000_000_000, 0, b"curl"), 4))
write("listen", 2, chunk(connect(5, socket.AF_INET, "0.0.0.0", 0, tree, sport=8080)),
      chunk(connect(5, socket.AF_INET6, "::", 0, tree, sport=53, protocol=17)))
write("udp", 0,
      chunk(connect(6, socket.AF_INET, "192.0.2.53", 52, tree, cookie=99, protocol=17)),
      chunk(hdr(7, 24) + struct.pack("<Q", 99)),
      chunk(connect(6, socket.AF_INET6, "2001:db8::53", 53, tree, cookie=98, protocol=17),
            4))
