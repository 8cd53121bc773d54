"""Syslog variants as devices send them (tests/integration/syslog_variants.py):
each message hits exactly its indicators, in `iocsift replay` and in
`iocsift scan`, and its header gives the fields rsyslog would read.

usage: variants_test.py IOCSIFT SOURCE_DIR WORK_DIR
"""
import json
import os
import subprocess
import sys

FIELDS = ("priority", "hostname", "appname", "procid", "msgid")


def run(argv):
    done = subprocess.run(argv, capture_output=True, check=False)
    if done.returncode not in (0, 1):
        sys.exit(f"FAIL: {' '.join(argv)}: exit {done.returncode}: "
                 f"{done.stderr.decode(errors='replace')}")
    return [json.loads(line) for line in done.stdout.splitlines()]


def check(tool, events, expected, number):
    """number(event) -> the 1-based message the event is about."""
    failures = []
    for i, want in enumerate(expected, start=1):
        mine = [e for e in events if number(e) == i]
        hits = sorted(e["threat"]["enrichments"][0]["matched"]["atomic"]
                      for e in mine)
        if hits != want["hits"]:
            failures.append(f"{tool}: {want['name']}: hits {hits}, "
                            f"expected {want['hits']}")
            continue
        syslog = mine[0].get("log", {}).get("syslog", {})
        got = {k: syslog[k] for k in FIELDS if k in syslog}
        if got != want["fields"]:
            failures.append(f"{tool}: {want['name']}: fields {got}, "
                            f"expected {want['fields']}")
        if any("header_malformed" in e["tags"] for e in mine):
            failures.append(f"{tool}: {want['name']}: header_malformed")
    return failures


def main():
    iocsift, src, work = sys.argv[1:4]
    os.makedirs(work, exist_ok=True)
    capture, log = os.path.join(work, "variants.pcap"), os.path.join(
        work, "variants.log")
    feed, expected_path = os.path.join(work, "feed.csv"), os.path.join(
        work, "expected.json")
    subprocess.run(["/usr/bin/python3",
                    os.path.join(src, "tests/integration/syslog_variants.py"),
                    capture, log, feed, expected_path], check=True)
    with open(expected_path, encoding="utf-8") as f:
        expected = json.load(f)

    replayed = run([iocsift, "replay", "-f", feed, capture])
    scanned = run([iocsift, "scan", "-f", feed, log])
    failures = check("replay", replayed, expected,
                     lambda e: e["iocsift"]["frame"])
    failures += check("scan", scanned, expected,
                      lambda e: e["log"]["file"]["line"])
    total = sum(len(w["hits"]) for w in expected)
    for tool, events in (("replay", replayed), ("scan", scanned)):
        if len(events) != total:
            failures.append(f"{tool}: {len(events)} events, expected {total}")
    if failures:
        sys.exit("FAIL:\n  " + "\n  ".join(failures))
    print(f"variants: {len(expected)} syslog variants, {total} hits each in "
          "replay and scan")


if __name__ == "__main__":
    main()
