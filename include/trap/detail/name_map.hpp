// SPDX-License-Identifier: BSL-1.0
/// @file
/// trap::detail::NameMap: the small map from names to values that
/// trap::Props and trap::AccessorSpec::flexible are, without `<map>`.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <iterator>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace trap::detail {

/// A map from names to values of type @p V, with the part of `std::map`'s
/// interface a layer uses: `m["name"] = v`, `find`, `at`, `contains`,
/// `count`, `emplace`, `try_emplace`, `insert`, `insert_or_assign`, `erase`,
/// `size`, `empty`, `clear`, and iteration over `std::pair<const
/// std::string, V>`. Lookups take any string (`std::string_view`).
///
/// As with `std::map`, a reference or iterator to an entry stays valid until
/// that entry is erased. Unlike it, a NameMap iterates in the order the
/// names were first added, and a lookup is a linear search: the maps it
/// stands for hold a few entries each.
template <class V>
class NameMap {
  struct Node;

  template <bool Const>
  class Iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = std::pair<const std::string, V>;
    using difference_type = std::ptrdiff_t;
    using pointer = std::conditional_t<Const, const value_type*, value_type*>;
    using reference = std::conditional_t<Const, const value_type&, value_type&>;

    Iterator() noexcept = default;
    // A mutable iterator converts to a const one.
    template <bool C = Const>
    requires C Iterator(const Iterator<false>& other)
    noexcept  // NOLINT: implicit
        : node_(other.node_) {}
    reference operator*() const noexcept { return node_->entry; }
    pointer operator->() const noexcept { return &node_->entry; }
    Iterator& operator++() noexcept {
      node_ = node_->next;
      return *this;
    }
    Iterator operator++(int) noexcept {
      Iterator was = *this;
      node_ = node_->next;
      return was;
    }
    friend bool operator==(const Iterator& a, const Iterator& b) noexcept {
      return a.node_ == b.node_;
    }

   private:
    friend class NameMap;
    friend class Iterator<!Const>;
    explicit Iterator(Node* node) noexcept : node_(node) {}
    Node* node_ = nullptr;
  };

 public:
  using key_type = std::string;                        ///< a name
  using mapped_type = V;                               ///< what a name maps to
  using value_type = std::pair<const std::string, V>;  ///< one entry
  using size_type = std::size_t;                       ///< a count of entries
  using iterator = Iterator<false>;                    ///< over the entries
  using const_iterator = Iterator<true>;               ///< over the entries

  /// An empty map.
  NameMap() noexcept = default;
  /// The entries of @p entries; of two with the same name the first is
  /// kept, as `std::map` does.
  NameMap(std::initializer_list<value_type> entries) {
    for (const auto& e : entries) insert(e);
  }
  /// A copy of each entry of @p other, in its order.
  NameMap(const NameMap& other) : NameMap() {
    for (const auto& e : other) insert(e);
  }
  /// Takes @p other's entries, leaving it empty.
  NameMap(NameMap&& other) noexcept
      : head_(std::exchange(other.head_, nullptr)), size_(std::exchange(other.size_, 0)) {}
  /// Copies or takes @p other's entries.
  NameMap& operator=(NameMap other) noexcept {
    std::swap(head_, other.head_);
    std::swap(size_, other.size_);
    return *this;
  }
  ~NameMap() { clear(); }

  /// The value of @p name, made with `V()` and added if absent.
  V& operator[](std::string_view name) { return try_emplace(name).first->second; }
  /// The value of @p name. @throws std::out_of_range if absent.
  V& at(std::string_view name) { return const_cast<V&>(std::as_const(*this).at(name)); }
  /// The value of @p name. @throws std::out_of_range if absent.
  const V& at(std::string_view name) const {
    auto it = find(name);
    if (it == end()) throw std::out_of_range("no entry named \"" + std::string(name) + "\"");
    return it->second;
  }

  /// The entry named @p name, or end().
  iterator find(std::string_view name) noexcept { return iterator(*link_to(name)); }
  /// The entry named @p name, or end().
  const_iterator find(std::string_view name) const noexcept {
    return const_iterator(*const_cast<NameMap*>(this)->link_to(name));
  }
  /// Whether an entry is named @p name.
  bool contains(std::string_view name) const noexcept { return find(name) != end(); }
  /// 1 if an entry is named @p name, else 0.
  size_type count(std::string_view name) const noexcept { return contains(name) ? 1 : 0; }

  /// Adds an entry for @p name with the value made from @p args, unless
  /// there is one: returns the entry, and whether it was added.
  template <class... Args>
  std::pair<iterator, bool> try_emplace(std::string_view name, Args&&... args) {
    Node** link = link_to(name);
    if (*link) return {iterator(*link), false};
    *link = new Node{value_type(std::string(name), V(std::forward<Args>(args)...))};
    ++size_;
    return {iterator(*link), true};
  }
  /// As try_emplace() (a `std::map`'s emplace takes the name and the value).
  template <class Value>
  std::pair<iterator, bool> emplace(std::string_view name, Value&& value) {
    return try_emplace(name, std::forward<Value>(value));
  }
  /// Adds @p entry unless an entry has its name: returns the entry, and
  /// whether it was added.
  std::pair<iterator, bool> insert(const value_type& entry) {
    return try_emplace(entry.first, entry.second);
  }
  /// As insert(const value_type&), moving the value.
  std::pair<iterator, bool> insert(value_type&& entry) {
    return try_emplace(entry.first, std::move(entry.second));
  }
  /// Sets the value of @p name to @p value, adding the entry if absent:
  /// returns the entry, and whether it was added.
  template <class Value>
  std::pair<iterator, bool> insert_or_assign(std::string_view name, Value&& value) {
    auto r = try_emplace(name);
    r.first->second = std::forward<Value>(value);
    return r;
  }

  /// Removes the entry named @p name: returns 1, or 0 if there was none.
  size_type erase(std::string_view name) noexcept {
    Node** link = link_to(name);
    if (!*link) return 0;
    unlink(link);
    return 1;
  }
  /// Removes the entry at @p pos: returns the entry that followed it.
  iterator erase(const_iterator pos) noexcept {
    Node** link = &head_;
    while (*link != pos.node_) link = &(*link)->next;
    unlink(link);
    return iterator(*link);
  }
  /// Removes every entry.
  void clear() noexcept {
    while (head_) unlink(&head_);
  }

  /// The number of entries.
  size_type size() const noexcept { return size_; }
  /// Whether there is no entry.
  bool empty() const noexcept { return size_ == 0; }

  /// The first entry.
  iterator begin() noexcept { return iterator(head_); }
  /// Past the last entry.
  iterator end() noexcept { return iterator(); }
  /// The first entry.
  const_iterator begin() const noexcept { return const_iterator(head_); }
  /// Past the last entry.
  const_iterator end() const noexcept { return const_iterator(); }
  /// The first entry.
  const_iterator cbegin() const noexcept { return begin(); }
  /// Past the last entry.
  const_iterator cend() const noexcept { return end(); }

 private:
  struct Node {
    value_type entry;
    Node* next = nullptr;
  };

  // The link that points at the entry named @p name, or the null link at
  // the end of the list.
  Node** link_to(std::string_view name) noexcept {
    Node** link = &head_;
    while (*link && (*link)->entry.first != name) link = &(*link)->next;
    return link;
  }
  void unlink(Node** link) noexcept {
    Node* gone = *link;
    *link = gone->next;
    --size_;
    delete gone;
  }

  Node* head_ = nullptr;
  size_type size_ = 0;
};

}  // namespace trap::detail
