#include "capture.hpp"

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <vector>

namespace trap::detail {
namespace {

struct Diversion {
  int fd;
  int saved;
};

// Never destroyed: formatters read them while the program exits.
std::mutex& diversions_mutex() {
  static auto* m = new std::mutex;
  return *m;
}
std::vector<Diversion>& diversions() {
  static auto* d = new std::vector<Diversion>;
  return *d;
}

// Reusable capture files, per directory ("" for memory files). Kept small:
// traps nest only a few deep.
struct Pool {
  std::mutex mutex;
  std::vector<std::pair<std::string, posix::Fd>> free;
  static constexpr std::size_t kMax = 8;
  static Pool& get() {
    static Pool* p = new Pool;  // never destroyed: used from exit paths
    return *p;
  }
  posix::Fd take(const std::string& dir) {
    std::lock_guard lock(mutex);
    for (auto it = free.rbegin(); it != free.rend(); ++it) {
      if (it->first == dir) {
        posix::Fd fd = std::move(it->second);
        free.erase(std::next(it).base());
        return fd;
      }
    }
    return {};
  }
  void give(std::string dir, posix::Fd fd) {
    std::lock_guard lock(mutex);
    if (free.size() < kMax) free.emplace_back(std::move(dir), std::move(fd));
  }
};

std::string temp_dir() {
  const char* d = std::getenv("TMPDIR");
  return d && *d ? d : "/tmp";
}

posix::Fd reuse(const std::string& dir) {
  // A pooled file that is no longer empty was written to after its trap
  // ended (a background process still holds it): do not hand it out.
  while (posix::Fd fd = Pool::get().take(dir)) {
    if (posix::file_size(fd.get()) == 0) return fd;
  }
  return {};
}

}  // namespace

void flush_streams(int fd) {
  if (fd == 1) {
    std::cout.flush();
    std::fflush(stdout);
  } else if (fd == 2) {
    std::cerr.flush();
    std::clog.flush();
    std::fflush(stderr);
  }
}

int original_fd(int fd) {
  std::lock_guard lock(diversions_mutex());
  for (auto& d : diversions())
    if (d.fd == fd) return d.saved;
  return fd;
}

void push_diversion(int fd, int saved) {
  std::lock_guard lock(diversions_mutex());
  diversions().push_back({fd, saved});
}

void pop_diversion(int fd, int saved) {
  std::lock_guard lock(diversions_mutex());
  auto& d = diversions();
  for (auto it = d.end(); it != d.begin();) {
    --it;
    if (it->fd == fd && it->saved == saved) {
      d.erase(it);
      return;
    }
  }
}

PooledFile::~PooledFile() { release(); }

PooledFile& PooledFile::operator=(PooledFile&& o) noexcept {
  if (this != &o) {
    release();
    fd_ = std::move(o.fd_);
    dir_ = std::move(o.dir_);
    clean_ = o.clean_;
  }
  return *this;
}

void PooledFile::release() noexcept {
  if (fd_ && clean_) Pool::get().give(std::move(dir_), std::move(fd_));
  fd_.reset();
}

void PooledFile::take(std::string& out) {
  clean_ = false;
  std::size_t size = posix::file_size(fd_.get());
  if (size > 0) {
    posix::read_all_at(fd_.get(), size, out);
    posix::truncate_rewind(fd_.get());
  }
  clean_ = true;
}

PooledFile PooledFile::memory() {
  if (posix::Fd fd = reuse("")) return {std::move(fd), ""};
  if (posix::Fd fd = posix::memfd("trap-capture")) return {std::move(fd), ""};
  return in_temp_dir();
}

PooledFile PooledFile::in_temp_dir() {
  std::string dir = temp_dir();
  if (posix::Fd fd = reuse(dir)) return {std::move(fd), dir};
  posix::Fd fd = posix::temp_file(dir);
  return {std::move(fd), std::move(dir)};
}

void Capture::begin() {
  if (state_ != State::idle) throw TrapError("capture of fd " + std::to_string(fd_) + " begun twice");
  do_begin();
  state_ = State::active;
}

std::string Capture::end() {
  if (state_ != State::active) return {};
  state_ = State::done;
  return do_end();
}

std::ostream& stream_for(int fd, const char* strategy) {
  if (fd == 1) return std::cout;
  if (fd == 2) return std::cerr;
  throw UsageError(std::string("The ") + strategy +
                   " capture strategy captures only descriptors 1 and 2, not " +
                   std::to_string(fd));
}

}  // namespace trap::detail
