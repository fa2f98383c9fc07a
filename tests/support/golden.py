#!/usr/bin/python3
# SPDX-License-Identifier: BSL-1.0
"""Runs a program and compares what it wrote with its approved golden files.

Usage: golden.py --golden-dir DIR --name NAME --exit STATUS
         [--source FILE]... [--source-dir DIR] [--build-dir DIR]
         [--report-option OPTION [--report-only]] -- PROGRAM ARGS...

The program runs in a fresh temporary directory with stdin from /dev/null.
Its stdout is compared with DIR/NAME.out and its stderr with DIR/NAME.err;
with --report-option OPTION it is also given "OPTION <tmp>/report.xml" and
that file is compared with DIR/NAME.xml (with --report-only, only that
file: another golden test pins the same program's streams). The test fails, printing a unified
diff, when any of them differs, and fails when the program does not exit
with STATUS (a number) or is killed by a signal.

With TRAP_APPROVE=1 in the environment the golden files are (re)written
from this run instead: scripts/approve does that for every test labelled
"golden". The exit status is checked all the same.

Normalisation (the one place it is defined): before comparing, and before
approving, the output is rewritten so that it depends only on what the
program reports, not on where or when it ran:

  <TMP>            the temporary directory the program ran in
  <SRC>, <BUILD>   the source and build trees (--source-dir, --build-dir)
  NAME.cpp         any path to a program source given with --source is cut
                   to its file name (compilers are given relative paths)
  <LINE:NAME>      a line number after a --source file's name -- "f.cpp(12)",
                   "f.cpp:12", "f.cpp line 12", a JUnit file="f.cpp"
                   line="12", a TAP 14 YAML "file:" then "line: 12" -- when
                   that line of the source carries the comment
                   "// golden: NAME"; any other such line number is <LINE>,
                   so a report from the wrong line shows up as a diff
  <TIME>           durations: Boost.Test's "testing time: 12us",
                   GoogleTest's "(3 ms)", JUnit's time="0.001"
  <TIMESTAMP>      JUnit's timestamp="2026-01-01T00:00:00"
  <HOST>           JUnit's hostname="..."
  <PID>            the program's process id
  <VERSION>        the test framework's version in its banner: Catch2's
                   "Catch v2.13.10", doctest's "doctest version is "2.4.9""
"""
import argparse
import difflib
import os
import re
import subprocess
import sys
import tempfile

MARKER = re.compile(r"//\s*golden:\s*(\w+)")


def line_labels(path):
    """Maps each line number of @path that carries a golden marker to its name."""
    labels = {}
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            m = MARKER.search(line)
            if m:
                labels[number] = m.group(1)
    return labels


def normalise_sources(text, sources):
    for path in sources:
        name = os.path.basename(path)
        labels = line_labels(path)
        # Any path ending in the source's name (relative or absolute).
        text = re.sub(r"[^\s\"'(=]*/" + re.escape(name), name, text)
        where = re.escape(name) + r"""(\(|:|\s+line\s+|"\s+line="|"\n\s*line:\s+)(\d+)"""

        def label(m):
            tag = labels.get(int(m.group(2)))
            return name + m.group(1) + ("<LINE:%s>" % tag if tag else "<LINE>")

        text = re.sub(where, label, text)
    return text


def normalise(text, args, tmp, pid):
    text = text.replace(os.path.realpath(tmp), "<TMP>").replace(tmp, "<TMP>")
    for tree, mark in ((args.build_dir, "<BUILD>"), (args.source_dir, "<SRC>")):
        if tree:
            text = text.replace(os.path.realpath(tree), mark).replace(tree, mark)
    text = normalise_sources(text, args.source)
    text = re.sub(r"testing time: \d+(us|ms|s)\b", "testing time: <TIME>", text)
    text = re.sub(r"\(\d+ ms( total)?\)", r"(<TIME> ms\1)", text)
    text = re.sub(r'\btime="[0-9.]+"', 'time="<TIME>"', text)
    text = re.sub(r'\btimestamp="[^"]*"', 'timestamp="<TIMESTAMP>"', text)
    text = re.sub(r'\bhostname="[^"]*"', 'hostname="<HOST>"', text)
    text = re.sub(r"\bCatch v\d+\.\d+\.\d+", "Catch v<VERSION>", text)
    text = re.sub(r'doctest version is "[0-9.]+"', 'doctest version is "<VERSION>"', text)
    return re.sub(r"\b%d\b" % pid, "<PID>", text)


def compare(golden, actual, approve):
    """Returns a problem's text, or "" when @golden holds @actual."""
    if approve:
        with open(golden, "w", encoding="utf-8", errors="surrogateescape", newline="") as f:
            f.write(actual)
        print("approved " + golden)
        return ""
    if not os.path.exists(golden):
        return "%s does not exist: run scripts/approve to write it\n" % golden
    with open(golden, encoding="utf-8", errors="surrogateescape", newline="") as f:
        expected = f.read()
    if expected == actual:
        return ""
    diff = difflib.unified_diff(expected.splitlines(True), actual.splitlines(True),
                                golden, "this run")
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
                   for line in diff)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--golden-dir", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--exit", required=True, type=int)
    p.add_argument("--source", action="append", default=[])
    p.add_argument("--source-dir")
    p.add_argument("--build-dir")
    p.add_argument("--report-option")
    p.add_argument("--report-only", action="store_true")
    p.add_argument("command", nargs="+")
    return p.parse_args()


def main():
    args = parse_args()
    approve = os.environ.get("TRAP_APPROVE") == "1"
    with tempfile.TemporaryDirectory(prefix="trap-golden-") as tmp:
        command = list(args.command)
        report = os.path.join(tmp, "report.xml")
        if args.report_option:
            command += [args.report_option, report]
        with open(os.devnull, "rb") as stdin:
            p = subprocess.Popen(command, cwd=tmp, stdin=stdin, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE)
            out, err = p.communicate()
        streams = [] if args.report_only else [("out", out), ("err", err)]
        if args.report_option:
            with open(report, "rb") as f:
                streams.append(("xml", f.read()))
        problems = []
        if p.returncode != args.exit:
            problems.append("%s exited %d, not %d\n" % (" ".join(command), p.returncode, args.exit))
        for suffix, data in streams:
            actual = normalise(data.decode("utf-8", "surrogateescape"), args, tmp, p.pid)
            golden = os.path.join(args.golden_dir, "%s.%s" % (args.name, suffix))
            problems.append(compare(golden, actual, approve))
    text = "".join(problems)
    if text:
        sys.stdout.write(text)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
