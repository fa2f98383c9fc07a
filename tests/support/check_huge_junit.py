#!/usr/bin/python3
# SPDX-License-Identifier: BSL-1.0
"""Runs huge_reports_program and checks its JUnit report with real readers.

Every text of the report (a failure, a TODO's output, a skip reason, a test
name) was tens of MiB: each must be cut at 1 MiB at a character's start and
end with a note of how much was left out, and the file must be valid UTF-8
that xmllint (without --huge) and junitparser read, with TAP's counts.

Usage: check_huge_junit.py PROGRAM
"""
import os
import re
import subprocess
import sys
import tempfile

import junitparser

NOTE = re.compile(r"\n\[trap: (\d+) more bytes of (\d+) left out\]\n$")
problems = []


def sent(mib):
    """What the program sent: "a" then "é" to at least @p mib MiB."""
    return "a" + "\u00e9" * (mib << 19)


def check_text(what, text, whole):
    """@p text must be the first MiB of the bytes @p whole, and the note."""
    m = NOTE.search(text or "")
    if not m:
        problems.append("%s: no note of what was left out at its end: %r" % (what, (text or "")[-80:]))
        return
    kept = text[:m.start()].encode("utf-8")
    if not whole.startswith(kept) or not (1 << 20) - 3 <= len(kept) <= 1 << 20:
        problems.append("%s: %d bytes kept, not the first MiB of what was sent" % (what, len(kept)))
    if int(m.group(2)) != len(whole) or int(m.group(1)) != len(whole) - len(kept):
        problems.append("%s: the note says %s" % (what, m.group(0).strip()))


def main():
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "report.xml")
        p = subprocess.run([sys.argv[1], "--junit", path], stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE)
        if p.returncode != 2:
            problems.append("exit status %d for 2 failed tests" % p.returncode)
        with open(path, "rb") as f:
            data = f.read()
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as e:
            problems.append("the report is not UTF-8: %s" % e)
        x = subprocess.run(["xmllint", "--noout", path], capture_output=True)
        if x.returncode != 0:
            problems.append("xmllint rejects the report:\n" + x.stderr.decode()[:2000])
        else:
            suites = list(junitparser.JUnitXml.fromfile(path))
            cases = [c for s in suites for c in s]
            counts = (suites[0].tests, suites[0].failures, suites[0].skipped, len(cases))
            if counts != (4, 2, 1, 4):
                problems.append("tests, failures, skipped, cases: %r" % (counts,))
            else:
                diagnostics = (sent(30) + "\n").encode("utf-8")
                check_text("failure text", cases[0].result[0].text, diagnostics)
                check_text("TODO output", cases[1].system_out,
                           b"TODO failed: huge output\n" + diagnostics)
                check_text("skip reason", cases[2].result[0].message, sent(12).encode("utf-8"))
                check_text("test name", cases[3].name, sent(12).encode("utf-8"))
                check_text("failure message", cases[3].result[0].message,
                           sent(12).encode("utf-8"))
    for text in problems:
        print("check_huge_junit: " + text, file=sys.stderr)
    print("%d problems" % len(problems))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
