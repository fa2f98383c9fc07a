// SPDX-License-Identifier: BSL-1.0
// How trap::http::Server answers (server_impl.hpp): the log first, then the
// expectations, the queue and the handler, in that order; what none of
// them answers, or a handler that throws, gets a 500 and an Unmatched.
// Also the public calls that read the log and the expectations.
#include <algorithm>
#include <chrono>
#include <exception>
#include <string>

#include <trap/errors.hpp>

#include "http/response_plan.hpp"
#include "http/server_impl.hpp"

namespace trap::http {

// ------------------------------------------------------------ answering

Response Server::Impl::answer(Request& request) {
  std::optional<Expectation> expected;
  std::optional<Response> queued;
  std::string why;
  {
    std::lock_guard lock(m);
    request.sequence = ++received;
    log.push_back(request);
    while (log.size() > opt.max_log) log.pop_front();
    if (!matcher.empty()) {
      auto outcome = matcher.match(request);
      if (outcome.index)
        expected = matcher.at(*outcome.index);
      else
        why = std::move(outcome.why);
    }
    if (!expected && !queue.empty()) {
      queued = std::move(queue.front());
      queue.pop_front();
    }
  }
  cv.notify_all();
  if (expected) return guarded(request, [&] { return expected->answer(request); });
  if (queued) return std::move(*queued);
  if (opt.handler) return guarded(request, [&] { return opt.handler(request); });
  if (why.empty())
    why = "no expectation, no queued response and no handler for " + request.method + " " +
          request.target;
  record_unmatched(request, why);
  return Response::text(500, why);
}

template <class F>
Response Server::Impl::guarded(const Request& request, F&& f) {
  // What shutdown() names if it has to wait for this answer.
  struct Answering {
    Server::Impl& server;
    Answering(Server::Impl& s, const Request& r) : server(s) {
      std::lock_guard lock(server.m);
      server.answering = &r;
    }
    ~Answering() {
      std::lock_guard lock(server.m);
      server.answering = nullptr;
    }
    Answering(const Answering&) = delete;
    Answering& operator=(const Answering&) = delete;
  };
  std::string what;
  try {
    Answering answering_now(*this, request);
    Response response = f();
    if (detail::valid_status(response.status)) return response;
    // Said at run time, as a throw is: no status line can carry it.
    record_unmatched(request, "the handler answered with status " +
                                  std::to_string(response.status) +
                                  ", not an HTTP status code (100 to 999)");
    return Response::text(500, detail::bad_status(response.status));
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
    what = "an exception that is not a std::exception";
  }
  record_unmatched(request, "the handler threw: " + what);
  return Response::text(500, what);
}

void Server::Impl::bad_request(Request partial, std::string why) {
  record_unmatched(partial, std::move(why));
}

void Server::Impl::record_unmatched(const Request& request, std::string why) {
  {
    std::lock_guard lock(m);
    unmatched.push_back(Unmatched{request, std::move(why)});
  }
  cv.notify_all();
}

std::optional<Response> Server::Impl::take_close_at_start() {
  std::lock_guard lock(m);
  if (queue.empty() || queue.front().fault != Fault::close_at_start) return std::nullopt;
  Response r = std::move(queue.front());
  queue.pop_front();
  return r;
}

void Server::Impl::closed(std::uint64_t id) {
  connections.erase(id);
  {
    std::lock_guard lock(m);
    open = connections.size();
  }
  cv.notify_all();
}

// ------------------------------------------------- the public calls

void Server::enqueue(Response response) {
  if (!detail::valid_status(response.status))
    throw UsageError("trap::http::Server::enqueue(): " + detail::bad_status(response.status));
  impl_->io.check_process();  // a forked child's copy would serve nothing
  Held held(impl_->m);
  impl_->queue.push_back(std::move(response));
}

std::size_t Server::expect(Expectation expectation) {
  impl_->io.check_process();
  Held held(impl_->m);
  return impl_->matcher.add(std::move(expectation));
}

std::size_t Server::matched_count(std::size_t index) const {
  Held held(impl_->m);
  return impl_->matcher.matched_count(index);
}

std::vector<std::string> Server::unmet() const {
  Held held(impl_->m);
  return impl_->matcher.unmet();
}

std::optional<Request> Server::take_request(std::chrono::milliseconds timeout) {
  auto& s = *impl_;
  return net::detail::wait_stoppable(
      s.m, s.cv, deadline_after(timeout),
      [&] { return s.next_take <= s.received || s.io.finished(); }, [&] { return s.take_next(); });
}

std::optional<Request> Server::Impl::take_next() {
  const std::uint64_t first = received - log.size() + 1;
  if (next_take < first) next_take = first;
  if (next_take > received) return std::nullopt;
  return log[static_cast<std::size_t>(next_take++ - first)];
}

std::size_t Server::request_count() const {
  Held held(impl_->m);
  return static_cast<std::size_t>(impl_->received);
}

std::vector<Request> Server::requests() const {
  Held held(impl_->m);
  return {impl_->log.begin(), impl_->log.end()};
}

std::vector<Unmatched> Server::unmatched() const {
  Held held(impl_->m);
  return impl_->unmatched;
}

}  // namespace trap::http
