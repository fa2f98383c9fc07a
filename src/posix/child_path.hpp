// SPDX-License-Identifier: BSL-1.0
// Where the code a fork trap's child runs is placed in the program.
//
// fork() copies no page-table entries of the program's code: the child
// faults in every 64 KiB stretch of code it runs, at about 2 µs each on a
// VM. TRAP_CHILD_PATH marks a function of trap's that the child of a
// default fork trap runs (bench/RESULTS.md lists how they were found: a
// callgrind run that counts only the child), and puts it in a section named
// `.text.hot.*`, which the GNU and LLVM linkers' default layouts gather from
// every object file in one place. The child then touches a few stretches of
// trap's code instead of one per source file. Only placement changes: the
// code is the same, and so is its speed in the parent.
#pragma once

#if defined(__ELF__) && defined(__clang__)
#define TRAP_CHILD_PATH __attribute__((section(".text.hot.trap_child_path")))
#elif defined(__ELF__) && defined(__GNUC__)
#define TRAP_CHILD_PATH __attribute__((hot))
#else
#define TRAP_CHILD_PATH
#endif
