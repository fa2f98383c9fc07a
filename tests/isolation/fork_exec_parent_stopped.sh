#!/usr/bin/env bash
# SPDX-License-Identifier: BSL-1.0
# A timeout above a fork(exec) trap, with the parent late at its deadline:
# the re-run process reaches the trap, then the parent is stopped (SIGSTOP)
# from 1 s to 7 s after it started, past the 5 s deadline of its
# timeout_above_fork_exec case. The re-run applied the timeout layer again,
# and its own timer must not end the code there (the re-run would go on with
# the test and end without a record); the parent, resumed, stops it at its
# deadline and sees a timeout.
# Usage: fork_exec_parent_stopped.sh TEST_PROGRAM
set -u
"$1" --run_test=timeout_above_fork_exec &
pid=$!
sleep 1
kill -STOP "$pid"
sleep 6
kill -CONT "$pid"
wait "$pid"
