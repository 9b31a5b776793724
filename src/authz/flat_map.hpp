#pragma once
// Open-addressing hash containers for the engine's hot paths: integer keys, linear probing,
// backward-shift deletion (no tombstones, so a long-lived index does not degrade), and one
// allocation per resize. std::unordered_map costs a node allocation per entry and a pointer
// chase per probe; at a million tuples that is the difference between ~20 ns and ~100 ns a
// lookup (FGA.md §6.3).

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <functional>
#include <new>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <sys/mman.h>

namespace mcpgate::authz {

// Allocator for the big index arrays: blocks of 2 MiB or more are 2 MiB-aligned and advised
// as transparent huge pages. Lookups into a million-entry table land on random 4 KiB pages,
// and under virtualisation each TLB miss is a two-level page walk; huge pages remove most of
// them. Small blocks use the ordinary heap.
template <class T>
struct HugePageAllocator {
  using value_type = T;
  static constexpr std::size_t kHuge = std::size_t{2} << 20;

  HugePageAllocator() = default;
  template <class U>
  HugePageAllocator(const HugePageAllocator<U>&) {}  // NOLINT(google-explicit-constructor)

  T* allocate(std::size_t n) {
    const std::size_t bytes = n * sizeof(T);
    if (bytes < kHuge) {
      return static_cast<T*>(::operator new(bytes, std::align_val_t{alignof(T)}));
    }
    const std::size_t rounded = (bytes + kHuge - 1) / kHuge * kHuge;
    void* p = std::aligned_alloc(kHuge, rounded);
    if (p == nullptr) {
      throw std::bad_alloc();
    }
    ::madvise(p, rounded, MADV_HUGEPAGE);  // advisory: failure only costs speed
    return static_cast<T*>(p);
  }

  void deallocate(T* p, std::size_t n) {
    if (n * sizeof(T) < kHuge) {
      ::operator delete(p, std::align_val_t{alignof(T)});
    } else {
      std::free(p);
    }
  }

  template <class U>
  bool operator==(const HugePageAllocator<U>&) const {
    return true;
  }
};

inline std::uint64_t mix64(std::uint64_t x) {
  // splitmix64's finaliser: cheap and good enough to spread packed ids over the table.
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

// Key must be trivially copyable and equality-comparable; Hash maps it to a uint64.
template <class Key, class Value, class Hash>
class FlatMap {
 public:
  FlatMap() = default;

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  const Value* find(const Key& key) const {
    if (size_ == 0) {
      return nullptr;
    }
    std::size_t i = slot_of(key);
    while (slots_[i].used) {
      if (slots_[i].key == key) {
        return &slots_[i].value;
      }
      i = (i + 1) & mask_;
    }
    return nullptr;
  }

  Value* find(const Key& key) {
    return const_cast<Value*>(static_cast<const FlatMap*>(this)->find(key));
  }

  // Inserts a default value if absent; returns the value and whether it was inserted.
  std::pair<Value*, bool> try_emplace(const Key& key) {
    if ((size_ + 1) * 8 > slots_.size() * 7 || slots_.empty()) {
      rehash(slots_.empty() ? 16 : slots_.size() * 2);
    }
    std::size_t i = slot_of(key);
    while (slots_[i].used) {
      if (slots_[i].key == key) {
        return {&slots_[i].value, false};
      }
      i = (i + 1) & mask_;
    }
    slots_[i].used = true;
    slots_[i].key = key;
    slots_[i].value = Value{};
    ++size_;
    return {&slots_[i].value, true};
  }

  bool erase(const Key& key) {
    if (size_ == 0) {
      return false;
    }
    std::size_t i = slot_of(key);
    while (slots_[i].used) {
      if (slots_[i].key == key) {
        break;
      }
      i = (i + 1) & mask_;
    }
    if (!slots_[i].used) {
      return false;
    }
    // Backward-shift: pull later members of the probe run into the hole.
    std::size_t hole = i;
    std::size_t j = i;
    while (true) {
      j = (j + 1) & mask_;
      if (!slots_[j].used) {
        break;
      }
      const std::size_t home = slot_of(slots_[j].key);
      // Move j into the hole unless its home lies cyclically in (hole, j].
      const bool in_range = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
      if (!in_range) {
        slots_[hole] = std::move(slots_[j]);
        hole = j;
      }
    }
    slots_[hole].used = false;
    slots_[hole].value = Value{};
    --size_;
    return true;
  }

  void clear() {
    if (size_ == 0) {
      return;
    }
    for (auto& s : slots_) {
      s.used = false;
      s.value = Value{};
    }
    size_ = 0;
  }

  void reserve(std::size_t n) {
    std::size_t cap = 16;
    while (cap * 7 < n * 8) {
      cap *= 2;
    }
    if (cap > slots_.size()) {
      rehash(cap);
    }
  }

  std::size_t capacity() const { return slots_.size(); }

  // Starts loading the key's home slot: a check issues its independent lookups together so
  // their cache misses overlap instead of queueing.
  void prefetch(const Key& key) const {
    if (!slots_.empty()) {
      __builtin_prefetch(&slots_[slot_of(key)]);
    }
  }

  template <class F>
  void for_each(F&& f) const {
    for (const Slot& s : slots_) {
      if (s.used) {
        f(s.key, s.value);
      }
    }
  }

 private:
  std::size_t slot_of(const Key& key) const { return static_cast<std::size_t>(Hash{}(key)) & mask_; }

  void rehash(std::size_t cap) {
    std::vector<Slot, HugePageAllocator<Slot>> old = std::move(slots_);
    slots_.assign(cap, Slot{});
    mask_ = cap - 1;
    for (Slot& s : old) {
      if (s.used) {
        std::size_t j = slot_of(s.key);
        while (slots_[j].used) {
          j = (j + 1) & mask_;
        }
        slots_[j] = std::move(s);
      }
    }
  }

  // The flag lives beside the key: a probe touches one cache line, not two arrays. Slots of up
  // to 64 bytes are aligned to their size rounded up to a power of two, so no slot straddles
  // two cache lines (a 28-byte slot would straddle one in eight times, a second miss).
  struct RawSlot {
    Key key{};
    Value value{};
    bool used = false;
  };
  static constexpr std::size_t kSlotAlign =
      sizeof(RawSlot) <= 64 ? std::max(alignof(RawSlot), std::bit_ceil(sizeof(RawSlot))) : alignof(RawSlot);
  struct alignas(kSlotAlign) Slot {
    Key key{};
    Value value{};
    bool used = false;
  };
  std::vector<Slot, HugePageAllocator<Slot>> slots_;
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
};

struct U64Hash {
  std::uint64_t operator()(std::uint64_t k) const { return mix64(k); }
};

// Dense ids for strings. Ids are never reused or removed, so an id held by an index stays
// meaningful for the interner's lifetime; names live in a deque so views stay valid.
class Interner {
 public:
  static constexpr std::uint32_t kAbsent = 0xffffffffU;

  std::uint32_t find(std::string_view s) const {
    if (names_.empty()) {
      return kAbsent;
    }
    const std::uint64_t h = hash(s);
    const auto tag = static_cast<std::uint32_t>(h >> 32);
    std::size_t i = h & mask_;
    while (slots_[i].id != 0) {
      // The tag in the slot filters out almost every non-match without touching the name.
      if (slots_[i].tag == tag && names_[slots_[i].id - 1] == s) {
        return slots_[i].id - 1;
      }
      i = (i + 1) & mask_;
    }
    return kAbsent;
  }

  std::uint32_t intern(std::string_view s) {
    const std::uint32_t found = find(s);
    if (found != kAbsent) {
      return found;
    }
    if ((names_.size() + 1) * 4 > slots_.size() * 3) {
      grow();
    }
    const auto id = static_cast<std::uint32_t>(names_.size());
    names_.emplace_back(s);
    const std::uint64_t h = hash(s);
    hashes_.push_back(h);
    place(id, h);
    return id;
  }

  void prefetch(std::string_view s) const {
    if (!slots_.empty()) {
      __builtin_prefetch(&slots_[hash(s) & mask_]);
    }
  }

  std::string_view name(std::uint32_t id) const { return names_[id]; }
  std::size_t size() const { return names_.size(); }

  static std::uint64_t hash(std::string_view s) { return mix64(std::hash<std::string_view>{}(s)); }

 private:
  void place(std::uint32_t id, std::uint64_t h) {
    std::size_t i = h & mask_;
    while (slots_[i].id != 0) {
      i = (i + 1) & mask_;
    }
    slots_[i] = Slot{id + 1, static_cast<std::uint32_t>(h >> 32)};
  }

  void grow() {
    const std::size_t cap = slots_.empty() ? 64 : slots_.size() * 2;
    slots_.assign(cap, Slot{});
    mask_ = cap - 1;
    for (std::uint32_t id = 0; id < names_.size(); ++id) {
      place(id, hashes_[id]);
    }
  }

  std::deque<std::string> names_;  // a deque: views handed out by name() survive growth
  std::vector<std::uint64_t> hashes_;
  struct Slot {
    std::uint32_t id = 0;   // id + 1; 0 = empty
    std::uint32_t tag = 0;  // high half of the name's hash
  };
  std::vector<Slot, HugePageAllocator<Slot>> slots_;
  std::size_t mask_ = 0;
};

}  // namespace mcpgate::authz
