#!/usr/bin/env python3
# SPDX-License-Identifier: BSL-1.0
"""Prints the tables of scripts/bench from a Google Benchmark JSON report.

Usage: bench/report.py trap_bench|isolation_bench|fork_exec_bench|net_bench|http_bench|smtp_bench|compile REPORT.json MEASURED
  MEASURED names what was measured (the commit, and whether the library's
  sources differ from it); it heads the tables. REPORT.json is a benchmark's
  JSON report, or for compile the one bench/compile_time.py writes.
Exits 1 if a benchmark in the report failed, 2 on bad arguments.
"""
import json
import re
import sys


def trap_table(report, measured):
    """Prints trap_bench's tables; returns 1 if a benchmark failed."""
    SCALE = {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}
    medians, cvs, errors = {}, {}, {}
    for b in report["benchmarks"]:
        # BM_x/pipe/real_time -> BM_x/pipe
        name = re.sub(r"/(real_time|iterations:\d+)", "", b.get("run_name", b["name"]))
        if b.get("error_occurred"):
            errors[name] = b.get("error_message", "error")
            continue
        if b.get("run_type") != "aggregate":
            continue
        scale = SCALE[b.get("time_unit", "ns")]
        if b["aggregate_name"] == "median":
            medians[name] = (b["real_time"] * scale, b["cpu_time"] * scale)
        elif b["aggregate_name"] == "cv":
            cvs[name] = b["real_time"]  # a fraction, not a time

    GTEST, RAW = "BM_gtest_capture_pair", "BM_raw_dup2_tempfile_pair"
    # Each row's own floor: the raw system calls of what it does.
    FLOOR = {
        "BM_raw_dup2_tempfile_pair": RAW, "BM_raw_memfd_pair": "BM_raw_memfd_pair",
        "BM_raw_pipe_pair": "BM_raw_pipe_pair", "BM_raw_rdbuf_pair": "BM_raw_rdbuf_pair",
        "BM_raw_memory_floor": "BM_raw_rdbuf_pair", "BM_raw_tee_pair": "BM_raw_pipe_pair",
        GTEST: RAW,
        "BM_trap_default": "BM_raw_memfd_pair", "BM_trap_default_pair": "BM_raw_memfd_pair",
        "BM_trap_strategy/dup2": "BM_raw_memfd_pair", "BM_trap_strategy/tempfile": RAW,
        "BM_trap_strategy/pipe": "BM_raw_pipe_pair", "BM_trap_strategy/tee": "BM_raw_pipe_pair",
        "BM_trap_strategy/memory": "BM_raw_rdbuf_pair",
    }
    SHORT = {RAW: "raw tmpfile", "BM_raw_memfd_pair": "raw memfd", "BM_raw_pipe_pair": "raw pipe",
             "BM_raw_rdbuf_pair": "raw rdbuf"}
    MIB, BIG_GTEST = 256, "BM_gtest_capture_256MiB"
    BIG_FLOOR = {
        "BM_raw_tempfile_256MiB": "BM_raw_tempfile_256MiB",
        "BM_raw_memfd_256MiB": "BM_raw_memfd_256MiB",
        "BM_raw_pipe_drainer_256MiB": "BM_raw_pipe_drainer_256MiB",
        "BM_raw_ostringstream_256MiB": "BM_raw_ostringstream_256MiB",
        BIG_GTEST: "BM_raw_tempfile_256MiB",
        "BM_trap_256MiB/dup2": "BM_raw_tempfile_256MiB",
        "BM_trap_256MiB/tempfile": "BM_raw_tempfile_256MiB",
        "BM_trap_256MiB/pipe": "BM_raw_pipe_drainer_256MiB",
        "BM_trap_256MiB/tee": "BM_raw_pipe_drainer_256MiB",
        "BM_trap_256MiB/memory": "BM_raw_ostringstream_256MiB",
    }
    ORDER = [
        "BM_raw_dup2_tempfile_pair", "BM_raw_memfd_pair", "BM_raw_pipe_pair",
        "BM_raw_tee_pair", "BM_raw_rdbuf_pair", "BM_raw_memory_floor", "BM_gtest_capture_pair",
        "BM_trap_default", "BM_trap_default_pair",
        "BM_trap_strategy/dup2", "BM_trap_strategy/tempfile",
        "BM_trap_strategy/pipe", "BM_trap_strategy/memory",
        "BM_trap_strategy/tee", "BM_trap_flow_only",
    ]
    HUB_BASE = "BM_std_function_call"
    HUB_ROWS = [HUB_BASE, "BM_hub_event", "BM_hub_event_3_listeners_filter"]
    names = [n for n in ORDER if n in medians or n in errors]
    names += sorted(n for n in set(medians) | set(errors)
                    if n not in ORDER + HUB_ROWS + list(BIG_FLOOR))

    def ratio(name, base):
        if name not in medians or base not in medians:
            return "-"
        return "%.3f" % (medians[name][0] / medians[base][0])

    ctx = report["context"]
    print("%s, trap %s, %d CPUs at %.0f MHz, load average %s" % (
        ctx["date"], measured, ctx["num_cpus"], ctx["mhz_per_cpu"],
        ", ".join("%.2f" % x for x in ctx.get("load_avg", []))))
    print()
    print("| benchmark | median wall µs | median CPU µs | cv | floor | / floor | / gtest pair | / raw dup2+tmpfile pair |")
    print("|---|---:|---:|---:|---|---:|---:|---:|")
    for n in names:
        if n in errors:
            print("| %s | FAILED: %s | | | | | | |" % (n, errors[n]))
            continue
        wall, cpu = medians[n]
        cv = "%.1f%%" % (100 * cvs[n]) if n in cvs else "-"
        floor = FLOOR.get(n)
        print("| %s | %.2f | %.2f | %s | %s | %s | %s | %s |" % (
            n, wall, cpu, cv, SHORT.get(floor, "-") if floor else "-",
            ratio(n, floor) if floor else "-", ratio(n, GTEST), ratio(n, RAW)))

    def rate(n):
        return MIB / (medians[n][0] / 1e6)

    def speed(n, base):  # MiB/s over the base's MiB/s
        if n not in medians or base not in medians:
            return "-"
        return "%.2f" % (medians[base][0] / medians[n][0])

    big = [n for n in BIG_FLOOR if n in medians or n in errors]
    if big:
        print()
        print("| 256 MiB, 1 MiB writes | median wall ms | MiB/s | cv | floor | / floor MiB/s | / gtest MiB/s |")
        print("|---|---:|---:|---:|---|---:|---:|")
    for n in big:
        if n in errors:
            print("| %s | FAILED: %s | | | | | |" % (n, errors[n]))
            continue
        cv = "%.1f%%" % (100 * cvs[n]) if n in cvs else "-"
        print("| %s | %.0f | %.0f | %s | %s | %s | %s |" % (
            n, medians[n][0] / 1000, rate(n), cv,
            BIG_FLOOR[n].replace("_256MiB", "").replace("BM_", ""),
            speed(n, BIG_FLOOR[n]), speed(n, BIG_GTEST)))

    print()
    print("| hub | median wall ns | median CPU ns | cv | / std::function call |")
    print("|---|---:|---:|---:|---:|")
    for n in HUB_ROWS:
        if n in errors:
            print("| %s | FAILED: %s | | | |" % (n, errors[n]))
        elif n in medians:
            wall, cpu = medians[n]
            cv = "%.1f%%" % (100 * cvs[n]) if n in cvs else "-"
            print("| %s | %.1f | %.1f | %s | %s |" % (
                n, wall * 1000, cpu * 1000, cv, ratio(n, HUB_BASE)))

    TARGET, DEFAULT = 0.3, "BM_trap_default"
    print()
    def target(what, value, ok, why_not=""):
        print("target: %s: %s, %s" % (what, value, "met" if ok else "NOT met" + why_not))
    if DEFAULT in medians and GTEST in medians:
        r = medians[DEFAULT][0] / medians[GTEST][0]
        target("one default trap <= %.1fx the GoogleTest pair" % TARGET, "%.3fx" % r, r <= TARGET)
    MEMORY = "BM_trap_strategy/memory"
    if MEMORY in medians:
        v = medians[MEMORY][0]
        floor, why_not = "", ""
        MEMORY_FLOOR = "BM_raw_memory_floor"
        if MEMORY_FLOOR in medians:
            f = medians[MEMORY_FLOOR][0]
            floor = (" (%.2fx its floor, %.2f µs: the raw rdbuf pair with the poll() and"
                     " the signal-mask read a memory trap makes)" % (v / f, f))
            if f > 1.0:
                why_not = ": the floor alone is above 1 µs on this host"
        target("memory strategy <= 1 µs per trap", "%.2f µs%s" % (v, floor), v <= 1.0, why_not)
    PIPE, RAW_PIPE = "BM_trap_strategy/pipe", "BM_raw_pipe_pair"
    if PIPE in medians and RAW_PIPE in medians:
        r = medians[PIPE][0] / medians[RAW_PIPE][0]
        target("pipe strategy <= 1.5x a fresh raw pipe per fd", "%.2fx" % r, r <= 1.5)
    TEE, RAW_TEE = "BM_trap_strategy/tee", "BM_raw_tee_pair"
    if TEE in medians and RAW_PIPE in medians:
        r = medians[TEE][0] / medians[RAW_PIPE][0]
        floor = ""
        if RAW_TEE in medians:
            floor = " (%.2fx the raw pipe pair that also copies to the original fd)" % (
                medians[TEE][0] / medians[RAW_TEE][0])
        target("tee strategy <= 1.5x a fresh raw pipe per fd", "%.2fx%s" % (r, floor), r <= 1.5)
    for n, floor in (("BM_trap_256MiB/dup2", "BM_raw_tempfile_256MiB"),
                     ("BM_trap_256MiB/pipe", "BM_raw_pipe_drainer_256MiB")):
        if n in medians and floor in medians:
            r = medians[floor][0] / medians[n][0]
            own = ""
            if n.endswith("/dup2") and "BM_raw_memfd_256MiB" in medians:
                own = " (%.2fx BM_raw_memfd_256MiB, the memfd it writes to)" % (
                    medians["BM_raw_memfd_256MiB"][0] / medians[n][0])
            target("%s >= 0.9x %s in MiB/s" % (n, floor), "%.2fx%s" % (r, own), r >= 0.9)
        if n in medians and BIG_GTEST in medians:
            target("%s above GoogleTest's capture" % n, "%.0f against %.0f MiB/s" % (
                rate(n), rate(BIG_GTEST)), rate(n) > rate(BIG_GTEST))
    return 1 if errors else 0


def isolation_table(report, measured):
    """Prints isolation_bench's tables; returns 1 if a benchmark failed."""
    SCALE = {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}
    medians, cvs, rss, errors = {}, {}, {}, {}
    for b in report["benchmarks"]:
        # BM_x/200/real_time -> BM_x/200; BM_x/iterations:2/real_time -> BM_x
        name = re.sub(r"/(real_time|iterations:\d+)", "", b.get("run_name", b["name"]))
        if b.get("error_occurred"):
            errors[name] = b.get("error_message", "error")
            continue
        if b.get("run_type") != "aggregate":
            continue
        if b["aggregate_name"] == "median":
            medians[name] = b["real_time"] * SCALE[b.get("time_unit", "ns")]
            rss[name] = b.get("rss_MiB")
        elif b["aggregate_name"] == "cv":
            cvs[name] = b["real_time"]  # a fraction, not a time

    def ratio(name, base):
        if name not in medians or base not in medians:
            return "-"
        return "%.2f" % (medians[name] / medians[base])

    def added(row):
        small, big = row + "/0", row + "/200"
        if small not in medians or big not in medians:
            return "-"
        return "%+.0f" % (medians[big] - medians[small])

    def cv(name):
        return "%.1f%%" % (100 * cvs[name]) if name in cvs else "-"

    ctx = report["context"]
    print("%s, trap %s, %d CPUs at %.0f MHz, load average %s" % (
        ctx["date"], measured, ctx["num_cpus"], ctx["mhz_per_cpu"],
        ", ".join("%.2f" % x for x in ctx.get("load_avg", []))))
    print()
    print("| benchmark | resident MiB | median wall µs | cv | / raw | / EXPECT_EXIT | µs added by 200 MiB |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    ROWS = [  # each row, its raw baseline, its GoogleTest peer
        ("BM_raw_fork_waitpid", "BM_raw_fork_waitpid", "BM_gtest_expect_exit"),
        ("BM_raw_fork_capture", "BM_raw_fork_waitpid", "BM_gtest_expect_exit"),
        ("BM_gtest_expect_exit", "BM_raw_fork_waitpid", "BM_gtest_expect_exit"),
        ("BM_trap_fork", "BM_raw_fork_waitpid", "BM_gtest_expect_exit"),
        ("BM_raw_posix_spawn_true", "BM_raw_posix_spawn_true", None),
        ("BM_trap_run_true", "BM_raw_posix_spawn_true", None),
    ]
    for mib in ("0", "200"):
        for row, raw, peer in ROWS:
            n = "%s/%s" % (row, mib)
            if n in errors:
                print("| %s | | FAILED: %s | | | | |" % (n, errors[n]))
            elif n in medians:
                print("| %s | %s | %.1f | %s | %s | %s | %s |" % (
                    n, "-" if rss[n] is None else "%.0f" % rss[n], medians[n], cv(n),
                    ratio(n, "%s/%s" % (raw, mib)),
                    ratio(n, "%s/%s" % (peer, mib)) if peer else "",
                    added(row) if mib == "200" else ""))

    print()
    def target(what, shown, met):
        print("target: %s: %s, %s" % (what, shown, "met" if met else "NOT met"))
    for mib in ("0", "200"):
        fork, raw, gtest, floor = ("%s/%s" % (n, mib) for n in (
            "BM_trap_fork", "BM_raw_fork_waitpid", "BM_gtest_expect_exit", "BM_raw_fork_capture"))
        if fork in medians and raw in medians:
            r = medians[fork] / medians[raw]
            shown = "%.2fx" % r
            if floor in medians:
                # The same work by raw system calls: how much of the gap is
                # the work itself, and how much is trap.
                shown += " (its floor, BM_raw_fork_capture, %.2fx raw; trap %.2fx that floor)" % (
                    medians[floor] / medians[raw], medians[fork] / medians[floor])
            target("fork trap <= 1.3x raw fork+waitpid at %s MiB" % mib, shown, r <= 1.3)
        if fork in medians and gtest in medians:
            r = medians[fork] / medians[gtest]
            target("fork trap below EXPECT_EXIT at %s MiB" % mib, "%.2fx" % r, r < 1)
        run, spawn = "BM_trap_run_true/" + mib, "BM_raw_posix_spawn_true/" + mib
        if run in medians and spawn in medians:
            r = medians[run] / medians[spawn]
            target("trap::run <= 1.15x raw posix_spawn at %s MiB" % mib, "%.2fx" % r, r <= 1.15)

    RAW, MIB = "BM_raw_spawn_pipe_256MiB", 256
    print()
    print("| 256 MiB through stdout | median wall ms | MiB/s | cv | / raw MiB/s |")
    print("|---|---:|---:|---:|---:|")
    for n in (RAW, "BM_trap_run_256MiB"):
        if n in errors:
            print("| %s | FAILED: %s | | | |" % (n, errors[n]))
        elif n in medians:
            print("| %s | %.0f | %.0f | %s | %s |" % (
                n, medians[n] / 1000, MIB / (medians[n] / 1e6), cv(n),
                "%.2f" % (medians[RAW] / medians[n]) if RAW in medians else "-"))
    return 1 if errors else 0


def fork_exec_table(report, measured):
    """Prints fork_exec_bench's table (isolation, re-run style); returns 1 if
    a benchmark failed."""
    SCALE = {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}
    medians, cvs, rss, errors = {}, {}, {}, {}
    for b in report["benchmarks"]:
        name = re.sub(r"/real_time", "", b.get("run_name", b["name"]))
        if b.get("error_occurred"):
            errors[name] = b.get("error_message", "error")
        elif b.get("run_type") == "aggregate" and b["aggregate_name"] == "median":
            medians[name] = b["real_time"] * SCALE[b.get("time_unit", "ns")]
            rss[name] = b.get("rss_MiB")
        elif b.get("run_type") == "aggregate" and b["aggregate_name"] == "cv":
            cvs[name] = b["real_time"]  # a fraction, not a time

    RAW, GTEST, TRAP = "BM_raw_spawn_self", "BM_gtest_threadsafe_death", "BM_trap_fork_exec"

    def ratio(row, base, mib):
        a, b = "%s/%s" % (row, mib), "%s/%s" % (base, mib)
        return "%.2f" % (medians[a] / medians[b]) if a in medians and b in medians else "-"

    def added(row):
        small, big = row + "/0", row + "/200"
        return "%+.0f" % (medians[big] - medians[small]) if small in medians and big in medians else "-"

    ctx = report["context"]
    print("%s, trap %s, %d CPUs at %.0f MHz, load average %s" % (
        ctx["date"], measured, ctx["num_cpus"], ctx["mhz_per_cpu"],
        ", ".join("%.2f" % x for x in ctx.get("load_avg", []))))
    print()
    print("| re-run of one test (fork(exec)) | resident MiB | median wall µs | cv "
          "| / raw posix_spawn of the test | / threadsafe EXPECT_EXIT | µs added by 200 MiB |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for mib in ("0", "200"):
        for row in (RAW, GTEST, TRAP):
            n = "%s/%s" % (row, mib)
            if n in errors:
                print("| %s | | FAILED: %s | | | | |" % (n, errors[n]))
            elif n in medians:
                print("| %s | %s | %.1f | %s | %s | %s | %s |" % (
                    n, "-" if rss[n] is None else "%.0f" % rss[n], medians[n],
                    "%.1f%%" % (100 * cvs[n]) if n in cvs else "-",
                    ratio(row, RAW, mib), ratio(row, GTEST, mib),
                    added(row) if mib == "200" else ""))

    print()
    def target(what, shown, met):
        print("target: %s: %s, %s" % (what, shown, "met" if met else "NOT met"))
    for mib in ("0", "200"):
        trap, raw, gtest = ("%s/%s" % (n, mib) for n in (TRAP, RAW, GTEST))
        if trap in medians and raw in medians:
            r = medians[trap] / medians[raw]
            target("fork(exec) trap <= 1.2x a raw posix_spawn+waitpid of the same test at %s MiB"
                   % mib, "%.2fx" % r, r <= 1.2)
        if trap in medians and gtest in medians:
            r = medians[trap] / medians[gtest]
            target("fork(exec) trap below the threadsafe death test at %s MiB" % mib,
                   "%.2fx" % r, r < 1)
    small, big = TRAP + "/0", TRAP + "/200"
    if small in medians and big in medians:
        # Flat: 200 MiB resident adds no more than a tenth of the time.
        r = medians[big] / medians[small]
        target("fork(exec) trap flat with resident size (200 MiB / 0 MiB <= 1.1x)",
               "%.2fx" % r, r <= 1.1)
    return 1 if errors else 0


def compile_table(report, measured):
    """Prints the compile times bench/compile_time.py measured; returns 0."""
    def median(values):
        v = sorted(values)
        return v[len(v) // 2] if len(v) % 2 else (v[len(v) // 2 - 1] + v[len(v) // 2]) / 2

    WHAT = {"trap": "<trap/trap.hpp>, one trap, one test method",
            "trap_noio": "the same without <iostream> (the code writes with std::puts)",
            "floor": "<iostream> and the standard headers trap's API names, no trap",
            "gtest": "<gtest/gtest.h>, one TEST, one EXPECT_EQ",
            "doctest": "<doctest/doctest.h>, one TEST_CASE, one CHECK",
            "catch2": "<catch2/catch.hpp>, one TEST_CASE, one CHECK"}
    results = report["results"]
    print("compile time of one test file, trap %s, %s %s -c, median of %d, load average %s" % (
        measured, report["compiler"], report["flags"], len(results["trap"]["cpu"]),
        ", ".join("%.2f" % x for x in report.get("load_avg", []))))
    print()
    print("| test file | median user+sys CPU s | median wall s | / trap's CPU |")
    print("|---|---:|---:|---:|")
    trap_cpu = median(results["trap"]["cpu"])
    for name, what in WHAT.items():
        if name in results:
            cpu = median(results[name]["cpu"])
            print("| %s | %.2f | %.2f | %.2f |" % (
                what, cpu, median(results[name]["wall"]), cpu / trap_cpu))
    print()
    # CPU time: the wall time also counts waiting for a CPU on a busy machine.
    print("target: compile time of <trap/trap.hpp> test file (bench/compile/trap_test.cpp, "
          "with <iostream>) <= 0.5 s: %.2f s user+sys CPU "
          "(%.2f s wall), %s" % (trap_cpu, median(results["trap"]["wall"]),
                                 "met" if trap_cpu <= 0.5 else "NOT met"))
    return 0


def net_table(report, measured):
    """Prints net_bench's tables; returns 1 if a benchmark failed."""
    SCALE = {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}
    medians, cvs, errors, counters = {}, {}, {}, {}
    for b in report["benchmarks"]:
        # BM_x/iterations:50/manual_time -> BM_x
        name = re.sub(r"/(real_time|manual_time|iterations:\d+)", "", b.get("run_name", b["name"]))
        if b.get("error_occurred"):
            errors[name] = b.get("error_message", "error")
            continue
        if b.get("run_type") != "aggregate":
            continue
        if b["aggregate_name"] == "median":
            medians[name] = b["real_time"] * SCALE[b.get("time_unit", "ns")]
            counters[name] = {k: b[k] for k in ("server_cpu_us", "client_waits") if k in b}
        elif b["aggregate_name"] == "cv":
            cvs[name] = b["real_time"]  # a fraction, not a time

    def cv(name):
        return "%.1f%%" % (100 * cvs[name]) if name in cvs else "-"

    def counter(name, key, fmt):
        v = counters.get(name, {}).get(key)
        return "-" if v is None else fmt % v

    def us(name):
        if name in errors:
            return "FAILED: %s" % errors[name]
        return "%.1f" % medians[name] if name in medians else "-"

    def ratio(a, b):
        if a not in medians or b not in medians:
            return "-"
        return "%.2f" % (medians[a] / medians[b])

    ctx = report["context"]
    print("%s, trap %s, %d CPUs at %.0f MHz, load average %s" % (
        ctx["date"], measured, ctx["num_cpus"], ctx["mhz_per_cpu"],
        ", ".join("%.2f" % x for x in ctx.get("load_avg", []))))
    print()
    print("| operation | raw Asio µs | cv | trap µs | cv | trap / raw | Test::POE µs | trap / POE |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    ROWS = [  # what, raw row, trap row, Test::POE row
        ("ready (construct → listening), 127.0.0.1 and ::1", "BM_raw_asio_ready_both",
         "BM_trap_ready", None),
        ("ready, 127.0.0.1 only", "BM_raw_asio_ready", "BM_trap_ready_v4", None),
        ("ready + stop, no client (raw: 127.0.0.1 only)", "BM_raw_asio_ready_stop",
         "BM_trap_ready_stop", None),
        ("stop with 100 open connections", "BM_raw_asio_stop_100", "BM_trap_shutdown_100", None),
        ("connect → accepted", "BM_raw_asio_connect_accept", "BM_trap_connect_accept", None),
        ("echo round trip", "BM_raw_asio_echo", "BM_trap_echo", "BM_poe_echo"),
    ]
    for what, raw, trap, poe in ROWS:
        if not any(n in medians or n in errors for n in (raw, trap)):
            continue
        print("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
            what, us(raw), cv(raw), us(trap), cv(trap), ratio(trap, raw),
            us(poe) if poe else "", ratio(trap, poe) if poe else ""))

    CLIENTS = 100
    RAW, TRAP, POE = "BM_raw_asio_100_clients", "BM_trap_100_clients", "BM_poe_100_clients"
    def rate(name):
        return CLIENTS / (medians[name] / 1e6)
    if any(n in medians or n in errors for n in (RAW, TRAP, POE)):
        print()
        print("| 100 clients, rounds of 100 requests | median µs per round | requests/s | cv | / raw Asio | / Test::POE | server CPU µs per request | client waits per request |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for n in (RAW, TRAP, POE):
        if n in errors:
            print("| %s | FAILED: %s | | | | | | |" % (n, errors[n]))
        elif n in medians:
            print("| %s | %.0f | %.0f | %s | %s | %s | %s | %s |" % (
                n, medians[n], rate(n), cv(n),
                "%.2f" % (rate(n) / rate(RAW)) if RAW in medians else "-",
                "%.1f" % (rate(n) / rate(POE)) if POE in medians else "-",
                counter(n, "server_cpu_us", "%.2f"), counter(n, "client_waits", "%.2f")))

    print()
    def target(what, shown, met):
        print("target: %s: %s, %s" % (what, shown, "met" if met else "NOT met"))

    if "BM_trap_echo" in medians and "BM_raw_asio_echo" in medians:
        r = medians["BM_trap_echo"] / medians["BM_raw_asio_echo"]
        target("echo round trip <= 1.5x raw Asio", "%.2fx" % r, r <= 1.5)
    if TRAP in medians and RAW in medians:
        r = rate(TRAP) / rate(RAW)
        target("100 clients >= 0.9x raw Asio's requests/s", "%.2fx" % r, r >= 0.9)
    if TRAP in medians and POE in medians:
        r = rate(TRAP) / rate(POE)
        target("100 clients >= 10x Test::POE::Server::TCP's requests/s", "%.1fx" % r, r >= 10)
    def at_most(what, trap, raw, limit):
        if trap in medians and raw in medians:
            r = medians[trap] / medians[raw]
            target("%s <= %.1fx raw Asio" % (what, limit), "%.2fx" % r, r <= limit)

    at_most("connect -> accepted", "BM_trap_connect_accept", "BM_raw_asio_connect_accept", 1.5)
    at_most("ready, 127.0.0.1 and ::1", "BM_trap_ready", "BM_raw_asio_ready_both", 1.5)
    at_most("ready, 127.0.0.1 only", "BM_trap_ready_v4", "BM_raw_asio_ready", 1.5)
    at_most("stop with 100 open connections", "BM_trap_shutdown_100", "BM_raw_asio_stop_100",
            1.3)
    if "BM_trap_ready" in medians:
        v = medians["BM_trap_ready"]
        target("ready <= 100 µs", "%.1f µs" % v, v <= 100)
    if "BM_trap_shutdown_100" in medians:
        v = medians["BM_trap_shutdown_100"]
        target("shutdown with 100 open connections <= 1 ms", "%.0f µs" % v, v <= 1000)
    return 1 if errors else 0


def http_table(report, measured):
    """Prints http_bench's tables, each trap figure beside the raw Beast
    server's and Go httptest's of the same run; returns 1 if a benchmark
    failed."""
    SCALE = {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}
    medians, cvs, errors, cpu = {}, {}, {}, {}
    for b in report["benchmarks"]:
        # BM_x/iterations:1/manual_time -> BM_x
        name = re.sub(r"/(real_time|manual_time|iterations:\d+)", "", b.get("run_name", b["name"]))
        if b.get("error_occurred"):
            errors[name] = b.get("error_message", "error")
            continue
        if b.get("run_type") != "aggregate":
            continue
        if b["aggregate_name"] == "median":
            medians[name] = b["real_time"] * SCALE[b.get("time_unit", "ns")]
            if "server_cpu_us" in b:
                cpu[name] = b["server_cpu_us"]
        elif b["aggregate_name"] == "cv":
            cvs[name] = b["real_time"]  # a fraction, not a time

    def cv(name):
        return "%.1f%%" % (100 * cvs[name]) if name in cvs else "-"

    def us(name):
        if name in errors:
            return "FAILED: %s" % errors[name]
        return "%.1f" % medians[name] if name in medians else "-"

    def ratio(a, b):
        if a not in medians or b not in medians:
            return "-"
        return "%.2f" % (medians[a] / medians[b])

    ctx = report["context"]
    print("%s, trap %s, %d CPUs at %.0f MHz, load average %s" % (
        ctx["date"], measured, ctx["num_cpus"], ctx["mhz_per_cpu"],
        ", ".join("%.2f" % x for x in ctx.get("load_avg", []))))
    print()
    print("| operation | raw Beast µs | cv | trap µs | cv | trap / raw | Go httptest µs | cv | trap / Go |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    ROWS = [  # what, raw row, trap row, Go row
        ("ready (construct → answerable), 127.0.0.1 and ::1 (Go: 127.0.0.1)",
         "BM_raw_beast_ready_both", "BM_trap_ready", "BM_go_ready"),
        ("ready, 127.0.0.1 only", "BM_raw_beast_ready", "BM_trap_ready_v4", "BM_go_ready"),
        ("ready + stop, no client (trap: both families)", "BM_raw_beast_ready_stop",
         "BM_trap_ready_stop", "BM_go_ready_stop"),
        ("keep-alive round trip", "BM_raw_beast_round_trip", "BM_trap_round_trip",
         "BM_go_round_trip"),
        ("TLS: connect, full handshake, one request (raw: P-256 key, Go: RSA 2048)",
         "BM_raw_beast_tls_request", "BM_trap_tls_request", "BM_go_tls_request"),
        ("TLS, raw Beast with Go's key type (RSA 2048)", "BM_raw_beast_tls_rsa_request",
         None, "BM_go_tls_request"),
        ("a thread's start alone (raw column), the floor of a server with a thread of its own",
         "BM_thread_start", None, "BM_go_ready"),
    ]
    for what, raw, trap, go in ROWS:
        if not any(n in medians or n in errors for n in (raw, trap, go) if n):
            continue
        if trap is None:  # a baseline beside a baseline: raw / Go in the trap / Go column
            print("| %s | %s | %s | | | | %s | %s | raw / Go: %s |" % (
                what, us(raw), cv(raw), us(go), cv(go), ratio(raw, go)))
            continue
        print("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            what, us(raw), cv(raw), us(trap), cv(trap), ratio(trap, raw),
            us(go), cv(go), ratio(trap, go)))

    CLIENTS = 100
    RAW, TRAP, GO = "BM_raw_beast_100_clients", "BM_trap_100_clients", "BM_go_100_clients"

    def rate(name):
        return CLIENTS / (medians[name] / 1e6)
    if any(n in medians or n in errors for n in (RAW, TRAP, GO)):
        print()
        print("| 100 keep-alive clients, rounds of 100 requests | median µs per round | requests/s | cv | / raw Beast | / Go httptest | server CPU µs per request |")
        print("|---|---:|---:|---:|---:|---:|---:|")
    for n in (RAW, TRAP, GO):
        if n in errors:
            print("| %s | FAILED: %s | | | | | |" % (n, errors[n]))
        elif n in medians:
            print("| %s | %.0f | %.0f | %s | %s | %s | %s |" % (
                n, medians[n], rate(n), cv(n),
                "%.2f" % (rate(n) / rate(RAW)) if RAW in medians else "-",
                "%.2f" % (rate(n) / rate(GO)) if GO in medians else "-",
                "%.2f" % cpu[n] if n in cpu else "-"))

    print()
    def target(what, shown, met):
        print("target: %s: %s, %s" % (what, shown, "met" if met else "NOT met"))

    def compare(what, trap, base, value, limit):
        """value(trap, base): trap's figure as a multiple of base's, better
        when larger; met when at least limit (above it when limit is 1)."""
        if trap in medians and base in medians:
            r = value(trap, base)
            target(what, "%.2fx" % r, r > limit if limit == 1 else r >= limit)
        elif trap in errors or base in errors:
            target(what, "not measured (%s)" % errors.get(trap, errors.get(base)), False)

    speed = lambda a, b: medians[b] / medians[a]  # noqa: E731 (time per request: lower is better)
    compare("100 clients >= 0.9x raw Beast's requests/s", TRAP, RAW, speed, 0.9)
    compare("keep-alive round trip >= 0.9x raw Beast's speed (raw time / trap time)",
            "BM_trap_round_trip", "BM_raw_beast_round_trip", speed, 0.9)
    compare("100 clients ahead of Go httptest's requests/s", TRAP, GO, speed, 1)
    compare("ready (Server s; s.url(), 127.0.0.1 and ::1) ahead of Go's httptest.NewServer "
            "(Go time / trap time)", "BM_trap_ready", "BM_go_ready", speed, 1)
    return 1 if errors else 0


def smtp_table(report, measured):
    """Prints smtp_bench's table, each trap figure beside aiosmtpd's of the
    same run with the ratio trap / aiosmtpd; returns 1 if a benchmark
    failed."""
    SCALE = {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}
    medians, cvs, errors, cpu, rates = {}, {}, {}, {}, {}
    for b in report["benchmarks"]:
        name = re.sub(r"/(real_time|manual_time|iterations:\d+)", "", b.get("run_name", b["name"]))
        if b.get("error_occurred"):
            errors[name] = b.get("error_message", "error")
            continue
        if b.get("run_type") != "aggregate":
            continue
        if b["aggregate_name"] == "median":
            medians[name] = b["real_time"] * SCALE[b.get("time_unit", "ns")]
            if "items_per_second" in b:
                rates[name] = b["items_per_second"]
            if "server_cpu_us" in b:
                cpu[name] = b["server_cpu_us"]
        elif b["aggregate_name"] == "cv":
            cvs[name] = b["real_time"]  # a fraction, not a time

    def cell(name, value):
        if name in errors:
            return "FAILED: %s" % errors[name]
        return value(name) if name in medians else "-"

    def cv(name):
        return "%.1f%%" % (100 * cvs[name]) if name in cvs else "-"

    ctx = report["context"]
    print("%s, trap %s, %d CPUs at %.0f MHz, load average %s" % (
        ctx["date"], measured, ctx["num_cpus"], ctx["mhz_per_cpu"],
        ", ".join("%.2f" % x for x in ctx.get("load_avg", []))))
    print()
    print("| operation | trap | cv | aiosmtpd | cv | trap / aiosmtpd (of the figure shown) "
          "| trap server CPU µs per session |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    SESSION = ("BM_trap_session", "BM_aiosmtpd_session")
    CLIENTS = ("BM_trap_10_clients", "BM_aiosmtpd_10_clients")
    us = lambda n: "%.1f µs" % medians[n]  # noqa: E731
    per_s = lambda n: "%.0f msg/s" % rates[n]  # noqa: E731
    for what, (trap, aio), show, ratio in [
        ("one session: connect, EHLO, one message, QUIT (latency)", SESSION, us,
         lambda: medians[SESSION[0]] / medians[SESSION[1]]),
        ("10 concurrent clients, one connection each (messages/s)", CLIENTS, per_s,
         lambda: rates[CLIENTS[0]] / rates[CLIENTS[1]])]:
        if not any(n in medians or n in errors for n in (trap, aio)):
            continue
        r = "%.2f" % ratio() if trap in medians and aio in medians else "-"
        print("| %s | %s | %s | %s | %s | %s | %s |" % (
            what, cell(trap, show), cv(trap), cell(aio, show), cv(aio), r,
            "%.1f" % cpu[trap] if trap in cpu else "-"))

    print()
    TARGET = 5.0
    trap, aio = CLIENTS
    if trap in rates and aio in rates:
        r = rates[trap] / rates[aio]
        print("target: 10 clients >= %.0fx aiosmtpd's messages/s: %.2fx, %s" % (
            TARGET, r, "met" if r >= TARGET else "NOT met"))
    elif trap in errors or aio in errors:
        print("target: 10 clients >= %.0fx aiosmtpd's messages/s: not measured (%s), NOT met" % (
            TARGET, errors.get(trap, errors.get(aio))))
    return 1 if errors else 0


TABLES = {"trap_bench": trap_table, "isolation_bench": isolation_table, "net_bench": net_table,
          "fork_exec_bench": fork_exec_table, "http_bench": http_table, "smtp_bench": smtp_table,
          "compile": compile_table}


def main(argv):
    if len(argv) != 4 or argv[1] not in TABLES:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    with open(argv[2]) as f:
        report = json.load(f)
    return TABLES[argv[1]](report, argv[3])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
