#!/usr/bin/env python3
"""Deterministic benchmark capture for perf/bench.sh: syslog, DNS or mixed.

usage: bench_traffic.py KIND OUT.pcap --feed FEED.csv [--exclude BIG.csv]
           [--count N] [--seed S] [--length L] [--hit-rate R]

KIND is syslog (UDP 514: firewalls, a proxy with URLs, sshd, an EDR with
file names and hashes, a resolver's query log, Windows logons, mail; RFC
3164 and RFC 5424, about 200 bytes), dns (UDP 53 queries and responses with
A/AAAA/CNAME answers and name compression) or mixed (about 70% syslog, 30%
DNS). N frames are written (Ethernet/IPv4, a few IPv6), every one of them a
syslog or DNS message: no other traffic, so frames = messages.

About R (default 1%) of the messages carry an indicator drawn from the first
1,000 values of FEED.csv (its generated part: domains, addresses, digests),
so one capture serves the 1k, 100k and 1M feeds alike. The everyday
addresses and names are checked against --exclude (the largest feed of the
run): a random address inside one of its CIDRs would otherwise hit only
with the big feeds, and the columns would not compare the same traffic.

--length L pads (with further realistic fields) or cuts every syslog
message to exactly L bytes, for the message-length sweep; an indicator
beyond L is cut off with the rest.

Prints one JSON line of counts. Frames are built with
perf/synth_capture.py's functions.
"""
import argparse
import csv
import datetime as dt
import ipaddress
import json
import random
import struct
import sys

from synth_frames import ether, ipv4, ipv6, udp

BASE_TIME_US = int(dt.datetime(2026, 11, 26, 10, 0, 0,
                               tzinfo=dt.timezone.utc).timestamp()) * 1_000_000
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun",
          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
SYSLOG_PORT = 514
DNS_PORT = 53
HIT_POOL = 1000          # indicators are drawn from this many first values
HIT_TYPES = ("domain", "ipv4", "ipv6", "md5", "sha1", "sha256")
P_IPV6 = 0.05
P_SYSLOG_MIXED = 0.7

COLLECTOR = ("10.0.0.2", "2001:db8::2")
RESOLVER = ("10.1.0.53", "2001:db8:0:1::53")
RELAYS = {   # syslog senders: host name -> (IPv4, IPv6)
    "fw01": ("10.1.0.1", "2001:db8:0:1::1"),
    "proxy01": ("10.1.0.10", "2001:db8:0:1::10"),
    "edr01": ("10.1.0.30", "2001:db8:0:1::30"),
    "ns1": ("10.1.0.53", "2001:db8:0:1::53"),
    "dc01": ("10.1.0.20", "2001:db8:0:1::20"),
    "mx01": ("10.1.0.25", "2001:db8:0:1::25"),
    "edge-gw01": ("10.1.0.3", "2001:db8:0:1::3"),
    "srv-app03": ("10.1.5.13", "2001:db8:0:5::13"),
    "srv-db02": ("10.1.5.22", "2001:db8:0:5::22"),
    "bastion01": ("10.1.5.2", "2001:db8:0:5::2"),
}
USERS = ("bob", "alice", "carol", "dave", "erin", "frank", "grace", "heidi",
         "ivan", "judy", "oscar", "peggy", "trent", "victor", "walter",
         "svc_backup", "deploy")

# (name, CNAME chain, answer count) of everyday lookups; the chains are the
# shapes CDNs really answer with.
DNS_NAMES = (
    ("www.google.com", (), 1),
    ("clients2.google.com", ("clients.l.google.com",), 1),
    ("fonts.gstatic.com", ("gstaticadssl.l.google.com",), 1),
    ("update.googleapis.com", (), 1),
    ("outlook.office365.com", ("outlook.ha.office365.com",
                               "outlook.ms-acdc.office.com"), 4),
    ("login.microsoftonline.com", ("login.mso.msidentity.com",
                                   "ak.privatelink.msidentity.com",
                                   "www.tm.ak.prd.aadg.akadns.net"), 4),
    ("teams.microsoft.com", ("teams.office.com",
                             "tm-azurefd-prod-teams.trafficmanager.net",
                             "s-0005.s-msedge.net"), 1),
    ("www.microsoft.com", ("www.microsoft.com-c-3.edgekey.net",
                           "www.microsoft.com-c-3.edgekey.net.globalredir.akadns.net",
                           "e13678.dscb.akamaiedge.net"), 1),
    ("settings-win.data.microsoft.com", ("atm-settingsfe-prod-geo2.trafficmanager.net",
                                         "settings-prod-neu-2.northeurope.cloudapp.azure.com"), 1),
    ("ctldl.windowsupdate.com", ("ctldl.windowsupdate.com.delivery.microsoft.com",
                                 "wu-b-net.trafficmanager.net",
                                 "cs11.wpc.v0cdn.net"), 2),
    ("www.bing.com", ("www-www.bing.com.trafficmanager.net",
                      "www.bing.com.edgekey.net", "e86303.dscx.akamaiedge.net"), 2),
    ("ocsp.digicert.com", ("ocsp.edge.digicert.com", "fp2e7a.wpc.phicdn.net"), 1),
    ("github.com", (), 1),
    ("api.github.com", (), 1),
    ("objects.githubusercontent.com", (), 4),
    ("slack.com", (), 3),
    ("edgeapi.slack.com", ("slack-edge.map.fastly.net",), 2),
    ("zoom.us", (), 2),
    ("deb.debian.org", ("debian.map.fastlydns.net",), 2),
    ("pypi.org", ("dualstack.python.map.fastly.net",), 2),
    ("cdn.jsdelivr.net", ("jsdelivr.map.fastly.net",), 2),
    ("s3.eu-west-1.amazonaws.com", ("s3-r-w.eu-west-1.amazonaws.com",), 3),
    ("www.reuters.com", ("www.reuters.com.edgekey.net", "e1234.a.akamaiedge.net"), 2),
    ("www.ecb.europa.eu", ("www.ecb.europa.eu.edgekey.net",
                           "e7589.a.akamaiedge.net"), 1),
    ("time.windows.com", ("twc.trafficmanager.net",), 1),
    ("mail.corp.example", (), 1),
    ("intranet.corp.example", (), 1),
    ("fileserver01.corp.example", (), 1),
    ("wpad.corp.example", (), 0),
)
URL_PATHS = ("/", "/search?q=ecb+rates&hl=en", "/common/oauth2/v2.0/token",
             "/owa/", "/api/v1/messages?limit=50", "/service/update2/json",
             "/msdownload/update/v3/static/trustedr/en/authrootstl.cab",
             "/repos/octocat/Hello-World/releases/latest",
             "/npm/bootstrap@5.3.2/dist/css/bootstrap.min.css",
             "/s/roboto/v30/KFOmCnqEu92Fr1Mu4mxK.woff2", "/markets/",
             "/stats/eurofxref/eurofxref-daily.xml", "/wc/join/84512377",
             "/simple/requests/", "/debian/dists/bookworm/InRelease")
IMAGES = (r"C:\Windows\System32\svchost.exe",
          r"C:\Program Files\Google\Chrome\Application\chrome.exe",
          r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe",
          r"C:\Program Files\Microsoft Office\root\Office16\OUTLOOK.EXE",
          r"C:\Windows\explorer.exe", r"C:\Windows\System32\msiexec.exe",
          r"C:\Users\{u}\AppData\Local\Temp\setup_x64.exe",
          r"C:\Users\{u}\Downloads\Invoice_2026-11.pdf.exe",
          r"C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe")
USER_AGENTS = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
               "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
               "Microsoft-CryptoAPI/10.0", "Debian APT-HTTP/1.3 (2.6.1)",
               "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15")


class Exclusion:
    """Addresses and names of a feed, so everyday traffic can avoid them."""

    def __init__(self, path):
        self.hosts = set()
        self.nets = {}        # prefix length -> set of network addresses
        self.domains = set()
        if path is None:
            return
        # Plain splits rather than csv and ipaddress: the largest feed has
        # a million lines and every capture of a run reads it.
        with open(path, encoding="utf-8") as f:
            for line in f:
                kind, _, rest = line.partition(",")
                value = rest.partition(",")[0].strip()
                if kind == "domain":
                    self.domains.add(value.lower().rstrip("."))
                elif kind == "ipv4":
                    host, _, prefix = value.partition("/")
                    a, b, c, d = (int(x) for x in host.split("."))
                    addr = a << 24 | b << 16 | c << 8 | d
                    bits = int(prefix) if prefix else 32
                    if bits == 32:
                        self.hosts.add(addr)
                    else:
                        mask = (0xFFFFFFFF << (32 - bits)) & 0xFFFFFFFF
                        self.nets.setdefault(bits, set()).add(addr & mask)

    def ipv4_hit(self, addr):
        """True when addr (dotted) is a feed address or in a feed CIDR."""
        a = int(ipaddress.IPv4Address(addr))
        if a in self.hosts:
            return True
        return any(a & (0xFFFFFFFF << (32 - p)) & 0xFFFFFFFF in nets
                   for p, nets in self.nets.items())

    def name_hit(self, name):
        """True when name or one of its parents is a feed domain."""
        labels = name.lower().split(".")
        return any(".".join(labels[i:]) in self.domains
                   for i in range(len(labels) - 1))


def load_hit_pool(path):
    """(type, value) of the first HIT_POOL indicators of an iocsift CSV feed."""
    pool = []
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.reader(ln for ln in f if not ln.startswith("#")):
            if len(row) < 2 or row[0].strip().lower() in ("type", ""):
                continue
            pool.append((row[0].strip().lower(), row[1].strip()))
            if len(pool) == HIT_POOL:
                break
    # The templates carry what a generated feed holds.
    return [p for p in pool if p[0] in HIT_TYPES]


# --------------------------------------------------------------------------
# Frames


def frame(src, dst, sport, dport, payload, ident):
    """Ethernet + IPv4/IPv6 + UDP around payload; src, dst are address
    strings of one family."""
    seg = udp(src, dst, sport, dport, payload)
    if ipaddress.ip_address(src).version == 4:
        ip, ethertype = ipv4(src, dst, 17, seg, ident), 0x0800
    else:
        ip, ethertype = ipv6(src, dst, 17, seg), 0x86DD
    return ether(b"\x02\x00\x00\x00\x00\x01", b"\x02\x00\x00\x00\x00\x02",
                 ethertype, ip)


class DnsWriter:
    """A DNS message with name compression, as servers write them."""

    def __init__(self):
        self.buf = bytearray()
        self.offsets = {}     # lower-case suffix -> offset of its first byte

    def name(self, name):
        labels = name.rstrip(".").split(".")
        for i in range(len(labels)):
            suffix = ".".join(labels[i:]).lower()
            if suffix in self.offsets:
                self.buf += struct.pack("!H", 0xC000 | self.offsets[suffix])
                return
            if len(self.buf) < 0x3FFF:
                self.offsets[suffix] = len(self.buf)
            label = labels[i].encode("ascii")
            self.buf += bytes([len(label)]) + label
        self.buf += b"\0"


def dns_message(qid, flags, qname, qtype, answers, edns):
    """answers: (owner, type, rdata) with rdata a name (CNAME) or packed
    address (A/AAAA)."""
    w = DnsWriter()
    w.buf += struct.pack("!HHHHHH", qid, flags, 1, len(answers), 0,
                         1 if edns else 0)
    w.name(qname)
    w.buf += struct.pack("!HH", qtype, 1)
    for owner, rtype, rdata in answers:
        w.name(owner)
        w.buf += struct.pack("!HHI", rtype, 1, 300)
        if rtype == 5:
            at = len(w.buf)
            w.buf += b"\0\0"
            w.name(rdata)
            w.buf[at:at + 2] = struct.pack("!H", len(w.buf) - at - 2)
        else:
            w.buf += struct.pack("!H", len(rdata)) + rdata
    if edns:
        w.buf += b"\0" + struct.pack("!HHIH", 41, 1232, 0, 0)
    return bytes(w.buf)


# --------------------------------------------------------------------------
# Messages


class Gen:
    """Message templates driven by one seeded RNG."""

    def __init__(self, rng, pool, exclusion, length):
        self.rng = rng
        self.pool = pool
        self.dns_pool = [p for p in pool if p[0] in ("domain", "ipv4", "ipv6")]
        self.length = length
        self.ex = exclusion
        self.ts = BASE_TIME_US
        self.ident = 0
        self.workstations = self.clean_ipv4(
            [f"10.1.{20 + i // 200}.{10 + i % 200}" for i in range(400)])
        public = (ipaddress.IPv4Address(rng.getrandbits(32)) for _ in range(2000))
        self.public = self.clean_ipv4(
            [str(a) for a in public if a.is_global][:600])
        self.names = [n for n in DNS_NAMES if not exclusion.name_hit(n[0]) and
                      not any(exclusion.name_hit(c) for c in n[1])]

    def clean_ipv4(self, addrs):
        """addrs without those the exclusion feed would report."""
        return [a for a in addrs if not self.ex.ipv4_hit(a)]

    # -- small helpers ---------------------------------------------------

    def hex(self, n):
        return f"{self.rng.getrandbits(4 * n):0{n}x}"

    def ws(self):
        return self.rng.choice(self.workstations)

    def pub(self):
        return self.rng.choice(self.public)

    def port(self):
        return self.rng.randint(49152, 65535)

    def user(self):
        return self.rng.choice(USERS)

    def image(self):
        return self.rng.choice(IMAGES).replace("{u}", self.user())

    def name(self):
        """An everyday name: a well-known one or a CDN-style generated one."""
        r = self.rng.random()
        if r < 0.75:
            return self.rng.choice(self.names)[0]
        if r < 0.85:
            return f"d{self.hex(13)}.cloudfront.net"
        if r < 0.93:
            return f"e{self.rng.randint(1000, 99999)}.dscx.akamaiedge.net"
        return f"{self.hex(8)}-{self.rng.randint(1, 99)}.s3.eu-west-1.amazonaws.com"

    def url(self):
        return (self.rng.choice(("https://", "http://")) + self.name() +
                self.rng.choice(URL_PATHS))

    def stamp3164(self):
        t = dt.datetime.fromtimestamp(self.ts // 1_000_000, tz=dt.timezone.utc)
        return f"{MONTHS[t.month - 1]} {t.day:2d} {t:%H:%M:%S}"

    def stamp5424(self):
        t = dt.datetime.fromtimestamp(self.ts // 1_000_000, tz=dt.timezone.utc)
        return f"{t:%Y-%m-%dT%H:%M:%S}.{self.ts % 1_000_000 // 1000:03d}Z"

    def planted_ipv4(self, value):
        """A host address for an ipv4 indicator (inside it when a CIDR)."""
        net = ipaddress.IPv4Network(value, strict=False)
        if net.num_addresses == 1:
            return str(net.network_address)
        return str(net.network_address + self.rng.randint(1, net.num_addresses - 2))

    def planted_ipv6(self, value):
        net = ipaddress.IPv6Network(value, strict=False)
        if net.num_addresses == 1:
            return str(net.network_address)
        return str(net.network_address + self.rng.randint(1, 1000))

    def planted_address(self, hit, default):
        """The address planted for an ipv4 or ipv6 hit, else default."""
        if hit and hit[0] == "ipv4":
            return self.planted_ipv4(hit[1])
        if hit and hit[0] == "ipv6":
            return self.planted_ipv6(hit[1])
        return default

    # -- syslog sources: each takes the planted (type, value) or None ------

    def fortigate(self, hit):
        dst = self.pub()
        host = self.name()
        if hit and hit[0] == "ipv4":
            dst = self.planted_ipv4(hit[1])
        if hit and hit[0] == "domain":
            host = hit[1]
        t = dt.datetime.fromtimestamp(self.ts // 1_000_000, tz=dt.timezone.utc)
        head = f"<189>date={t:%Y-%m-%d} time={t:%H:%M:%S} devname=\"fw01\" " \
               f"devid=\"FG100FTK21001234\" "
        if hit and hit[0] == "domain" or self.rng.random() < 0.3:
            return head + (
                f'logid="0317013312" type="utm" subtype="webfilter" '
                f'srcip={self.ws()} dstip={dst} hostname="{host}" '
                f'action="passthrough" url="https://{host}/" cat=52')
        return head + (
            f'logid="0000000013" type="traffic" subtype="forward" '
            f'srcip={self.ws()} srcport={self.port()} dstip={dst} dstport=443 '
            f'proto=6 action="close" policyid=12 service="HTTPS" '
            f'sentbyte={self.rng.randint(100, 90000)} '
            f'rcvdbyte={self.rng.randint(100, 900000)}')

    def squid(self, hit):
        url = self.url()
        if hit and hit[0] == "domain":
            host = hit[1] if self.rng.random() < 0.6 else "cdn." + hit[1]
            url = f"http://{host}{self.rng.choice(URL_PATHS)}"
        body = (f"{self.ts / 1e6:.3f} {self.rng.randint(3, 90000):5d} {self.ws()} "
                f"TCP_MISS/200 {self.rng.randint(300, 90000)} GET {url} "
                f"{self.user()} HIER_DIRECT/{self.pub()} text/html")
        if self.rng.random() < 0.5:
            return f"<150>{self.stamp3164()} proxy01 squid[2231]: " + body
        return f"<150>1 {self.stamp5424()} proxy01.corp.example squid 2231 - - " + body

    def sshd(self, hit):
        src = self.pub() if self.rng.random() < 0.6 else self.ws()
        src = self.planted_address(hit, src)
        host = self.rng.choice(("srv-app03", "srv-db02", "bastion01"))
        pid = self.rng.randint(1000, 65000)
        r = self.rng.random()
        if r < 0.4:
            msg = (f"Failed password for invalid user "
                   f"{self.rng.choice(('admin', 'oracle', 'test', 'ubuntu'))} "
                   f"from {src} port {self.port()} ssh2")
        elif r < 0.8:
            msg = (f"Accepted publickey for {self.user()} from {src} port "
                   f"{self.port()} ssh2: ED25519 SHA256:{self.hex(43)}")
        else:
            msg = (f"Disconnected from authenticating user root {src} port "
                   f"{self.port()} [preauth]")
        return f"<38>{self.stamp3164()} {host} sshd[{pid}]: {msg}"

    def edr(self, hit):
        sha256, md5, sha1 = self.hex(64), self.hex(32), None
        if hit and hit[0] == "sha256":
            sha256 = hit[1]
        elif hit and hit[0] == "md5":
            md5 = hit[1]
        elif hit and hit[0] == "sha1":
            sha1 = hit[1]
        if self.rng.random() < 0.3:
            sha256, md5 = sha256.upper(), md5.upper()
        u, image = self.user(), self.image()
        if self.rng.random() < 0.5:
            extra = f" sha1={sha1}" if sha1 else ""
            return (f"<134>{self.stamp3164()} edr01 falcon[2211]: "
                    f"event=ProcessRollup2 host=WS-{self.rng.randint(100, 999):04d} "
                    f"user={u} image=\"{image}\" sha256={sha256} md5={md5}{extra}")
        extra = f" fileHashSha1={sha1}" if sha1 else ""
        return (f"<134>1 {self.stamp5424()} edr01 cs-falconhoseclient 2211 - - "
                f"CEF:0|CrowdStrike|FalconHost|1.0|DetectionSummaryEvent|"
                f"Detection Summary Event|{self.rng.randint(2, 9)}|duser={u} "
                f"fname={image.rsplit(chr(92), 1)[-1]} fileHash={sha256} "
                f"fileHashMd5={md5}{extra}")

    def iptables(self, hit):
        src = self.pub()
        src = self.planted_address(hit, src)
        proto = self.rng.choice(("TCP", "UDP"))
        tail = (f"WINDOW={self.rng.randint(1024, 65535)} RES=0x00 SYN URGP=0"
                if proto == "TCP" else f"LEN={self.rng.randint(20, 500)}")
        return (f"<4>{self.stamp3164()} edge-gw01 kernel: "
                f"[{self.rng.randint(100000, 9999999)}.{self.rng.randint(0, 999999):06d}] "
                f"FW-DROP IN=eth0 OUT= SRC={src} DST=10.1.0.{self.rng.randint(2, 60)} "
                f"LEN={self.rng.randint(40, 1500)} TTL={self.rng.randint(40, 128)} "
                f"ID={self.rng.randint(1, 65535)} DF PROTO={proto} SPT={self.port()} "
                f"DPT={self.rng.choice((22, 23, 445, 3389, 8080))} {tail}")

    def named(self, hit):
        q = self.name()
        if hit and hit[0] == "domain":
            q = hit[1] if self.rng.random() < 0.7 else "www." + hit[1]
        qt = "AAAA" if self.rng.random() < 0.3 else "A"
        return (f"<30>{self.stamp3164()} ns1 named[464]: client "
                f"@0x7f{self.hex(10)} {self.ws()}#{self.port()} ({q}): query: "
                f"{q} IN {qt} +E(0)K (10.1.0.53)")

    def winlogon(self, hit):
        src = self.ws()
        if hit and hit[0] == "ipv4":
            src = self.planted_ipv4(hit[1])
        return (f"<13>1 {self.stamp5424()} dc01.corp.example "
                f"Microsoft-Windows-Security-Auditing 4624 - - An account was "
                f"successfully logged on. Account Name: {self.user()} "
                f"Account Domain: CORP Logon Type: 3 Source Network Address: "
                f"{src} Source Port: {self.port()}")

    def postfix(self, hit):
        ip = self.pub()
        if hit and hit[0] == "ipv4":
            ip = self.planted_ipv4(hit[1])
        host = f"mail-{self.hex(4)}.outbound.protection.outlook.com"
        if hit and hit[0] == "domain":
            host = "mail." + hit[1]
        return (f"<22>{self.stamp3164()} mx01 postfix/smtpd[{self.rng.randint(1000, 60000)}]:"
                f" connect from {host}[{ip}]")

    SOURCES = (   # (template, weight, indicator types it can carry)
        ("fortigate", 20, ("ipv4", "domain")),
        ("squid", 20, ("domain",)),
        ("sshd", 10, ("ipv4", "ipv6")),
        ("edr", 15, ("md5", "sha1", "sha256")),
        ("iptables", 12, ("ipv4", "ipv6")),
        ("named", 10, ("domain",)),
        ("winlogon", 8, ("ipv4",)),
        ("postfix", 5, ("ipv4", "domain")),
    )

    def syslog(self, hit):
        """A syslog payload; hit is a (type, value) to carry, or None."""
        if hit is None:
            names = [s[0] for s in self.SOURCES]
            weights = [s[1] for s in self.SOURCES]
        else:
            names = [s[0] for s in self.SOURCES if hit[0] in s[2]]
            weights = [s[1] for s in self.SOURCES if hit[0] in s[2]]
        text = getattr(self, self.rng.choices(names, weights)[0])(hit)
        if self.length is not None:
            text = self.fit(text, self.length)
        return text.encode("ascii")

    def fit(self, text, length):
        """text padded with more fields, or cut, to exactly length bytes."""
        while len(text) < length:
            text += self.rng.choice((
                f" sessionid={self.rng.randint(10**6, 10**9)}",
                f" referer=\"{self.url()}\"",
                f" useragent=\"{self.rng.choice(USER_AGENTS)}\"",
                f" dstip={self.pub()} dstport={self.rng.choice((80, 443, 8443))}",
                f" msg=\"policy {self.rng.randint(1, 300)} matched, "
                f"user {self.user()} in group Finance\"",
                f" requestid={self.hex(32)}"))
        return text[:length]

    # -- DNS ---------------------------------------------------------------

    def dns_pair(self, hit):
        """A query, whether it names the indicator, and its response (wire
        bytes): the indicator is in the question, a CNAME target or an
        address answer when hit is given."""
        rng = self.rng
        qtype = 28 if rng.random() < 0.25 else 1
        entry = rng.choice(self.names)
        qname, chain, count = entry
        if rng.random() < 0.2:
            qname, chain, count = self.name(), (), rng.randint(1, 3)
        addrs = []
        for _ in range(count):
            if qname.endswith(".corp.example"):
                qtype = 1
                addrs.append(ipaddress.IPv4Address(
                    f"10.1.0.{rng.randint(10, 250)}").packed)
            elif qtype == 1:
                addrs.append(ipaddress.IPv4Address(self.pub()).packed)
            else:
                addrs.append(ipaddress.IPv6Address(
                    f"2a00:1450:4001:{rng.randint(0, 0xfff):x}::{rng.randint(1, 0xffff):x}").packed)
        if hit is not None:
            kind, value = hit
            if kind == "domain":
                if rng.random() < 0.7:
                    qname = value if rng.random() < 0.6 else \
                        rng.choice(("update.", "cdn.", "api.")) + value
                    chain = ()
                else:
                    chain = chain + (value,)
            elif kind == "ipv4":
                qtype = 1
                addrs = [ipaddress.IPv4Address(self.planted_ipv4(value)).packed]
            else:
                qtype = 28
                addrs = [ipaddress.IPv6Address(self.planted_ipv6(value)).packed]
        in_question = hit is not None and hit[0] == "domain" and not chain
        qid = rng.getrandbits(16)
        edns = rng.random() < 0.5
        query = dns_message(qid, 0x0100, qname, qtype, [], edns)
        answers, owner = [], qname
        for target in chain:
            answers.append((owner, 5, target))
            owner = target
        for a in addrs:
            answers.append((owner, qtype, a))
        response = dns_message(qid, 0x8180 if answers else 0x8183, qname, qtype,
                               answers, edns)
        return query, in_question, response

    # -- frames --------------------------------------------------------------

    def pick_hit(self, dns, hit_rate):
        if self.rng.random() >= hit_rate:
            return None
        pool = self.dns_pool if dns else self.pool
        return self.rng.choice(pool) if pool else None

    def next_time(self):
        self.ts += 1 + int(self.rng.expovariate(1 / 20))
        return self.ts


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=("syslog", "dns", "mixed"))
    parser.add_argument("out")
    parser.add_argument("--feed", required=True)
    parser.add_argument("--exclude")
    parser.add_argument("--count", type=int, default=50000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--length", type=int)
    parser.add_argument("--hit-rate", type=float, default=0.01)
    args = parser.parse_args()
    if args.length is not None and not 16 <= args.length <= 8000:
        parser.error("--length must be from 16 to 8000")

    # A string seed: gen_feed.py seeds with the integer 1, and the same
    # integer here would replay its stream, so "random" digests and
    # addresses of the traffic would be the feed's own indicators.
    rng = random.Random(f"bench_traffic:{args.seed}")
    gen = Gen(rng, load_hit_pool(args.feed), Exclusion(args.exclude), args.length)
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
    counts = {"syslog": 0, "dns": 0, "hit_messages": 0, "payload_bytes": 0}
    pending = []      # DNS responses waiting for the next DNS slot
    p_syslog = {"syslog": 1.0, "dns": 0.0, "mixed": P_SYSLOG_MIXED}[args.kind]
    for _ in range(args.count):
        v6 = rng.random() < P_IPV6
        if rng.random() < p_syslog:
            hit = gen.pick_hit(False, args.hit_rate)
            payload = gen.syslog(hit)
            relay = RELAYS[rng.choice(tuple(RELAYS))]
            src, dst = relay[v6], COLLECTOR[v6]
            sport = rng.choice((SYSLOG_PORT, gen.port()))
            dport, kind = SYSLOG_PORT, "syslog"
        else:
            client = gen.ws() if not v6 else f"2001:db8:0:20::{rng.randint(16, 400):x}"
            if pending:
                payload, hit, client, cport = pending.pop()
                v6 = ":" in client
                src, dst, sport, dport = RESOLVER[v6], client, DNS_PORT, cport
            else:
                # Two messages a lookup, and about half of the indicators
                # are in the question: 4/3 of the rate makes about R of the
                # DNS messages carry one.
                hit = gen.pick_hit(True, args.hit_rate * 4 / 3)
                payload, in_question, response = gen.dns_pair(hit)
                cport = gen.port()
                pending.append((response, hit, client, cport))
                src, dst, sport, dport = client, RESOLVER[v6], cport, DNS_PORT
                if not in_question:
                    hit = None     # the answer carries it, not the query
            kind = "dns"
        counts[kind] += 1
        counts["hit_messages"] += hit is not None
        counts["payload_bytes"] += len(payload)
        gen.ident += 1
        data = frame(src, dst, sport, dport, payload, gen.ident)
        ts = gen.next_time()
        out.append(struct.pack("<IIII", ts // 1_000_000, ts % 1_000_000,
                               len(data), len(data)))
        out.append(data)
    with open(args.out, "wb") as f:
        f.write(b"".join(out))
    n = counts["syslog"] + counts["dns"]
    json.dump({"kind": args.kind, "packets": n, "syslog": counts["syslog"],
               "dns": counts["dns"], "planted": counts["hit_messages"],
               "mean_payload": round(counts["payload_bytes"] / max(n, 1), 1),
               "length": args.length, "seed": args.seed}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
