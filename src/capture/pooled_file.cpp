// SPDX-License-Identifier: BSL-1.0
// Capture files: the pool that keeps them for later traps, and the files a
// fork trap's child is offered by its parent.
#include <algorithm>
#include <mutex>
#include <string>
#include <system_error>
#include <vector>

#include "capture/capture.hpp"
#include "posix/child_path.hpp"
#include "posix/fd.hpp"
#include "posix/fork_safe_mutex.hpp"

namespace trap::detail {
namespace {

// Reusable capture files, per directory ("" for memory files). Kept small:
// traps nest only a few deep.
struct Pool {
  struct Entry {
    std::string dir;
    posix::Fd fd;
    std::size_t offset;
    int pid;  // the process that pooled it
  };
  // Fork-safe: a fork trap's child pools its files too.
  posix::ForkSafeMutex& mutex = posix::ForkSafeMutex::make();
  std::vector<Entry> free;
  static constexpr std::size_t kMax = 8;
  static Pool& get() {
    static Pool* p = new Pool;  // never destroyed: used from exit paths, and by fork
    return *p;
  }
  bool take(const std::string& dir, PooledFile& out) {
    std::lock_guard lock(mutex);
    // A child forked by other means than the fork layer shares these files
    // (and their offsets) with its parent: it must not write into them.
    const int self = posix::self_pid();
    std::erase_if(free, [&](const Entry& e) { return e.pid != self; });
    for (auto it = free.rbegin(); it != free.rend();) {
      if (it->dir != dir) {
        ++it;
      } else if (written_since(*it)) {
        it = std::make_reverse_iterator(free.erase(std::next(it).base()));
      } else {
        out = PooledFile(std::move(it->fd), std::move(it->dir), it->offset);
        free.erase(std::next(it).base());
        return true;
      }
    }
    return false;
  }
  // A process that inherited the file during its capture and outlived it
  // has written on: what it writes later would land in another trap.
  static bool written_since(const Entry& e) noexcept {
    try {
      return posix::file_size(e.fd.get()) != e.offset;
    } catch (const std::system_error&) {
      return true;
    }
  }
  void give(std::string dir, posix::Fd fd, std::size_t offset) {
    std::lock_guard lock(mutex);
    if (free.size() < kMax)
      free.push_back({std::move(dir), std::move(fd), offset, posix::self_pid()});
  }
};

// Made when the program starts: a child never finds it half made.
[[maybe_unused]] Pool& pool_at_start = Pool::get();

}  // namespace

void reserve_capture_pool() {
  Pool& pool = Pool::get();
  std::lock_guard lock(pool.mutex);  // other threads may use it already
  pool.free.reserve(Pool::kMax);
}

namespace {
// The files a forked child was offered (offer_capture_files()). Only the
// forking thread runs in the child when they are offered, and its captures
// take them on that thread or under the process-wide capture lock.
struct OfferedFiles {
  int pid = 0;  // the child they were offered to
  int fds[2] = {-1, -1};
  std::size_t offsets[2] = {0, 0};
  int next = 2;
};
// Written by every child: on the page its fork handler writes anyway.
// Made on first use (a capture in another file's static initialiser may
// come first), and when the program starts.
TRAP_CHILD_PATH OfferedFiles& offered_files() {
  static OfferedFiles& files = *new (posix::child_page_storage(sizeof(OfferedFiles))) OfferedFiles;
  return files;
}
[[maybe_unused]] OfferedFiles& offered_files_at_start = offered_files();

bool take_offered(PooledFile& out) {
  OfferedFiles& offered = offered_files();
  while (offered.next < 2 && offered.pid == posix::self_pid()) {
    const int i = offered.next++;
    if (offered.fds[i] >= 0) {
      out = PooledFile(posix::Fd(offered.fds[i]), std::string(), offered.offsets[i]);
      // The parent keeps it for its next fork trap; this child, about to
      // end, pools nothing (and so writes nothing into the pool).
      out.keep_out_of_pool();
      return true;
    }
  }
  return false;
}
}  // namespace

TRAP_CHILD_PATH void offer_capture_files(const int (&fds)[2],
                                         const std::size_t (&offsets)[2]) noexcept {
  OfferedFiles& offered = offered_files();
  offered.pid = posix::self_pid();
  for (int i = 0; i < 2; ++i) {
    offered.fds[i] = fds[i];
    offered.offsets[i] = offsets[i];
  }
  offered.next = 0;
}

TRAP_CHILD_PATH void forget_capture_pool() noexcept {
  // The child of a fork shares these files' offsets with its parent: it
  // must not write into them. Only the forking thread runs here, so no lock.
  // Cleared only if it holds files: a child that writes to it copies a page.
  if (auto& pool = Pool::get(); !pool.free.empty()) pool.free.clear();
}

TRAP_CHILD_PATH PooledFile::~PooledFile() { release(); }

TRAP_CHILD_PATH PooledFile& PooledFile::operator=(PooledFile&& o) noexcept {
  if (this != &o) {
    release();
    fd_ = std::move(o.fd_);
    dir_ = std::move(o.dir_);
    offset_ = o.offset_;
    clean_ = o.clean_;
    pid_ = o.pid_;
  }
  return *this;
}

TRAP_CHILD_PATH void PooledFile::release() noexcept {
  // Only the process that took it pools it: a forked child shares it.
  if (fd_ && clean_ && pid_ == posix::self_pid())
    Pool::get().give(std::move(dir_), std::move(fd_), offset_);
  fd_.reset();
}

TRAP_CHILD_PATH void PooledFile::take(std::string& out) {
  const bool reusable = clean_;
  clean_ = false;  // until it is read whole
  offset_ += posix::read_from(fd_.get(), offset_, out);
  // Emptying it would take a truncation, which the seal forbids: a fresh
  // file costs less than 256 KiB of traps.
  clean_ = reusable && offset_ <= kKeep;
}

namespace {
posix::Fd make_memory_fd() {
  posix::Fd fd = posix::memfd("trap-capture");
  if (fd) {
    // Not sealed (an old kernel): the code's ftruncate() cuts the file.
    (void)posix::seal_shrink(fd.get());
    posix::set_append(fd.get());
  }
  return fd;
}
}  // namespace

posix::Fd PooledFile::new_memory_fd() noexcept {
  try {
    return make_memory_fd();
  } catch (const std::exception&) {
    return {};
  }
}

TRAP_CHILD_PATH PooledFile PooledFile::memory(bool reuse) {
  PooledFile f;
  if (reuse && (take_offered(f) || Pool::get().take("", f))) return f;
  if (posix::Fd fd = make_memory_fd()) return {std::move(fd), ""};
  return in_temp_dir();
}

PooledFile PooledFile::in_temp_dir(bool reuse) {
  std::string dir = temp_dir();
  PooledFile f;
  if (reuse && Pool::get().take(dir, f)) return f;
  posix::Fd fd = posix::temp_file(dir);
  posix::set_append(fd.get());
  return {std::move(fd), std::move(dir)};
}

}  // namespace trap::detail
