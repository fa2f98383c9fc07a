// SPDX-License-Identifier: BSL-1.0
// Which top-level subtests run: list mode, the name filter and Bazel's
// sharding, read from the environment when first needed (or set by
// trap::parse_arguments()), applied by trap::subtest() to the subtests that
// no other subtest encloses, in the order they are called.
#include "report/selection.hpp"

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <system_error>

#include <trap/errors.hpp>
#include <trap/hub.hpp>
#include <trap/junit.hpp>
#include <trap/selection.hpp>

#include "capture/capture.hpp"
#include "report/hub_internals.hpp"
#include "report/hub_state.hpp"

namespace trap::detail {
namespace {

// The value of @p name, or null when it is unset or empty.
const char* env(const char* name) {
  const char* v = std::getenv(name);
  return v && *v ? v : nullptr;
}

std::string quoted(const char* name, const char* value) {
  return std::string(name) + "=\"" + value + "\"";
}

std::size_t whole_number(const char* name, const char* value) {
  std::size_t n = 0;
  const char* end = value + std::strlen(value);
  auto [at, ec] = std::from_chars(value, end, n);
  if (ec != std::errc() || at != end)
    throw UsageError(quoted(name, value) + " is not a whole number");
  return n;
}

// Bazel's sharding: both variables or neither, 0 <= index < total.
void read_shards(Selection& s) {
  const char* total = env("TEST_TOTAL_SHARDS");
  const char* index = env("TEST_SHARD_INDEX");
  if (!total && !index) return;
  if (!total)
    throw UsageError(quoted("TEST_SHARD_INDEX", index) + " is set without TEST_TOTAL_SHARDS");
  if (!index)
    throw UsageError(quoted("TEST_TOTAL_SHARDS", total) + " is set without TEST_SHARD_INDEX");
  s.shards = whole_number("TEST_TOTAL_SHARDS", total);
  s.shard = whole_number("TEST_SHARD_INDEX", index);
  if (s.shards == 0)
    throw UsageError(quoted("TEST_TOTAL_SHARDS", total) + " is not a number of shards");
  if (s.shard >= s.shards)
    throw UsageError(quoted("TEST_SHARD_INDEX", index) + " is not less than " +
                     quoted("TEST_TOTAL_SHARDS", total) + " (shards are numbered from 0)");
}

// Tells Bazel that this program shards: creates the file or updates its time.
void touch_status_file() {
  const char* path = env("TEST_SHARD_STATUS_FILE");
  if (!path) return;
  std::ofstream(path, std::ios::app);
  std::error_code ec;
  std::filesystem::last_write_time(path, std::filesystem::file_time_type::clock::now(), ec);
  if (ec)
    throw UsageError(quoted("TEST_SHARD_STATUS_FILE", path) + ": cannot touch it: " + ec.message());
}

struct SelectionState {
  std::mutex mutex;
  std::optional<Selection> chosen;  // read when first needed
  std::size_t seen = 0;             // top-level subtests called
  std::size_t matched = 0;          // ... that the filter let through
  std::size_t ran = 0;              // ... that this shard ran
  std::optional<bool> ended;        // end_selection()'s answer
  bool list_filter = false;         // the root hub drops its results

  Selection& selection() {
    if (chosen) return *chosen;
    try {
      chosen = selection_from_environment();
    } catch (const UsageError& e) {
      report_run_error(std::string(e.what()) + ": no subtest runs");
      chosen = Selection{};
      chosen->broken = true;
    }
    return *chosen;
  }
};

SelectionState& state() {
  static SelectionState* const s = new SelectionState;  // lives until the end
  return *s;
}

// In list mode, a standalone program's own results are not shown: its
// output is the list.
void drop_results_when_listing(Hub& root) {
  SelectionState& s = state();
  if (s.list_filter) return;
  s.list_filter = true;
  root.filter([](Hub& h, Event e) -> std::optional<Event> {
    if (HubInternals::host_framework(h)) return e;
    return std::nullopt;
  });
}

std::string shard_text(const Selection& s) {
  // The index from 0, as TEST_SHARD_INDEX (Bazel's log directories count from 1).
  return "shard index " + std::to_string(s.shard) + " of " + std::to_string(s.shards) + " shards";
}

}  // namespace

bool list_from_environment() {
  const char* v = env("TRAP_LIST");
  return v && std::string_view(v) != "0";
}

Selection selection_from_environment() {
  touch_status_file();
  Selection s;
  s.list = list_from_environment();
  if (const char* f = env("TRAP_FILTER")) s.filter.emplace(f, "TRAP_FILTER");
  read_shards(s);
  return s;
}

bool run_top_level_subtest(std::string_view name) {
  SelectionState& st = state();
  std::lock_guard lock(st.mutex);
  const Selection& s = st.selection();
  ++st.seen;
  if (s.broken || (s.filter && !s.filter->matches(name))) return false;
  if (st.matched++ % s.shards != s.shard) return false;
  if (s.list) {
    write_original(1, std::string(name) + "\n");
    return false;
  }
  ++st.ran;
  return true;
}

void prepare_root_hub(Hub& root) {
  if (list_from_environment()) drop_results_when_listing(root);
  if (const char* xml = env("XML_OUTPUT_FILE")) {
    const char* target = env("TEST_TARGET");
    junit_report_standalone(root, xml, target ? target : "trap");
  }
}

bool end_selection(Hub& root) {
  if (HubInternals::host_framework(root)) return true;
  SelectionState& st = state();
  std::lock_guard lock(st.mutex);
  if (st.ended) return *st.ended;
  const Selection& s = st.selection();
  st.ended = !s.list;
  if (s.list) return false;
  if (s.filter && st.matched == 0) {
    report_run_error(s.filter->describe() + " matches none of the " + std::to_string(st.seen) +
                     " top-level subtests");
  } else if (s.shards > 1 && st.ran == 0 && root.count() == 0 && !root.planned()) {
    auto& hub_state = HubInternals::state(root);
    {
      std::lock_guard hub_lock(hub_state.mutex);
      if (!hub_state.plan_word.empty()) return true;
      hub_state.plan_word = "SKIP";
    }
    Event plan;
    plan.kind = Event::Kind::plan;
    plan.name = "SKIP no subtest in " + shard_text(s);
    root.send(std::move(plan));
  }
  return true;
}

}  // namespace trap::detail

namespace trap {

void parse_arguments(int& argc, char** argv) {
  detail::SelectionState& st = detail::state();
  std::lock_guard lock(st.mutex);
  if (st.seen > 0 || st.ended)
    throw UsageError("parse_arguments() must be called before the first subtest");
  if (!st.chosen) {
    try {
      st.chosen = detail::selection_from_environment();
    } catch (const UsageError&) {
      st.chosen.emplace().broken = true;  // said here, not again at the end
      throw;
    }
  }
  detail::Selection s = *st.chosen;
  int kept = argc > 0 ? 1 : 0;
  for (int i = kept; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--list") {
      s.list = true;
    } else if (arg.starts_with("--filter=")) {
      s.filter.emplace(arg.substr(9), "--filter");
    } else if (arg == "--filter") {
      throw UsageError("--filter needs its patterns after an equals sign: --filter=PATTERNS");
    } else {
      argv[kept++] = argv[i];
    }
  }
  if (argc > 0) argv[kept] = nullptr;
  argc = kept;
  st.chosen = std::move(s);
  if (st.chosen->list) detail::drop_results_when_listing(hub());
}

}  // namespace trap
