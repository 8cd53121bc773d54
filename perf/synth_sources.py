"""The network and its log sources for perf/synth_capture.py.

Holds the hosts of the monitored network and the everyday names, URLs and
paths of the filler traffic; Msg, one syslog payload or DNS question with the
indicators put into it on purpose; the RFC 3164/5424 headers; and class
Sources: random choices driven by the one seeded RNG, choices of feed values
and how they may appear, one formatter per log source (Squid, FortiGate,
PAN-OS, netfilter, Sysmon via NXLog, CrowdStrike Falcon, bind/dnsmasq/unbound)
and the benign messages. The templates that plant indicators or look-alikes
build on it: class Gen in synth_templates.py.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from dataclasses import dataclass, field

from synth_feed import HASH_TYPES, Feed

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun",
          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

SYSLOG_PORT = 514
DNS_PORT = 53
QTYPE_A, QTYPE_AAAA = 1, 28


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


class Sources:
    """Random choices and one formatter per log source, all driven by one
    seeded RNG; Gen (synth_templates.py) adds the message templates."""

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
