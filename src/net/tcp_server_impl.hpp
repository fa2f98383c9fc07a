// SPDX-License-Identifier: BSL-1.0
// What trap::net::TcpServer is made of, shared by tcp_server.cpp (the
// public functions), tcp_server_impl.cpp (the server's own work) and
// tcp_server_lifetime.cpp (its thread and its end). All socket state lives
// on the server's I/O thread; the public functions run their work there
// (call()) and wait for it, so the test's thread never races the sockets.
// Events are logged under a mutex the wait_for_... helpers sleep on.
// Private to those files: it brings Boost.Asio in.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <trap/errors.hpp>
#include <trap/net.hpp>

#include "net/client_table.hpp"
#include "net/event_log.hpp"
#include "net/filters.hpp"
#include "net/handler_memory.hpp"
#include "net/io_thread.hpp"
#include "net/stoppable_wait.hpp"

namespace trap::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

namespace tcp_detail {

constexpr std::uint32_t bit(Kind k) { return std::uint32_t{1} << index(k); }
// The bit of the kind named @p kind (without prefix), 0 for no kind.
std::uint32_t bit_of(std::string_view kind);
// The bit of @p kind; @throws UsageError naming the kinds (and "all" if
// @p all_too, where it is one) for a name of no kind: a wait for it would
// only time out, a registration never be called.
std::uint32_t checked_bit(const std::string& label, std::string_view kind, bool all_too);
// The prefix as diagnostics print it: without the "_" that ends it.
std::string label_of(const std::string& prefix);

// Counts a thread waiting on the server's condition variable (under its
// mutex): events notify only when someone waits.
class Waiting {
 public:
  explicit Waiting(std::size_t& n) : n_(n) { ++n_; }
  ~Waiting() { --n_; }
  Waiting(const Waiting&) = delete;
  Waiting& operator=(const Waiting&) = delete;

 private:
  std::size_t& n_;
};

struct Client {
  explicit Client(asio::io_context& ctx) : socket(ctx), timer(ctx) {}
  ClientId id = 0;
  tcp::socket socket;
  asio::steady_timer timer;  // the policy's delays
  ClientInfo info;
  std::shared_ptr<const ClientInfo> shared_info;  // info, for the log's events
  std::unique_ptr<Filter> in, out;
  AppendingFilter* appending = nullptr;  // `in`, if it is one (set_input)
  bool structured = false;               // `in` is a StructuredFilter (set_input)
  std::vector<std::string> messages;     // a read's, kept for its capacity
  // What one read takes, not zeroed: written before it is read. 32 KiB
  // keeps a client under 64 KiB, the size from which glibc's free()
  // consolidates the heap: 100 clients closing at once paid for it.
  std::array<char, 32768> buf;
  std::deque<std::string> queue;
  std::string held;  // read while the policy said stop reading
  std::size_t queued = 0;
  std::size_t written = 0;
  bool writing = false;
  bool reading = false;
  bool disconnect_pending = false;
  bool shutting_down = false;     // our side is shut: only the client's EOF closes
  bool shut_after_flush = false;  // shutdown(): queued output goes first, then our EOF
  bool closed = false;
  ClientPolicy policy;
};

}  // namespace tcp_detail

using tcp_detail::Client;
using tcp_detail::Kind;

class TcpServer::Impl : public std::enable_shared_from_this<TcpServer::Impl> {
 public:
  explicit Impl(TcpServerOptions o) : opt(std::move(o)), label(tcp_detail::label_of(opt.prefix)) {
    // POE: `$prefix .= '_' unless $prefix =~ /_$/`.
    const std::string start = opt.prefix.ends_with('_') ? opt.prefix : opt.prefix + "_";
    for (std::size_t i = 0; i < names.size(); ++i)
      names[i] = start + std::string(tcp_detail::kKinds[i]);
    if (opt.context) {
      ctx = opt.context;
    } else {
      own = std::make_unique<asio::io_context>(1);
      ctx = own.get();
      owned = true;
    }
    work.emplace(asio::make_work_guard(*ctx));
  }

  // ------------------------------------------------------------ threads

  // Runs @p f on the server's thread (at once if this is it) and waits for
  // it, rethrowing what it threw; false, without running it, once the
  // server has shut down. A task posted before then runs before the thread
  // ends: the work guard goes only after `finished` is set, under the lock.
  // On the server's thread (a handler calling) nothing is posted or waited
  // for: @p f runs here, its exception reaching the caller as it is.
  template <class F>
  bool run_on_thread(F&& f) {
    return run_on_thread_noting(std::forward<F>(f), std::chrono::milliseconds::max(), [] {});
  }

  // As run_on_thread(), but if @p f has not run within @p after (the
  // thread is busy: a handler still runs), calls @p late on this thread,
  // then waits on.
  template <class F, class Late>
  bool run_on_thread_noting(F&& f, std::chrono::milliseconds after, Late&& late) {
    if (on_server_thread()) {
      if (finished) return false;
      f();
      return true;
    }
    detail::check_owner(owner_pid, label);  // its thread runs there only
    // The task refers to this frame: an in-process stop waits for its end.
    trap::detail::StopShield shield;
    std::unique_lock lock(m);
    if (finished) return false;
    std::packaged_task<void()> task(std::forward<F>(f));
    auto done = task.get_future();
    asio::post(*ctx, [&task] { task(); });
    lock.unlock();
    if (after != std::chrono::milliseconds::max() &&
        done.wait_for(after) == std::future_status::timeout)
      late();
    done.get();
    return true;
  }

  // Runs @p f on the server's thread; if a handler still runs there
  // @p after from now, and a second at least (a handler merely finishing
  // is no news), says that shutdown()'s @p deadline has passed
  // (trap::warn) and waits on: a handler cannot be stopped.
  template <class F>
  bool run_past_handler(F&& f, std::chrono::milliseconds after,
                        std::chrono::milliseconds deadline) {
    return run_on_thread_noting(std::forward<F>(f), std::max(after, detail::kHandlerNoticeAfter),
                                [&] { note_late_handler(deadline); });
  }
  void note_late_handler(std::chrono::milliseconds deadline) const;

  // Runs @p f on the server's thread and returns its result (or throws
  // what it threw). @throws UsageError once the server has shut down.
  template <class F>
  auto call(F f) -> decltype(f()) {
    using R = decltype(f());
    if constexpr (std::is_void_v<R>) {
      if (!run_on_thread(std::move(f))) throw gone();
    } else {
      std::optional<R> result;
      if (!run_on_thread([&] { result.emplace(f()); })) throw gone();
      return std::move(*result);
    }
  }

  // As call(), but in a forked child of the process that made the server
  // @p f runs here: for what the child may read of its copy (the ports).
  template <class F>
  auto look(F f) -> decltype(f()) {
    return posix::self_pid() == owner_pid ? call(std::move(f)) : f();
  }

  // What a handler holds to keep the server alive until it has run: the
  // server itself on a context of the caller's, which may run it after the
  // server is gone; nothing on the server's own context, which release()
  // destroys (its handlers with it) before the server goes. Copying a
  // shared_ptr costs two atomic operations per handler, on every request.
  std::shared_ptr<Impl> keep() { return owned ? nullptr : shared_from_this(); }

  // What the server's operations on its own context are allocated with:
  // blocks reused from handler_memory, which outlives that context. On a
  // context of the caller's, whose handlers may outlive the server, Asio's.
  tcp_detail::HandlerAllocator<void> handler_allocator() {
    return tcp_detail::HandlerAllocator<void>(owned ? &handler_memory : nullptr);
  }

  UsageError gone() const { return UsageError(label + ": the server has shut down"); }

  // Whether this is the thread that runs the server's handlers.
  bool on_server_thread() const;

  // Opens the listeners, delivers `registered` and starts the server's
  // thread (if it has one of its own).
  void start();

  void start_thread();

  // -------------------------------------------------------------- events

  struct Registration {
    int id;
    bool all = false;
    std::uint32_t kinds = 0;  // the bits of the kinds named
    ServerHandler fn;
  };
  struct Registrations {
    std::vector<Registration> list;
    std::uint32_t kinds = 0;  // what some registration wants (all: every bit)
  };

  // Logs an event of kind @p k about client @p c (null: none), which
  // @p fill(event) completes (under m, with what goes with the event), and
  // delivers it. The event is made in this depth's staging event (nothing
  // allocated once that has been used), which the handlers see, named;
  // the log keeps a compact copy (LoggedEvent).
  template <class Fill>
  void deliver(Kind k, const Client* c, Fill&& fill) {
    ServerEvent& e = staged();
    if (c) {
      e.client = c->id;
      e.info = c->info;
    }
    const Registrations* targets = nullptr;
    std::shared_ptr<const Registrations> nested;  // a nested delivery's own
    bool wake;
    {
      std::lock_guard lock(m);
      fill(e);
      e.sequence = first_sequence + events.size();
      log_event(k, c, e);
      targets = snapshot(k, nested);
      wake = waiting > 0;
    }
    if (wake) cv.notify_all();
    hand_out(k, e, targets);
  }

  // The staging event of this depth of nested deliveries, emptied.
  ServerEvent& staged();

  // Writes @p e, of kind @p k about client @p c, into the log (under m).
  void log_event(Kind k, const Client* c, const ServerEvent& e);

  // The registrations that want an event of kind @p k now (null: none),
  // kept unchanged while their handlers run (under m). The outermost
  // delivery takes them in `delivering`, which only it replaces, and only
  // when they changed: a copy per event would be two atomic operations.
  // Replaced at the next event of any kind, so what was unregistered is
  // let go then. A nested delivery, which must not replace what the outer
  // one is going through, takes its own in @p nested.
  const Registrations* snapshot(Kind k, std::shared_ptr<const Registrations>& nested) {
    const bool wanted = regs->kinds & tcp_detail::bit(k);
    if (depth > 0) return wanted ? (nested = regs).get() : nullptr;
    if (delivering != regs) delivering = regs;
    return wanted ? delivering.get() : nullptr;
  }

  // Drops the oldest events beyond opt.max_log (under m).
  void trim_log();

  // Gives a logged event to the handler and the registrations for it,
  // named for as long as they run.
  void hand_out(Kind k, ServerEvent& e, const Registrations* targets);

  void run_handler(const ServerHandler& fn, const ServerEvent& e);

  // Gives registration @p id, alone, a `registered` event (POE's
  // register), not logged (server's thread).
  void welcome(int id);

  // The event @p e logged, named ("testd_connected").
  ServerEvent named(const tcp_detail::LoggedEvent& e) const;

  void listener_failed(const char* operation, const error_code& ec);

  void client_error(Client& c, const char* operation, std::string message);

  // ----------------------------------------------------------- listeners

  struct Listener {
    Listener(asio::io_context& ctx, tcp::endpoint e) : acceptor(ctx), where(e), retry(ctx) {}
    tcp::acceptor acceptor;
    tcp::endpoint where;
    std::vector<std::shared_ptr<Client>> held;  // accepted while paused
    asio::steady_timer retry;                   // after a failed accept
  };

  void plan_listeners();

  // Opens, binds and listens; false (with a listener_failed event) if not.
  bool open(Listener& l);

  static void close(Listener& l);

  void accept(Listener& l);

  static error_code injected_accept();

  std::uint16_t port_of(bool v6) const;

  std::pair<std::string, std::uint16_t> name_of(bool v6) const;

  // ------------------------------------------------------------- clients

  std::unique_ptr<Filter> make_filter(const std::shared_ptr<const Filter>& chosen) const;

  // Client @p id if it is connected, null if not (it left, or never came).
  // @throws UsageError for id 0, which is no client's.
  std::shared_ptr<Client> find_connected(ClientId id) const;

  void add_client(const std::shared_ptr<Client>& c);

  // Sets client @p c's input filter.
  static void set_input(Client& c, std::unique_ptr<Filter> in);

  std::shared_ptr<Client> find(ClientId id) const;

  // The clients open now, in order (a copy: closing one leaves it valid).
  std::vector<std::shared_ptr<Client>> open_now() const;

  void read(const std::shared_ptr<Client>& c);

  // read(), after the handlers already queued have run.
  void read_later(std::shared_ptr<Client> c);

  // Starts the reads read_later() put off.
  void start_reads();

  // Cuts @p bytes into messages (lists of parts, for a structured filter)
  // and delivers them; false if the client is gone afterwards.
  bool take_input(const std::shared_ptr<Client>& c, std::string_view bytes);

  void set_policy(const std::shared_ptr<Client>& c, const ClientPolicy& policy);

  // What @p messages become through @p c's output filter, a buffer each;
  // nothing is queued, so that a filter that throws sends nothing.
  static std::vector<std::string> encode(Client& c, const std::vector<std::string>& messages);

  // Queues bytes encode() (or put_parts()) made for @p c and writes them.
  void queue_encoded(const std::shared_ptr<Client>& c, std::vector<std::string> bytes);

  void send_one(const std::shared_ptr<Client>& c, std::string_view message);

  // Sends to every open client what @p encode (Client& -> the bytes) makes
  // for it: every client's bytes first, so that a filter that throws sends
  // nothing to anyone. @returns how many clients.
  template <class Encode>
  std::size_t send_to_all(Encode encode) {
    auto all = open_now();
    std::vector<std::vector<std::string>> bytes;
    bytes.reserve(all.size());
    for (auto& c : all) bytes.push_back(encode(*c));
    std::size_t sent = 0;
    for (std::size_t i = 0; i < all.size(); ++i) {
      queue_encoded(all[i], std::move(bytes[i]));
      sent += !all[i]->closed;  // not dropped for it (max_queued)
    }
    return sent;
  }

  void after_enqueue(const std::shared_ptr<Client>& c);

  // shutdown() with output still queued for @p c: now that it is written
  // (or cannot be), our end of file.
  static void end_output(Client& c);

  // How much of the queue's front the next write takes, under the policy.
  std::size_t next_chunk(const Client& c) const;

  void flush(const std::shared_ptr<Client>& c);

  void write(const std::shared_ptr<Client>& c);

  // A write of @p c's queue's front has ended, @p done bytes written.
  void wrote(const std::shared_ptr<Client>& c, error_code ec, std::size_t done);

  void close_client(const std::shared_ptr<Client>& c, bool reset);

  // ---------------------------------------------------------------- waits

  std::optional<ServerEvent> wait_for(std::string_view kind, std::optional<ClientId> client,
                                      std::chrono::milliseconds timeout);

  // The first sequence where an event of @p client can be (under m).
  std::uint64_t first_of(ClientId client) const;

  // -------------------------------------------------------------- shutdown

  ShutdownReport shutdown(std::chrono::milliseconds deadline);

  // Takes in the backlog, stops listening and shuts our side of every
  // connection: for writing at once, and (unless @p at_once, when it is
  // closed next) with an end of file sent now (server's thread).
  void begin_shutdown(bool at_once);

  // Reads what a client sent before its end of file, if that has come
  // already: the client closes (disconnected), not being left open.
  // Never waits (server's thread).
  void drain(const std::shared_ptr<Client>& c);

  // Drains the clients that have something to read (server's thread).
  void drain_all();

  // Keeps the first report and marks the server finished; @returns it.
  ShutdownReport settle(const std::optional<ShutdownReport>& r);

  // Joins the server's thread and destroys its io_context, sockets and
  // timers (not on that thread, which cannot join itself: a later call
  // from another thread, or the destructor, does it). Idempotent.
  void release();

  // Connections the kernel completed but we have not accepted yet are
  // clients too: take them in (their input is read, their end waited for),
  // then stop listening.
  void take_in_backlog();

  // Closes the clients still open; they are the report's unclosed ones.
  ShutdownReport close_all();

  TcpServerOptions opt;
  std::string label;                        // opt.prefix for diagnostics ("bingosd_" -> "bingosd")
  const int owner_pid = posix::self_pid();  // the process that made it
  TcpServer* self = nullptr;  // the server handlers are given (set once, before start)
  tcp_detail::HandlerMemory handler_memory;  // goes after own's handlers
  std::unique_ptr<asio::io_context> own;     // gone after release()
  bool owned = false;                        // whether own was set: never changes
  asio::io_context* ctx = nullptr;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::thread thread;
  std::mutex release_m;  // one release() at a time
  std::vector<std::unique_ptr<Listener>> listeners;
  bool paused = false;
  tcp_detail::ClientTable clients;
  ClientId next_id = 1;
  // Clients whose next read starts once the handlers queued now have run
  // (read_later): one posted task starts them all.
  std::vector<std::shared_ptr<Client>> later, starting;

  mutable std::mutex m;  // guards what follows
  std::condition_variable cv;
  EventLog events;                               // the newest opt.max_log ones
  std::uint64_t first_sequence = 1;              // the sequence of events.front()
  std::map<std::string, std::uint64_t> cursors;  // next sequence to look at
  // (client, sequence) of each `connected` event the log keeps, in order:
  // a client's events all come at or after it, so a wait for one client
  // starts there instead of scanning the whole log.
  std::deque<std::pair<ClientId, std::uint64_t>> connected_at;
  // Copied on write: deliver() takes a snapshot, not a copy.
  std::shared_ptr<const Registrations> regs = std::make_shared<const Registrations>();
  // The snapshot the outermost delivery hands out (server's thread).
  std::shared_ptr<const Registrations> delivering;
  // Each kind's name, made once: "testd_connected" (never changes).
  std::array<std::string, tcp_detail::kKinds.size()> names;
  // The event being delivered at each depth of nested deliveries (server
  // thread only): what its handlers see, reused (its strings' buffers too).
  std::vector<std::unique_ptr<ServerEvent>> staging;
  std::size_t depth = 0;
  // The kind (its index + 1) and client of the event whose handlers run
  // now, 0 when none: what shutdown() names if it has to wait for them
  // (set by the server's thread, read by shutdown()'s).
  std::atomic<std::size_t> handling_kind{0};
  std::atomic<ClientId> handling_client{0};
  int next_reg = 1;
  std::optional<ShutdownReport> report;
  std::vector<std::string> failures;  // what handlers threw: the first 100
  // Set under m; read without it on the server's thread (run_on_thread).
  std::atomic<bool> finished = false;
  std::size_t waiting = 0;  // threads waiting on cv: nobody, no notify
  std::size_t open_clients = 0;
};

}  // namespace trap::net
