#!/usr/bin/env python3
# SPDX-License-Identifier: BSL-1.0
"""Runs a sharded standalone trap program with `bazel test`, offline.

Copies tests/package/bazel and the installed trap (PREFIX: its headers and
libtrap.a) into a scratch workspace, runs

    bazel test --test_sharding_strategy=explicit //:sharded

with Debian's bazel-bootstrap, and checks what each shard left in
bazel-testlogs: every subtest s0..s6 ran in exactly one shard (its ordinal
modulo the number of shards is the shard's index), its capture file was
under the shard's TEST_TMPDIR, each shard touched TEST_SHARD_STATUS_FILE
(test.shard), and each shard's test.xml is trap's JUnit report (read with
junitparser) naming that shard's subtests.
"""

import argparse
import pathlib
import re
import shutil
import subprocess
import sys

import junitparser

SUBTESTS = [f"s{i}" for i in range(7)]


def make_workspace(args, work):
    source = pathlib.Path(args.source)
    shutil.rmtree(work.parent, ignore_errors=True)
    shutil.copytree(source, work, ignore=shutil.ignore_patterns("BUILD.in", "README.md", "stubs"))
    shutil.copytree(source / "stubs", work.parent / "stubs")
    prefix = pathlib.Path(args.prefix)
    shutil.copytree(prefix / "include", work / "trap" / "include")
    (work / "trap" / "lib").mkdir(parents=True)
    shutil.copy(prefix / "lib" / "libtrap.a", work / "trap" / "lib")
    flags = "".join(f', "{f}"' for f in args.cxx_flags.split())
    build = (source / "BUILD.in").read_text()
    build = build.replace("@SHARDS@", str(args.shards))
    build = build.replace("@COPTS@", flags).replace("@LINKOPTS@", flags)
    (work / "BUILD").write_text(build)


def run_bazel(args, work):
    stubs = work.parent / "stubs"
    command = [
        args.bazel, "--batch", f"--output_user_root={work.parent / 'bazel-root'}",
        "test", "//:sharded", "--test_sharding_strategy=explicit", "--test_output=errors",
        "--spawn_strategy=local", "--color=no", "--curses=no", "--noshow_progress",
        f"--repo_env=CC={args.cxx}",
        f"--override_repository=rules_cc={stubs / 'rules_cc'}",
        f"--override_repository=rules_java={stubs / 'rules_java'}",
        f"--override_repository=remote_coverage_tools={stubs / 'remote_coverage_tools'}",
        "--test_env=ASAN_OPTIONS", "--test_env=UBSAN_OPTIONS", "--test_env=TSAN_OPTIONS",
    ]
    print(" ".join(command), flush=True)
    done = subprocess.run(command, cwd=work, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=args.timeout)
    print(done.stdout)
    if done.returncode != 0:
        sys.exit(f"bazel test failed ({done.returncode})")


def check_shard(logs, index, shards):
    log = (logs / "test.log").read_text()
    ran = re.findall(r"^ok \d+ - (s\d)$", log, re.M)
    expected = [s for i, s in enumerate(SUBTESTS) if i % shards == index]
    problems = []
    if ran != expected:
        problems.append(f"shard {index} ran {ran}, expected {expected}:\n{log}")
    if re.search(r"^not ok", log, re.M):
        problems.append(f"shard {index} failed a test (a capture not under TEST_TMPDIR?):\n{log}")
    # Bazel makes the directory of TEST_SHARD_STATUS_FILE, never the file.
    if not (logs / "test.shard").exists():
        problems.append(f"shard {index}: TEST_SHARD_STATUS_FILE (test.shard) was not touched")
    xml = junitparser.JUnitXml.fromfile(str(logs / "test.xml"))
    cases = [case.name for suite in xml for case in suite]
    if cases != expected:
        problems.append(f"shard {index}'s test.xml has {cases}, expected {expected}: is it "
                        f"trap's report?\n{(logs / 'test.xml').read_text()}")
    return ran, problems


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bazel", required=True)
    parser.add_argument("--prefix", required=True, help="the installed trap")
    parser.add_argument("--source", required=True, help="tests/package/bazel")
    parser.add_argument("--work", required=True, help="scratch directory")
    parser.add_argument("--cxx", required=True, help="the C++ compiler Bazel uses")
    parser.add_argument("--cxx-flags", default="", help="the flags libtrap.a was built with")
    parser.add_argument("--shards", type=int, default=3)
    parser.add_argument("--timeout", type=int, default=240)
    args = parser.parse_args()
    work = pathlib.Path(args.work).resolve() / "workspace"
    make_workspace(args, work)
    run_bazel(args, work)
    logs = work / "bazel-testlogs" / "sharded"
    everything, problems = [], []
    for index in range(args.shards):
        ran, found = check_shard(logs / f"shard_{index + 1}_of_{args.shards}", index, args.shards)
        everything += ran
        problems += found
    if sorted(everything) != SUBTESTS:
        problems.append(f"the shards ran {sorted(everything)} together, expected {SUBTESTS}")
    if problems:
        sys.exit("\n".join(problems))
    print(f"{args.shards} shards ran each of {SUBTESTS} exactly once")


if __name__ == "__main__":
    main()
