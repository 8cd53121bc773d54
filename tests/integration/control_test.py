#!/usr/bin/python3
"""control_test.py -- the control socket at a million indicators (issue 12).

1. A load of 1,000,000 indicators runs off the control thread: a status
   sent from another connection while it runs is answered before the
   load's reply, and an add sent meanwhile waits for the load and is
   made after it (its version follows the load's).
2. `iocsiftctl --json list --limit all` streams all 1,000,002 rows in
   pages: every row once, as many as `total`.
3. A long load on a terminal shows its progress (iocsiftctl under
   script(1)): the phases the daemon reports, then the result; a load
   whose "cmd" is not first is still taken, and one that does not parse
   is refused with its id echoed.
4. The pages of a listing come from one version: a page asked for with
   the first page's version after an add still lists that version (no
   new row); once the version has left the rollback history (8 more
   adds), the page is refused with `changed`.
5. The add that takes the delta past compact_threshold (1000) is
   answered before the compaction: status, asked right after, names the
   compaction as running; then the delta is 0 at the same version, and
   a listing begun before it is refused with `changed` (the version's
   ids are others). During the load of item 1, a client that shuts its
   side of the socket after an add still gets it made and answered.

usage: control_test.py IOCSIFT IOCSIFTCTL SOURCE_DIR WORKDIR
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import time

from state_test import Client, Daemon, check, request

INDICATORS = 1000000


def load_while_status(ctl_exe, sock, feed):
    """Item 1: status answered during the load, an add made after it."""
    load = subprocess.Popen([ctl_exe, "-s", sock, "--json", "load", feed],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # Status names the load while the daemon builds it: those replies
    # came while it ran.
    statuses = 0
    adder = None
    while load.poll() is None:
        r = request(sock, {"cmd": "status"})
        check(r["ok"], "status during a load: %s" % r)
        running = r["result"].get("running")
        time.sleep(0.05)
        if running is None:
            continue
        check(running["command"] == "load" and running["phase"] in
              ("reading the request", "parsing", "compiling and saving"),
              "status: running %s" % running)
        check(running.get("feed", "million") == "million",
              "status: running %s" % running)
        statuses += 1
        if adder is None:
            adder = subprocess.Popen(
                [ctl_exe, "-s", sock, "--json", "add", "domain",
                 "during-load.example"], stdout=subprocess.PIPE,
                stderr=subprocess.PIPE)
            # A client that shuts its side after the request (socat,
            # nc -N) still has its change made and answered.
            half = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            half.settimeout(120)
            half.connect(sock)
            half.sendall(b'{"cmd":"add","v":1,"id":7,"type":"domain",'
                         b'"value":"half-closed.example","feed":"half"}\n')
            half.shutdown(socket.SHUT_WR)
    out, err = load.communicate()
    check(load.returncode == 0, "load: %s %s" % (out, err))
    loaded = json.loads(out)
    check(loaded["indicators"] == INDICATORS, "load: %s" % loaded)
    check(statuses >= 2, "only %d status replies came while the load of "
          "%d indicators ran" % (statuses, INDICATORS))
    reply = b""
    while not reply.endswith(b"\n"):
        chunk = half.recv(65536)
        check(chunk != b"", "a half-closed client's add got no reply")
        reply += chunk
    half.close()
    half_added = json.loads(reply)
    check(half_added["ok"], "half-closed add: %s" % reply)
    out, err = adder.communicate()
    check(adder.returncode == 0, "add during the load: %s %s" % (out, err))
    added = json.loads(out)
    # Both waited for the load, then were made in the order they came.
    check({added["db_version"], half_added["result"]["db_version"]} ==
          {loaded["db_version"] + 1, loaded["db_version"] + 2},
          "the adds during the load made versions %d and %d, the load %d" %
          (added["db_version"], half_added["result"]["db_version"],
           loaded["db_version"]))
    print("load: %d status replies while %d indicators loaded; the adds "
          "sent meanwhile made versions %d and %d after the load's %d" %
          (statuses, INDICATORS, added["db_version"],
           half_added["result"]["db_version"], loaded["db_version"]))


def list_all(ctl_exe, sock):
    """Item 2: every row of a million, streamed."""
    p = subprocess.run([ctl_exe, "-s", sock, "--json", "list", "--limit",
                        "all"], capture_output=True, timeout=300)
    check(p.returncode == 0, "list --limit all: %s" % p.stderr[-2000:])
    listed = json.loads(p.stdout)
    rows = listed["indicators"]
    keys = set((i["type"], i["value"], i["feed"]) for i in rows)
    check(listed["total"] == INDICATORS + 2 and len(rows) == listed["total"]
          and len(keys) == len(rows) and listed["truncated"] is False,
          "list: total %d, %d rows, %d distinct, truncated %s" %
          (listed["total"], len(rows), len(keys), listed["truncated"]))
    check(("domain", "during-load.example", "cli") in keys,
          "list: the add made during the load is not listed")
    print("list: %d rows streamed, each once" % len(rows))


def load_progress(ctl_exe, sock, feed, work):
    """Item 3: progress on a terminal, and loads the job parses."""
    typescript = os.path.join(work, "typescript")
    p = subprocess.run(["script", "-qec", "%s -s %s load %s" %
                        (ctl_exe, sock, feed), typescript],
                       capture_output=True, timeout=300)
    text = open(typescript, errors="replace").read()
    check(p.returncode == 0 and "loading feed 'million': compiling and "
          "saving" in text and "loaded feed 'million': 1000000 indicators"
          in text, "load on a terminal (exit %d): %s" % (p.returncode,
                                                         text[-600:]))
    check(subprocess.run([ctl_exe, "-s", sock, "load", feed],
                         capture_output=True).stderr == b"",
          "a load off a terminal printed progress")
    c = Client(sock)
    late = c.call({"name": "late", "cmd": "load",
                   "data": "type,value\ndomain,late-cmd.example\n"})
    check(late["ok"] and late["result"]["indicators"] == 1,
          "a load with cmd last: %s" % late)
    bad = c.call({"cmd": "load", "name": "bad", "data": 7})
    check(not bad["ok"] and bad["error"]["code"] == "bad_request" and
          bad["id"] == c.id, "a load that does not parse: %s" % bad)
    c.close()
    print("progress: %s" % [l for l in text.replace("\r", "\n").split("\n")
                            if "compiling" in l][-1].strip())


def pinned_pages(sock):
    """Item 3: the pages of one listing are one version's."""
    c = Client(sock)
    first = c.call({"cmd": "list", "feed": "cli", "limit": 1})
    check(first["ok"] and len(first["result"]["indicators"]) == 1 and
          "next" not in first["result"], "first page: %s" % first)
    version = first["result"]["db_version"]
    page = c.call({"cmd": "list", "limit": 3})["result"]
    check(page["truncated"] and page["next"] >= 3, "page: %s" % page)
    r = c.call({"cmd": "add", "type": "domain", "value": "after-first-page.example"})
    check(r["ok"], "add: %s" % r)
    again = c.call({"cmd": "list", "feed": "cli", "version": version,
                    "limit": 10})
    check(again["ok"] and again["result"]["db_version"] == version and
          [i["value"] for i in again["result"]["indicators"]] ==
          ["during-load.example"], "a page of version %d after an add: %s" %
          (version, again))
    for n in range(8):
        r = c.call({"cmd": "add", "type": "domain",
                    "value": "push%d.example" % n})
        check(r["ok"], "add: %s" % r)
    gone = c.call({"cmd": "list", "version": version, "from": 3, "limit": 10})
    check(not gone["ok"] and gone["error"]["code"] == "changed" and
          "list again" in gone["error"]["message"],
          "a page of a version out of the history: %s" % gone)
    c.close()
    print("pages: version %d listed after an add, refused with 'changed' "
          "once it left the history" % version)


def compaction_off_the_reply(sock):
    """Item 5: compaction runs as a job after the add's reply."""
    s = request(sock, {"cmd": "status"})["result"]
    c = Client(sock)
    for i in range(1001 - s["delta"]):
        r = c.call({"cmd": "add", "type": "domain",
                    "value": "delta-%d.example" % i})
        check(r["ok"], "add: %s" % r)
    version = r["result"]["db_version"]
    # A listing begun before the compaction cannot go on after it: the
    # version's ids are others.
    first = c.call({"cmd": "list", "limit": 1})["result"]
    running = request(sock, {"cmd": "status"})["result"].get("running")
    check(running is not None and running["command"] == "compaction",
          "status right after the add past compact_threshold: running %s"
          % running)
    deadline = time.time() + 120
    while time.time() < deadline:
        s = request(sock, {"cmd": "status"})["result"]
        if "running" not in s:
            break
        time.sleep(0.05)
    check(s["delta"] == 0 and s["db_version"] == version and
          "running" not in s, "after the compaction: %s" % s)
    later = c.call({"cmd": "list", "limit": 1, "version": version,
                    "layout": first["layout"], "from": first["next"]})
    check(first["db_version"] == version and not later["ok"] and
          later["error"]["code"] == "changed" and
          "was compacted" in later["error"]["message"],
          "a page after the compaction, in the layout before it: %s" % later)
    r = c.call({"cmd": "add", "type": "domain",
                "value": "after-compaction.example"})
    check(r["ok"] and r["result"]["db_version"] == version + 1,
          "an add after the compaction: %s" % r)
    c.close()
    print("compaction: answered before it, status named it, delta 0 at "
          "version %d" % version)


def main():
    iocsift, ctl_exe, src, work = sys.argv[1:5]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    capture = os.path.join(src, "tests", "data", "captures",
                           "tcpdump-syslog_udp.pcap")
    feed = os.path.join(work, "million.csv")
    subprocess.run([sys.executable, os.path.join(src, "perf", "gen_feed.py"),
                    str(INDICATORS), feed], check=True)
    sock = os.path.join(work, "control.sock")
    daemon = Daemon(iocsift, os.path.join(work, "state"), sock, capture,
                    os.path.join(work, "iocsift.log"))
    try:
        daemon.wait_ready()
        load_while_status(ctl_exe, sock, feed)
        list_all(ctl_exe, sock)
        load_progress(ctl_exe, sock, feed, work)
        pinned_pages(sock)
        compaction_off_the_reply(sock)
        check(daemon.stop() == 0, "iocsift did not exit 0")
    finally:
        if daemon.proc.poll() is None:
            daemon.kill()
    print("PASS")


if __name__ == "__main__":
    main()
