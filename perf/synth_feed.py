"""The indicator feed of perf/synth_capture.py: an iocsift CSV feed read into
its indicators by type, normalized the way iocsift reports them.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field

INDICATOR_TYPES = ("domain", "url", "md5", "sha1", "sha256", "filename")
HASH_TYPES = ("md5", "sha1", "sha256")


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
