"""Every message on the wire (tests/integration/wire_capture.py): in IP
fragments and in each encapsulation, `iocsift replay` finds the watched
name once per message, at the frame that completes it, and the event says
how the packet came (iocsift.encapsulation.layers).

usage: wire_test.py IOCSIFT SOURCE_DIR WORK_DIR
"""
import json
import os
import re
import subprocess
import sys


def main():
    iocsift, src, work = sys.argv[1:4]
    os.makedirs(work, exist_ok=True)
    capture = os.path.join(work, "wire.pcap")
    expected_path = os.path.join(work, "expected.json")
    feed = os.path.join(work, "feed.csv")
    subprocess.run(["/usr/bin/python3",
                    os.path.join(src, "tests/integration/wire_capture.py"),
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
    by_frame = {e["iocsift"]["frame"]: e for e in events}
    for case in expected:
        event = by_frame.get(case["frame"])
        if event is None:
            failures.append(f"{case['name']}: no event at frame "
                            f"{case['frame']}")
            continue
        layers = event.get("iocsift", {}).get("encapsulation", {}).get(
            "layers", [])
        if layers != case["layers"]:
            failures.append(f"{case['name']}: layers {layers}, expected "
                            f"{case['layers']}")
    if len(events) != len(expected):
        failures.append(f"{len(events)} events for {len(expected)} messages")
    # Three datagrams came in fragments; none was left or dropped.
    fragments = re.search(r"fragments: +(\d+) \((\d+) datagrams reassembled; "
                          r"dropped: 0 expired, 0 overlapping, 0 oversized, "
                          r"0 table full, 0 unsupported\)", summary)
    if fragments is None or fragments.group(2) != "3":
        failures.append("fragments: " + (fragments.group(0) if fragments
                                         else "no summary line"))
    for key in ("other", "too deep", "malformed"):
        m = re.search(rf"^ *{key}: +(\d+)", summary, re.M)
        if m is None or m.group(1) != "0":
            failures.append(f"{key}: {m.group(0) if m else 'missing'}")
    if failures:
        sys.exit("FAIL:\n  " + "\n  ".join(failures) + "\n" + summary)
    print(f"wire: {len(expected)} messages, each found once, "
          f"{fragments.group(1)} fragments in 3 datagrams")


if __name__ == "__main__":
    main()
