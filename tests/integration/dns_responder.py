"""A DNS responder for the tests (UDP, one socket): answers A and AAAA for
the names in ZONE, with CNAME chains and the TTLs given there; names ending
in .bad.whodunit.test get a hostile answer (a compression pointer loop).
Run inside a test-made network namespace: python3 dns_responder.py ADDR.
Prints "ready" once bound; answers until killed."""
import socket
import struct
import sys

# name -> (ttl, [cname targets...], {qtype: [rdata bytes...]}) of the last name
ZONE = {
    "svc.whodunit.test": (30, ["edge.whodunit.test", "host7.cdn.whodunit.test"],
                          {1: [socket.inet_aton("127.0.0.77")]}),
    "short.whodunit.test": (6, [], {1: [socket.inet_aton("127.0.0.99")]}),
    "six.whodunit.test": (30, [], {28: [socket.inet_pton(socket.AF_INET6, "::1")]}),
    "mapped.whodunit.test": (30, [], {1: [socket.inet_aton("127.0.0.88")]}),
}


def wire(name):
    out = b""
    for label in name.split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def rr(owner, rtype, ttl, rdata):
    return owner + struct.pack(">HHIH", rtype, 1, ttl, len(rdata)) + rdata


def answer(query):
    qid, _flags, qd = struct.unpack(">HHH", query[:6])
    p, labels = 12, []
    while query[p]:
        labels.append(query[p + 1:p + 1 + query[p]].decode().lower())
        p += 1 + query[p]
    qtype = struct.unpack(">H", query[p + 1:p + 3])[0]
    question = query[12:p + 5]
    name = ".".join(labels)
    if name.endswith(".bad.whodunit.test"):
        # one answer whose owner is a pointer to itself: a loop
        hostile = struct.pack(">HHIH", 1, 1, 30, 4) + socket.inet_aton("127.0.0.66")
        return (struct.pack(">HHHHHH", qid, 0x8180, 1, 1, 0, 0) + question
                + struct.pack(">H", 0xc000 | (12 + len(question))) + hostile)
    if name not in ZONE:
        return struct.pack(">HHHHHH", qid, 0x8183, 1, 0, 0, 0) + question
    ttl, chain, data = ZONE[name]
    records, owner = [], b"\xc0\x0c"  # the question's name, compressed
    for target in chain:
        records.append(rr(owner, 5, ttl, wire(target)))
        owner = wire(target)
    for rdata in data.get(qtype, []):
        records.append(rr(owner, qtype, ttl, rdata))
    return (struct.pack(">HHHHHH", qid, 0x8180, 1, len(records), 0, 0) + question
            + b"".join(records))


def main():
    addr = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1"
    s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, 53))
    print("ready", flush=True)
    while True:
        query, peer = s.recvfrom(4096)
        try:
            s.sendto(answer(query), peer)
        except (IndexError, struct.error, UnicodeDecodeError):
            continue


if __name__ == "__main__":
    main()
