// SPDX-License-Identifier: BSL-1.0
// export_environment() (builder.hpp): a layer's environment variables,
// kept per thread for trap::run() and process-wide for everything else.
// Every name exported has a stack of the values traps gave it, in the
// order they did, and the value it had before; the process's environment
// always holds the top of the stack (or that first value once it is
// empty), so that traps on several threads that end in any order leave
// it as they found it.
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <trap/builder.hpp>

#include "posix/fork_safe_mutex.hpp"

extern char** environ;

namespace trap {
namespace {

struct Exported {
  std::uint64_t id;
  std::string value;
};

struct Name {
  std::optional<std::string> before;  // the value before the first trap set it
  std::vector<Exported> stack;        // the traps' values, latest last
};

// Fork-safe: a fork trap's child may run programs (trap::run) too.
posix::ForkSafeMutex& environment_mutex() {
  static posix::ForkSafeMutex& m = posix::ForkSafeMutex::make();
  return m;
}
[[maybe_unused]] posix::ForkSafeMutex& environment_mutex_at_start = environment_mutex();

// Under environment_mutex().
std::map<std::string, Name>& names() {
  static std::map<std::string, Name> n;
  return n;
}

struct ThreadExport {
  std::uint64_t id;
  std::string name, value;
};
// This thread's exports, innermost last. Read by its own thread only; a
// teardown on another thread takes its entry out under the mutex.
thread_local std::vector<ThreadExport> t_exports;

void set_or_unset(const std::string& name, const std::optional<std::string>& value) {
  if (value)
    ::setenv(name.c_str(), value->c_str(), 1);
  else
    ::unsetenv(name.c_str());
}

}  // namespace

void export_environment(Trap& self, const std::string& name, const std::string& value) {
  static std::atomic<std::uint64_t> last_id{0};
  const std::uint64_t id = ++last_id;
  std::vector<ThreadExport>* mine = &t_exports;
  {
    std::lock_guard lock(environment_mutex());
    auto [it, first] = names().try_emplace(name);
    if (first || it->second.stack.empty()) {
      const char* old = std::getenv(name.c_str());
      it->second.before = old ? std::optional<std::string>(old) : std::nullopt;
    }
    it->second.stack.push_back(Exported{id, value});
    ::setenv(name.c_str(), value.c_str(), 1);
    mine->push_back(ThreadExport{id, name, value});
  }
  self.teardown([name, id, mine] {
    std::lock_guard lock(environment_mutex());
    std::erase_if(*mine, [id](const ThreadExport& e) { return e.id == id; });
    Name& n = names()[name];
    std::erase_if(n.stack, [id](const Exported& e) { return e.id == id; });
    set_or_unset(name, n.stack.empty() ? n.before : std::optional(n.stack.back().value));
  });
}

namespace detail {

std::vector<std::string> environment_for_child() {
  std::map<std::string, std::string> env;
  {
    std::lock_guard lock(environment_mutex());
    for (char** e = environ; e && *e; ++e) {
      std::string_view kv(*e);
      auto eq = kv.find('=');
      if (eq != std::string_view::npos) env[std::string(kv.substr(0, eq))] = kv.substr(eq + 1);
    }
    for (const ThreadExport& e : t_exports) env[e.name] = e.value;
  }
  std::vector<std::string> out;
  out.reserve(env.size());
  for (auto& [k, v] : env) out.push_back(k + "=" + v);
  return out;
}

}  // namespace detail
}  // namespace trap
