#!/usr/bin/python3
# SPDX-License-Identifier: BSL-1.0
"""Runs a program with XML_OUTPUT_FILE set (as Bazel runs a test) and
checks the JUnit file it leaves as a CI reads it: xmllint accepts it and
junitparser reads exactly the cases expected, each with its result and
message.

Usage: check_junit_file.py [--stale] [--status N]
         --case NAME=RESULT[:MESSAGE] ... -- PROGRAM ARGS...
RESULT is passed, failure or skipped; a MESSAGE given must be the
result's message. With --stale, the file holds a passing report of an
earlier run before the program starts. --status: the exit status the
program must end with (0 unless given).
"""
import argparse
import os
import subprocess
import sys
import tempfile

import junitparser

STALE = ('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites tests="1" failures="0">'
         '<testsuite name="old" tests="1" failures="0"><testcase name="an earlier run"/>'
         '</testsuite></testsuites>\n')


def cases_in(path):
    xml = junitparser.JUnitXml.fromfile(path)
    suites = list(xml) if isinstance(xml, junitparser.JUnitXml) else [xml]
    found = []
    for suite in suites:
        for case in suite:
            results = list(case.result)
            if not results:
                found.append((case.name, "passed", None))
            for r in results:
                found.append((case.name, type(r).__name__.lower(), r.message))
    return found


def expected(spec):
    name, _, rest = spec.partition("=")
    result, colon, message = rest.partition(":")
    return (name, result, message if colon else None)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--stale", action="store_true")
    parser.add_argument("--status", type=int, default=0)
    parser.add_argument("--case", action="append", default=[], type=expected)
    parser.add_argument("program", nargs="+")
    a = parser.parse_args()
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "test.xml")
        if a.stale:
            with open(path, "w", encoding="utf-8") as f:
                f.write(STALE)
        env = dict(os.environ, XML_OUTPUT_FILE=path, TEST_TARGET="//trap:t")
        p = subprocess.run(a.program, env=env, capture_output=True, text=True, timeout=120)
        if p.returncode != a.status:
            problems.append(f"exit status {p.returncode}, not {a.status}; stderr:\n{p.stderr}")
        if not os.path.exists(path):
            problems.append("the program left no JUnit file")
        else:
            lint = subprocess.run(["xmllint", "--noout", path], capture_output=True, text=True)
            if lint.returncode != 0:
                problems.append("xmllint rejects the JUnit file:\n" + lint.stderr)
            else:
                got = cases_in(path)
                want = [(n, r, m) for n, r, m in a.case]
                # A message not given is not checked.
                got_cmp = [(n, r, m if w[2] is not None else None)
                           for (n, r, m), w in zip(got, want)]
                if len(got) != len(want) or got_cmp != want:
                    with open(path, encoding="utf-8", errors="replace") as f:
                        text = f.read()
                    problems.append(f"junitparser reads {got}, not {want}:\n{text}")
    for line in problems:
        sys.stderr.write(line + "\n")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
