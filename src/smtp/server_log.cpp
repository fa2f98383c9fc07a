// SPDX-License-Identifier: BSL-1.0
// What trap::smtp::Server keeps (server_impl.hpp): the scripted replies and
// their use, the messages and the problems its sessions report, and the
// public calls that read them.
#include <algorithm>
#include <cctype>

#include "smtp/server_impl.hpp"

namespace trap::smtp {
namespace {

// Whether `text` contains `part`, letters compared without case.
bool contains_nocase(std::string_view text, std::string_view part) {
  if (part.empty()) return true;
  auto it = std::search(text.begin(), text.end(), part.begin(), part.end(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) ==
           std::tolower(static_cast<unsigned char>(b));
  });
  return it != text.end();
}

}  // namespace

// ------------------------------------------------- detail::SessionHost

std::optional<Reply> Server::Impl::scripted(Command command, std::string_view argument) {
  std::lock_guard lock(m);
  for (Script& s : scripts) {
    if (s.reply.command != command || !contains_nocase(argument, s.reply.argument)) continue;
    if (s.reply.count && s.used >= *s.reply.count) continue;
    ++s.used;
    return s.reply;
  }
  return std::nullopt;
}

void Server::Impl::accepted(Message message) {
  {
    std::lock_guard lock(m);
    message.sequence = ++received;
    log.push_back(std::move(message));
    while (log.size() > opt.max_log) log.pop_front();
  }
  cv.notify_all();
}

void Server::Impl::problem(Problem problem) {
  {
    std::lock_guard lock(m);
    ++problems_seen;
    problems.push_back(std::move(problem));
    while (problems.size() > opt.max_log) problems.pop_front();  // the oldest goes
  }
  cv.notify_all();
}

// ---------------------------------------------------- the public calls

void Server::reply(Reply reply) {
  if (reply.code < 200 || reply.code > 599)
    throw UsageError("trap::smtp::Server::reply: a reply code is 200 to 599, not " +
                     std::to_string(reply.code));
  net::detail::Held held(impl_->m);
  impl_->scripts.push_back(Impl::Script{std::move(reply), 0});
}

std::vector<std::string> Server::unused_replies() const {
  net::detail::Held held(impl_->m);
  std::vector<std::string> unused;
  for (const auto& s : impl_->scripts)
    if (s.reply.count && s.used < *s.reply.count) unused.push_back(s.reply.describe());
  return unused;
}

std::optional<Message> Server::take_message(std::chrono::milliseconds timeout) {
  auto& s = *impl_;
  return net::detail::wait_stoppable(
      s.m, s.cv, net::detail::deadline_after(timeout),
      [&] { return s.next_take <= s.received || s.io.finished(); },
      [&]() -> std::optional<Message> {
        // Messages dropped from the log (max_log) are skipped.
        const std::uint64_t first = s.received - s.log.size() + 1;
        if (s.next_take < first) s.next_take = first;
        if (s.next_take > s.received) return std::nullopt;
        return s.log[static_cast<std::size_t>(s.next_take++ - first)];
      });
}

std::size_t Server::message_count() const {
  net::detail::Held held(impl_->m);
  return static_cast<std::size_t>(impl_->received);
}

std::vector<Message> Server::messages() const {
  net::detail::Held held(impl_->m);
  return {impl_->log.begin(), impl_->log.end()};
}

std::vector<Problem> Server::problems() const {
  net::detail::Held held(impl_->m);
  return {impl_->problems.begin(), impl_->problems.end()};
}

std::size_t Server::problem_count() const {
  net::detail::Held held(impl_->m);
  return impl_->problems_seen;
}

std::size_t Server::session_count() const {
  net::detail::Held held(impl_->m);
  return impl_->sessions;
}

}  // namespace trap::smtp
