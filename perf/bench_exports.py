#!/usr/bin/python3
"""What the block lists cost (issue 13): `iocsift run` with FEED loaded and
every export format on ([exports] in docs/exports.md).

1. The time to write all formats of the loaded version: `iocsiftctl
   export` ROUNDS times, each timed by the daemon (status:
   exports.write_seconds), the median printed with the files' sizes.
2. What the writer costs a change: N adds one after another on one
   connection while exports are on (every add is a new version, so the
   writer thread is rewriting the files all the time, coalescing the
   versions it could not keep up with), against N adds with exports off
   (a second daemon, the same feed), request to reply.

usage: bench_exports.py IOCSIFT FEED WORK_DIR [--adds N] [--rounds R] [--out F]
Prints a table; with --out, appends JSON lines.
"""
import argparse
import json
import os
import shutil
import statistics
import sys
import time

from bench_control import Client, start, summary, timed


def wait_exported(c, timeout=600):
    """Until the active version's files are written; the status then."""
    deadline = time.time() + timeout
    while True:
        r = c.call({"cmd": "status"})["result"]
        x = r["exports"]
        if x["version"] == r["db_version"] and not x["busy"] and \
           x["requests_done"] == x["requests"]:
            return r
        if time.time() > deadline:
            sys.exit("bench_exports: version %d not exported within %d s: %s"
                     % (r["db_version"], timeout, x))
        time.sleep(0.05)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("iocsift")
    ap.add_argument("feed")
    ap.add_argument("work")
    ap.add_argument("--adds", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out")
    a = ap.parse_args()
    shutil.rmtree(a.work, ignore_errors=True)
    exports = os.path.join(a.work, "exports")
    os.makedirs(exports)
    conf = os.path.join(a.work, "iocsift.conf")
    with open(conf, "w") as f:
        f.write("[exports]\nexport_dir = %s\n" % exports)

    proc, c, _, status = start(a.iocsift, a.feed, a.work, "x",
                               os.path.join(a.work, "run-on.log"),
                               extra=["-c", conf])
    indicators = status["indicators"]
    wait_exported(c)
    seconds = []
    for _ in range(a.rounds):
        r = c.call({"cmd": "export"})
        if not r["ok"]:
            sys.exit("bench_exports: export: %s" % r)
        x = wait_exported(c)["exports"]
        seconds.append(x["write_seconds"])
    sizes = {name: os.path.getsize(f["path"]) for name, f in x["files"].items()}
    entries = {name: f["entries"] for name, f in x["files"].items()}
    values = ["bench-export-%d.example" % i for i in range(a.adds)]
    on = timed(c, [{"cmd": "add", "type": "domain", "value": v}
                   for v in values])
    final = wait_exported(c)
    writes = final["exports"]["writes"]
    proc.kill()
    proc.wait()

    shutil.rmtree(os.path.join(a.work, "state"), ignore_errors=True)
    proc, c, _, _ = start(a.iocsift, a.feed, a.work, "y",
                          os.path.join(a.work, "run-off.log"))
    off = timed(c, [{"cmd": "add", "type": "domain", "value": v}
                    for v in values])
    proc.kill()
    proc.wait()

    median = statistics.median(seconds)
    print("%d indicators: all formats written in %.2f s (median of %d; "
          "%.1f MiB in %d files)" % (indicators, median, len(seconds),
                                     sum(sizes.values()) / 2**20, len(sizes)))
    print("file                      entries      MiB")
    for name in sorted(sizes):
        print("%-24s %8d %8.1f" % (name, entries[name], sizes[name] / 2**20))
    rows = [dict(summary("add", on), exports="on"),
            dict(summary("add", off), exports="off")]
    print("%d adds on one connection, request to reply (exports on: %d "
          "writes for %d versions):" % (a.adds, writes - len(seconds) - 1,
                                        a.adds))
    print("exports  p50 ms   p99 ms   max ms")
    for r in rows:
        print("%-7s %7.2f %8.2f %8.2f" % (r["exports"], r["p50_ms"],
                                         r["p99_ms"], r["max_ms"]))
    if a.out:
        with open(a.out, "a") as f:
            f.write(json.dumps({"bench": "exports", "op": "write_all",
                                "indicators": indicators, "seconds": median,
                                "bytes": sum(sizes.values())}) + "\n")
            for r in rows:
                f.write(json.dumps(dict(r, bench="exports",
                                        indicators=indicators)) + "\n")
    if not os.environ.get("BENCH_EXPORTS_KEEP"):
        shutil.rmtree(a.work, ignore_errors=True)


if __name__ == "__main__":
    main()
