#!/usr/bin/python3
"""Regenerate the DNS seeds: tests/fuzz/corpus/dns (a settings byte, then a
UDP payload) and one WD_EV_DNS record followed by a connect it names in
tests/fuzz/corpus/record (layouts of include/wd_abi.h)."""
import os
import socket
import struct

import gen_corpus as rec

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus", "dns")


def name(s):
    return b"".join(bytes([len(l)]) + l.encode() for l in s.split(".")) + b"\0"


def head(an, flags=0x8180, qd=1):
    return struct.pack(">HHHHHH", 0x1234, flags, qd, an, 0, 0)


def rr(owner, typ, ttl, rdata):
    return owner + struct.pack(">HHIH", typ, 1, ttl, len(rdata)) + rdata


def question(q, typ=1):
    return name(q) + struct.pack(">HH", typ, 1)


CHAIN = (head(3) + question("svc.example")
         + rr(b"\xc0\x0c", 5, 300, name("edge.example"))
         + rr(b"\xc0\x29", 5, 60, b"\x03cdn\xc0\x2e")
         + rr(b"\xc0\x43", 1, 120, socket.inet_aton("192.0.2.7")))
SEEDS = {
    "chain": CHAIN,
    "aaaa": head(1) + question("six.example", 28)
    + rr(b"\xc0\x0c", 28, 30, socket.inet_pton(socket.AF_INET6, "2001:db8::1")),
    "loop": head(1) + question("a.example") + b"\xc0\x1b"
    + struct.pack(">HHIH", 1, 1, 30, 4) + b"\x01\x02\x03\x04",
    "forward": head(1) + question("a.example") + b"\xc0\x40" + name("a.example"),
    "truncated": CHAIN[:-3],
    "nxdomain": head(0, 0x8183) + question("nx.example"),
    "long": head(0) + b"\x01a" * 127 + b"\0" + struct.pack(">HH", 1, 1),
    "counts": head(9) + CHAIN[12:],
}
os.makedirs(OUT, exist_ok=True)
for n, payload in SEEDS.items():
    with open(os.path.join(OUT, n), "wb") as f:
        f.write(b"\x02" + payload)
with open(os.path.join(OUT, "cut"), "wb") as f:
    f.write(b"\x01" + CHAIN[:-3])

# A dns record (pid 300, netns 0) naming 192.0.2.7, then a connect to it.
data = CHAIN.ljust(512, b"\0")
body = struct.pack("<QQIIIIHHHH16sQ", 5, 3_000_000_000, 300, 0, 1000, len(CHAIN),
                   socket.AF_INET, 53, len(CHAIN), 0,
                   socket.inet_aton("127.0.0.53").ljust(16, b"\0"), 77) + CHAIN
dns_rec = struct.pack("<HHIQ", 8, 0, 16 + len(body), 4_000_000_000) + body
rec.write("dns", 0, rec.chunk(dns_rec),
          rec.chunk(rec.connect(1, socket.AF_INET, "192.0.2.7", 443, rec.tree)))
