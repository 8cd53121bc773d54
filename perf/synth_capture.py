#!/usr/bin/env python3
"""Deterministic synthetic SPAN capture for iocsift: syslog and DNS with known hits.

Usage (Debian's /usr/bin/python3; scapy is only needed for --verify):

    /usr/bin/python3 perf/synth_capture.py --feed data/3cx.csv --out DIR \
        [--messages N] [--seed S] [--verify]

Writes into DIR:

  capture.pcap         classic pcap (Ethernet): UDP syslog to port 514 (RFC 3164,
                       RFC 5424 and vendor-native framings from a proxy, firewalls,
                       EDRs and resolvers), DNS queries to UDP port 53, some of them
                       over IPv6 or 802.1Q/QinQ, unrelated traffic (NTP, TCP SYN,
                       ARP, ICMP) and a few malformed frames.
  expected.jsonl       the hits the capture must produce, one per (message,
                       indicator): frame, protocol, indicator_type, indicator,
                       message.
  messages.log         every syslog payload of the capture, one per line, as sent.
  expected_scan.jsonl  the hits of messages.log, with "line" instead of "frame".
  summary.json         counts.

The ground truth is by construction, not by matching: every message template
says which indicators it put in (and which look-alikes it put in on purpose
that must NOT match, per the semantics table of DESIGN.md). As a guard, every
feed value that occurs anywhere in a message (case-insensitively) must be one
the template declared, else generation stops with an error; so an indicator
cannot slip into a message unnoticed.

N messages (syslog + DNS) are written; about 7% hit an indicator and about 4%
are near misses. Frames are built as raw bytes (checksums computed) and
written with struct, which keeps --messages 200000 fast; --verify re-reads the
file with scapy and checks every well-formed frame.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import ipaddress
import json
import os
import random
import struct
import sys
from dataclasses import dataclass, field

INDICATOR_TYPES = ("domain", "url", "md5", "sha1", "sha256", "filename")
HASH_TYPES = ("md5", "sha1", "sha256")
# The substring guard costs messages x feed values; above this many values it
# is skipped (with a warning).
GUARD_MAX_VALUES = 20000

BASE_TIME_US = int(dt.datetime(2026, 11, 26, 10, 0, 0,
                               tzinfo=dt.timezone.utc).timestamp()) * 1_000_000
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun",
          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

SYSLOG_PORT = 514
DNS_PORT = 53
QTYPE_A, QTYPE_AAAA = 1, 28

P_DNS = 0.28          # share of messages that are DNS queries
P_HIT = 0.07          # share of messages built to hit
P_NEAR = 0.04         # share of messages built as near misses
P_IPV6 = 0.08
P_VLAN = 0.03         # of which a quarter QinQ
P_OTHER = 0.03        # unrelated frames per message


# --------------------------------------------------------------------------
# Feed


def normalize(itype: str, value: str) -> str:
    """Returns the normalized form iocsift reports for a feed value.

    domain: lower case, no trailing dot; url: no scheme, host in lower case,
    path as written; hashes: lower case; filename: as written (it matches
    case-insensitively, compare it that way).
    """
    value = value.strip()
    if itype == "domain":
        return value.lower().rstrip(".")
    if itype == "url":
        scheme_end = value.find("://")
        if scheme_end > 0 and value[:scheme_end].isalpha():
            value = value[scheme_end + 3:]
        host, sep, path = value.partition("/")
        return host.lower() + sep + path
    if itype in HASH_TYPES:
        return value.lower()
    return value


def value_key(itype: str, value: str) -> str:
    """Returns the comparison key of a normalized value (filenames fold case)."""
    return value.casefold() if itype == "filename" else value


@dataclass
class Feed:
    """The indicators of one iocsift CSV feed, normalized, by type."""

    values: dict[str, list[str]] = field(
        default_factory=lambda: {t: [] for t in INDICATOR_TYPES})
    tags: dict[tuple[str, str], str] = field(default_factory=dict)
    keys: set[tuple[str, str]] = field(default_factory=set)
    spelling: dict[str, str] = field(default_factory=dict)   # filename casefold
    ignored: dict[str, int] = field(default_factory=dict)

    def has(self, itype: str, value: str) -> bool:
        """True when the feed holds this (type, normalized value)."""
        return (itype, value_key(itype, value)) in self.keys

    def canonical(self, itype: str, value: str) -> str:
        """Returns the feed's own spelling of a value (for filenames)."""
        if itype != "filename":
            return value
        return self.spelling.get(value.casefold(), value)

    def count(self) -> int:
        """Number of usable indicators."""
        return len(self.keys)


def load_feed(path: str) -> Feed:
    """Reads an iocsift CSV feed: type,value[,tags][,source]; '#' comments."""
    feed = Feed()
    with open(path, newline="", encoding="utf-8") as f:
        lines = [ln for ln in f if ln.strip() and not ln.lstrip().startswith("#")]
    for row in csv.reader(lines):
        if not row or len(row) < 2:
            continue
        itype, value = row[0].strip().lower(), row[1].strip()
        if itype == "type" and value.lower() == "value":
            continue                                  # header
        if itype not in INDICATOR_TYPES:
            feed.ignored[itype] = feed.ignored.get(itype, 0) + 1
            continue
        norm = normalize(itype, value)
        key = (itype, value_key(itype, norm))
        if key in feed.keys:
            continue
        feed.keys.add(key)
        feed.values[itype].append(norm)
        feed.tags[(itype, norm)] = row[2] if len(row) > 2 else ""
        if itype == "filename":
            feed.spelling[norm.casefold()] = norm
    return feed


# --------------------------------------------------------------------------
# Hosts and addresses


@dataclass(frozen=True)
class Host:
    """A machine on the monitored network."""

    name: str
    ipv4: str
    ipv6: str


def mac_of(host: Host) -> bytes:
    """A locally administered MAC derived from the host name (stable)."""
    return b"\x02" + hashlib.sha1(host.name.encode()).digest()[:5]


COLLECTOR = Host("siem01", "10.0.0.2", "2001:db8::2")
RESOLVER = Host("ns1", "10.1.0.53", "2001:db8:0:1::53")
PROXY = Host("proxy01", "10.1.0.10", "2001:db8:0:1::10")
FORTIGATE = Host("fw01", "10.1.0.1", "2001:db8:0:1::1")
PALOALTO = Host("pa-fw01", "10.1.0.4", "2001:db8:0:1::4")
EDGE_GW = Host("edge-gw01", "10.1.0.3", "2001:db8:0:1::3")
FALCON = Host("edr01", "10.1.0.30", "2001:db8:0:1::30")
DNSMASQ = Host("branch-rtr02", "10.2.0.1", "2001:db8:0:2::1")
UNBOUND = Host("dns02", "10.1.0.54", "2001:db8:0:1::54")
NTP_SERVER = Host("ntp01", "10.1.0.123", "2001:db8:0:1::123")
WORKSTATIONS = tuple(
    Host(f"WS-{101 + i:04d}", f"10.1.20.{10 + i}", f"2001:db8:0:20::{10 + i:x}")
    for i in range(80))

USERS = ("bob", "alice", "carol", "dave", "erin", "frank", "grace", "heidi",
         "ivan", "judy", "mallory", "oscar", "peggy", "trent", "victor",
         "walter", "jörg.müller")

BENIGN_URLS = (   # (host, path) of everyday traffic; no indicator in any of them
    ("www.google.com", "/search?q=ecb+rates"),
    ("login.microsoftonline.com", "/common/oauth2/v2.0/token"),
    ("outlook.office365.com", "/owa/"),
    ("teams.microsoft.com", "/api/mt/emea/beta/users/"),
    ("update.googleapis.com", "/service/update2/json"),
    ("clients2.google.com", "/time/1/current"),
    ("www.bing.com", "/search?q=swift+gpi"),
    ("ocsp.digicert.com", "/MFEwTzBNMEswSTAJBgUrDgMCGgUABBTrjrydRyt"),
    ("ctldl.windowsupdate.com", "/msdownload/update/v3/static/trustedr/en/authrootstl.cab"),
    ("settings-win.data.microsoft.com", "/settings/v2.0/telemetry"),
    ("github.com", "/torvalds/linux"),
    ("api.github.com", "/repos/octocat/Hello-World"),
    ("objects.githubusercontent.com", "/github-production-release-asset-2e65be/"),
    ("raw.githubusercontent.com", "/octocat/Hello-World/master/README"),
    ("slack.com", "/api/rtm.connect"),
    ("edgedl.me.gvt1.com", "/edgedl/chrome/dict/en-us-10-1.bdic"),
    ("www.3cx.com", "/blog/news/desktopapp-security-alert/"),
    ("downloads-global.3cx.com", "/downloads/misc/3cxphoneforwindows.msi"),
    ("cdn.jsdelivr.net", "/npm/bootstrap@5.3.2/dist/css/bootstrap.min.css"),
    ("fonts.gstatic.com", "/s/roboto/v30/KFOmCnqEu92Fr1Mu4mxK.woff2"),
    ("s3.amazonaws.com", "/bank-reports-eu/q3.pdf"),
    ("www.ecb.europa.eu", "/stats/eurofxref/eurofxref-daily.xml"),
    ("www.swift.com", "/standards/iso-20022"),
    ("zoom.us", "/wc/join/"),
    ("a248.e.akamai.net", "/f/1/1/1/static/app.js"),
    ("officecdn.microsoft.com", "/pr/492350f6-3a01-4f97-b9c0-c7c6ddf67d60/Office/Data/v64.cab"),
    ("www.tradingtechnologies.com", "/products/"),
    ("pypi.org", "/simple/requests/"),
    ("deb.debian.org", "/debian/dists/bookworm/InRelease"),
    ("security.debian.org", "/debian-security/dists/bookworm-security/InRelease"),
    ("intranet.corp.example", "/hr/"),
    ("mail.corp.example", "/owa/"),
    ("www.reuters.com", "/markets/"),
    ("www.bloomberg.com", "/markets"),
    ("msedge.net", "/ab"))
BENIGN_HOSTS = tuple(dict.fromkeys(h for h, _ in BENIGN_URLS))
BENIGN_IMAGES = (
    r"C:\Windows\System32\svchost.exe",
    r"C:\Program Files\Google\Chrome\Application\chrome.exe",
    r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe",
    r"C:\Program Files\Microsoft Office\root\Office16\OUTLOOK.EXE",
    r"C:\Windows\explorer.exe",
    r"C:\Windows\System32\msiexec.exe",
    r"C:\Program Files\3CXPhone for Windows\3CXWin8Phone.exe",
    r"C:\Windows\System32\backgroundTaskHost.exe",
    r"C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe")
ELECTRON_APPS = (   # (directory, executable, signer) of apps that ship ffmpeg.dll
    (r"C:\Users\{u}\AppData\Local\slack\app-4.41.105", "slack.exe",
     "Slack Technologies, LLC"),
    (r"C:\Users\{u}\AppData\Local\Discord\app-1.0.9175", "Discord.exe",
     "Discord Inc."),
    (r"C:\Users\{u}\AppData\Local\Programs\Microsoft VS Code", "Code.exe",
     "Microsoft Corporation"))
THREECX_DIR = r"C:\Users\{u}\AppData\Local\Programs\3CXDesktopApp\app"
MAC_3CX_DIR = "/Users/{u}/Library/Application Support/3CX Desktop App"
TLD_STRETCH = {"com": "munity", "org": "anic", "net": "work", "wiki": "pedia"}


# --------------------------------------------------------------------------
# Messages


@dataclass
class Msg:
    """One syslog payload or DNS question, with what was put in on purpose.

    hits: (type, value) pairs that match by the semantics table if the value is
    in the feed (filtered against the feed at the end). misses: look-alikes of
    feed values put in on purpose; they must not match.
    """

    protocol: str                  # "syslog" or "dns"
    text: str                      # syslog payload, or qname without trailing dot
    src: Host
    hits: list[tuple[str, str]] = field(default_factory=list)
    misses: list[tuple[str, str]] = field(default_factory=list)
    qtype: int = QTYPE_A
    sport: int = 0
    category: str = "benign"       # hit, near or benign template


def hdr3164(pri: int, ts_us: int, host: str, tag: str | None,
            pid: int | None) -> str:
    """RFC 3164 header: '<PRI>Mmm dd hh:mm:ss host tag[pid]: ' (no tag: the
    message follows the host, as PAN-OS sends it)."""
    t = dt.datetime.fromtimestamp(ts_us // 1_000_000, tz=dt.timezone.utc)
    stamp = f"{MONTHS[t.month - 1]} {t.day:2d} {t:%H:%M:%S}"
    if tag is None:
        return f"<{pri}>{stamp} {host} "
    tag = f"{tag}[{pid}]" if pid is not None else tag
    return f"<{pri}>{stamp} {host} {tag}: "


def hdr5424(pri: int, ts_us: int, host: str, app: str, procid: object,
            msgid: str = "-", sd: str = "-") -> str:
    """RFC 5424 header up to and including the space before MSG."""
    return f"<{pri}>1 {iso_us(ts_us)} {host} {app} {procid} {msgid} {sd} "


def sysmon_time(ts_us: int) -> str:
    """2026-11-26 10:00:05.123 (Sysmon's UtcTime)."""
    return iso_us(ts_us)[:23].replace("T", " ")


def iso_us(ts_us: int) -> str:
    """2026-11-26T10:00:05.123456Z"""
    t = dt.datetime.fromtimestamp(ts_us // 1_000_000, tz=dt.timezone.utc)
    return f"{t:%Y-%m-%dT%H:%M:%S}.{ts_us % 1_000_000:06d}Z"


class Gen:
    """Random choices and message templates, all driven by one seeded RNG."""

    def __init__(self, rng: random.Random, feed: Feed):
        self.rng = rng
        self.feed = feed
        dset = set(feed.values["domain"])
        # Roots: feed domains with no parent in the feed; look-alikes are built
        # from these so "not" + root cannot be a subdomain of another indicator.
        self.roots = [d for d in feed.values["domain"]
                      if not any(".".join(d.split(".")[i:]) in dset
                                 for i in range(1, d.count(".")))]
        self.win_files = [f for f in feed.values["filename"]
                          if f.lower().endswith((".exe", ".msi", ".dll", ".ico"))]
        self.mac_files = [f for f in feed.values["filename"]
                          if f not in self.win_files]
        self.root_set = set(self.roots)
        self.hash_pools: dict[tuple, list[tuple[str, str]]] = {}

    # -- small random helpers ------------------------------------------------

    def hex(self, n: int) -> str:
        """n random lower-case hex digits."""
        return f"{self.rng.getrandbits(4 * n):0{n}x}"

    def guid(self) -> str:
        """A Windows GUID in braces, upper case."""
        h = self.hex(32).upper()
        return f"{{{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}}}"

    def user(self) -> str:
        """A user name (rarely a non-ASCII one)."""
        return self.rng.choice(USERS[:-1] if self.rng.random() < 0.97 else USERS)

    def ws(self) -> Host:
        """A workstation."""
        return self.rng.choice(WORKSTATIONS)

    def public_ip(self) -> str:
        """An Internet address from the documentation ranges."""
        return self.rng.choice(("198.51.100.", "203.0.113.", "192.0.2.")) + \
            str(self.rng.randint(2, 250))

    def port(self) -> int:
        """An ephemeral port."""
        return self.rng.randint(49152, 65535)

    def benign_host(self) -> str:
        """A host name of everyday traffic."""
        return self.rng.choice(BENIGN_HOSTS)

    def benign_url(self, scheme: str = "https://") -> str:
        """A URL of everyday traffic (scheme "" for PAN-OS style)."""
        host, path = self.rng.choice(BENIGN_URLS)
        return f"{scheme}{host}{path}"

    # -- feed-driven choices -------------------------------------------------

    def pick(self, itype: str, prefer: str | None = None) -> str | None:
        """A feed value of itype (prefer: a value equal to this, if present)."""
        vals = self.feed.values[itype]
        if not vals:
            return None
        if prefer is not None and self.feed.has(itype, prefer):
            return self.feed.canonical(itype, prefer)
        return self.rng.choice(vals)

    def pick_hash(self, itype: str | None = None, tag: str | None = None,
                  macos: bool | None = False) -> tuple[str, str] | None:
        """(type, value) of a feed hash, optionally of one type, with a tag and
        with or without the "macos" tag (None: either); any hash of the type
        when the tags rule out all of them (feeds without such tags)."""
        pool = self.hash_pools.get((itype, tag, macos))
        if pool is None:
            types = [itype] if itype else list(HASH_TYPES)

            def fits(t: str, v: str) -> bool:
                tags = self.feed.tags.get((t, v), "").split(",")
                return (tag is None or tag in tags) and \
                    (macos is None or ("macos" in tags) == macos)

            pool = [(t, v) for t in types for v in self.feed.values[t] if fits(t, v)]
            if not pool:
                pool = [(t, v) for t in types for v in self.feed.values[t]]
            self.hash_pools[(itype, tag, macos)] = pool
        return self.rng.choice(pool) if pool else None

    def domain_hits(self, host: str) -> list[tuple[str, str]]:
        """Feed domains that host is, or is a subdomain of (by construction)."""
        labels = host.lower().rstrip(".").split(".")
        out = []
        for i in range(len(labels) - 1):
            suffix = ".".join(labels[i:])
            if self.feed.has("domain", suffix):
                out.append(("domain", suffix))
        return out

    def url_hits(self, host: str, path: str) -> list[tuple[str, str]]:
        """Feed URLs that host+path equals or lies under, plus the feed domain
        of the host and a feed filename as last path segment."""
        full = host.lower() + path
        cands = {full}
        for i, ch in enumerate(full):
            if ch == "/":
                cands.add(full[:i])          # ".../images" of ".../images/x"
                cands.add(full[:i + 1])      # ".../main/" of ".../main/x"
        out = [("url", c) for c in sorted(cands) if self.feed.has("url", c)]
        out += self.domain_hits(host)
        last = path.rsplit("/", 1)[-1]
        if last:
            out.append(("filename", last))
        return out

    def c2_host(self, prefer: str | None = None) -> str | None:
        """A feed domain as it may appear: maybe a subdomain, maybe upper case."""
        d = self.pick("domain", prefer)
        if d is None:
            return None
        r = self.rng.random()
        if r < 0.35 and d in self.root_set:
            d = self.rng.choice(("cdn.", "api.", "update.", "a1.", "static.")) + d
        r = self.rng.random()
        if r < 0.12:
            d = d.upper()
        elif r < 0.25:
            labels = d.split(".")
            labels[-2] = labels[-2].upper()          # cdn.AKAMAICONTAINER.com
            d = ".".join(labels)
        return d

    def feed_url(self, prefer: str | None = None) -> tuple[str, str] | None:
        """(host, path) of a URL under a feed URL, host case varied."""
        u = self.pick("url", prefer)
        if u is None:
            return None
        host, _, path = u.partition("/")
        path = "/" + path
        if path.endswith("/"):
            path += self.rng.choice(("icon3.ico", "icon7.ico", "icon12.ico",
                                     "icon15.ico"))
        if self.rng.random() < 0.15:
            host = host.upper() if self.rng.random() < 0.5 else host.title()
        return host, path

    def win_path(self, fn: str, u: str) -> str:
        """A realistic Windows path for a file name."""
        low = fn.lower()
        if low.startswith("3cxdesktopapp") and low.endswith(".exe") or \
                low.endswith(".dll"):
            return THREECX_DIR.format(u=u) + "\\" + fn
        if low.endswith(".ico"):
            return rf"C:\Users\{u}\AppData\Local\Temp\{fn}"
        return rf"C:\Users\{u}\Downloads\{fn}"

    def mac_path(self, fn: str, u: str) -> str:
        """A realistic macOS path for a file name."""
        if fn.lower().endswith(".dmg"):
            return f"/Users/{u}/Downloads/{fn}"
        if fn.lower().endswith(".dylib"):
            return ("/Applications/3CX Desktop App.app/Contents/Frameworks/"
                    f"Electron Framework.framework/Versions/A/Libraries/{fn}")
        return MAC_3CX_DIR.format(u=u) + "/" + fn

    # -- syslog sources --------------------------------------------------------

    def squid(self, ts: int, method: str, url: str, code: str = "TCP_TUNNEL/200",
              ctype: str = "-") -> Msg:
        """Squid native access.log line over syslog (3164 or 5424)."""
        rng = self.rng
        client = self.ws()
        body = (f"{ts / 1e6:.3f} {rng.randint(3, 90000):6d} {client.ipv4} {code} "
                f"{rng.randint(300, 90000)} {method} {url} {self.user()} "
                f"HIER_DIRECT/{self.public_ip()} {ctype}")
        if rng.random() < 0.7:
            hdr = hdr3164(150, ts, PROXY.name, "squid", 2231)
        else:
            hdr = hdr5424(150, ts, PROXY.name + ".corp.example", "squid", 2231)
        return Msg("syslog", hdr + body, PROXY, sport=SYSLOG_PORT)

    def fortigate(self, ts: int, fields: str) -> Msg:
        """FortiGate key=value log: native '<PRI>date=...' or RFC 5424."""
        rng = self.rng
        t = dt.datetime.fromtimestamp(ts // 1_000_000, tz=dt.timezone.utc)
        body = (f'date={t:%Y-%m-%d} time={t:%H:%M:%S} devname="fw01" '
                f'devid="FG100FTK21001234" eventtime={ts * 1000} tz="+0000" '
                + fields)
        if rng.random() < 0.5:
            text = "<189>" + body
        else:
            text = hdr5424(189, ts, FORTIGATE.name, "-", "-") + body
        return Msg("syslog", text, FORTIGATE, sport=SYSLOG_PORT)

    def fgt_web(self, ts: int, host: str, url: str, action: str = "passthrough"
                ) -> Msg:
        """FortiGate web filter event naming a host and a full URL."""
        c = self.ws()
        return self.fortigate(ts, (
            f'logid="0317013312" type="utm" subtype="webfilter" '
            f'eventtype="ftgd_allow" level="notice" vd="root" policyid=12 '
            f'sessionid={self.rng.randint(10**6, 10**8)} srcip={c.ipv4} '
            f'srcport={self.port()} srcintf="port1" dstip={self.public_ip()} '
            f'dstport=443 dstintf="wan1" proto=6 service="HTTPS" '
            f'hostname="{host}" profile="default" action="{action}" '
            f'reqtype="direct" url="{url}" sentbyte={self.rng.randint(200, 9000)} '
            f'rcvdbyte={self.rng.randint(200, 90000)} direction="outgoing" '
            f'msg="URL belongs to an allowed category in policy" '
            f'cat=52 catdesc="Information Technology"'))

    def paloalto(self, ts: int, kind: str, url: str = "") -> Msg:
        """PAN-OS CSV log (TRAFFIC end, or THREAT url with a scheme-less URL)."""
        rng = self.rng
        t = dt.datetime.fromtimestamp(ts // 1_000_000, tz=dt.timezone.utc)
        stamp = f"{t:%Y/%m/%d %H:%M:%S}"
        c = self.ws()
        dst = self.public_ip()
        sess = rng.randint(10000, 999999)
        sport, nport = self.port(), self.port()
        common = (f"1,{stamp},015351000012345,{kind},{{sub}},2561,{stamp},"
                  f"{c.ipv4},{dst},198.51.100.2,{dst},allow-web,corp\\{self.user()},,"
                  f"{{app}},vsys1,trust,untrust,ethernet1/2,ethernet1/1,default,"
                  f"{stamp},{sess},1,{sport},443,{nport},443,0x400064,tcp,")
        if kind == "TRAFFIC":
            body = common.format(sub="end", app=rng.choice(("ssl", "web-browsing",
                                                            "ms-office365-base"))) + (
                f"allow,{rng.randint(500, 90000)},{rng.randint(100, 9000)},"
                f"{rng.randint(100, 90000)},{rng.randint(4, 90)},{stamp},"
                f"{rng.randint(0, 120)},any,0,7340032,0x0,10.0.0.0-10.255.255.255,"
                f"United States,0,9,9,tcp-fin")
        else:
            body = common.format(sub="url", app="ssl") + (
                f'alert,"{url}",(9999),computer-and-internet-info,informational,'
                f"client-to-server,{rng.randint(10**6, 10**7)},0x2000000000000000,"
                f"10.0.0.0-10.255.255.255,United States,0,text/html")
        hdr = hdr3164(14, ts, PALOALTO.name, None, None)
        return Msg("syslog", hdr + body, PALOALTO, sport=SYSLOG_PORT)

    def iptables(self, ts: int) -> Msg:
        """Linux netfilter LOG line (never holds an indicator)."""
        rng = self.rng
        src, dst = self.public_ip(), f"10.1.0.{rng.randint(2, 60)}"
        proto = rng.choice(("TCP", "UDP"))
        tail = (f"WINDOW={rng.randint(1024, 65535)} RES=0x00 SYN URGP=0"
                if proto == "TCP" else f"LEN={rng.randint(20, 500)}")
        body = (f"[{rng.randint(100000, 9999999)}.{rng.randint(0, 999999):06d}] "
                f"{rng.choice(('FW-DROP', 'FW-ACCEPT', 'INPUT-DROP'))} IN=eth0 OUT= "
                f"MAC=00:1b:21:3a:4f:10:00:0c:29:5e:aa:01:08:00 SRC={src} DST={dst} "
                f"LEN={rng.randint(40, 1500)} TOS=0x00 PREC=0x00 TTL={rng.randint(40, 128)} "
                f"ID={rng.randint(1, 65535)} DF PROTO={proto} SPT={self.port()} "
                f"DPT={rng.choice((22, 23, 445, 3389, 8080, 5060))} {tail}")
        return Msg("syslog", hdr3164(4, ts, EDGE_GW.name, "kernel", None) + body,
                   EDGE_GW, sport=SYSLOG_PORT)

    def sysmon(self, ts: int, host: Host, event: str) -> Msg:
        """A Sysmon event forwarded by NXLog, RFC 5424 (with SD) or RFC 3164."""
        rng = self.rng
        if rng.random() < 0.6:
            sd = (f'[NXLOG@14506 EventReceivedTime="{sysmon_time(ts)[:19]}" '
                  f'SourceModuleName="sysmon" SourceModuleType="im_msvistalog"]')
            hdr = hdr5424(14, ts, host.name + ".corp.example",
                          "Microsoft-Windows-Sysmon", rng.randint(1000, 9000), "-", sd)
        else:
            hdr = hdr3164(14, ts, host.name, "Microsoft-Windows-Sysmon",
                          rng.randint(1000, 9000))
        return Msg("syslog", hdr + event, host, sport=self.port())

    def sysmon_hashes(self, planted: tuple[str, str] | None = None,
                      sha256: str | None = None) -> str:
        """A Sysmon 'Hashes:' value, upper case, one planted hash if given."""
        vals = {"MD5": self.hex(32), "SHA256": self.hex(64), "IMPHASH": self.hex(32)}
        order = ["MD5", "SHA256", "IMPHASH"]
        if planted and planted[0] == "sha1" or self.rng.random() < 0.2:
            vals["SHA1"] = self.hex(40)
            order.insert(0, "SHA1")
        if planted:
            vals[planted[0].upper()] = planted[1]
        if sha256 is not None:
            vals["SHA256"] = sha256
        return ",".join(f"{k}={vals[k].upper()}" for k in order)

    def sysmon_process(self, ts: int, host: Host, u: str, image: str, cmd: str,
                       hashes: str, version: str = "10.0.19041.1") -> str:
        """Body of Sysmon event 1 (Process Create)."""
        rng = self.rng
        ofn = image.rsplit("\\", 1)[-1]
        return (f"Process Create:  RuleName: -  UtcTime: {sysmon_time(ts)}  "
                f"ProcessGuid: {self.guid()}  ProcessId: {rng.randint(1000, 20000)}  "
                f"Image: {image}  FileVersion: {version}  OriginalFileName: {ofn}  "
                f"CommandLine: {cmd}  CurrentDirectory: C:\\Users\\{u}\\  "
                f"User: CORP\\{u}  LogonGuid: {self.guid()}  LogonId: 0x{self.hex(6).upper()}  "
                f"TerminalSessionId: 1  IntegrityLevel: Medium  Hashes: {hashes}  "
                f"ParentProcessGuid: {self.guid()}  ParentProcessId: {rng.randint(500, 9000)}  "
                f"ParentImage: C:\\Windows\\explorer.exe  ParentCommandLine: C:\\Windows\\Explorer.EXE")

    def sysmon_imageload(self, ts: int, u: str, image: str, dll: str,
                         hashes: str, signer: str) -> str:
        """Body of Sysmon event 7 (Image loaded)."""
        return (f"Image loaded:  RuleName: -  UtcTime: {sysmon_time(ts)}  "
                f"ProcessGuid: {self.guid()}  ProcessId: {self.rng.randint(1000, 20000)}  "
                f"Image: {image}  ImageLoaded: {dll}  Hashes: {hashes}  Signed: true  "
                f"Signature: {signer}  SignatureStatus: Valid  User: CORP\\{u}")

    def sysmon_netconn(self, ts: int, host: Host, u: str, image: str, dest: str) -> str:
        """Body of Sysmon event 3 (Network connection)."""
        return (f"Network connection detected:  RuleName: -  UtcTime: "
                f"{sysmon_time(ts)}  ProcessGuid: {self.guid()}  "
                f"ProcessId: {self.rng.randint(1000, 20000)}  Image: {image}  "
                f"User: CORP\\{u}  Protocol: tcp  Initiated: true  SourceIsIpv6: false  "
                f"SourceIp: {host.ipv4}  SourcePort: {self.port()}  DestinationIsIpv6: false  "
                f"DestinationIp: {self.public_ip()}  DestinationHostname: {dest}  "
                f"DestinationPort: 443  DestinationPortName: https")

    def sysmon_dns(self, ts: int, u: str, image: str, qname: str) -> str:
        """Body of Sysmon event 22 (DNS query)."""
        return (f"Dns query:  RuleName: -  UtcTime: {sysmon_time(ts)}  "
                f"ProcessGuid: {self.guid()}  ProcessId: {self.rng.randint(1000, 20000)}  "
                f"QueryName: {qname}  QueryStatus: 0  "
                f"QueryResults: ::ffff:{self.public_ip()};  Image: {image}  User: CORP\\{u}")

    def sysmon_filecreate(self, ts: int, u: str, image: str, target: str) -> str:
        """Body of Sysmon event 11 (File created)."""
        stamp = sysmon_time(ts)
        return (f"File created:  RuleName: -  UtcTime: {stamp}  ProcessGuid: {self.guid()}  "
                f"ProcessId: {self.rng.randint(1000, 20000)}  Image: {image}  "
                f"TargetFilename: {target}  CreationUtcTime: {stamp}  User: CORP\\{u}")

    def falcon_kv(self, ts: int, fields: str) -> Msg:
        """EDR key=value event as in DESIGN.md's example (host edr01, app falcon)."""
        return Msg("syslog", hdr3164(134, ts, FALCON.name, "falcon", 2211) + fields,
                   FALCON, sport=SYSLOG_PORT)

    def falcon_cef(self, ts: int, ext: str, name: str = "DetectionSummaryEvent",
                   title: str = "Detection Summary Event", sev: int = 8) -> Msg:
        """CrowdStrike CEF event over RFC 5424 (backslashes CEF-escaped)."""
        hdr = hdr5424(134, ts, FALCON.name, "cs-falconhoseclient", 2211)
        body = (f"CEF:0|CrowdStrike|FalconHost|1.0|{name}|{title}|{sev}|"
                f"rt={ts // 1000} " + ext)
        return Msg("syslog", hdr + body, FALCON, sport=SYSLOG_PORT)

    def resolver(self, ts: int, qname: str, qtype: str, style: str | None = None
                 ) -> Msg:
        """A resolver query log line: bind, dnsmasq or unbound (trailing dot)."""
        rng = self.rng
        c = self.ws()
        style = style or rng.choice(("bind", "dnsmasq", "unbound"))
        if style == "bind":
            body = (f"client @0x7f{self.hex(10)} {c.ipv4}#{self.port()} ({qname}): "
                    f"query: {qname} IN {qtype} +E(0)K ({RESOLVER.ipv4})")
            return Msg("syslog", hdr3164(30, ts, RESOLVER.name, "named", 464) + body,
                       RESOLVER, sport=self.port())
        if style == "dnsmasq":
            body = f"query[{qtype}] {qname} from {c.ipv4}"
            return Msg("syslog", hdr3164(30, ts, DNSMASQ.name, "dnsmasq", 812) + body,
                       DNSMASQ, sport=SYSLOG_PORT)
        body = f"[2541:0] info: {c.ipv4} {qname}. {qtype} IN"
        return Msg("syslog", hdr5424(30, ts, UNBOUND.name, "unbound", 2541) + body,
                   UNBOUND, sport=self.port())

    # -- benign ----------------------------------------------------------------

    def benign_syslog(self, ts: int) -> Msg:
        """A syslog message from the everyday mix, no indicator in it."""
        rng = self.rng
        r = rng.random()
        if r < 0.25:
            if rng.random() < 0.5:
                return self.squid(ts, "CONNECT", f"{self.benign_host()}:443")
            code = rng.choice(("TCP_MISS/200", "TCP_MEM_HIT/200", "TCP_DENIED/403",
                               "TCP_MISS/304"))
            return self.squid(ts, "GET", self.benign_url(), code, "text/html")
        if r < 0.45:
            if rng.random() < 0.5:
                url = self.benign_url()
                return self.fgt_web(ts, url.split("/")[2], url)
            c = self.ws()
            return self.fortigate(ts, (
                f'logid="0000000013" type="traffic" subtype="forward" level="notice" '
                f'vd="root" srcip={c.ipv4} srcport={self.port()} srcintf="port1" '
                f'srcintfrole="lan" dstip={self.public_ip()} dstport=443 dstintf="wan1" '
                f'dstintfrole="wan" sessionid={rng.randint(10**6, 10**8)} proto=6 '
                f'action="close" policyid=12 policytype="policy" service="HTTPS" '
                f'trandisp="snat" transip=198.51.100.2 transport={self.port()} '
                f'duration={rng.randint(1, 600)} sentbyte={rng.randint(100, 90000)} '
                f'rcvdbyte={rng.randint(100, 900000)} appcat="unscanned"'))
        if r < 0.57:
            if rng.random() < 0.7:
                return self.paloalto(ts, "TRAFFIC")
            return self.paloalto(ts, "THREAT", self.benign_url(scheme=""))
        if r < 0.67:
            return self.iptables(ts)
        if r < 0.82:
            host, u = self.ws(), self.user()
            image = rng.choice(BENIGN_IMAGES)
            k = rng.random()
            if k < 0.5:
                body = self.sysmon_process(ts, host, u, image, f'"{image}"',
                                           self.sysmon_hashes())
            elif k < 0.75:
                body = self.sysmon_netconn(ts, host, u, image, self.benign_host())
            else:
                body = self.sysmon_dns(ts, u, image, self.benign_host())
            return self.sysmon(ts, host, body)
        if r < 0.87:
            host, u = self.ws(), self.user()
            if rng.random() < 0.5:
                return self.falcon_kv(ts, (
                    f"event=ProcessRollup2 host={host.name} user={u} "
                    f'image="{rng.choice(BENIGN_IMAGES)}" sha256={self.hex(64)} '
                    f"md5={self.hex(32)}"))
            return self.falcon_cef(ts, (
                f"duser={u} shost={host.name} src={host.ipv4} "
                f"outcome=success msg=User logged on"),
                name="AuthActivityAuditEvent", title="Auth Activity Audit Event", sev=2)
        qt = "AAAA" if rng.random() < 0.3 else "A"
        return self.resolver(ts, self.benign_host(), qt)

    def benign_dns(self) -> Msg:
        """A DNS question for a well-known name."""
        q = self.benign_host()
        if self.rng.random() < 0.1:
            q = "_ldap._tcp.dc._msdcs.corp.example"
        return Msg("dns", q, self.ws(), qtype=self.qtype())

    def qtype(self) -> int:
        """A or AAAA."""
        return QTYPE_AAAA if self.rng.random() < 0.3 else QTYPE_A

    # -- hits (syslog) ----------------------------------------------------------

    def hit_squid_connect(self, ts: int, prefer: str | None = "journalide.org"
                          ) -> Msg | None:
        """Proxy CONNECT to a C2 domain (e.g. 'CONNECT journalide.org:443')."""
        d = self.pick("domain", prefer) if prefer else self.c2_host()
        if d is None:
            return None
        m = self.squid(ts, "CONNECT", f"{d}:443")
        m.hits = self.domain_hits(d)
        return m

    def hit_squid_connect_any(self, ts: int) -> Msg | None:
        """Proxy CONNECT to a random C2 domain, maybe a subdomain or upper case."""
        return self.hit_squid_connect(ts, prefer=None)

    def hit_squid_get_c2(self, ts: int) -> Msg | None:
        """Proxy GET of a path on a C2 host (domain hit inside a URL)."""
        d = self.c2_host()
        if d is None:
            return None
        path = self.rng.choice(("/x", "/api/v1/update", "/images/icon.png", "/"))
        m = self.squid(ts, "GET", f"https://{d}{path}", "TCP_MISS/200", "image/png")
        m.hits = self.url_hits(d, path)
        return m

    def hit_squid_url(self, ts: int) -> Msg | None:
        """Proxy GET of a feed URL or a path under it (http or https)."""
        hp = self.feed_url()
        if hp is None:
            return None
        host, path = hp
        scheme = self.rng.choice(("https://", "http://"))
        ctype = "image/vnd.microsoft.icon" if path.endswith(".ico") else "text/html"
        m = self.squid(ts, "GET", f"{scheme}{host}{path}", "TCP_MISS/200", ctype)
        m.hits = self.url_hits(host, path)
        return m

    def hit_icon12(self, ts: int) -> Msg | None:
        """'GET https://raw.githubusercontent.com/IconStorages/images/main/icon12.ico'."""
        pfx = "raw.githubusercontent.com/IconStorages/images/main/"
        if not self.feed.has("url", pfx):
            return None
        host, path = "raw.githubusercontent.com", "/IconStorages/images/main/icon12.ico"
        m = self.squid(ts, "GET", f"https://{host}{path}", "TCP_MISS/200",
                       "image/vnd.microsoft.icon")
        m.hits = self.url_hits(host, path)
        return m

    def hit_icon13(self, ts: int) -> Msg | None:
        """The icon13.ico URL: both URL indicators and the icon13.ico file name."""
        u = "raw.githubusercontent.com/IconStorages/images/main/icon13.ico"
        if not self.feed.has("url", u):
            return None
        host, path = "raw.githubusercontent.com", "/IconStorages/images/main/icon13.ico"
        m = self.squid(ts, "GET", f"http://{host}{path}", "TCP_MISS/200",
                       "image/vnd.microsoft.icon")
        m.hits = self.url_hits(host, path)
        return m

    def hit_fgt_web(self, ts: int) -> Msg | None:
        """FortiGate web filter hit: C2 hostname (www.journalide.org: two hits)."""
        d = self.c2_host(prefer="www.journalide.org" if self.rng.random() < 0.3 else None)
        if d is None:
            return None
        path = self.rng.choice(("/", "/x", "/api/v1/update"))
        m = self.fgt_web(ts, d, f"https://{d}{path}", action="blocked")
        m.hits = self.url_hits(d, path)
        return m

    def hit_paloalto_url(self, ts: int) -> Msg | None:
        """PAN-OS URL log with a scheme-less feed URL or C2 host."""
        hp = self.feed_url() if self.rng.random() < 0.6 else None
        if hp is None:
            d = self.c2_host()
            if d is None:
                return None
            hp = (d, "/")
        m = self.paloalto(ts, "THREAT", hp[0] + hp[1])
        m.hits = self.url_hits(*hp)
        return m

    def hit_sysmon_process(self, ts: int) -> Msg | None:
        """Sysmon Process Create of a feed file name and/or with a feed hash
        (upper case, as Sysmon writes them)."""
        runnable = [f for f in self.win_files if f.lower().endswith((".exe", ".msi"))]
        fn = None
        if runnable:
            fn = self.pick("filename", "3CXDesktopApp.exe")
            if fn not in runnable or self.rng.random() < 0.4:
                fn = self.rng.choice(runnable)
        h = self.pick_hash(tag="binary") if self.rng.random() < 0.8 or not fn else None
        if fn is None and h is None:
            return None
        host, u = self.ws(), self.user()
        if fn is None:
            image = self.rng.choice(BENIGN_IMAGES)
            cmd, version = f'"{image}"', "10.0.19041.1"
        elif fn.lower().endswith(".msi"):
            image = r"C:\Windows\System32\msiexec.exe"
            cmd, version = f'{image} /i "{self.win_path(fn, u)}"', "5.0.19041.1"
        else:
            image = self.win_path(fn, u)
            cmd, version = f'"{image}" --update', "18.12.416.0"
        body = self.sysmon_process(ts, host, u, image, cmd, self.sysmon_hashes(h),
                                   version)
        m = self.sysmon(ts, host, body)
        m.hits = ([("filename", fn)] if fn else []) + ([h] if h else [])
        return m

    def hit_sysmon_two_hashes(self, ts: int) -> Msg | None:
        """Sysmon Process Create with a feed MD5 and a feed SHA-256 (3 hits with
        the file name)."""
        md5 = self.pick_hash("md5", tag="binary")
        sha = self.pick_hash("sha256", tag="binary")
        fn = self.pick("filename", "3CXDesktopApp.exe")
        if md5 is None or sha is None or fn is None or fn not in self.win_files:
            return None
        host, u = self.ws(), self.user()
        image = self.win_path(fn, u)
        body = self.sysmon_process(ts, host, u, image, f'"{image}"',
                                   self.sysmon_hashes(md5, sha256=sha[1]), "18.12.407.0")
        m = self.sysmon(ts, host, body)
        m.hits = [("filename", fn), md5, sha]
        return m

    def hit_sysmon_sha1(self, ts: int) -> Msg | None:
        """Sysmon Process Create of a benign-looking image with a feed SHA-1."""
        h = self.pick_hash("sha1")
        if h is None:
            return None
        host, u = self.ws(), self.user()
        image = rf"C:\Users\{u}\AppData\Local\Temp\{self.hex(8)}.exe"
        m = self.sysmon(ts, host, self.sysmon_process(
            ts, host, u, image, f'"{image}"', self.sysmon_hashes(h)))
        m.hits = [h]
        return m

    def hit_sysmon_imageload(self, ts: int) -> Msg | None:
        """3CXDesktopApp.exe loading ffmpeg.dll whose SHA-256 is in the feed."""
        h = self.pick_hash("sha256", tag="dll")
        if h is None:
            return None
        host, u = self.ws(), self.user()
        image = THREECX_DIR.format(u=u) + r"\3CXDesktopApp.exe"
        dll = THREECX_DIR.format(u=u) + r"\ffmpeg.dll"
        body = self.sysmon_imageload(ts, u, image, dll, self.sysmon_hashes(h), "3CX Ltd")
        m = self.sysmon(ts, host, body)
        m.hits = [("filename", "3CXDesktopApp.exe"), ("filename", "ffmpeg.dll"), h]
        return m

    def hit_sysmon_net(self, ts: int) -> Msg | None:
        """Sysmon Network connection from 3CXDesktopApp.exe to a C2 host."""
        d = self.c2_host()
        if d is None:
            return None
        host, u = self.ws(), self.user()
        image = THREECX_DIR.format(u=u) + r"\3CXDesktopApp.exe"
        m = self.sysmon(ts, host, self.sysmon_netconn(ts, host, u, image, d))
        m.hits = [("filename", "3CXDesktopApp.exe")] + self.domain_hits(d)
        return m

    def hit_sysmon_dns(self, ts: int) -> Msg | None:
        """Sysmon DNS query for a C2 name by a benign process."""
        d = self.c2_host()
        if d is None:
            return None
        host, u = self.ws(), self.user()
        image = self.rng.choice(BENIGN_IMAGES)
        m = self.sysmon(ts, host, self.sysmon_dns(ts, u, image, d))
        m.hits = self.domain_hits(d)
        return m

    def hit_sysmon_filecreate(self, ts: int) -> Msg | None:
        """Sysmon File created: a feed file name written by the browser
        (downloads) or by the installer (program files)."""
        if not self.win_files:
            return None
        fn = self.rng.choice(self.win_files)
        host, u = self.ws(), self.user()
        target = self.win_path(fn, u)
        image = BENIGN_IMAGES[5] if "\\Programs\\" in target else BENIGN_IMAGES[1]
        m = self.sysmon(ts, host, self.sysmon_filecreate(ts, u, image, target))
        m.hits = [("filename", fn)]
        return m

    def hit_falcon_kv(self, ts: int) -> Msg | None:
        """EDR key=value line: image path of 3CXDesktopApp.exe and sha256=<hash>."""
        h = self.pick_hash("sha256", tag="binary")
        if h is None:
            return None
        host, u = self.ws(), self.user()
        image = r"C:\Users\bob\AppData\Local\Programs\3CXDesktopApp\app\3CXDesktopApp.exe"
        m = self.falcon_kv(ts, (
            f'event=ProcessRollup2 host={host.name} user={u} image="{image}" '
            f"sha256={h[1]} md5={self.hex(32)} "
            f'parent="C:\\Windows\\explorer.exe"'))
        m.hits = [("filename", "3CXDesktopApp.exe"), h]
        return m

    def hit_falcon_cef(self, ts: int) -> Msg | None:
        """CEF detection naming a feed file (Windows or macOS path) and hashes."""
        use_mac = bool(self.mac_files) and self.rng.random() < 0.5
        files = self.mac_files if use_mac else self.win_files
        if not files:
            return None
        fn = self.rng.choice(files)
        h = self.pick_hash(macos=use_mac)
        host, u = self.ws(), self.user()
        path = self.mac_path(fn, u) if use_mac else self.win_path(fn, u)
        if use_mac:
            fdir = path.rsplit("/", 1)[0]
        else:
            fdir = "\\Device\\HarddiskVolume3" + path[2:].rsplit("\\", 1)[0]
            fdir = fdir.replace("\\", "\\\\")
        hashes = {"md5": self.hex(32), "sha1": self.hex(40), "sha256": self.hex(64)}
        if h:
            hashes[h[0]] = h[1]
        ext = (f"duser={u} shost={host.name} src={host.ipv4} fname={fn} "
               f"filePath={fdir} fileHash={hashes['sha256']} "
               f"cs1Label=MD5String cs1={hashes['md5']} "
               f"cs2Label=SHA1String cs2={hashes['sha1']} "
               f"cs3Label=Tactic cs3=Command and Control "
               f"msg=Suspicious software detected act=Quarantine")
        m = self.falcon_cef(ts, ext)
        m.hits = [("filename", fn)] + ([h] if h else [])
        return m

    def hit_resolver(self, ts: int, style: str | None = None,
                     name: str | None = None) -> Msg | None:
        """Resolver query log for a C2 name (unbound writes 'journalide.org.')."""
        d = name if name is not None else self.c2_host()
        if d is None or not self.domain_hits(d):
            return None
        m = self.resolver(ts, d, "AAAA" if self.rng.random() < 0.3 else "A", style)
        m.hits = self.domain_hits(d)
        return m

    def hit_unbound_dot(self, ts: int) -> Msg | None:
        """Trailing-dot FQDN in a resolver log ('journalide.org. A IN')."""
        d = self.pick("domain", "journalide.org")
        return self.hit_resolver(ts, "unbound", name=d) if d else None

    def hit_dnsmasq_cdn(self, ts: int) -> Msg | None:
        """'query[A] cdn.AKAMAICONTAINER.com from ...' (subdomain, upper case)."""
        if not self.feed.has("domain", "akamaicontainer.com"):
            return None
        return self.hit_resolver(ts, "dnsmasq", name="cdn.AKAMAICONTAINER.com")

    def hit_trading(self, ts: int) -> Msg | None:
        """Exact feed URL on a legitimate host (tradingtechnologies)."""
        u = "www.tradingtechnologies.com/trading/order-management"
        if not self.feed.has("url", u):
            return None
        host, _, path = u.partition("/")
        m = self.squid(ts, "GET", f"https://{host}/{path}", "TCP_MISS/200", "text/html")
        m.hits = self.url_hits(host, "/" + path)
        return m

    def hit_github_repo(self, ts: int) -> Msg | None:
        """The actor's GitHub repository URL, exactly or a path under it."""
        u = "github.com/IconStorages/images"
        if not self.feed.has("url", u):
            return None
        path = self.rng.choice(("/IconStorages/images", "/IconStorages/images/",
                                "/IconStorages/images/tree/main"))
        m = self.squid(ts, "GET", f"https://github.com{path}", "TCP_MISS/200",
                       "text/html")
        m.hits = self.url_hits("github.com", path)
        return m

    # -- near misses (syslog) ---------------------------------------------------

    def root(self, prefer: str | None = "journalide.org") -> str | None:
        """A feed domain with no parent in the feed."""
        if not self.roots:
            return None
        if prefer in self.roots and self.rng.random() < 0.5:
            return prefer
        return self.rng.choice(self.roots)

    def lookalikes(self, d: str) -> list[str]:
        """Names that contain d but are not d nor a subdomain of it."""
        tld = d.rsplit(".", 1)[-1]
        return ["not" + d, "x" + d, d + ".au", d + TLD_STRETCH.get(tld, "x"),
                d.replace(".", "-") + ".example.net"]

    def near_squid_lookalike(self, ts: int) -> Msg | None:
        """Proxy CONNECT to notjournalide.org / journalide.org.au / ... ."""
        d = self.root()
        if d is None:
            return None
        name = self.rng.choice(self.lookalikes(d)[:4])
        m = self.squid(ts, "CONNECT", f"{name}:443")
        m.misses = [("domain", d)]
        return m

    def near_fgt_community(self, ts: int) -> Msg | None:
        """FortiGate hostname like akamaicontainer.community."""
        d = self.root(prefer="akamaicontainer.com")
        if d is None:
            return None
        name = self.lookalikes(d)[3]
        m = self.fgt_web(ts, name, f"https://{name}/")
        m.misses = [("domain", d)]
        return m

    def near_resolver_lookalike(self, ts: int) -> Msg | None:
        """Resolver log for a look-alike name."""
        d = self.root()
        if d is None:
            return None
        m = self.resolver(ts, self.rng.choice(self.lookalikes(d)), "A")
        m.misses = [("domain", d)]
        return m

    def near_hash_changed(self, ts: int) -> Msg | None:
        """Sysmon with a feed SHA-256 that has one hex digit changed."""
        h = self.pick_hash("sha256")
        if h is None:
            return None
        i = self.rng.randrange(64)
        digit = self.rng.choice([c for c in "0123456789abcdef" if c != h[1][i]])
        changed = h[1][:i] + digit + h[1][i + 1:]
        if self.feed.has("sha256", changed):
            return None
        host, u = self.ws(), self.user()
        image = self.rng.choice(BENIGN_IMAGES)
        m = self.sysmon(ts, host, self.sysmon_process(
            ts, host, u, image, f'"{image}"', self.sysmon_hashes(("sha256", changed))))
        return m

    def near_hash_in_run(self, ts: int) -> Msg | None:
        """A feed hash inside a longer hex run (MD5 inside a SHA-256 field,
        SHA-256 inside a SHA-512 field)."""
        if self.rng.random() < 0.5:
            h = self.pick_hash("md5")
            if h is None:
                return None
            run = self.hex(32) + h[1]
            host, u = self.ws(), self.user()
            image = self.rng.choice(BENIGN_IMAGES)
            m = self.sysmon(ts, host, self.sysmon_process(
                ts, host, u, image, f'"{image}"', self.sysmon_hashes(sha256=run)))
        else:
            h = self.pick_hash("sha256")
            if h is None:
                return None
            host, u = self.ws(), self.user()
            m = self.falcon_cef(ts, (
                f"duser={u} shost={host.name} fname=update.bin "
                f"cs4Label=SHA512String cs4={self.hex(32)}{h[1]}{self.hex(32)} "
                f"msg=File written"), name="FileWrittenEvent", title="File Written Event",
                sev=2)
        m.misses = [h]
        return m

    def near_not_filename(self, ts: int) -> Msg | None:
        """Sysmon image named not3CXDesktopApp.exe."""
        fn = self.pick("filename", "3CXDesktopApp.exe")
        if fn is None:
            return None
        host, u = self.ws(), self.user()
        image = rf"C:\Tools\not{fn}"
        m = self.sysmon(ts, host, self.sysmon_process(
            ts, host, u, image, f'"{image}"', self.sysmon_hashes()))
        m.misses = [("filename", fn)]
        return m

    def near_url_other_path(self, ts: int) -> Msg | None:
        """Same host as a feed URL, other path (and the host alone)."""
        u = self.pick("url", "raw.githubusercontent.com/IconStorages/images/main/")
        if u is None:
            return None
        host = u.partition("/")[0]
        if self.rng.random() < 0.6:
            return self.squid(ts, "GET", f"https://{host}/someoneelse/repo/main/x",
                              "TCP_MISS/200", "text/plain")
        return self.squid(ts, "CONNECT", f"{host}:443")

    def near_legit_dll(self, ts: int) -> Msg | None:
        """ffmpeg.dll / d3dcompiler_47.dll loaded by Slack, Discord, VS Code:
        legitimate names, left out of the default feed (hit only if a feed
        holds them)."""
        host, u = self.ws(), self.user()
        d, exe, signer = self.rng.choice(ELECTRON_APPS)
        d = d.format(u=u)
        name = self.rng.choice(("ffmpeg.dll", "d3dcompiler_47.dll"))
        m = self.sysmon(ts, host, self.sysmon_imageload(
            ts, u, d + "\\" + exe, d + "\\" + name, self.sysmon_hashes(), signer))
        m.hits = [("filename", name)]
        return m

    def near_legit_3cx(self, ts: int) -> Msg:
        """Download of a later, clean 3CX installer (3CXDesktopApp-18.12.425.msi)."""
        return self.squid(ts, "GET", "https://downloads-global.3cx.com/downloads/"
                          "3CXDesktopApp-18.12.425.msi", "TCP_MISS/200",
                          "application/x-msi")

    # -- DNS questions ------------------------------------------------------------

    def dns_hit(self, prefer: str | None = None) -> Msg | None:
        """A question for a C2 name or a subdomain of one."""
        q = prefer if prefer and self.domain_hits(prefer) else self.c2_host()
        if q is None:
            return None
        return Msg("dns", q, self.ws(), hits=self.domain_hits(q), qtype=self.qtype())

    def dns_hit_cdn(self) -> Msg | None:
        """cdn.AKAMAICONTAINER.com"""
        return self.dns_hit("cdn.AKAMAICONTAINER.com")

    def dns_hit_www(self) -> Msg | None:
        """www.journalide.org: two hits (it and its parent are both indicators)."""
        return self.dns_hit("www.journalide.org")

    def dns_near(self) -> Msg | None:
        """A question for a look-alike of a C2 name (journalide.org.au, ...)."""
        d = self.root()
        if d is None:
            return None
        q = self.rng.choice(self.lookalikes(d))
        m = Msg("dns", q, self.ws(), qtype=self.qtype())
        if d in q:
            m.misses = [("domain", d)]
        return m

    def dns_near_not(self) -> Msg | None:
        """notjournalide.org"""
        if not self.feed.has("domain", "journalide.org"):
            return self.dns_near()
        return Msg("dns", "notjournalide.org", self.ws(),
                   misses=[("domain", "journalide.org")], qtype=self.qtype())

    def dns_near_raw(self) -> Msg:
        """raw.githubusercontent.com alone (not a URL indicator)."""
        return Msg("dns", "raw.githubusercontent.com", self.ws(), qtype=self.qtype())


def syslog_hit_templates(g: Gen):
    """Hit templates for syslog, each called as f(ts)."""
    return [g.hit_squid_connect, g.hit_squid_connect_any, g.hit_squid_get_c2,
            g.hit_squid_url, g.hit_icon12, g.hit_icon13, g.hit_fgt_web,
            g.hit_paloalto_url, g.hit_sysmon_process, g.hit_sysmon_two_hashes,
            g.hit_sysmon_sha1, g.hit_sysmon_imageload, g.hit_sysmon_net, g.hit_sysmon_dns,
            g.hit_sysmon_filecreate, g.hit_falcon_kv, g.hit_falcon_cef,
            g.hit_resolver, g.hit_unbound_dot, g.hit_dnsmasq_cdn, g.hit_trading,
            g.hit_github_repo]


def syslog_near_templates(g: Gen):
    """Near-miss templates for syslog, each called as f(ts)."""
    return [g.near_squid_lookalike, g.near_fgt_community, g.near_resolver_lookalike,
            g.near_hash_changed, g.near_hash_in_run, g.near_not_filename,
            g.near_url_other_path, g.near_legit_dll, g.near_legit_3cx]


def dns_hit_templates(g: Gen):
    """Hit templates for DNS questions, each called as f()."""
    return [g.dns_hit, g.dns_hit_cdn, g.dns_hit_www]


def dns_near_templates(g: Gen):
    """Near-miss templates for DNS questions, each called as f()."""
    return [g.dns_near, g.dns_near_not, g.dns_near_raw]


# --------------------------------------------------------------------------
# Ground truth


class Guard:
    """Checks that a message holds no feed value the template did not declare."""

    def __init__(self, feed: Feed):
        pairs = [(t, v) for t in INDICATOR_TYPES for v in feed.values[t]]
        self.full = len(pairs) <= GUARD_MAX_VALUES
        self.pairs = [(t, v, v.lower()) for t, v in pairs] if self.full else []

    def check(self, msg: Msg, expected: list[tuple[str, str]]) -> None:
        """Raises ValueError on an undeclared feed value or a declared hit
        that is not in the text."""
        low = msg.text.lower()
        declared = {(t, value_key(t, normalize(t, v))) for t, v in msg.hits + msg.misses}
        for t, v in expected:
            if normalize(t, v).lower() not in low:
                raise ValueError(f"declared hit {t} {v!r} not in message: {msg.text!r}")
        for t, v, vl in self.pairs:
            if vl in low and (t, value_key(t, v)) not in declared:
                raise ValueError(f"undeclared feed value {t} {v!r} in message: "
                                 f"{msg.text!r}")


def expected_hits(feed: Feed, msg: Msg) -> list[tuple[str, str]]:
    """The (type, normalized value) pairs of msg that are in the feed."""
    out: dict[tuple[str, str], tuple[str, str]] = {}
    for t, v in msg.hits:
        nv = normalize(t, v)
        if feed.has(t, nv):
            out[(t, value_key(t, nv))] = (t, feed.canonical(t, nv))
    return sorted(out.values(), key=lambda p: (INDICATOR_TYPES.index(p[0]), p[1]))


# --------------------------------------------------------------------------
# Frames


def csum(data: bytes) -> int:
    """Internet checksum (RFC 1071) of data."""
    if len(data) % 2:
        data += b"\0"
    s = int.from_bytes(data, "big")
    r = s % 0xFFFF
    if r == 0 and s:
        r = 0xFFFF
    return (~r) & 0xFFFF


def ether(src: bytes, dst: bytes, ethertype: int, payload: bytes,
          vlans: tuple[tuple[int, int], ...] = ()) -> bytes:
    """Ethernet II frame, with 802.1Q/802.1ad tags given as (tpid, vid)."""
    hdr = dst + src
    for tpid, vid in vlans:
        hdr += struct.pack("!HH", tpid, vid)
    return hdr + struct.pack("!H", ethertype) + payload


def ipv4(src: str, dst: str, proto: int, payload: bytes, ident: int,
         ttl: int = 64, total_len: int | None = None) -> bytes:
    """IPv4 header (DF, no options) + payload."""
    tl = 20 + len(payload) if total_len is None else total_len
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, tl, ident & 0xFFFF, 0x4000, ttl,
                    proto, 0, ipaddress.IPv4Address(src).packed,
                    ipaddress.IPv4Address(dst).packed)
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def ipv6(src: str, dst: str, nh: int, payload: bytes, hlim: int = 64) -> bytes:
    """IPv6 header without extension headers + payload."""
    return struct.pack("!IHBB16s16s", 0x60000000, len(payload), nh, hlim,
                       ipaddress.IPv6Address(src).packed,
                       ipaddress.IPv6Address(dst).packed) + payload


def pseudo(src: str, dst: str, proto: int, length: int) -> bytes:
    """Pseudo header for UDP/TCP checksums, IPv4 or IPv6."""
    a, b = ipaddress.ip_address(src), ipaddress.ip_address(dst)
    if a.version == 4:
        return a.packed + b.packed + struct.pack("!BBH", 0, proto, length)
    return a.packed + b.packed + struct.pack("!IxxxB", length, proto)


def udp(src: str, dst: str, sport: int, dport: int, payload: bytes,
        length: int | None = None, checksum: bool = True) -> bytes:
    """UDP header + payload; length overrides the header's length field."""
    ln = 8 + len(payload) if length is None else length
    seg = struct.pack("!HHHH", sport, dport, ln, 0) + payload
    if checksum:
        c = csum(pseudo(src, dst, 17, len(seg)) + seg) or 0xFFFF
        seg = seg[:6] + struct.pack("!H", c) + seg[8:]
    return seg


def tcp_syn(src: str, dst: str, sport: int, dport: int, seq: int) -> bytes:
    """TCP SYN with MSS, SACK-permitted, timestamps and window scale options."""
    opts = (b"\x02\x04\x05\xb4\x04\x02\x08\x0a" + struct.pack("!II", seq & 0xFFFFFFFF, 0)
            + b"\x01\x03\x03\x07")
    seg = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, 0,
                      (5 + len(opts) // 4) << 4, 0x02, 64240, 0, 0) + opts
    c = csum(pseudo(src, dst, 6, len(seg)) + seg)
    return seg[:16] + struct.pack("!H", c) + seg[18:]


def dns_name(name: str) -> bytes:
    """Wire form of a dotted name (labels <= 63 bytes, no compression)."""
    out = b""
    for label in name.rstrip(".").split("."):
        lb = label.encode("ascii")
        if not 0 < len(lb) <= 63:
            raise ValueError(f"bad label in {name!r}")
        out += bytes([len(lb)]) + lb
    return out + b"\0"


def dns_query(qid: int, qname_wire: bytes, qtype: int, edns: bool) -> bytes:
    """A standard recursive query; with an EDNS(0) OPT record if edns."""
    hdr = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 1 if edns else 0)
    q = qname_wire + struct.pack("!HH", qtype, 1)
    opt = b"\0" + struct.pack("!HHIH", 41, 1232, 0, 0) if edns else b""
    return hdr + q + opt


@dataclass
class Frame:
    """One record of the capture."""

    data: bytes
    kind: str                   # syslog, dns, other, malformed
    msg: Msg | None = None
    detail: str = ""
    ipv6: bool = False
    vlan: bool = False


class FrameMaker:
    """Builds frames from messages, unrelated traffic and malformed cases."""

    def __init__(self, rng: random.Random, feed: Feed):
        self.rng = rng
        self.ident = 0x1000
        self.loops = 0
        doms = feed.values["domain"]
        self.c2 = "journalide.org" if "journalide.org" in doms else \
            min(doms, key=len, default="example.com")

    def _ip(self, src: Host, dst: Host, v6: bool, proto: int, l4: bytes,
            vlans: tuple) -> bytes:
        """Wraps an L4 segment in IP and Ethernet."""
        self.ident += 1
        if v6:
            pkt, et = ipv6(src.ipv6, dst.ipv6, proto, l4), 0x86DD
            smac, dmac = mac_of(src), mac_of(dst)
        else:
            ttl = 128 if src.name.startswith("WS-") else 64
            pkt, et = ipv4(src.ipv4, dst.ipv4, proto, l4, self.ident, ttl), 0x0800
            smac, dmac = mac_of(src), mac_of(dst)
        return ether(smac, dmac, et, pkt, vlans)

    def transport(self, force: str | None = None) -> tuple[bool, tuple]:
        """Chooses IPv4/IPv6 and VLAN tags for one frame; force is one of
        v4, v6, vlan, qinq, v6vlan (used for the coverage messages)."""
        qinq = ((0x88A8, 100), (0x8100, 20))
        if force is not None:
            vlans = qinq if force == "qinq" else \
                ((0x8100, 20),) if force in ("vlan", "v6vlan") else ()
            return force in ("v6", "v6vlan"), vlans
        v6 = self.rng.random() < P_IPV6
        vlans: tuple = ()
        if self.rng.random() < P_VLAN:
            vlans = qinq if self.rng.random() < 0.25 else \
                ((0x8100, self.rng.choice((10, 20, 30))),)
        return v6, vlans

    def message(self, msg: Msg, force: str | None = None) -> Frame:
        """The frame carrying one syslog message or DNS question."""
        v6, vlans = self.transport(force)
        if msg.protocol == "syslog":
            src, dst, dport = msg.src, COLLECTOR, SYSLOG_PORT
            sport = msg.sport or self.rng.randint(49152, 65535)
            payload = msg.text.encode("utf-8")
        else:
            src, dst, dport = msg.src, RESOLVER, DNS_PORT
            sport = self.rng.randint(49152, 65535)
            payload = dns_query(self.rng.getrandbits(16), dns_name(msg.text),
                                msg.qtype, self.rng.random() < 0.4)
        a = (src.ipv6, dst.ipv6) if v6 else (src.ipv4, dst.ipv4)
        l4 = udp(a[0], a[1], sport, dport, payload)
        return Frame(self._ip(src, dst, v6, 17, l4, vlans), msg.protocol, msg,
                     ipv6=v6, vlan=bool(vlans))

    def other(self, gen: Gen) -> Frame:
        """Traffic that is neither syslog nor DNS and must be ignored."""
        rng = self.rng
        ws = gen.ws()
        kind = rng.choice(("ntp", "tcp443", "arp", "icmp"))
        if kind == "ntp":
            ntp = bytes([0x23]) + bytes(39) + struct.pack("!II", 0xED0A2F10,
                                                          rng.getrandbits(32))
            l4 = udp(ws.ipv4, NTP_SERVER.ipv4, 123, 123, ntp)
            return Frame(self._ip(ws, NTP_SERVER, False, 17, l4, ()), "other",
                         detail="udp/123")
        if kind == "tcp443":
            dst = Host("web", gen.public_ip(), "2001:db8:ffff::1")
            seg = tcp_syn(ws.ipv4, dst.ipv4, gen.port(), 443, rng.getrandbits(32))
            return Frame(self._ip(ws, dst, False, 6, seg, ()), "other", detail="tcp/443 syn")
        if kind == "arp":
            tip = f"10.1.20.{rng.randint(1, 250)}"
            arp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, mac_of(ws),
                              ipaddress.IPv4Address(ws.ipv4).packed, bytes(6),
                              ipaddress.IPv4Address(tip).packed) + bytes(18)
            return Frame(ether(mac_of(ws), b"\xff" * 6, 0x0806, arp), "other",
                         detail="arp")
        icmp = struct.pack("!BBHHH", 8, 0, 0, 1, rng.randint(1, 9999)) + \
            b"abcdefghijklmnopqrstuvwabcdefghi"
        icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
        dst = Host("gw", "10.1.0.1", "2001:db8:0:1::1")
        return Frame(self._ip(ws, dst, False, 1, icmp, ()), "other", detail="icmp echo")

    def malformed(self, gen: Gen, kind: str, ts: int) -> Frame:
        """A frame that must be counted as malformed and yield no hit."""
        rng = self.rng
        ws = gen.ws()
        self.ident += 1
        if kind == "trunc_ipv4":
            # Syslog to 514 cut inside the IPv4 header (12 of 20 bytes).
            text = hdr3164(150, ts, PROXY.name, "squid", 2231) + \
                f"CONNECT {self.c2}:443"
            full = ipv4(PROXY.ipv4, COLLECTOR.ipv4, 17,
                        udp(PROXY.ipv4, COLLECTOR.ipv4, 514, 514, text.encode()), self.ident)
            return Frame(ether(mac_of(PROXY), mac_of(COLLECTOR), 0x0800, full[:12]),
                         "malformed", detail="truncated IPv4 header")
        if kind == "udp_len":
            # UDP length 300 bytes more than the frame holds; payload names a C2.
            text = hdr3164(150, ts, PROXY.name, "squid", 2231) + \
                f"CONNECT {self.c2}:443"
            payload = text.encode()
            seg = udp(PROXY.ipv4, COLLECTOR.ipv4, 514, 514, payload,
                      length=8 + len(payload) + 300, checksum=False)
            pkt = ipv4(PROXY.ipv4, COLLECTOR.ipv4, 17, seg, self.ident)
            return Frame(ether(mac_of(PROXY), mac_of(COLLECTOR), 0x0800, pkt),
                         "malformed", detail="UDP length larger than the frame")
        if kind == "dns_loop":
            variant = self.loops % 3
            self.loops += 1
            if variant == 0:                      # name = pointer to itself
                wire, det = b"\xc0\x0c", "self-pointer"
            elif variant == 1:                    # c2.tld then back to offset 12
                labels = self.c2.split(".")
                wire = b"".join(bytes([len(x)]) + x.encode() for x in labels) + b"\xc0\x0c"
                det = f"{self.c2} + pointer back to its start"
            else:                                 # two pointers, each to the other
                wire, det = b"\xc0\x0e\xc0\x0c", "pointer ping-pong"
            payload = dns_query(rng.getrandbits(16), wire, QTYPE_A, False)
            seg = udp(ws.ipv4, RESOLVER.ipv4, gen.port(), 53, payload)
            return Frame(self._ip(ws, RESOLVER, False, 17, seg, ()), "malformed",
                         detail="DNS compression pointer loop: " + det)
        # A 64-byte label (length byte 0x40 is a reserved label type) before a C2.
        wire = b"\x40" + b"a" * 64 + dns_name(self.c2)
        payload = dns_query(rng.getrandbits(16), wire, QTYPE_A, False)
        seg = udp(ws.ipv4, RESOLVER.ipv4, gen.port(), 53, payload)
        return Frame(self._ip(ws, RESOLVER, False, 17, seg, ()), "malformed",
                     detail=f"DNS label length 64 before {self.c2}")


MALFORMED_KINDS = ("trunc_ipv4", "udp_len", "dns_loop", "dns_label64")


class PcapWriter:
    """Classic libpcap file writer (microsecond timestamps, Ethernet)."""

    def __init__(self, path: str):
        self.f = open(path, "wb")
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))

    def write(self, ts_us: int, data: bytes) -> None:
        """Appends one record."""
        self.f.write(struct.pack("<IIII", ts_us // 1_000_000, ts_us % 1_000_000,
                                 len(data), len(data)))
        self.f.write(data)

    def close(self) -> None:
        self.f.close()


# --------------------------------------------------------------------------
# Plan and output


def build_plan(rng: random.Random, n: int) -> list[tuple[str, str]]:
    """The order of frames: (kind, category) for n messages plus unrelated
    and malformed frames. Coverage items (one of each template) come first
    in the list and are shuffled with the rest."""
    plan: list[tuple[str, str]] = []
    for _ in range(n):
        kind = "dns" if rng.random() < P_DNS else "syslog"
        r = rng.random()
        cat = "hit" if r < P_HIT else "near" if r < P_HIT + P_NEAR else "benign"
        plan.append((kind, cat))
    per_kind = max(2, n // 1000)
    plan += [("malformed", k) for k in MALFORMED_KINDS
             for _ in range(per_kind + (k == "dns_loop"))]    # 3 loop variants
    plan += [("other", "")] * max(4, int(n * P_OTHER))
    rng.shuffle(plan)
    return plan


def generate(feed: Feed, n: int, seed: int, outdir: str) -> dict:
    """Writes the capture and its ground truth into outdir; returns the summary."""
    rng = random.Random(seed)
    g = Gen(rng, feed)
    fm = FrameMaker(rng, feed)
    guard = Guard(feed)
    plan = build_plan(rng, n)

    # Every template at least once: the first message slots of each
    # (kind, category) take them in turn, cycling through the transports.
    queues = {
        ("syslog", "hit"): list(syslog_hit_templates(g)),
        ("syslog", "near"): list(syslog_near_templates(g)),
        ("dns", "hit"): list(dns_hit_templates(g)),
        ("dns", "near"): list(dns_near_templates(g)),
    }
    for key, temps in queues.items():
        need = len(temps) - sum(1 for p in plan if p == key)
        spare = [i for i, p in enumerate(plan) if p == (key[0], "benign")]
        for i in rng.sample(spare, max(0, min(need, len(spare)))):
            plan[i] = key
    forced = ["v4", "v6", "vlan", "v4", "qinq", "v6vlan"]
    pending = {k: list(v) for k, v in queues.items()}

    ts = BASE_TIME_US + rng.randint(0, 999_999)
    pcap = PcapWriter(os.path.join(outdir, "capture.pcap"))
    exp_f = open(os.path.join(outdir, "expected.jsonl"), "w", encoding="utf-8")
    scan_f = open(os.path.join(outdir, "expected_scan.jsonl"), "w", encoding="utf-8")
    log_f = open(os.path.join(outdir, "messages.log"), "w", encoding="utf-8")
    counts = dict(frames=0, syslog_messages=0, dns_queries=0, malformed_frames=0,
                  other_frames=0, expected_hits=0, expected_scan_hits=0,
                  hit_messages=0, near_miss_messages=0, ipv6_frames=0, vlan_frames=0)
    by_type: dict[str, int] = {}
    malformed_detail: dict[int, str] = {}
    cover_i = 0
    first_ts = 0

    for kind, cat in plan:
        ts += rng.randint(150, 1500)
        if kind == "other":
            fr = fm.other(g)
            counts["other_frames"] += 1
        elif kind == "malformed":
            fr = fm.malformed(g, cat, ts)
            counts["malformed_frames"] += 1
            malformed_detail[counts["frames"] + 1] = fr.detail
        else:
            msg, force = None, None
            if cat in ("hit", "near"):
                todo = pending[(kind, cat)]
                while todo and msg is None:
                    t = todo.pop(0)
                    msg = t(ts) if kind == "syslog" else t()
                    force = forced[cover_i % len(forced)]
                    cover_i += 1
                temps = queues[(kind, cat)]
                tries = 0
                while msg is None and tries < 20:
                    t = rng.choice(temps)
                    msg = t(ts) if kind == "syslog" else t()
                    tries += 1
                    force = None
            if msg is None:
                msg = g.benign_syslog(ts) if kind == "syslog" else g.benign_dns()
            else:
                msg.category = cat
            fr = fm.message(msg, force)
            counts["syslog_messages" if kind == "syslog" else "dns_queries"] += 1
        counts["frames"] += 1
        frame_no = counts["frames"]
        first_ts = first_ts or ts
        counts["ipv6_frames"] += fr.ipv6
        counts["vlan_frames"] += fr.vlan
        pcap.write(ts, fr.data)

        if fr.msg is None:
            continue
        msg = fr.msg
        if "\n" in msg.text or "\r" in msg.text:
            raise ValueError(f"line break in message {msg.text!r}")
        hits = expected_hits(feed, msg)
        guard.check(msg, hits)
        if hits:
            counts["hit_messages"] += 1
        if msg.category == "near":
            counts["near_miss_messages"] += 1
        if msg.protocol == "syslog":
            log_f.write(msg.text + "\n")
            line_no = counts["syslog_messages"]
        for t, v in hits:
            rec = {"frame": frame_no, "protocol": msg.protocol, "indicator_type": t,
                   "indicator": v, "message": msg.text}
            exp_f.write(json.dumps(rec, ensure_ascii=False) + "\n")
            counts["expected_hits"] += 1
            by_type[t] = by_type.get(t, 0) + 1
            if msg.protocol == "syslog":
                rec = {"line": line_no, "protocol": "syslog", "indicator_type": t,
                       "indicator": v, "message": msg.text}
                scan_f.write(json.dumps(rec, ensure_ascii=False) + "\n")
                counts["expected_scan_hits"] += 1

    for f in (exp_f, scan_f, log_f):
        f.close()
    pcap.close()
    summary = dict(counts, messages=n, seed=seed, feed_indicators=feed.count(),
                   expected_hits_by_type=dict(sorted(by_type.items())),
                   malformed_frames_at=malformed_detail,
                   guard="all feed values" if guard.full else "skipped (feed too big)",
                   first_timestamp=iso_us(first_ts), last_timestamp=iso_us(ts))
    if feed.ignored:
        summary["feed_types_ignored"] = feed.ignored
    with open(os.path.join(outdir, "summary.json"), "w", encoding="utf-8") as f:
        json.dump(summary, f, indent=2, ensure_ascii=False)
        f.write("\n")
    return summary


def verify(outdir: str, summary: dict) -> None:
    """Re-reads the capture with scapy: frame count, IPv4/UDP/TCP checksums of
    the well-formed frames, syslog payloads against messages.log, DNS
    questions decode."""
    import logging                                      # noqa: PLC0415
    logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
    from scapy.all import DNS, IP, TCP, UDP, IPv6, PcapReader, raw  # noqa: PLC0415

    with open(os.path.join(outdir, "messages.log"), encoding="utf-8") as f:
        lines = f.read().split("\n")[:-1]
    nframes = nsys = ndns = nsum = 0
    for pkt in PcapReader(os.path.join(outdir, "capture.pcap")):
        nframes += 1
        l3 = pkt[IP] if IP in pkt else pkt[IPv6] if IPv6 in pkt else None
        l4 = UDP if UDP in pkt else TCP if TCP in pkt else None
        if l3 is None or l4 is None or len(raw(l3)) < 20:
            continue                                    # incl. the truncated IPv4
        if l4 is UDP and pkt[UDP].len != len(raw(pkt[UDP])):
            continue                                    # the lying UDP length
        chk = l3.__class__(raw(l3))
        want = (chk[l4].chksum, chk.chksum if IP in chk else None)
        del chk[l4].chksum
        if IP in chk:
            del chk[IP].chksum
        again = l3.__class__(raw(chk))
        got = (again[l4].chksum, again.chksum if IP in again else None)
        if want != got:
            raise ValueError(f"frame {nframes}: checksums {want} != recomputed {got}")
        nsum += 1
        if l4 is UDP and pkt[UDP].dport == SYSLOG_PORT:
            text = bytes(pkt[UDP].payload).decode("utf-8")
            if nsys >= len(lines) or text != lines[nsys]:
                raise ValueError(f"frame {nframes}: syslog payload != messages.log "
                                 f"line {nsys + 1}")
            nsys += 1
        elif l4 is UDP and pkt[UDP].dport == DNS_PORT:
            try:
                q = DNS(bytes(pkt[UDP].payload))
                ok = q.qd is not None and len(q.qd.qname) > 1
            except Exception:                           # pylint: disable=broad-except
                ok = False
            ndns += ok
    if nframes != summary["frames"] or nsys != summary["syslog_messages"]:
        raise ValueError(f"verify: {nframes} frames, {nsys} syslog; summary says "
                         f"{summary['frames']}, {summary['syslog_messages']}")
    print(f"verify: scapy read {nframes} frames; {nsum} with valid checksums; "
          f"{nsys} syslog payloads equal messages.log; {ndns} DNS questions decode "
          f"(summary: {summary['dns_queries']} well-formed)")


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--feed", required=True, help="iocsift CSV feed (e.g. data/3cx.csv)")
    ap.add_argument("--out", required=True, help="output directory (created)")
    ap.add_argument("--messages", type=int, default=2000,
                    help="syslog messages + DNS questions (default 2000)")
    ap.add_argument("--seed", type=int, default=3, help="RNG seed (default 3)")
    ap.add_argument("--verify", action="store_true",
                    help="re-read the capture with scapy and check it")
    args = ap.parse_args(argv)
    if args.messages < 1:
        ap.error("--messages must be at least 1")
    feed = load_feed(args.feed)
    if feed.count() == 0:
        ap.error(f"{args.feed}: no usable indicators")
    if feed.ignored:
        print(f"synth_capture: {args.feed}: types not generated nor expected: "
              + ", ".join(f"{t} ({n})" for t, n in sorted(feed.ignored.items())),
              file=sys.stderr)
    os.makedirs(args.out, exist_ok=True)
    try:
        summary = generate(feed, args.messages, args.seed, args.out)
    except ValueError as e:
        print(f"synth_capture: {e}", file=sys.stderr)
        return 1
    print(f"{args.out}: {summary['frames']} frames, {summary['syslog_messages']} syslog, "
          f"{summary['dns_queries']} dns, {summary['malformed_frames']} malformed, "
          f"{summary['other_frames']} other; {summary['expected_hits']} expected hits "
          f"in {summary['hit_messages']} messages")
    if summary["guard"] != "all feed values":
        print("synth_capture: feed too big for the substring guard; expected hits "
              "assume no feed value occurs in the filler traffic", file=sys.stderr)
    if args.verify:
        verify(args.out, summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
