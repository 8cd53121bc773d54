#!/usr/bin/python3
"""exports_test.py -- the block lists (issue 13, docs/exports.md), each
checked by the program that reads it.

1. A feed of domains and their subdomains, IPv4 and IPv6 addresses and
   networks (overlapping and adjacent ones), hashes and a URL, with an
   allow-list and a filter: the files of the loaded version pass
   `named-checkzone` (RPZ, serial = the version), `nft -c -f` (nftables)
   and `squid -k parse` (the ACL, with no warning about subdomains); the
   allow-list's names, subdomains and networks are in no file; the hosts
   file keeps only what its filter lets through; the Suricata datasets
   and the CSV hold what they should.
2. `iocsiftctl export --format rpz` writes now and lists the file.
3. An add makes a new version of every file.
4. An export directory that cannot be written (a tmpfs remounted
   read-only): the add is made and answered, status shows the error and
   its time, the previous files stay; `iocsiftctl export` fails with the
   reason; once writable again, `export` writes the newest version.

usage: exports_test.py IOCSIFT IOCSIFTCTL SOURCE_DIR WORKDIR
"""
import base64
import csv
import json
import os
import shutil
import subprocess
import sys
import time

from state_test import Daemon, check, request

FEED = """type,value,severity
domain,evil.example,high
domain,sub.evil.example,high
domain,deep.sub.evil.example,low
domain,x-evil.example,critical
domain,other.test,medium
domain,corp.example,high
domain,vpn.corp.example,high
domain,shop.example,high
ipv4,198.51.100.0/24,high
ipv4,198.51.100.7,high
ipv4,198.51.100.128/25,high
ipv4,198.51.101.0/24,high
ipv4,203.0.113.9,high
ipv4,10.9.1.1,high
ipv6,2001:db8::/32,high
ipv6,2001:db8:1::5,high
ipv6,2001:db8:ffff::/48,high
ipv6,2001:db9::1,high
md5,0eeb1c0133eb4d571178b2d9d14ce3e9,high
sha1,a9993e364706816aba3e25717850c26c9cd0d89d,high
sha256,9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08,high
url,http://evil.example/payload,high
"""

ALLOW = """# the organisation's own
corp.example
mail.shop.example
10.9.0.0/16
"""


def ctl(ctl_exe, sock, *args):
    return subprocess.run([ctl_exe, "-s", sock] + list(args),
                          capture_output=True, text=True, timeout=120)


def wait_exported(sock, version=None, timeout=60):
    """Status once the version (default: the active one) is written."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        r = request(sock, {"cmd": "status"})["result"]
        x = r["exports"]
        want = version if version is not None else r["db_version"]
        if x["version"] >= want and not x["busy"]:
            return r
        time.sleep(0.05)
    sys.exit("FAIL: version %s not exported: %s" % (version, r))


def read(exp, name):
    with open(os.path.join(exp, name)) as f:
        return f.read()


def consumers(exp, work, version):
    zone = subprocess.run(["named-checkzone", "rpz.iocsift",
                           os.path.join(exp, "iocsift.rpz")],
                          capture_output=True, text=True)
    check(zone.returncode == 0, "named-checkzone: %s" % zone.stdout)
    check("loaded serial %d" % version in zone.stdout,
          "named-checkzone: %s" % zone.stdout)
    nft = subprocess.run(["nft", "-c", "-f", os.path.join(exp, "iocsift.nft")],
                         capture_output=True, text=True)
    check(nft.returncode == 0, "nft -c -f: %s" % nft.stderr)
    conf = os.path.join(work, "squid.conf")
    with open(conf, "w") as f:
        f.write("http_port 127.0.0.1:3999\n"
                "acl iocsift_block dstdomain \"%s\"\n"
                "http_access deny iocsift_block\n"
                "http_access deny all\n" % os.path.join(exp, "iocsift-squid.acl"))
    squid = subprocess.run(["squid", "-k", "parse", "-f", conf],
                           capture_output=True, text=True, timeout=60)
    text = squid.stdout + squid.stderr
    check(squid.returncode == 0, "squid -k parse: %s" % text)
    check("iocsift-squid.acl" in text, "squid did not read the ACL: %s" % text)
    check("WARNING" not in text and "ERROR" not in text,
          "squid -k parse: %s" % text)


def contents(exp):
    files = {n: read(exp, n) for n in os.listdir(exp) if not n.startswith(".")}
    check(len(files) == 10, "files: %s" % sorted(files))
    for name, text in files.items():
        for allowed in ("corp.example", "10.9.", "shop.example"):
            check(allowed not in text,
                  "%s names allowed %s:\n%s" % (name, allowed, text))
    squid = [l for l in files["iocsift-squid.acl"].splitlines()
             if not l.startswith("#")]
    check(squid == [".evil.example", ".x-evil.example", ".other.test"],
          "squid ACL: %s" % squid)
    rpz = files["iocsift.rpz"]
    check("\nevil.example CNAME .\n*.evil.example CNAME .\n" in rpz and
          "sub.evil.example" not in rpz, "rpz:\n%s" % rpz)
    # hosts: min_severity=high; the subdomain stays (no wildcards there).
    hosts = [l for l in files["iocsift.hosts"].splitlines()
             if not l.startswith("#")]
    check(hosts == ["0.0.0.0 evil.example", "0.0.0.0 sub.evil.example",
                    "0.0.0.0 x-evil.example"], "hosts: %s" % hosts)
    nft = files["iocsift.nft"]
    check("\t198.51.100.0/23,\n\t203.0.113.9\n" in nft, "nft:\n%s" % nft)
    check("\t2001:db8::/32,\n\t2001:db9::1\n" in nft, "nft:\n%s" % nft)
    names = sorted(base64.b64decode(l).decode() for l in
                   files["iocsift-domains.dataset"].split())
    check(names == ["deep.sub.evil.example", "evil.example", "other.test",
                    "sub.evil.example", "x-evil.example"],
          "domains dataset: %s" % names)
    check(files["iocsift-ipv4.dataset"].split() ==
          ["198.51.100.7", "203.0.113.9"], "ipv4 dataset")
    check(files["iocsift-ipv6.dataset"].split() ==
          ["2001:db8:1::5", "2001:db9::1"], "ipv6 dataset")
    check(files["iocsift-md5.dataset"] ==
          "0eeb1c0133eb4d571178b2d9d14ce3e9\n", "md5 dataset")
    rows = list(csv.DictReader(files["iocsift.csv"].splitlines()))
    # Every indicator but the 4 the allow-list covers (shop.example: a
    # parent of an allowed name); values as normalized (docs/feeds.md).
    check(len(rows) == 22 - 4, "csv: %d rows" % len(rows))
    check({"type": "url", "value": "evil.example/payload",
           "severity": "high", "feed": "feed"}.items() <=
          [r for r in rows if r["type"] == "url"][0].items(), "csv: %s" % rows)


def main():
    iocsift, ctl_exe, src, work = sys.argv[1:5]
    subprocess.run(["umount", "-l", os.path.join(work, "exp")],
                   stderr=subprocess.DEVNULL)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    exp = os.path.join(work, "exp")
    os.makedirs(exp)
    # A file system of its own, to make read-only in item 4 (root may
    # write into a directory of any mode).
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", exp],
                   check=True)
    try:
        run(iocsift, ctl_exe, src, work, exp)
    finally:
        subprocess.run(["umount", "-l", exp])
    print("PASS")


def run(iocsift, ctl_exe, src, work, exp):
    capture = os.path.join(src, "tests", "data", "captures",
                           "tcpdump-syslog_udp.pcap")
    feed = os.path.join(work, "feed.csv")
    with open(feed, "w") as f:
        f.write(FEED)
    allow = os.path.join(work, "allow.txt")
    with open(allow, "w") as f:
        f.write(ALLOW)
    conf = os.path.join(work, "iocsift.conf")
    with open(conf, "w") as f:
        f.write("[exports]\nexport_dir = %s\nexport_allow = %s\n"
                "export_filter = hosts min_severity=high\n" % (exp, allow))
    sock = os.path.join(work, "control.sock")
    daemon = Daemon(iocsift, os.path.join(work, "state"), sock, capture,
                    os.path.join(work, "iocsift.log"),
                    extra=["-c", conf, "-f", feed])
    daemon.wait_ready()

    # 1. The loaded version, through each consumer.
    status = wait_exported(sock)
    version = status["db_version"]
    x = status["exports"]
    check(x["dir"] == exp and x["errors"] == 0 and x["error"] is None,
          "status: %s" % x)
    check(x["allowed"]["rpz"] == 3 and x["allowed"]["nftables"] == 1,
          "allowed: %s" % x["allowed"])
    check(x["files"]["iocsift.rpz"]["entries"] == 3 and
          x["files"]["iocsift.rpz"]["skipped"] == 2, "files: %s" % x["files"])
    consumers(exp, work, version)
    contents(exp)
    for name in os.listdir(exp):
        check(os.stat(os.path.join(exp, name)).st_mode & 0o777 == 0o644,
              "%s: mode" % name)

    # 2. On demand.
    r = ctl(ctl_exe, sock, "export", "--format", "rpz")
    check(r.returncode == 0, "export: %s %s" % (r.stdout, r.stderr))
    check(os.path.join(exp, "iocsift.rpz") in r.stdout and
          "iocsift.nft" not in r.stdout, "export: %s" % r.stdout)
    r = ctl(ctl_exe, sock, "export", "--format", "bind")
    check(r.returncode == 3 and "expected nftables, squid" in r.stderr,
          "export --format bind: %s" % r.stderr)

    # 3. An add: a new version of every file.
    r = request(sock, {"cmd": "add", "type": "domain",
                       "value": "new.example", "severity": "high"})
    check(r["ok"], "add: %s" % r)
    version = r["result"]["db_version"]
    status = wait_exported(sock, version)
    check(all(f["version"] == version for f in
              status["exports"]["files"].values()), "files: %s" %
          status["exports"]["files"])
    check("\nnew.example CNAME .\n" in read(exp, "iocsift.rpz") and
          "0.0.0.0 new.example" in read(exp, "iocsift.hosts"),
          "new.example is not in the files")
    consumers(exp, work, version)

    # 4. Read-only: reported, nothing lost, the previous files stay.
    before = {n: read(exp, n) for n in os.listdir(exp)}
    errors = status["exports"]["errors"]
    subprocess.run(["mount", "-o", "remount,ro", exp], check=True)
    r = request(sock, {"cmd": "add", "type": "domain", "value": "ro.example"})
    check(r["ok"], "add with the export dir read-only: %s" % r)
    ro_version = r["result"]["db_version"]
    deadline = time.time() + 30
    while True:
        x = request(sock, {"cmd": "status"})["result"]["exports"]
        if x["errors"] > errors and not x["busy"]:
            break
        check(time.time() < deadline, "no export error in status: %s" % x)
        time.sleep(0.05)
    check("Read-only file system" in x["error"] and exp in x["error"] and
          x["error_time"] >= int(time.time()) - 30, "status: %s" % x)
    check(x["version"] == version, "status: %s" % x)
    check({n: read(exp, n) for n in os.listdir(exp)} == before,
          "the previous files changed")
    r = ctl(ctl_exe, sock, "status")
    check(r.returncode == 0 and "export error" in r.stdout and
          "Read-only file system" in r.stdout, "status: %s" % r.stdout)
    r = ctl(ctl_exe, sock, "export")
    check(r.returncode == 3 and "export failed" in r.stderr and
          "Read-only file system" in r.stderr, "export: %s" % r.stderr)
    subprocess.run(["mount", "-o", "remount,rw", exp], check=True)
    r = ctl(ctl_exe, sock, "--json", "export")
    check(r.returncode == 0, "export: %s" % r.stderr)
    out = json.loads(r.stdout)
    check(out["files"]["iocsift.rpz"]["version"] == ro_version and
          "\nro.example CNAME .\n" in read(exp, "iocsift.rpz"),
          "export after the remount: %s" % out)
    consumers(exp, work, ro_version)
    check(not any(n.startswith(".") for n in os.listdir(exp)),
          "temporary files left: %s" % os.listdir(exp))
    check(daemon.stop() == 0, "iocsift did not exit 0")


if __name__ == "__main__":
    main()
