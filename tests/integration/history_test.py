#!/usr/bin/python3
"""history_test.py -- the on-box history and its retro-hunts (issue 13).

A synthetic capture with known hits is replayed into `iocsift run` with a
feed that holds none of its indicators, so the messages go by unmatched
into the history. Then:

1. `add` of a domain the capture carried: its reply names a hunt, and the
   retrospective events (event.kind enrichment, iocsift.retro) are exactly
   the events `iocsift replay` makes for that indicator over the same
   capture, each once, at the original times.
2. `iocsiftctl hunt --feed FILE` (a digest and a domain) waits and prints a
   summary; its events are again replay's, once each; exit 0. A hunt that
   finds nothing exits 1.
3. `load` of a feed with one indicator already hunted for and two new ones:
   the hunt is of the two new ones only (the old one gets no second event);
   a SIGHUP reload of a feed file with a new line hunts for that one.
4. `iocsift hunt -f FEED HISTORY_DIR` offline on a copy of the history
   finds the same; with a damaged block and with a file cut short, each is
   counted and named, and the hunt goes on.
5. A hunt of more indicators than hunt_max_indicators is refused with the
   reason; status shows the history and the hunts.
6. A full disk (the history dir a 64 KiB tmpfs, in a mount namespace of
   its own): history writing stops, counted, logged and shown in status,
   and live matching makes every event replay makes.

usage: history_test.py IOCSIFT IOCSIFTCTL SOURCE_DIR WORKDIR
"""
import collections
import json
import os
import shutil
import signal
import subprocess
import sys
import time

from state_test import Daemon, check, fail, request

PYTHON = "/usr/bin/python3"


def pairs(events, indicators):
    """(time, message, source, indicator) of each event of indicators."""
    out = collections.Counter()
    for e in events:
        ind = e["threat"]["indicator"]
        value = json.dumps(ind, sort_keys=True)
        atomic = e["threat"]["enrichments"][0]["matched"]["atomic"]
        if atomic not in indicators:
            continue
        out[(e["@timestamp"], e["event"].get("original", ""),
             json.dumps(e.get("dns", {}), sort_keys=True),
             json.dumps(e["source"], sort_keys=True), value)] += 1
    return out


def read_events(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def replay_events(iocsift, feed_text, capture, work, name):
    feed = os.path.join(work, name + ".csv")
    with open(feed, "w") as f:
        f.write(feed_text)
    out = os.path.join(work, name + ".jsonl")
    subprocess.run([iocsift, "replay", "-f", feed, "-o", out, capture],
                   check=True, capture_output=True)
    return read_events(out)


def retro(events):
    for e in events:
        if e.get("iocsift", {}).get("retro"):
            check(e["event"]["kind"] == "enrichment" and
                  e["event"]["dataset"] == "iocsift.retro",
                  "a retro event not marked as one: %s" % e["event"])
    return [e for e in events if e.get("iocsift", {}).get("retro")]


def hunt_done(sock, hunt_id, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        reply = request(sock, {"cmd": "hunt", "hunt": hunt_id})
        check(reply["ok"], "hunt %d: %s" % (hunt_id, reply))
        if reply["result"]["state"] not in ("queued", "running"):
            return reply["result"]
        time.sleep(0.1)
    fail("hunt %d did not end" % hunt_id)


def wait_events(path, want, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        events = retro(read_events(path))
        if len(events) >= want:
            time.sleep(0.3)          # anything more would show now
            return retro(read_events(path))
        time.sleep(0.1)
    return retro(read_events(path))


def start(iocsift, work, capture, feed, conf_extra=""):
    conf = os.path.join(work, "iocsift.conf")
    with open(conf, "w") as f:
        # TCP streams deliver their last message when they idle out. The
        # capture's times are days old: a history that keeps ten years.
        f.write("[dataplane]\ntcp_idle_timeout = 1\n\n"
                "[history]\nhistory_max_age = 3650d\n" + conf_extra)
    state = os.path.join(work, "state")
    sock = os.path.join(work, "control.sock")
    events_path = os.path.join(work, "events.jsonl")
    daemon = Daemon(iocsift, state, sock, capture, os.path.join(work, "run.log"),
                    extra=["-c", conf, "-f", feed, "-o", events_path,
                           "--throttle-window", "0"])
    daemon.wait_ready()
    return daemon, state, sock, events_path


def wait_handled(sock, frames):
    """Every frame handled, every stream closed, every message recorded."""
    deadline = time.time() + 60
    while True:
        workers = request(sock, {"cmd": "stats"})["result"]["workers"]
        messages = sum(w["syslog_messages"] + w["dns_messages"] for w in workers)
        if sum(w["packets"] for w in workers) >= frames and \
           sum(w["tcp_streams_created"] - w["tcp_streams_closed"] -
               w["tcp_streams_expired"] - w["tcp_streams_evicted"]
               for w in workers) == 0 and \
           sum(w["history_records"] + w["history_dropped"]
               for w in workers) == messages:
            return
        check(time.time() < deadline, "not every frame was handled, or "
              "streams are open: %s" % workers)
        time.sleep(0.2)


def full_disk(iocsift, ctl_exe, src, work):
    """In a mount namespace of its own: STATE/history is a 64 KiB tmpfs."""
    feed = os.path.join(src, "data", "3cx.csv")
    capture = os.path.join(work, "capture.pcap")
    state = os.path.join(work, "state")
    os.makedirs(os.path.join(state, "history"), mode=0o700)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,mode=0700",
                    "tmpfs", os.path.join(state, "history")], check=True)
    frames = json.load(open(os.path.join(work, "summary.json")))["frames"]
    daemon, state, sock, events_path = start(iocsift, work, capture, feed)
    wait_handled(sock, frames)
    # A hunt seals the open block: it cannot be written.
    p = subprocess.run([ctl_exe, "-s", sock, "hunt", "domain",
                        "journalide.org"], capture_output=True, text=True)
    check(p.returncode == 1 and "0 blocks" in p.stdout,
          "a hunt with nothing on disk: %d %s" % (p.returncode, p.stdout))
    history = request(sock, {"cmd": "status"})["result"]["history"]
    check(not history["writing"] and history["write_errors"] >= 1 and
          history["records_lost"] > 0 and
          "No space left" in history.get("last_error", ""),
          "status after a full disk: %s" % history)
    p = subprocess.run([ctl_exe, "-s", sock, "status"], capture_output=True,
                       text=True)
    check("STOPPED: writing a block: No space left" in p.stdout,
          "status shows the stop:\n" + p.stdout)
    check(daemon.stop() == 0, "iocsift run did not stop cleanly")
    check("history writing stops until a write succeeds" in daemon.text(),
          "the full disk is logged:\n" + daemon.text())
    live = [e for e in read_events(events_path)
            if not e.get("iocsift", {}).get("retro")]
    want = replay_events(iocsift, open(feed).read(), capture, work, "full")
    check(len(live) == len(want) and len(want) > 100,
          "live matching on a full disk: %d events, replay %d" %
          (len(live), len(want)))
    print("6: full disk: history stopped (%d messages lost), %d live events "
          "as replay" % (history["records_lost"], len(live)))


def main():
    if sys.argv[1] == "--full-disk":
        full_disk(*sys.argv[2:6])
        return
    iocsift, ctl_exe, src, work = sys.argv[1:5]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    feed_3cx = os.path.join(src, "data", "3cx.csv")
    subprocess.run([PYTHON, os.path.join(src, "perf", "synth_capture.py"),
                    "--feed", feed_3cx, "--out", work, "--messages", "3000"],
                   check=True, capture_output=True)
    capture = os.path.join(work, "capture.pcap")
    frames = json.load(open(os.path.join(work, "summary.json")))["frames"]
    dummy = os.path.join(work, "dummy.csv")
    with open(dummy, "w") as f:
        f.write("domain,nothing.invalid\n")
    daemon, state, sock, events_path = start(
        iocsift, work, capture, dummy, "hunt_max_indicators = 50\n")
    wait_handled(sock, frames)
    check(read_events(events_path) == [], "the dummy feed hit something")
    status = request(sock, {"cmd": "status"})["result"]["history"]
    check(status["dir"] == os.path.join(state, "history") and
          status["records_sent"] > 0 and status["records_dropped"] == 0,
          "history in status: %s" % status)
    check(oct(os.stat(status["dir"]).st_mode & 0o777) == "0o700",
          "the history dir is not 0700")

    # 1. An add hunts for its indicator.
    reply = request(sock, {"cmd": "add", "type": "domain",
                           "value": "journalide.org"})
    check(reply["ok"] and "hunt" in reply["result"], "add: %s" % reply)
    hunt = hunt_done(sock, reply["result"]["hunt"])
    check(hunt["state"] == "done" and hunt["origin"] == "add", "hunt: %s" % hunt)
    want = pairs(replay_events(iocsift, "domain,journalide.org\n", capture,
                               work, "add"), {"journalide.org"})
    check(sum(want.values()) > 10, "the capture carries journalide.org: %s" %
          sum(want.values()))
    got_events = wait_events(events_path, sum(want.values()))
    got = pairs(got_events, {"journalide.org"})
    check(got == want, "add's retro events differ from replay's: %d vs %d, "
          "missing %s, extra %s" % (sum(got.values()), sum(want.values()),
                                    list(want - got)[:2], list(got - want)[:2]))
    check(hunt["hits"] == sum(want.values()) and hunt["events"] == hunt["hits"],
          "hunt counts: %s" % hunt)
    check(all(e["iocsift"]["db_version"] == 2 for e in got_events),
          "retro events carry the add's version")
    print("1: add of journalide.org: %d retro events, replay's exactly" %
          sum(got.values()))

    # 2. iocsiftctl hunt --feed: waits, prints, exits 0; and 1 on nothing.
    hunt_feed = os.path.join(work, "hunt.csv")
    hunted = {"msstorageazure.com", "raw.githubusercontent.com/IconStorages/images/"}
    with open(hunt_feed, "w") as f:
        f.write("domain,msstorageazure.com\n"
                "url,raw.githubusercontent.com/IconStorages/images/\n")
    before = len(retro(read_events(events_path)))
    p = subprocess.run([ctl_exe, "-s", sock, "hunt", "--since", "3650d",
                        "--feed", hunt_feed], capture_output=True, text=True)
    check(p.returncode == 0, "iocsiftctl hunt: exit %d: %s %s" %
          (p.returncode, p.stdout, p.stderr))
    check("done:" in p.stdout and "blocks:" in p.stdout and
          "opened" in p.stdout, "hunt summary: %s" % p.stdout)
    want2 = pairs(replay_events(iocsift, open(hunt_feed).read(), capture, work,
                                "feed"), hunted)
    check(sum(want2.values()) > 0, "the capture carries the hunted feed")
    events = wait_events(events_path, before + sum(want2.values()))
    got2 = pairs(events[before:], hunted)
    check(got2 == want2, "hunt --feed: %d vs replay's %d" %
          (sum(got2.values()), sum(want2.values())))
    p = subprocess.run([ctl_exe, "-s", sock, "hunt", "domain",
                        "never-seen.example"], capture_output=True, text=True)
    check(p.returncode == 1 and "0 hits" in p.stdout,
          "a hunt without hits: exit %d: %s" % (p.returncode, p.stdout))
    print("2: iocsiftctl hunt --feed: %d events; no hit exits 1" %
          sum(got2.values()))

    # 3. A load hunts for its new indicators only.
    before = len(retro(read_events(events_path)))
    load_feed = os.path.join(work, "load.csv")
    new = {"d3dcompiler_47.dll", "ffmpeg.dll"}
    with open(load_feed, "w") as f:
        f.write("domain,journalide.org\nfilename,d3dcompiler_47.dll\n"
                "filename,ffmpeg.dll\n")
    reply = request(sock, {"cmd": "load", "name": "cli",
                           "data": open(load_feed).read()})
    check(reply["ok"] and "hunt" in reply["result"], "load: %s" % reply)
    hunt = hunt_done(sock, reply["result"]["hunt"])
    check(hunt["indicators"] == 2 and hunt["origin"] == "load cli",
          "the load's hunt is of its 2 new indicators: %s" % hunt)
    want3 = pairs(replay_events(iocsift, "filename,d3dcompiler_47.dll\n"
                                "filename,ffmpeg.dll\n", capture, work, "load"),
                  new)
    events = wait_events(events_path, before + sum(want3.values()))
    got3 = pairs(events[before:], new)
    check(got3 == want3, "load's hunt: %d vs replay's %d" %
          (sum(got3.values()), sum(want3.values())))
    check(pairs(events[before:], {"journalide.org"}) == collections.Counter(),
          "the load hunted again for an indicator it already had")
    print("3: load: hunted its 2 new indicators, %d events" %
          sum(got3.values()))

    # 3b. A SIGHUP reload of a changed feed file hunts its new indicator.
    before = len(retro(read_events(events_path)))
    with open(dummy, "a") as f:
        f.write("domain,akamaicontainer.com\n")
    daemon.proc.send_signal(signal.SIGHUP)
    deadline = time.time() + 30
    while True:
        hunts = request(sock, {"cmd": "status"})["result"]["history"]["hunts"]
        done = [h for h in hunts["recent"] if h["origin"] == "load (SIGHUP)"]
        if done and done[-1]["state"] not in ("queued", "running"):
            break
        check(time.time() < deadline, "no hunt after SIGHUP: %s\n%s" %
              (hunts, daemon.text()))
        time.sleep(0.1)
    check(done[-1]["indicators"] == 1, "the reload's hunt: %s" % done[-1])
    want3b = pairs(replay_events(iocsift, "domain,akamaicontainer.com\n",
                                 capture, work, "sighup"),
                   {"akamaicontainer.com"})
    events = wait_events(events_path, before + sum(want3b.values()))
    got3b = pairs(events[before:], {"akamaicontainer.com"})
    check(sum(want3b.values()) > 0 and got3b == want3b,
          "SIGHUP's hunt: %d vs replay's %d" % (sum(got3b.values()),
                                                sum(want3b.values())))
    print("3b: SIGHUP reload: hunted its new indicator, %d events" %
          sum(got3b.values()))

    # 5. Bounds, and status.
    big = "".join("domain,big%d.example\n" % i for i in range(51))
    reply = request(sock, {"cmd": "hunt", "data": big})
    check(not reply["ok"] and reply["error"]["code"] == "too_large" and
          "hunt_max_indicators" in reply["error"]["message"],
          "a hunt of 51 > 50 indicators: %s" % reply)
    reply = request(sock, {"cmd": "load", "name": "big", "data": big})
    check(reply["ok"] and "hunt_max_indicators" in
          reply["result"].get("hunt_refused", ""),
          "a load of 51 new indicators: %s" % reply)
    status = request(sock, {"cmd": "status"})["result"]["history"]
    check(status["blocks"] >= 1 and status["records"] > 0 and
          status["hunts"]["hunts"] >= 4 and status["write_errors"] == 0,
          "status: %s" % status)
    p = subprocess.run([ctl_exe, "-s", sock, "status"], capture_output=True,
                       text=True)
    check("history losses" in p.stdout and "hunts" in p.stdout,
          "status shows the history:\n" + p.stdout)
    print("5: 51 indicators refused; status: %d blocks, %d hunts" %
          (status["blocks"], status["hunts"]["hunts"]))
    check(daemon.stop() == 0, "iocsift run did not stop cleanly")

    # 4. Offline, on a copy: the same hits; damage counted and skipped.
    copy = os.path.join(work, "copy")
    shutil.copytree(os.path.join(state, "history"), copy)
    segments = sorted(os.listdir(copy))
    check(segments and all(s.startswith("seg-") for s in segments),
          "segments: %s" % segments)
    offline = os.path.join(work, "offline.jsonl")
    single = os.path.join(work, "single.csv")
    with open(single, "w") as f:
        f.write("domain,journalide.org\n")
    p = subprocess.run([iocsift, "hunt", "-f", single, "-o", offline, copy],
                       capture_output=True, text=True)
    check(p.returncode == 0, "iocsift hunt: exit %d: %s" % (p.returncode,
                                                            p.stderr))
    offline_events = retro(read_events(offline))
    check(pairs(offline_events, {"journalide.org"}) ==
          pairs(got_events, {"journalide.org"}),
          "offline hunt differs from the live one")
    # A damaged block: a byte of the first block's filter.
    path = os.path.join(copy, segments[0])
    data = bytearray(open(path, "rb").read())
    data[60] ^= 0xff
    open(path, "wb").write(bytes(data))
    p = subprocess.run([iocsift, "hunt", "-f", feed_3cx, "-o", offline, copy],
                       capture_output=True, text=True)
    check("damaged" in p.stderr and "at byte 0" in p.stderr,
          "a damaged block is named: %s" % p.stderr)
    check(p.returncode in (0, 1), "a damaged block stops nothing: %d" %
          p.returncode)
    # A file cut inside its last block.
    data[60] ^= 0xff
    open(path, "wb").write(bytes(data[:-10]))
    p = subprocess.run([iocsift, "hunt", "-f", single, "-o", offline, copy],
                       capture_output=True, text=True)
    check("cut blocks skipped" in p.stderr and p.returncode in (0, 1),
          "a cut block is counted: %d %s" % (p.returncode, p.stderr))
    p = subprocess.run([iocsift, "hunt", "-f", single, os.path.join(work, "none")],
                       capture_output=True, text=True)
    check(p.returncode == 2, "a missing history dir: exit %d" % p.returncode)
    print("4: offline hunt: %d events, damage and cuts skipped" %
          len(offline_events))

    # 6. A full disk, in a mount namespace of its own.
    full = os.path.join(work, "full")
    os.makedirs(full)
    shutil.copy(capture, full)
    shutil.copy(os.path.join(work, "summary.json"), full)
    p = subprocess.run(["unshare", "--mount", "--propagation", "private",
                        PYTHON, os.path.abspath(__file__), "--full-disk",
                        iocsift, ctl_exe, src, full], capture_output=True,
                       text=True, timeout=240)
    sys.stdout.write(p.stdout)
    check(p.returncode == 0, "full disk:\n%s" % p.stderr)


if __name__ == "__main__":
    main()
