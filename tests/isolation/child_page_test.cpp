// SPDX-License-Identifier: BSL-1.0
// The room on the page a fork trap's child writes anyway
// (posix::child_page_storage): blocks that do not overlap, aligned as
// operator new aligns, from operator new once the room is full; and an
// allocator on it whose containers grow past it and free what they left.
#define BOOST_TEST_MODULE child_page
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <new>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <trap/trap.hpp>

#include "posix/fork_safe_mutex.hpp"

namespace {

using trap::posix::child_page_storage;
using trap::posix::ChildPageAllocator;
using trap::posix::on_child_page;

bool aligned(const void* p) {
  return reinterpret_cast<std::uintptr_t>(p) % __STDCPP_DEFAULT_NEW_ALIGNMENT__ == 0;
}

BOOST_AUTO_TEST_CASE(blocks_are_aligned_apart_and_from_the_heap_once_the_room_is_full) {
  std::vector<int, ChildPageAllocator<int>> v;
  v.reserve(4);
  BOOST_TEST(on_child_page(v.data()));

  // The room used up (in this one test: other tests may find it full).
  std::vector<unsigned char*> blocks;
  bool overflowed = false;
  for (int i = 0; i < 400 && !overflowed; ++i) {
    auto* b = static_cast<unsigned char*>(child_page_storage(24));
    BOOST_REQUIRE(aligned(b));
    if (!on_child_page(b)) {
      overflowed = true;
      ::operator delete(b);  // from operator new: the test's to free
    } else {
      std::memset(b, i & 0xff, 24);
      blocks.push_back(b);
    }
  }
  BOOST_TEST(overflowed, "the room is a few kilobytes at most");
  BOOST_TEST(!blocks.empty(), "the library's own objects leave room");
  for (std::size_t i = 0; i < blocks.size(); ++i)
    for (int k = 0; k < 24; ++k)
      BOOST_REQUIRE_EQUAL(blocks[i][k], static_cast<unsigned char>(i & 0xff));

  // The container grows from operator new, and frees that (ASan checks the
  // pairing), not its first block on the page.
  for (int i = 0; i < 5000; ++i) v.push_back(i);
  BOOST_TEST(!on_child_page(v.data()));
  for (int i = 0; i < 5000; ++i) BOOST_REQUIRE_EQUAL(v[static_cast<std::size_t>(i)], i);
  v.clear();
  v.shrink_to_fit();
  // The library's objects there still work: a fork trap's child uses them.
  trap::Trap r = trap::trap<":fork">([] {
    std::fputs("out", stdout);
    std::clog << "warned\n";
  });
  BOOST_TEST(r.leaveby() == "return");
  BOOST_TEST(r.out() == "out");
  BOOST_TEST(r.warn() == (std::vector<std::string>{"warned\n"}));
}

BOOST_AUTO_TEST_CASE(the_child_writes_its_copy_of_the_page_not_the_parents) {
  auto* shared = static_cast<int*>(child_page_storage(sizeof(int)));
  *shared = 1;
  const pid_t pid = ::fork();
  if (pid == 0) {
    *shared = 2;
    ::_exit(*shared == 2 ? 0 : 1);
  }
  int status = 0;
  BOOST_REQUIRE_EQUAL(::waitpid(pid, &status, 0), pid);
  BOOST_TEST(WIFEXITED(status));
  BOOST_TEST(WEXITSTATUS(status) == 0);
  BOOST_TEST(*shared == 1);
  if (!on_child_page(shared)) ::operator delete(shared);  // the room was full
}

}  // namespace
