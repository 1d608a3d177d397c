#!/usr/bin/env python3
"""Regenerate the seed corpora in fuzz/corpus/<target>/ from the libotr fixtures.

Reads tests/fixtures/libotr/*.txt (record format and text escaping:
tests/fixtures-gen/README.md) and writes a few dozen small seeds per target,
each file named by the SHA-1 of its content (as libFuzzer names its own
corpus files), so running the script again is idempotent.

    fuzz/seed-corpora.py            # add the seeds to the existing corpora
    fuzz/seed-corpora.py --clean    # empty each corpus directory first

Targets and seeds:
  envelope         raw WIRE texts: queries, whitespace-tagged text, error
                   messages, v2/v3 fragments, encoded messages, plain text
  fragment         WIRE texts that are fragments, and PIECE lines of split.txt
  encoded_message  base64-decoded ?OTR:...  messages, one per (version, type)
  tlvs             text || 0x00 || TLVs from the TLV/SENDTLV records, plus edges
  signed_identity  KEY pubkey || keyid (u32 BE) || 40 signature bytes, plus edges
  group_arithmetic edge values of the 1536-bit group as x || y || bound || exponent

Python 3 standard library only.
"""

import base64
import hashlib
import pathlib
import re
import struct
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "libotr"
CORPUS = ROOT / "fuzz" / "corpus"

# The base of a whitespace tag (followed by 8-byte version tags).
WS_TAG_BASE = b" \t  \t\t\t\t \t \t \t  "

# At most this many seeds per category (envelope) / per target.
PER_CATEGORY = 6
FRAGMENT_SEEDS = 36


def unescape(field: bytes) -> bytes:
    """Undo the fixture escaping: \\\\, \\n, \\r, \\t, \\xHH."""
    out = bytearray()
    i = 0
    while i < len(field):
        c = field[i]
        if c != 0x5C:  # backslash
            out.append(c)
            i += 1
            continue
        nxt = field[i + 1 : i + 2]
        if nxt == b"\\":
            out.append(0x5C)
            i += 2
        elif nxt == b"n":
            out.append(0x0A)
            i += 2
        elif nxt == b"r":
            out.append(0x0D)
            i += 2
        elif nxt == b"t":
            out.append(0x09)
            i += 2
        elif nxt == b"x":
            out.append(int(field[i + 2 : i + 4], 16))
            i += 4
        else:
            raise ValueError(f"bad escape in {field!r} at {i}")
    return bytes(out)


def records():
    """Yield (file name, list of raw fields) for every record of every fixture."""
    for path in sorted(FIXTURES.glob("*.txt")):
        for line in path.read_bytes().split(b"\n"):
            if not line or line.startswith(b"#"):
                continue
            yield path.name, line.split(b"\t")


def spread(items, n):
    """Up to n items, evenly spaced over the list (deterministic)."""
    if len(items) <= n:
        return list(items)
    step = len(items) / n
    return [items[int(i * step)] for i in range(n)]


def dedup(items):
    seen = set()
    out = []
    for it in items:
        if it not in seen:
            seen.add(it)
            out.append(it)
    return out


def classify(text: bytes) -> str:
    at = text.find(b"?OTR")
    if at >= 0:
        tail = text[at:]
        if tail.startswith(b"?OTR|") or tail.startswith(b"?OTR,"):
            return "fragment"
        if tail.startswith(b"?OTR:"):
            return "encoded"
        if tail.startswith(b"?OTR Error:"):
            return "error"
        if tail.startswith(b"?OTR?") or tail.startswith(b"?OTRv"):
            return "query"
    if WS_TAG_BASE in text:
        return "tagged"
    return "plain"


def armour_payload(text: bytes):
    """The binary inside ?OTR:...., or None."""
    at = text.find(b"?OTR:")
    if at < 0:
        return None
    end = text.find(b".", at)
    if end < 0:
        return None
    return base64.b64decode(text[at + 5 : end], validate=True)


def collect():
    wires = []
    pieces = []
    tlv_records = []
    keys = {}
    for name, f in records():
        kind = f[0]
        if kind == b"WIRE" and len(f) >= 4:
            wires.append((name, unescape(f[3])))
        elif kind == b"PIECE" and len(f) >= 2:
            pieces.append(unescape(f[1]))
        elif kind in (b"TLV", b"SENDTLV") and len(f) >= 4:
            tlv_records.append((int(f[2]), bytes.fromhex(f[3].decode())))
        elif kind == b"KEY" and len(f) >= 3:
            keys[f[1].decode()] = bytes.fromhex(f[2].decode())
    return wires, pieces, tlv_records, keys


def envelope_seeds(wires):
    by_cat = {}
    for _name, text in wires:
        by_cat.setdefault(classify(text), []).append(text)
    seeds = []
    for cat in sorted(by_cat):
        items = dedup(by_cat[cat])
        if cat == "encoded":
            # one per (version, message type), like encoded_message
            picked = {}
            for t in items:
                raw = armour_payload(t)
                if raw and len(raw) >= 3:
                    picked.setdefault((raw[0:2], raw[2]), t)
            items = list(picked.values())
        else:
            items = spread(items, PER_CATEGORY)
        seeds.extend(items)
    # a few hand-made edges
    seeds += [
        b"",
        b"hello",
        b"?OTR?",
        b"?OTRv?",
        b"?OTR?v23?",
        b"?OTRv3?",
        b"?OTR Error:",
        b"?OTR:.",
        b"?OTR:AAMC",
        b"<p>?OTR:AAIK.</p>",
        b"hi" + WS_TAG_BASE + b"  \t\t  \t\t" + b"  \t\t  \t\t",
        b"?OTR|00000100|00000000,00001,00001,x,",
        b"?OTR,00001,00002,?OTR:AA,",
    ]
    return dedup(seeds)


def fragment_seeds(wires, pieces):
    frags = dedup([t for _n, t in wires if classify(t) == "fragment"])
    pieces = dedup(pieces)
    seeds = spread(frags, FRAGMENT_SEEDS // 2) + spread(pieces, FRAGMENT_SEEDS // 2)
    seeds += [
        b"?OTR,00001,00001,,",
        b"?OTR,65535,65535,x,",
        b"?OTR,00000,00001,x,",
        b"?OTR|ffffffff|00000100,00002,00001,x,",
        b"?OTR|00000100|00000100,00001,00001,piece,",
    ]
    return dedup(seeds)


def encoded_seeds(wires):
    picked = {}
    for _name, text in wires:
        if classify(text) != "encoded":
            continue
        raw = armour_payload(text)
        if raw and len(raw) >= 3:
            picked.setdefault((raw[0:2], raw[2]), raw)
    seeds = [picked[k] for k in sorted(picked)]
    seeds += [b"", b"\x00\x03", b"\x00\x02\x02", b"\x00\x03\x03\x00\x00\x01\x00\x00\x00\x00\x00"]
    return dedup(seeds)


def tlv(tlv_type: int, value: bytes) -> bytes:
    return struct.pack(">HH", tlv_type, len(value)) + value


def tlvs_seeds(tlv_records):
    seeds = []
    for i, (t, v) in enumerate(dedup(tlv_records)):
        text = b"" if i % 2 == 0 else b"hello, world"
        seeds.append(text + b"\x00" + tlv(t, v))
    allt = b"".join(tlv(t, v) for t, v in dedup(tlv_records))
    seeds.append(b"all tlvs\x00" + allt)
    seeds += [
        b"",  # nothing
        b"just text, no NUL",
        b"\x00",  # empty text, no TLVs
        b"text\x00" + tlv(0, b""),  # empty padding
        b"text\x00" + tlv(0, b"\x00" * 7),  # padding (as libotr sends)
        b"text\x00" + tlv(1, b""),  # disconnect
        b"text\x00" + tlv(8, b"\x00\x00\x00\x01abc"),  # extra key
        b"text\x00" + tlv(8, b"\x00\x00"),  # extra key, short use field
        b"text\x00" + tlv(2, b"\xff\xff\xff\xff"),  # SMP1 with a huge MPI count
        b"text\x00" + tlv(2, b"\x00\x00\x00\x00"),  # SMP1, zero MPIs
        b"text\x00" + tlv(7, b"question?\x00"),  # SMP1Q with question, no MPIs
        b"text\x00" + tlv(0xFFFF, b"unknown"),  # unknown type
        b"text\x00" + struct.pack(">HH", 2, 10) + b"abc",  # truncated value
        b"text\x00" + tlv(1, b"") + b"\x00\x01\x00",  # 3-byte tail
        b"text\x00\x00" + tlv(1, b""),  # text then another NUL
        b"a\x00b\x00c",
    ]
    return dedup(seeds)


def signed_identity_seeds(keys):
    sig = bytes(range(1, 41))
    seeds = []
    for who in sorted(keys):
        pk = keys[who]
        seeds.append(pk + struct.pack(">I", 1) + sig)
        seeds.append(pk + struct.pack(">I", 0xFFFFFFFF) + b"\x00" * 40)
    pk = keys[sorted(keys)[0]]
    seeds += [
        pk + struct.pack(">I", 0) + sig,  # key id 0: rejected
        pk + struct.pack(">I", 2) + sig[:39],  # short signature
        pk + struct.pack(">I", 2) + sig + b"\x00",  # long signature
        pk[:20],  # truncated key
        b"\x00\x01" + pk[2:] + struct.pack(">I", 1) + sig,  # wrong key type
        b"",
    ]
    return dedup(seeds)


P_HEX = (
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05"
    "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB"
    "9ED529077096966D670C354E4ABC9804F1746C08CA237327FFFFFFFFFFFFFFFF"
)


def group_arithmetic_seeds():
    """x (192 bytes) || y (192) || bound selector || bound byte || exponent (192):
    edge values of the 1536-bit group (0, 1, 2, p - 1, p - 2, p, all ones)."""
    p = int(P_HEX, 16)
    q = (p - 1) // 2
    values = [0, 1, 2, p - 1, p - 2, p, 2**1536 - 1, 2**1535, q]
    be = lambda v: (v % 2**1536).to_bytes(192, "big")
    seeds = []
    for i, x in enumerate(values):
        y = values[(i + 3) % len(values)]
        e = values[(i + 5) % len(values)]
        for selector in range(4):
            seeds.append(be(x) + be(y) + bytes([selector, 53 * i % 256]) + be(e))
    seeds.append(b"")
    seeds.append(b"\xff" * 600)
    return dedup(seeds)


def write(target: str, seeds, clean: bool) -> int:
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    if clean:
        for p in d.iterdir():
            if p.is_file():
                p.unlink()
    for s in seeds:
        (d / hashlib.sha1(s).hexdigest()).write_bytes(s)
    return len(seeds)


def main() -> int:
    clean = "--clean" in sys.argv[1:]
    wires, pieces, tlv_records, keys = collect()
    if not wires or not keys:
        print(f"no fixtures found in {FIXTURES}", file=sys.stderr)
        return 1
    plan = {
        "envelope": envelope_seeds(wires),
        "fragment": fragment_seeds(wires, pieces),
        "encoded_message": encoded_seeds(wires),
        "tlvs": tlvs_seeds(tlv_records),
        "signed_identity": signed_identity_seeds(keys),
        "group_arithmetic": group_arithmetic_seeds(),
    }
    for target, seeds in plan.items():
        n = write(target, seeds, clean)
        print(f"{target}: {n} seeds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
