#!/usr/bin/env python3
# SPDX-License-Identifier: BSL-1.0
"""Measures what one test file costs to compile, for scripts/bench.

Usage: bench/compile_time.py OUT.json INCLUDE_DIR...
  Compiles each file of bench/compile/ (a test file with one trap and one
  test method, the same without <iostream>, the floor of the first (only
  the standard headers trap's public API names), and its GoogleTest,
  doctest and Catch2 peers) as one
  translation unit, with g++-12 -O0 -std=c++20 -c, to /dev/null, RUNS times
  each, in rounds (every file once per round, in a new random order each
  round), and writes each compilation's wall time and the compiler's user
  and system CPU time to OUT.json, which bench/report.py compile reads.
  INCLUDE_DIR... are trap's headers as installed: include/ and the build's
  generated include/ (trap/version.hpp).
Environment: BENCH_COMPILE_RUNS (default 5), BENCH_CXX (default g++-12).
Exits 1 if a file does not compile or the compiler is missing.
"""
import json
import os
import random
import shutil
import subprocess
import sys
import time

FILES = ("trap", "trap_noio", "floor", "gtest", "doctest", "catch2")
HERE = os.path.dirname(os.path.abspath(__file__))


def compile_once(command):
    """Runs @command; returns (wall s, user+sys CPU s of the compiler)."""
    start = time.perf_counter()
    pid = os.posix_spawnp(command[0], command, os.environ)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise RuntimeError("%s failed with status %d" % (" ".join(command), code))
    return wall, usage.ru_utime + usage.ru_stime


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    cxx = os.environ.get("BENCH_CXX", "g++-12")
    if not shutil.which(cxx):
        print("compile_time: %s not found (Debian package g++-12)" % cxx, file=sys.stderr)
        return 1
    runs = int(os.environ.get("BENCH_COMPILE_RUNS", "5"))
    includes = ["-I" + d for d in argv[2:]]
    version = subprocess.run([cxx, "-dumpfullversion"], capture_output=True, text=True).stdout
    flags = ["-O0", "-std=c++20", "-c", "-o", os.devnull]
    results = {f: {"wall": [], "cpu": []} for f in FILES}
    order = list(FILES)
    try:
        for _ in range(runs):
            random.shuffle(order)
            for f in order:
                source = os.path.join(HERE, "compile", f + "_test.cpp")
                wall, cpu = compile_once([cxx] + flags + includes + [source])
                results[f]["wall"].append(wall)
                results[f]["cpu"].append(cpu)
    except RuntimeError as e:
        print("compile_time: %s" % e, file=sys.stderr)
        return 1
    report = {
        "compiler": "%s %s" % (cxx, version.strip()),
        "flags": " ".join(flags[:2]),
        "load_avg": list(os.getloadavg()),
        "results": results,
    }
    with open(argv[1], "w") as out:
        json.dump(report, out, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
