// SPDX-License-Identifier: BSL-1.0
// A fork trap's child binds no symbol of its own: every library call it
// makes was bound in the parent (the library's calls when the program
// starts, libstdc++'s own lazy ones by the parent before its first fork),
// so that no child pays for the dynamic linker's lookups again (about 17
// page faults each, before). Checked with the dynamic linker's own trace
// (LD_DEBUG=bindings) of fork_bindings_program.
#define BOOST_TEST_MODULE fork_bindings
#include <dirent.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

extern char** environ;

namespace {

struct Run {
  std::string out;    // the program's stdout
  std::string trace;  // every line the dynamic linker wrote, all processes
};

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs the program with LD_DEBUG=bindings, its trace in a fresh directory.
Run run_traced() {
  char dir_template[] = "/tmp/trap-bindings-XXXXXX";
  const char* dir = ::mkdtemp(dir_template);
  BOOST_REQUIRE(dir);
  const std::string out_path = std::string(dir) + "/out";
  const std::string trace_env = std::string("LD_DEBUG_OUTPUT=") + dir + "/trace";
  std::vector<std::string> env_strings{"LD_DEBUG=bindings", trace_env};
  for (char** e = environ; *e; ++e)
    if (std::string(*e).rfind("LD_", 0) != 0) env_strings.emplace_back(*e);
  std::vector<char*> env;
  for (auto& s : env_strings) env.push_back(s.data());
  env.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT, 0600);
  char program[] = FORK_BINDINGS_PROGRAM;
  char* argv[] = {program, nullptr};
  pid_t pid = -1;
  BOOST_REQUIRE_EQUAL(::posix_spawn(&pid, program, &actions, nullptr, argv, env.data()), 0);
  ::posix_spawn_file_actions_destroy(&actions);
  int status = 0;
  BOOST_REQUIRE_EQUAL(::waitpid(pid, &status, 0), pid);
  BOOST_REQUIRE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  Run r{slurp(out_path), ""};
  DIR* d = ::opendir(dir);
  while (struct dirent* e = d ? ::readdir(d) : nullptr) {
    const std::string name = e->d_name;
    if (name.rfind("trace", 0) == 0) r.trace += slurp(std::string(dir) + "/" + name);
    if (name != "." && name != "..") ::unlink((std::string(dir) + "/" + name).c_str());
  }
  if (d) ::closedir(d);
  ::rmdir(dir);
  return r;
}

// The binding lines the trace has for process @p pid.
std::vector<std::string> bindings_of(const std::string& trace, const std::string& pid) {
  std::vector<std::string> found;
  std::istringstream lines(trace);
  for (std::string line; std::getline(lines, line);) {
    const auto start = line.find_first_not_of(' ');
    if (start == std::string::npos || line.compare(start, pid.size() + 1, pid + ":") != 0) continue;
    if (line.find("binding file") != std::string::npos) found.push_back(line);
  }
  return found;
}

std::string after(const std::string& text, const std::string& label) {
  const auto at = text.find(label + " ");
  BOOST_REQUIRE(at != std::string::npos);
  return text.substr(at + label.size() + 1, text.find('\n', at) - at - label.size() - 1);
}

BOOST_AUTO_TEST_CASE(a_fork_trap_s_child_binds_no_symbol) {
  const Run r = run_traced();
  const std::string parent = after(r.out, "parent");
  const std::string child = after(r.out, "child");
  BOOST_REQUIRE(!child.empty());
  BOOST_REQUIRE_NE(parent, child);
  // The trace works: the parent binds its own lazy calls.
  BOOST_TEST(!bindings_of(r.trace, parent).empty());
  const auto in_child = bindings_of(r.trace, child);
  for (const auto& line : in_child) BOOST_TEST_MESSAGE(line);
  BOOST_TEST(in_child.empty(), "the child bound " << in_child.size() << " symbols");
}

}  // namespace
