#!/usr/bin/env python3
"""check_includes.py -- fails on an include cycle or an upward include.

usage: check_includes.py [SOURCE_DIR]
       check_includes.py --self-test   (the checker against trees it makes)

A module is a .c file with its .h of the same name. Module A depends on
module B when a file of A includes B's header (quoted includes only; the
headers are found by name, as meson's include directories find them).
Two rules, over the production folders (tests/ and perf/ may include
anything):

- no cycle between modules: a reader of one must not need the other and
  the other the first;
- folders depend one way: the programs (control/iocsift/ and
  control/ctl/, and files at the root) on control/, control/ on
  dataplane/, dataplane/ on patterns/. An include that points the other
  way is reported.

Prints every violation, exits 1 if there is one, else prints a summary.
"""
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
# Lower layers first: a file may include its own layer or a lower one.
LAYERS = ("patterns", "dataplane", "control", "programs")
# The programs' folders, inside control/ as the design lays them out.
PROGRAMS = ("control/iocsift", "control/ctl")
SKIP = ("tests", "perf", "build", ".git")


def layer_of(path):
    if os.sep not in path:
        return LAYERS.index("programs")     # a file at the root
    folder = os.path.dirname(path).replace(os.sep, "/")
    if any(folder == p or folder.startswith(p + "/") for p in PROGRAMS):
        return LAYERS.index("programs")
    top = path.split(os.sep, 1)[0]
    if top in LAYERS:
        return LAYERS.index(top)
    return LAYERS.index("programs")


def sources(root):
    for dirpath, dirnames, filenames in os.walk(root):
        rel = os.path.relpath(dirpath, root)
        first = rel.split(os.sep, 1)[0]
        if first in SKIP or first.startswith("build"):
            dirnames[:] = []
            continue
        for name in filenames:
            if name.endswith((".c", ".h")):
                yield os.path.normpath(os.path.join(rel, name))


def main(argv):
    root = argv[1] if len(argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..")
    files = sorted(sources(root))
    headers = {}
    for f in files:
        if f.endswith(".h"):
            headers.setdefault(os.path.basename(f), []).append(f)
    problems = []
    for name, paths in headers.items():
        if len(paths) > 1:
            problems.append(f"header name used twice: {', '.join(paths)}")

    def module(path):
        return os.path.splitext(path)[0]

    deps = {}
    for f in files:
        with open(os.path.join(root, f), encoding="utf-8") as fh:
            text = fh.read()
        for inc in INCLUDE.findall(text):
            targets = headers.get(os.path.basename(inc))
            if not targets:
                continue        # a system or generated header
            target = targets[0]
            if module(target) != module(f):
                deps.setdefault(module(f), set()).add(module(target))
            if layer_of(target) > layer_of(f):
                problems.append(f"upward include: {f} includes {target}")

    # Cycles: Tarjan's strongly connected components.
    index, low, stack, on_stack, sccs = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(deps.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            scc = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                scc.append(w)
                if w == v:
                    break
            if len(scc) > 1:
                sccs.append(sorted(scc))

    sys.setrecursionlimit(10000)
    for v in sorted(set(deps) | {w for ws in deps.values() for w in ws}):
        if v not in index:
            visit(v)
    for scc in sccs:
        problems.append("include cycle between modules: " + ", ".join(scc))

    for p in problems:
        print(p)
    if problems:
        return 1
    print(f"includes: {len(files)} files, {len(deps)} modules, "
          "no cycle, no upward include")
    return 0


def self_test():
    """Trees with a cycle, an upward include, and neither: the checker
    must fail the first two, naming the fault, and pass the third."""
    import contextlib
    import io
    import tempfile

    cases = [
        ("cycle", {"patterns/a.c": '#include "b.h"', "patterns/a.h": "",
                   "patterns/b.c": '#include "a.h"', "patterns/b.h": ""},
         1, "include cycle between modules: patterns/a, patterns/b"),
        ("header cycle", {"patterns/a.h": '#include "b.h"',
                          "patterns/b.h": '#include "a.h"'},
         1, "include cycle between modules: patterns/a, patterns/b"),
        ("upward", {"patterns/p.c": '#include "d.h"', "dataplane/d.h": ""},
         1, "upward include: patterns/p.c includes dataplane/d.h"),
        ("upward into a program", {"control/c.c": '#include "m.h"',
                                   "control/ctl/m.h": ""},
         1, "upward include: control/c.c includes control/ctl/m.h"),
        ("clean", {"control/iocsift/m.c": '#include "c.h"\n#include <stdio.h>',
                   "control/c.c": '#include "c.h"\n#include "d.h"',
                   "control/c.h": "", "dataplane/d.h": '#include "p.h"',
                   "patterns/p.h": "", "tests/t.c": '#include "m.h"'},
         0, "no cycle, no upward include"),
    ]
    failures = 0
    for name, tree, want_rc, want_text in cases:
        with tempfile.TemporaryDirectory() as root:
            for path, text in tree.items():
                os.makedirs(os.path.join(root, os.path.dirname(path)),
                            exist_ok=True)
                with open(os.path.join(root, path), "w") as fh:
                    fh.write(text + "\n")
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                rc = main(["check_includes.py", root])
        ok = rc == want_rc and want_text in out.getvalue()
        print(f"{'ok' if ok else 'FAIL'}: {name} (exit {rc}): "
              f"{out.getvalue().strip()}")
        failures += not ok
    return 1 if failures else 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--self-test"]:
        sys.exit(self_test())
    sys.exit(main(sys.argv))
