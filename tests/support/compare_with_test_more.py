#!/usr/bin/env python3
# SPDX-License-Identifier: BSL-1.0
"""Runs a trap program and a Perl Test::More script making the same
assertions, and fails unless their TAP (stdout), diagnostics (stderr) and
exit statuses are the same once file names and line numbers are normalised,
and prove reads the same failures in both.

Usage: compare_with_test_more.py --perl PERL --prove PROVE --script FILE.pl
       -- PROGRAM [ARGS...]
The ARGS are given to the Perl script too.
"""
import argparse
import difflib
import re
import subprocess
import sys

# "at FILE line N" in "#   Failed test ..." lines and in messages: the
# files differ, and so do the lines (trap's own tests check the caller's
# line).
WHERE = re.compile(r"\bat \S+ line \d+\b")


def normalised(text):
    return WHERE.sub("at FILE line N", text)


def run(command):
    p = subprocess.run(command, capture_output=True, text=True, timeout=120)
    return p.returncode, normalised(p.stdout), normalised(p.stderr)


def prove_failures(prove, command, is_program, test_args):
    args = [prove, "--exec", ""] if is_program else [prove, "--exec", command[0]]
    target = command[1] if not is_program else command[0]
    test_args = ["::"] + test_args if test_args else []
    p = subprocess.run(args + [target] + test_args, capture_output=True, text=True, timeout=120)
    lines = [l.strip() for l in p.stdout.splitlines() if "Failed test" in l or "Non-zero" in l]
    return p.returncode, lines


def compare(what, got, want):
    if got == want:
        return True
    sys.stderr.write(f"{what} differs from Test::More's:\n")
    sys.stderr.writelines(difflib.unified_diff(
        want.splitlines(True), got.splitlines(True), "Test::More", "trap"))
    return False


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--perl", required=True)
    parser.add_argument("--prove", required=True)
    parser.add_argument("--script", required=True)
    parser.add_argument("--passing", action="store_true",
                        help="both runs pass: prove reads no failure in either")
    parser.add_argument("program", nargs="+")
    a = parser.parse_args()
    trap = run(a.program)
    perl = run([a.perl, a.script] + a.program[1:])
    same = compare("stdout", trap[1], perl[1])
    same = compare("stderr", trap[2], perl[2]) and same
    if trap[0] != perl[0]:
        sys.stderr.write(f"exit status {trap[0]}, Test::More's {perl[0]}\n")
        same = False
    prove_trap = prove_failures(a.prove, a.program, True, a.program[1:])
    prove_perl = prove_failures(a.prove, [a.perl, a.script], False, a.program[1:])
    if prove_trap != prove_perl:
        sys.stderr.write(f"prove reads {prove_trap}, Test::More's {prove_perl}\n")
        same = False
    if not prove_trap[1] and not a.passing:
        sys.stderr.write("prove reported no failed tests at all\n")
        same = False
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
