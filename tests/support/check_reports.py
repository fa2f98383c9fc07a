#!/usr/bin/python3
# SPDX-License-Identifier: BSL-1.0
"""Runs a TAP program and checks every report it makes with real consumers.

- prove reads its TAP with no parse error, and tap_check.pl (TAP::Parser,
  what prove uses) finds no stray line and counts what the program counted;
- with --yaml (TAP 14), every "not ok" line has a YAML block that PyYAML loads into
  the expected shape, and a block announced by "# round-trip" notes holds
  exactly the bytes the program sent;
- with --junit, xmllint accepts the JUnit file and junitparser reads counts
  equal to TAP's;
- the exit status is Test::More's: the number of failed tests (at most 254);
- every line on stderr is a TAP comment.

With --junit the program is given "--junit FILE" to write its report; with
--counted it notes its own counts ("# expected counts: tests=N ...") and
the stream must agree.

Usage: check_reports.py --program PATH [--yaml] [--junit] [--counted]
         [--tap-check FILE.pl] [-- PROGRAM ARGS...]
Any consumer error, or a consumer's failing exit status, fails the check.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

import junitparser
import yaml

problems = []


def problem(text):
    problems.append(text)


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, **kw)


def check_prove(stream_path):
    p = run(["prove", "-v", "--exec", "cat", stream_path])
    out = p.stdout.decode("utf-8", "replace") + p.stderr.decode("utf-8", "replace")
    if "Parse errors" in out or "No plan found" in out or "Badly formed" in out:
        problem("prove could not parse the stream:\n" + out[-3000:])
    if not re.search(r"^Files=1, Tests=\d+", out, re.M):
        problem("prove printed no summary:\n" + out[-3000:])


def check_tap(stream_path, tap_check, yaml_blocks, counted):
    args = ["perl", tap_check] + (["--yaml"] if yaml_blocks else []) + \
        ([] if counted else ["--uncounted"]) + [stream_path]
    p = run(args)
    if p.returncode != 0:
        problem("tap_check.pl failed:\n" + p.stderr.decode("utf-8", "replace"))
    try:
        return json.loads(p.stdout)
    except ValueError:
        problem("tap_check.pl printed no counts: %r" % p.stdout)
        return None


def sent_text(hex_text):
    """What PyYAML reads back for these bytes: invalid UTF-8 bytes are
    written "\\xNN", which YAML reads as U+00NN."""
    text = bytes.fromhex(hex_text).decode("utf-8", "surrogateescape")
    return "".join(chr(ord(c) - 0xDC00) if 0xDC80 <= ord(c) <= 0xDCFF else c for c in text)


def yaml_blocks(lines):
    """(indentation, text) of each YAML block, and the number of "not ok"
    lines at any nesting."""
    blocks, not_ok, i = [], 0, 0
    while i < len(lines):
        if re.match(rb"^\s*not ok\b", lines[i]):
            not_ok += 1
        m = re.match(rb"^(\s*)  ---$", lines[i])
        if m:
            end = lines.index(m.group(1) + b"  ...", i)
            body = [l[len(m.group(1)) + 2:] for l in lines[i:end + 1]]
            blocks.append(b"\n".join(body) + b"\n")
            i = end
        i += 1
    return blocks, not_ok


def joined_pieces(data):
    """A long text is written as a list of pieces (at most 8 KiB a line, so
    that YAMLish reads it): joined here, after checking each is a string."""
    def join(value):
        if isinstance(value, list) and value and all(isinstance(p, str) for p in value):
            return "".join(value)
        return value
    data = dict(data)
    data["message"] = join(data.get("message"))
    if isinstance(data.get("diagnostics"), list):
        data["diagnostics"] = [join(d) for d in data["diagnostics"]]
    return data


def check_yaml(stream):
    lines = stream.split(b"\n")
    blocks, not_ok = yaml_blocks(lines)
    if len(blocks) != not_ok:
        problem("%d YAML blocks for %d failed tests" % (len(blocks), not_ok))
    announced = {}
    for line in lines:
        m = re.match(rb"^# round-trip (message|diagnostics): ([0-9a-f,]*)$", line)
        if m:
            announced[m.group(1).decode()] = m.group(2).decode()
    round_trips = 0
    for block in blocks:
        longest = max(len(line) for line in block.split(b"\n"))
        if longest > 8300:
            problem("a YAML block has a line of %d bytes (a long text goes in pieces)" % longest)
        try:
            data = yaml.safe_load(block)
        except yaml.YAMLError as e:
            problem("PyYAML cannot read a block: %s\n%s" % (e, block.decode("utf-8", "replace")))
            continue
        if isinstance(data, dict):
            data = joined_pieces(data)
        shape = (isinstance(data, dict) and isinstance(data.get("message"), str)
                 and data.get("severity") in ("fail", "todo")
                 and isinstance(data.get("at", {}).get("file"), str)
                 and isinstance(data["at"].get("line"), int)
                 and all(isinstance(d, str) for d in data.get("diagnostics", [])))
        if not shape:
            problem("a YAML block has the wrong shape: %r" % (data,))
            continue
        if announced and data["message"] == sent_text(announced["message"]):
            round_trips += 1
            want = [sent_text(h) for h in announced["diagnostics"].split(",")]
            if data.get("diagnostics") != want:
                problem("PyYAML diagnostics differ from what was sent:\n%r\n%r"
                        % (data.get("diagnostics"), want))
    if announced and round_trips != 1:
        problem("the round-trip block was not found (message %r)" % announced["message"])


def check_junit(path, counts):
    p = run(["xmllint", "--noout", path])
    if p.returncode != 0:
        problem("xmllint rejects the JUnit file:\n" + p.stderr.decode("utf-8", "replace"))
        return
    xml = junitparser.JUnitXml.fromfile(path)
    suites = list(xml) if isinstance(xml, junitparser.JUnitXml) else [xml]
    cases = [c for s in suites for c in s]
    kinds = {"failures": 0, "skipped": 0, "errors": 0}
    for c in cases:
        for r in c.result:
            kind = {"Failure": "failures", "Skipped": "skipped", "Error": "errors"}[type(r).__name__]
            kinds[kind] += 1
            if kind != "errors" and not r.message:
                problem("testcase %r: a %s without a message" % (c.name, kind))
            if kind == "failures" and "subtest" in c.name and not (r.text or "").strip():
                problem("failing subtest %r: the failure says nothing" % c.name)
        if c.time is None or c.time < 0:
            problem("testcase %r has no time" % c.name)
    want = {"tests": counts["tests"], "failures": counts["failed"],
            "skipped": counts["skipped"], "errors": 0}
    got = dict(kinds, tests=len(cases))
    if got != want:
        problem("JUnit testcases count %r, TAP %r" % (got, want))
    for s in suites:
        attrs = {"tests": s.tests, "failures": s.failures, "skipped": s.skipped,
                 "errors": s.errors}
        if attrs != want:
            problem("testsuite %r says %r, TAP %r" % (s.name, attrs, want))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--program", required=True)
    ap.add_argument("--yaml", action="store_true")
    ap.add_argument("--junit", action="store_true")
    ap.add_argument("--counted", action="store_true",
                    help="the program notes its own counts ('# expected counts:')")
    ap.add_argument("--tap-check", default=os.path.join(os.path.dirname(__file__),
                                                        "tap_check.pl"))
    ap.add_argument("args", nargs="*")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        stream_path, junit_path = os.path.join(tmp, "stream.tap"), os.path.join(tmp, "report.xml")
        args = [a.program] + a.args + (["--junit", junit_path] if a.junit else [])
        p = run(args)
        with open(stream_path, "wb") as f:
            f.write(p.stdout)
        for line in p.stderr.split(b"\n"):
            if line and not re.match(rb"^\s*#", line):
                problem("a line on stderr is not a TAP comment: %r" % line)
        check_prove(stream_path)
        counts = check_tap(stream_path, a.tap_check, a.yaml, a.counted)
        if counts is not None:
            if p.returncode != min(counts["failed"], 254):
                problem("exit status %d for %d failed tests" % (p.returncode, counts["failed"]))
            if a.junit:
                check_junit(junit_path, counts)
        if a.yaml:
            check_yaml(p.stdout)
        print("counts:", counts)
    for text in problems:
        print("check_reports: " + text[:2000], file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
