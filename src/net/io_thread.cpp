// SPDX-License-Identifier: BSL-1.0
// The I/O thread of trap::http's and trap::smtp's servers (io_thread.hpp).
#include "net/io_thread.hpp"

#include <boost/asio/steady_timer.hpp>

#include "net/standard_fds.hpp"

namespace trap::net::detail {
namespace {

// The I/O thread this is (null on other threads).
thread_local const IoThread* serving = nullptr;

}  // namespace

IoThread::IoThread(std::mutex& m, std::string who) : m_(m), who_(std::move(who)) {
  // The reactor (its epoll, eventfd and timerfd) comes with the first
  // socket or timer. With 0, 1 or 2 closed, it comes now, with a timer
  // made while they are held; otherwise with the owner's first listener,
  // after what the owner makes first (SMTP's CA file).
  if (StandardFdsHeld held; held.holding()) boost::asio::steady_timer first(*ctx_);
}

void IoThread::start() {
  work_.emplace(boost::asio::make_work_guard(*ctx_));
  thread_ = std::thread([this] {
    serving = this;
    ctx_->run();
  });
}

bool IoThread::on_thread() const { return serving == this; }

void IoThread::stop() {
  // The server failed after the thread started, or was shut down from its
  // own thread: the thread still has to be joined.
  if (!thread_.joinable()) return;
  if (thread_.get_id() == std::this_thread::get_id()) {
    thread_.detach();
    return;
  }
  {
    std::lock_guard lock(m_);
    finish();
  }
  ctx_->stop();
  thread_.join();
}

}  // namespace trap::net::detail
