"""TCP syslog and DNS over TCP as a SPAN port sees them
(tests/integration/tcp_capture.py): `iocsift replay` finds every message
once, whatever the segments did, and the summary counts the midstream
pickup, the gap, the overlap and the retransmission.

usage: tcp_test.py IOCSIFT SOURCE_DIR WORK_DIR
"""
import collections
import json
import os
import re
import subprocess
import sys


def main():
    iocsift, src, work = sys.argv[1:4]
    os.makedirs(work, exist_ok=True)
    capture = os.path.join(work, "tcp.pcap")
    expected_path = os.path.join(work, "expected.json")
    feed = os.path.join(work, "feed.csv")
    subprocess.run(["/usr/bin/python3",
                    os.path.join(src, "tests/integration/tcp_capture.py"),
                    capture, expected_path], check=True,
                   stderr=subprocess.DEVNULL)
    with open(feed, "w", encoding="ascii") as f:
        f.write("type,value\ndomain,journalide.org\n")
    with open(expected_path, encoding="utf-8") as f:
        expected = json.load(f)
    done = subprocess.run([iocsift, "replay", "-f", feed, capture],
                          capture_output=True, check=False)
    summary = done.stderr.decode(errors="replace")
    if done.returncode != 0:
        sys.exit(f"FAIL: replay exited {done.returncode}: {summary}")
    events = [json.loads(line) for line in done.stdout.splitlines()]

    failures = []
    per_port = collections.Counter(e["source"]["port"] for e in events)
    for case in expected:
        if per_port[case["port"]] != case["hits"]:
            failures.append(f"{case['name']}: {per_port[case['port']]} "
                            f"hits, expected {case['hits']}")
    if any(e["network"]["transport"] != "tcp" for e in events):
        failures.append("an event does not say tcp")
    want = r"tcp: +\d+ segments, 7 streams, 14 messages \(1 midstream, " \
        r"1 gaps, 1 overlapping, 1 retransmitted, 0 cut, 0 evicted\)"
    if re.search(want, summary) is None:
        failures.append("summary: " + (re.search(r"tcp:.*", summary) or
                                       re.search("", summary)).group(0))
    if failures:
        sys.exit("FAIL:\n  " + "\n  ".join(failures) + "\n" + summary)
    print(f"tcp: {len(expected)} streams, {len(events)} messages, each once")


if __name__ == "__main__":
    main()
