"""The message templates of perf/synth_capture.py.

class Gen adds to Sources (synth_sources.py) the templates that plant feed
values in syslog messages and DNS questions (hits), those that plant
look-alikes which must not match (near misses), and the lists of them that
generate() draws from. Each template declares what it put in.
"""

from __future__ import annotations

from synth_sources import (BENIGN_IMAGES, ELECTRON_APPS, THREECX_DIR, TLD_STRETCH,
                           Msg, Sources)


class Gen(Sources):
    """Random choices and message templates, all driven by one seeded RNG."""

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
