#!/usr/bin/env python3
"""Generate a large synthetic indicator feed for benchmarks.

Mix (issue 3): 60% domains, 20% addresses (IPv4, IPv6, CIDR), 20% digests
(md5, sha1, sha256). Deterministic for a given seed. Writes iocsift CSV.

usage: gen_feed.py COUNT OUT.csv [--seed S] [--values VALUES.txt]
  --values also writes the bare values, one per line (for grep/rg -f).
"""
import argparse
import random
import string

TLDS = ["com", "net", "org", "info", "io", "biz", "xyz", "top", "ru", "cn"]


def domain(rng):
    """A random registrable domain, sometimes with a subdomain."""
    label = "".join(rng.choices(string.ascii_lowercase + string.digits,
                                k=rng.randint(6, 14)))
    name = f"{label}.{rng.choice(TLDS)}"
    if rng.random() < 0.3:
        name = f"{rng.choice(['cdn', 'api', 'update', 'mail'])}.{name}"
    return name


def address(rng):
    """An IPv4 host (60%), IPv4 CIDR (20%) or IPv6 host (20%)."""
    r = rng.random()
    if r < 0.6:
        return "ipv4", ".".join(str(rng.randint(1, 254)) for _ in range(4))
    if r < 0.8:
        prefix = rng.choice([16, 20, 24, 28])
        value = rng.getrandbits(32) & ~((1 << (32 - prefix)) - 1) & 0xFFFFFFFF
        octets = ".".join(str((value >> s) & 255) for s in (24, 16, 8, 0))
        return "ipv4", f"{octets}/{prefix}"
    groups = ":".join(f"{rng.getrandbits(16):x}" for _ in range(8))
    return "ipv6", groups


def digest(rng):
    """An md5, sha1 or sha256 in lower-case hex."""
    kind, bits = rng.choice([("md5", 128), ("sha1", 160), ("sha256", 256)])
    return kind, f"{rng.getrandbits(bits):0{bits // 4}x}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int)
    parser.add_argument("out")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--values")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    seen = set()
    rows = []
    while len(rows) < args.count:
        r = rng.random()
        if r < 0.6:
            row = ("domain", domain(rng))
        elif r < 0.8:
            row = address(rng)
        else:
            row = digest(rng)
        if row[1] not in seen:
            seen.add(row[1])
            rows.append(row)
    with open(args.out, "w") as out:
        out.write("type,value,tags,source\n")
        for kind, value in rows:
            out.write(f"{kind},{value},bench,gen_feed\n")
    if args.values:
        with open(args.values, "w") as out:
            out.writelines(value + "\n" for _, value in rows)


if __name__ == "__main__":
    main()
