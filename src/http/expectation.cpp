// SPDX-License-Identifier: BSL-1.0
// trap::http::Expectation: the builder of a request the test expects. Each
// criterion is checked when it is added (a bad regular expression or
// invalid JSON is the caller's mistake, told at once); the matcher compiles
// them again, once, when the expectation is added to a server.
#include <algorithm>
#include <utility>

#include <trap/errors.hpp>
#include <trap/http.hpp>

#include "http/criteria.hpp"
#include "http/response_plan.hpp"

namespace trap::http {
namespace {

Expectation with_method(std::string method, std::string path) {
  Expectation e(std::move(path));
  e.method(std::move(method));
  return e;
}

// The first exact criterion on `part` (the head of describe()), if any.
const Criterion* first_exact(const std::vector<Criterion>& criteria, std::string_view part) {
  auto it = std::find_if(criteria.begin(), criteria.end(), [&](const Criterion& c) {
    return c.part == part && c.compare == Compare::exact;
  });
  return it == criteria.end() ? nullptr : &*it;
}

// Checks `c` (throwing UsageError naming `who`) and adds it.
void add_checked(std::vector<Criterion>& criteria, Criterion c, std::string_view who) {
  detail::CompiledCriterion check(c, who);
  criteria.push_back(std::move(c));
}

}  // namespace

Expectation::Expectation(std::string path) {
  if (!path.empty()) criteria_.push_back({"path", {}, Compare::exact, std::move(path)});
}

Expectation Expectation::get(std::string path) { return with_method("GET", std::move(path)); }
Expectation Expectation::post(std::string path) { return with_method("POST", std::move(path)); }
Expectation Expectation::put(std::string path) { return with_method("PUT", std::move(path)); }
Expectation Expectation::patch(std::string path) { return with_method("PATCH", std::move(path)); }
Expectation Expectation::del(std::string path) { return with_method("DELETE", std::move(path)); }
Expectation Expectation::head(std::string path) { return with_method("HEAD", std::move(path)); }

// A method or a path is one condition: a new one takes the place of the
// old (Expectation::get("/a").path_matching("/a/.*") wants the pattern
// alone); the method comes first, then the path, then the rest.
Expectation& Expectation::method(std::string method) {
  if (method.empty()) throw UsageError("method: the method is empty");
  std::erase_if(criteria_, [](const Criterion& x) { return x.part == "method"; });
  criteria_.insert(criteria_.begin(), {"method", {}, Compare::exact, std::move(method)});
  return *this;
}

Expectation& Expectation::path_matching(std::string regex) {
  Criterion c{"path", {}, Compare::regex, std::move(regex)};
  detail::CompiledCriterion check(c, "path_matching");
  std::erase_if(criteria_, [](const Criterion& x) { return x.part == "path"; });
  auto after_method = std::find_if(criteria_.begin(), criteria_.end(),
                                   [](const Criterion& x) { return x.part != "method"; });
  criteria_.insert(after_method, std::move(c));
  return *this;
}

Expectation& Expectation::with_query(std::string name, std::string value) {
  add_checked(criteria_, {"query", std::move(name), Compare::exact, std::move(value)},
              "with_query");
  return *this;
}

Expectation& Expectation::with_query_matching(std::string name, std::string regex) {
  add_checked(criteria_, {"query", std::move(name), Compare::regex, std::move(regex)},
              "with_query_matching");
  return *this;
}

Expectation& Expectation::with_header(std::string name, std::string value) {
  add_checked(criteria_, {"header", std::move(name), Compare::exact, std::move(value)},
              "with_header");
  return *this;
}

Expectation& Expectation::with_header_matching(std::string name, std::string regex) {
  add_checked(criteria_, {"header", std::move(name), Compare::regex, std::move(regex)},
              "with_header_matching");
  return *this;
}

Expectation& Expectation::with_header_present(std::string name, bool present) {
  add_checked(criteria_,
              {"header", std::move(name), present ? Compare::present : Compare::absent, {}},
              "with_header_present");
  return *this;
}

Expectation& Expectation::with_body(std::string body) {
  add_checked(criteria_, {"body", {}, Compare::exact, std::move(body)}, "with_body");
  return *this;
}

Expectation& Expectation::with_body_matching(std::string regex) {
  add_checked(criteria_, {"body", {}, Compare::regex, std::move(regex)}, "with_body_matching");
  return *this;
}

Expectation& Expectation::with_json_body(std::string json) {
  add_checked(criteria_, {"body", {}, Compare::json, std::move(json)}, "with_json_body");
  return *this;
}

Expectation& Expectation::where(Criterion criterion) {
  add_checked(criteria_, std::move(criterion), "where");
  return *this;
}

Expectation& Expectation::times(std::size_t n) {
  times_ = n;
  return *this;
}

Expectation& Expectation::any() {
  times_.reset();
  return *this;
}

Expectation& Expectation::ordered(bool in_order) {
  ordered_ = in_order;
  return *this;
}

Expectation& Expectation::respond(Response response) {
  if (!detail::valid_status(response.status))
    throw UsageError("trap::http::Expectation::respond(): " + detail::bad_status(response.status));
  response_ = std::move(response);
  handler_ = nullptr;
  return *this;
}

Expectation& Expectation::respond_with(Handler handler) {
  if (!handler) throw UsageError("respond_with: the handler is empty");
  handler_ = std::move(handler);
  return *this;
}

// "POST /users header Content-Type == application/json, body json
// {"name":"ada"}, times 1": the exact method and path ("*" for any), the
// other criteria in the order added, the count, whether ordered.
std::string Expectation::describe() const {
  const Criterion* method = first_exact(criteria_, "method");
  const Criterion* path = first_exact(criteria_, "path");
  std::string out = (method ? detail::printable(method->value) : "*") + ' ' +
                    (path ? detail::printable(path->value) : "*");
  const char* sep = " ";
  for (const Criterion& c : criteria_) {
    if (&c == method || &c == path) continue;
    out += sep + detail::describe(c);
    sep = ", ";
  }
  out += times_ ? ", times " + std::to_string(*times_) : ", any times";
  if (ordered_) out += ", ordered";
  return out;
}

Response Expectation::answer(const Request& request) const {
  return handler_ ? handler_(request) : response_;
}

}  // namespace trap::http
