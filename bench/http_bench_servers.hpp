// SPDX-License-Identifier: BSL-1.0
// The servers http_bench.cpp measures trap::http::Server against: a minimal
// raw Boost.Beast server (plain and TLS, the baseline), the self-signed
// certificate the TLS one serves, and Go's httptest run as a child process
// (bench/go/httptest_server.go). The clients are in http_bench_clients.hpp.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "bench_child.hpp"

extern char** environ;

namespace http_bench {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

using bench_child::checked;
using bench_child::Child;
using bench_child::read_file;

/// A private temporary directory, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "http_bench.XXXXXX").string();
    if (!::mkdtemp(pattern.data())) checked(-1, "mkdtemp");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

/// Runs a program to its end; throws unless it exits 0.
inline void run_program(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  posix_spawn_file_actions_t actions;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  ::posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  int rc = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  ::posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::system_error(rc, std::generic_category(), "posix_spawnp " + argv[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error(argv[0] + " " + argv[1] + " failed");
}

// ---- the raw server's certificate --------------------------------------------

/// What the raw server serves: plain HTTP, or HTTPS with an EC P-256 key
/// (the key type trap's server generates) or an RSA 2048 key (the one Go's
/// httptest serves).
enum class Tls { off, p256, rsa2048 };

/// A self-signed certificate for 127.0.0.1, ::1 and localhost, made with
/// `openssl req` into a temporary directory once per run and key type; the
/// certificate is also the CA a client trusts.
struct RawCertificate {
  std::string cert_pem, key_pem;

  static const RawCertificate& instance(Tls key) {
    static const RawCertificate p256 =
        make({"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"});
    static const RawCertificate rsa = make({"-newkey", "rsa:2048"});
    return key == Tls::rsa2048 ? rsa : p256;
  }

 private:
  static RawCertificate make(std::vector<std::string> argv) {
    TempDir dir;
    auto cert = dir.path() / "cert.pem", key = dir.path() / "key.pem";
    argv.insert(argv.begin(), {"openssl", "req", "-x509"});
    argv.insert(argv.end(), {"-nodes", "-days", "2", "-subj", "/CN=http_bench", "-addext",
                             "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost", "-keyout",
                             key.string(), "-out", cert.string()});
    run_program(argv);
    return {read_file(cert), read_file(key)};
  }
};

// ---- the baseline: a minimal raw Boost.Beast server ------------------------------

/// One io_context on a thread of its own, one acceptor on 127.0.0.1 port 0
/// (with @p both_families also ::1, as trap's default server has), and per
/// connection http::async_read of a request and http::async_write of a fixed
/// 200 "ok" (text/plain), keep-alive. Under @p tls, each connection is an
/// ssl::stream that does its handshake first (RawCertificate).
class RawBeast {
 public:
  explicit RawBeast(Tls tls = Tls::off, bool both_families = false)
      : acceptor_(ctx_, tcp::endpoint(asio::ip::address_v4::loopback(), 0)) {
    port_ = acceptor_.local_endpoint().port();
    if (tls != Tls::off) {
      const auto& cert = RawCertificate::instance(tls);
      tls_.emplace(ssl::context::tls_server);
      tls_->use_certificate_chain(asio::buffer(cert.cert_pem));
      tls_->use_private_key(asio::buffer(cert.key_pem), ssl::context::pem);
    }
    accept(acceptor_);
    if (both_families) {
      acceptor6_.emplace(ctx_, tcp::endpoint(asio::ip::address_v6::loopback(), 0));
      accept(*acceptor6_);
    }
    thread_ = std::thread([this] { ctx_.run(); });
  }
  ~RawBeast() { stop(); }
  RawBeast(const RawBeast&) = delete;
  RawBeast& operator=(const RawBeast&) = delete;

  std::uint16_t port() const { return port_; }
  /// The certificate in PEM of a server serving @p tls, for the client to trust.
  static std::string ca_pem(Tls tls) { return RawCertificate::instance(tls).cert_pem; }

  /// Closes the acceptors and every connection, and joins the thread.
  void stop() {
    if (!thread_.joinable()) return;
    asio::post(ctx_, [this] {
      boost::system::error_code ignored;
      acceptor_.close(ignored);
      if (acceptor6_) acceptor6_->close(ignored);
      for (auto* s : sessions_) s->close();
    });
    thread_.join();
  }

 private:
  struct SessionBase {
    virtual ~SessionBase() = default;
    virtual void close() = 0;
  };

  template <class Stream>
  struct Session : SessionBase, std::enable_shared_from_this<Session<Stream>> {
    template <class... Args>
    Session(RawBeast& server, Args&&... args)
        : server(server), stream(std::forward<Args>(args)...) {}
    ~Session() override { server.sessions_.erase(this); }
    tcp::socket& socket() {
      if constexpr (std::is_same_v<Stream, tcp::socket>)
        return stream;
      else
        return stream.next_layer();
    }
    void close() override {
      boost::system::error_code ignored;
      socket().close(ignored);
    }
    void start() {
      if constexpr (std::is_same_v<Stream, tcp::socket>) {
        read();
      } else {
        stream.async_handshake(ssl::stream_base::server,
                               [self = this->shared_from_this()](boost::system::error_code ec) {
                                 if (!ec) self->read();
                               });
      }
    }
    void read() {
      request = {};
      bhttp::async_read(
          stream, buffer, request,
          [self = this->shared_from_this()](boost::system::error_code ec, std::size_t) {
            if (!ec) self->write();
          });
    }
    void write() {
      response.result(bhttp::status::ok);
      response.version(request.version());
      response.set(bhttp::field::content_type, "text/plain");
      response.body() = "ok";
      response.keep_alive(request.keep_alive());
      response.prepare_payload();
      bhttp::async_write(
          stream, response,
          [self = this->shared_from_this()](boost::system::error_code ec, std::size_t) {
            if (!ec && self->response.keep_alive()) self->read();
          });
    }
    RawBeast& server;
    Stream stream;
    beast::flat_buffer buffer;
    bhttp::request<bhttp::string_body> request;
    bhttp::response<bhttp::string_body> response;
  };

  void accept(tcp::acceptor& acceptor) {
    acceptor.async_accept([this, &acceptor](boost::system::error_code ec, tcp::socket s) {
      if (ec) return;  // closed by stop()
      s.set_option(tcp::no_delay(true), ec);
      if (tls_) {
        auto session =
            std::make_shared<Session<ssl::stream<tcp::socket>>>(*this, std::move(s), *tls_);
        sessions_.insert(session.get());
        session->start();
      } else {
        auto session = std::make_shared<Session<tcp::socket>>(*this, std::move(s));
        sessions_.insert(session.get());
        session->start();
      }
      accept(acceptor);
    });
  }

  // Declared first: a session still held by a handler when ctx_ is destroyed
  // (none after stop(), whose run() ends when every handler has run) finds it.
  std::set<SessionBase*> sessions_;  // the I/O thread's; a session removes itself
  asio::io_context ctx_{1};
  std::optional<ssl::context> tls_;
  tcp::acceptor acceptor_;
  std::optional<tcp::acceptor> acceptor6_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

// ---- Go's httptest ----------------------------------------------------------------

/// The path of bench/go/httptest_server built by scripts/bench: the
/// environment's HTTP_BENCH_GO_SERVER, else where scripts/bench puts it.
inline std::string go_server_path() {
  const char* env = std::getenv("HTTP_BENCH_GO_SERVER");
  return env && *env ? env : TRAP_BENCH_GO_SERVER;
}

/// httptest.NewServer (NewTLSServer with @p tls) in a child process, started
/// once per suite; port() and, under TLS, ca_pem() are what the clients need.
class GoServer {
 public:
  explicit GoServer(bool tls) {
    std::vector<std::string> argv{go_server_path()};
    if (tls) {
      dir_.emplace();
      argv.insert(argv.end(), {"-tls", "-ca", (dir_->path() / "ca.pem").string()});
    }
    child_ = std::make_unique<Child>(argv);
    url_ = child_->lines(1, 20s).front();
    auto colon = url_.rfind(':');
    int port = colon == std::string::npos ? 0 : std::atoi(url_.c_str() + colon + 1);
    if (port <= 0 || port > 65535) throw std::runtime_error("Go printed no URL: " + url_);
    port_ = static_cast<std::uint16_t>(port);
    if (tls) ca_pem_ = read_file(dir_->path() / "ca.pem");
  }
  std::uint16_t port() const { return port_; }
  const std::string& url() const { return url_; }
  const std::string& ca_pem() const { return ca_pem_; }

  /// The medians of @p n NewServer and NewServer+Close cycles measured by
  /// the Go program, in seconds: {ready, ready + close}.
  static std::pair<double, double> ready(int n) {
    Child go({go_server_path(), "-ready", std::to_string(n)});
    auto lines = go.lines(2, 60s);
    auto value = [](const std::string& line, const std::string& key) {
      if (line.rfind(key + " ", 0) != 0) throw std::runtime_error("Go printed " + line);
      return std::atof(line.c_str() + key.size() + 1) * 1e-9;
    };
    return {value(lines[0], "ready_ns"), value(lines[1], "ready_close_ns")};
  }

 private:
  std::optional<TempDir> dir_;  // declared first: removed after the child ends
  std::unique_ptr<Child> child_;
  std::string url_, ca_pem_;
  std::uint16_t port_ = 0;
};

}  // namespace http_bench
