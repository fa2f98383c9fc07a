// SPDX-License-Identifier: BSL-1.0
#include "engine/result.hpp"

#include <iterator>

#include <trap/hub.hpp>

#include "posix/children.hpp"

namespace trap::detail {
void send_result(bool pass, const Value& name, std::vector<std::string> diagnostics,
                 trap::source_location where) {
  Event e;
  e.kind = Event::Kind::ok;
  e.pass = pass;
  e.name = plain_text(name);
  e.diagnostics = std::move(diagnostics);
  e.where = where;
  current_hub().send(std::move(e));
}

bool report_test(Trap& trap, bool pass, const Value& name, std::vector<std::string> diagnostics,
                 trap::source_location where) {
  if (!pass) {
    // A copy: the context may replace itself.
    if (auto context = Registry::state(trap)->failure_context) {
      std::vector<std::string> more = context(trap);
      diagnostics.insert(diagnostics.end(), std::make_move_iterator(more.begin()),
                         std::make_move_iterator(more.end()));
    }
  }
  send_result(pass, name, std::move(diagnostics), where);
  if (!pass) trap.test_failure();
  return pass;
}

namespace {

// The value the leaveby diagnostic shows: what the trap left with.
std::string left_with(const Trap& trap) {
  std::string how = trap.leaveby();
  const Value* v = how.empty() ? nullptr : trap.get(how);
  if (!v) return "undef";
  if (how == "signal" && v->is_integer()) {
    const std::string name = posix::signal_name(v->as<int>());
    return name.starts_with("SIG") ? v->str() + " (" + name + ")" : v->str();
  }
  return v->str();
}

}  // namespace

bool wrong_leaveby(Trap& trap, const AccessorDef& a, const Value& name,
                   trap::source_location where) {
  std::string how = trap.leaveby();
  return report_test(
      trap, false, name,
      {"    Expecting to " + a.name + "(), but instead " +
       (how.empty() ? std::string("never left") : how + "()ed") + " with " + left_with(trap)},
      where);
}

}  // namespace trap::detail
