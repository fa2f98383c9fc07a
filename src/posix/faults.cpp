// SPDX-License-Identifier: BSL-1.0
// The fault-injection seam: which call fails, at which use, and how often
// each call was made.
//
// The table lives in one page of shared anonymous memory, made before the
// first fork that matters, so that a forked child (the fork layer's) counts
// and takes faults in the same table as its parent: "the Nth dup" means the
// Nth dup of the whole test, in whichever process it happens. Everything in
// it is a lock-free atomic: no lock that a killed child or a fork from
// another thread could leave held.
#include <sys/mman.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>

#include "posix/child_path.hpp"
#include "posix/fd.hpp"

namespace trap::posix {
namespace {

constexpr const char* kCalls[] = {
    "open",   "mkstemp", "memfd_create", "dup",    "dup2",    "pipe2",         "read",
    "pread",  "write",   "ftruncate",    "fork",   "waitpid", "kill",          "posix_spawn",
    "socket", "bind",    "listen",       "accept", "ioctl",   "epoll_create1", "epoll_ctl"};
constexpr int kCallCount = sizeof kCalls / sizeof kCalls[0];
constexpr int kSlots = 64;

static_assert(std::atomic<int>::is_always_lock_free, "shared across processes");

struct Slot {
  std::atomic<int> call{-1};
  std::atomic<int> countdown{0};  // > 0: pending
  std::atomic<int> err{0};
};

struct Table {
  std::atomic<bool> counting{false};
  std::atomic<int> used{0};  // slots [0, used) were injected, in order
  Slot slots[kSlots];
  std::atomic<unsigned> counts[kCallCount];
};

std::atomic<Table*> table{nullptr};

int call_id(std::string_view call) {
  for (int i = 0; i < kCallCount; ++i)
    if (call == kCalls[i]) return i;
  return -1;
}

// Made on first use by a test; a process that never injects or counts
// never maps it, and take_fault() costs one atomic load there.
Table& the_table() {
  static Table* t = [] {
    void* p =
        ::mmap(nullptr, sizeof(Table), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    Table* made = p == MAP_FAILED ? new Table : new (p) Table;
    for (auto& c : made->counts) c.store(0);
    table.store(made, std::memory_order_release);
    return made;
  }();
  return *t;
}

std::mutex inject_mutex;  // injecting is the test's business, one at a time

}  // namespace

void inject_fault(std::string_view call, int nth, int err) {
  Table& t = the_table();
  std::lock_guard lock(inject_mutex);
  if (nth <= 0) {
    for (auto& s : t.slots) s.countdown.store(0);
    t.used.store(0);
    return;
  }
  const int id = call_id(call);
  if (id < 0)
    throw std::invalid_argument("inject_fault: no seam point \"" + std::string(call) + "\"");
  if (err == 0) throw std::invalid_argument("inject_fault: err 0 injects nothing");
  const int i = t.used.load();
  if (i >= kSlots) throw std::length_error("inject_fault: more than 64 faults pending");
  Slot& s = t.slots[i];
  s.call.store(id);
  s.err.store(err);
  s.countdown.store(nth);
  t.used.store(i + 1);
}

TRAP_CHILD_PATH int take_fault(const char* call) {
  Table* t = table.load(std::memory_order_acquire);
  if (!t) return 0;
  const int id = call_id(call);
  if (id < 0) return 0;
  if (t->counting.load()) t->counts[id].fetch_add(1);
  // Every pending fault of this call counts this use; the first to reach
  // its Nth is taken.
  const int used = t->used.load();
  for (int i = 0; i < used && i < kSlots; ++i) {
    Slot& s = t->slots[i];
    if (s.call.load() != id) continue;
    int c = s.countdown.load();
    while (c > 0 && !s.countdown.compare_exchange_weak(c, c - 1)) {
    }
    if (c == 1) return s.err.load();
  }
  return 0;
}

int pending_faults() {
  Table* t = table.load(std::memory_order_acquire);
  if (!t) return 0;
  int n = 0;
  const int used = t->used.load();
  for (int i = 0; i < used && i < kSlots; ++i) n += t->slots[i].countdown.load() > 0;
  return n;
}

int take_library_fault(const char* call, int also_retried) {
  for (;;) {
    int e = take_fault(call);
    if (e != EINTR && (also_retried == 0 || e != also_retried)) return e < 0 ? 0 : e;
  }
}

void count_calls(bool on) {
  Table& t = the_table();
  if (on)
    for (auto& c : t.counts) c.store(0);
  t.counting.store(on);
}

std::map<std::string, int> call_counts() {
  std::map<std::string, int> out;
  Table* t = table.load(std::memory_order_acquire);
  if (!t) return out;
  for (int i = 0; i < kCallCount; ++i)
    if (unsigned n = t->counts[i].load()) out[kCalls[i]] = static_cast<int>(n);
  return out;
}

}  // namespace trap::posix
