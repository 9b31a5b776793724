#pragma once
// The in-memory tuple store: interned ids and the indexes Check / ListObjects / ListUsers walk,
// a monotonic revision bumped by every write, and the change log ReadChanges serves.
//
// Concurrency: one reader-writer lock with writer priority. A check holds the shared side for
// its whole evaluation (a few microseconds) so it sees one consistent revision; a write holds
// the exclusive side only while it applies at most max_tuples_per_write tuples (validated
// before the lock is taken). Copy-on-write snapshots were the alternative, but a snapshot of
// a million-tuple index is either a full copy per write or a persistent structure whose
// pointer chasing costs the hot path more than an uncontended shared lock (~20 ns). New
// readers wait while a writer is queued, so a steady stream of checks cannot starve writes.
//
// Ids: objects ("type:id", and "type:*" for wildcards), types, relations and condition names
// are interned once and never released; an id held by an index or a cache stays valid for the
// store's lifetime. Relation and condition id 0 mean "none".

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "authz/flat_map.hpp"
#include "authz/tuple.hpp"
#include "core/result.hpp"

namespace mcpgate::authz {

inline constexpr std::uint32_t kNoId = Interner::kAbsent;
inline constexpr std::uint32_t kNoRelation = 0;
inline constexpr std::uint32_t kNoCondition = 0;

struct TupleKey {
  std::uint32_t object = 0;
  std::uint32_t relation = 0;
  std::uint32_t user_object = 0;                  // plain user or wildcard ("type:*") object id
  std::uint32_t user_relation = kNoRelation;      // userset relation, or none

  friend bool operator==(const TupleKey&, const TupleKey&) = default;
};

struct TupleKeyHash {
  std::uint64_t operator()(const TupleKey& k) const {
    return mix64((static_cast<std::uint64_t>(k.object) << 32 | k.relation) ^
                 mix64(static_cast<std::uint64_t>(k.user_object) << 32 | k.user_relation));
  }
};

struct StoredTuple {
  TupleKey key;
  std::uint32_t condition = kNoCondition;
  std::shared_ptr<const nlohmann::json> context;  // the tuple's condition context, or null
};

// One subject of an object#relation.
// Copies of the user's type and the condition keep the common case from touching the tuple
// slab or the object table (a cache miss each at a million tuples); the tuple itself (for a
// condition's context) is found through tuple_index when needed.
struct IndexEntry {
  std::uint32_t user_object = 0;
  std::uint32_t user_relation = kNoRelation;
  std::uint32_t user_type = 0;
  std::uint32_t condition = kNoCondition;
};

// One tuple seen from its subject: the reverse index, for "which objects does U relate to".
struct ReverseEntry {
  std::uint32_t object = 0;
  std::uint32_t relation = 0;
  std::uint32_t tuple = 0;
  std::uint32_t condition = kNoCondition;
};

// The subjects of one object#relation, split the way Check consumes them: plain users and
// wildcards (one hash probe answers "is U here"; the list serves tuple-to-userset and
// listing), and usersets (walked on every check that reaches this relation).
struct Bucket {
  std::vector<IndexEntry> plain;
  std::vector<IndexEntry> usersets;
};

// What a check reads of a bucket, kept in the bucket index's slot (64 bytes, one cache line):
// the lists' sizes and data, and a single plain subject inline (`tool#server`, a document's
// parent). A probe then costs one miss for the slot and one for a list's data, or none for a
// lone or absent list, instead of slot -> Bucket -> data. Writers refresh it after every change
// to the bucket (refresh_head); the pointers stay valid until the next write.
struct BucketHead {
  std::uint32_t index = 0;  // into Data::buckets
  std::uint32_t plain_size = 0;
  std::uint32_t userset_size = 0;
  IndexEntry only_plain;  // the plain subject when plain_size == 1
  const IndexEntry* plain = nullptr;
  const IndexEntry* usersets = nullptr;

  const IndexEntry* plain_data() const { return plain_size == 1 ? &only_plain : plain; }
};

// The same for a subject's reverse list (the tuples it is the user of): slot -> data.
struct SubjectHead {
  std::uint32_t index = 0;  // into Data::reverse
  std::uint32_t size = 0;
  const ReverseEntry* data = nullptr;
};

// A tuple index slot's value: the tuple's slab index and its condition, so an unconditioned
// hit needs no access to the slab.
struct TupleRef {
  std::uint32_t index = 0;
  std::uint32_t condition = kNoCondition;
};

struct ReadFilter {
  std::string object;    // "type:id", "type:" (all objects of a type) or empty
  std::string relation;  // empty: any
  std::string user;      // exact user string or empty
};

struct TupleChange {
  enum class Op { kWrite, kDelete };
  Op op = Op::kWrite;
  TupleRecord tuple;
  std::uint64_t revision = 0;
  std::chrono::system_clock::time_point time;
};

struct TupleStoreOptions {
  std::size_t max_tuples_per_write = 100;     // OpenFGA's maxTuplesPerWrite
  std::size_t max_context_bytes = 32 * 1024;  // a tuple's condition context (OpenFGA's limit)
  std::size_t max_changes_kept = 1'000'000;   // oldest changes are dropped beyond this
};

class TupleStore {
 public:
  // The indexes. Only reachable through ReadView (shared lock) or WriteView (exclusive lock).
  struct Data {
    Interner objects;
    Interner types;
    Interner relations;   // id 0 = ""
    Interner conditions;  // id 0 = ""
    std::vector<std::uint32_t> object_type;      // object id -> type id
    std::vector<std::uint8_t> object_wildcard;   // object id -> is "type:*"
    std::vector<std::uint8_t> object_listed;     // object id -> already in objects_by_type
    std::vector<std::uint32_t> type_wildcard;    // type id -> id of "type:*" or kNoId
    std::vector<std::vector<std::uint32_t>> objects_by_type;  // objects that had tuples
    std::vector<std::vector<IndexEntry>> subjects_by_type;    // distinct users (condition unused)
    FlatMap<std::uint64_t, std::uint8_t, U64Hash> subject_seen;

    std::vector<StoredTuple, HugePageAllocator<StoredTuple>> tuples;  // slab; free slots recycled
    std::vector<std::uint32_t> free_tuples;
    FlatMap<TupleKey, TupleRef, TupleKeyHash> tuple_index;
    std::vector<Bucket, HugePageAllocator<Bucket>> buckets;
    FlatMap<std::uint64_t, BucketHead, U64Hash> bucket_index;  // object<<32|relation
    std::uint64_t generation = 0;  // bumped by load(), which reassigns object ids
    // subject (user object<<32|user relation) -> its tuples. A check first fetches its user's
    // list once; while the list is short, direct probes scan it (one or two cache lines)
    // instead of hashing into the million-entry tuple index.
    FlatMap<std::uint64_t, SubjectHead, U64Hash> reverse_index;
    std::vector<std::vector<ReverseEntry>, HugePageAllocator<std::vector<ReverseEntry>>> reverse;

    std::uint32_t intern_type(std::string_view type);
    std::uint32_t intern_object(std::string_view object);  // "type:id"; interns the type too
    std::uint32_t find_object(std::string_view object) const { return objects.find(object); }

    const StoredTuple* find(const TupleKey& key) const {
      const TupleRef* r = tuple_index.find(key);
      return r == nullptr ? nullptr : &tuples[r->index];
    }
    const Bucket* bucket(std::uint32_t object, std::uint32_t relation) const {
      const BucketHead* h = bucket_index.find(pack(object, relation));
      return h == nullptr ? nullptr : &buckets[h->index];
    }
    const BucketHead* bucket_head(std::uint32_t object, std::uint32_t relation) const {
      return bucket_index.find(pack(object, relation));
    }
    const SubjectHead* tuples_of_subject(std::uint32_t user_object, std::uint32_t user_relation) const {
      return reverse_index.find(pack(user_object, user_relation));
    }
    // Re-read a list's size and data after a change to it.
    void refresh_head(BucketHead& h) const {
      const Bucket& b = buckets[h.index];
      h.plain_size = static_cast<std::uint32_t>(b.plain.size());
      h.userset_size = static_cast<std::uint32_t>(b.usersets.size());
      h.only_plain = b.plain.size() == 1 ? b.plain.front() : IndexEntry{};
      h.plain = b.plain.data();
      h.usersets = b.usersets.data();
    }
    void refresh_head(SubjectHead& h) const {
      h.size = static_cast<std::uint32_t>(reverse[h.index].size());
      h.data = reverse[h.index].data();
    }
    TupleRecord record(const StoredTuple& t) const;
    std::string user_string(std::uint32_t user_object, std::uint32_t user_relation) const;

    static std::uint64_t pack(std::uint32_t a, std::uint32_t b) {
      return static_cast<std::uint64_t>(a) << 32 | b;
    }
  };

  class ReadView {
   public:
    explicit ReadView(const TupleStore& store);
    ~ReadView();
    ReadView(const ReadView&) = delete;
    ReadView& operator=(const ReadView&) = delete;
    const Data& data() const { return store_.data_; }
    std::uint64_t revision() const { return store_.revision_.load(std::memory_order_relaxed); }

   private:
    const TupleStore& store_;
  };

  class WriteView {
   public:
    explicit WriteView(TupleStore& store);
    ~WriteView();
    WriteView(const WriteView&) = delete;
    WriteView& operator=(const WriteView&) = delete;
    Data& data() { return store_.data_; }

   private:
    TupleStore& store_;
  };

  explicit TupleStore(TupleStoreOptions options = {});
  TupleStore(const TupleStore&) = delete;
  TupleStore& operator=(const TupleStore&) = delete;

  // Applies deletes and writes atomically (all or nothing) with OpenFGA's rules: writing an
  // existing tuple or deleting a missing one fails the whole call (2003), as does the same
  // tuple twice in one call (2004) or more than max_tuples_per_write tuples (2008). Tuple
  // strings are syntax-checked here; the model check (type restrictions) is the engine's.
  // Returns the new revision: the next one, or `at_revision` when it is non-zero (a change that
  // persistent storage already numbered; it must be above the current revision).
  Result<std::uint64_t> write(const std::vector<TupleRecord>& writes,
                              const std::vector<TupleRecord>& deletes, FgaError* detail = nullptr,
                              std::uint64_t at_revision = 0);

  // Replaces the whole content (start-up from persistent storage), without change records.
  Status load(const std::vector<TupleRecord>& records, std::uint64_t revision);

  // Matching tuples, in no particular order; at most `limit` (0: no limit).
  std::vector<TupleRecord> read(const ReadFilter& filter, std::size_t limit = 0) const;

  // Changes with revision > `revision`, oldest first, at most `limit` (0: no limit); `type`
  // restricts to objects of that type when non-empty.
  std::vector<TupleChange> changes_since(std::uint64_t revision, std::size_t limit = 0,
                                         std::string_view type = {}) const;

  std::uint64_t revision() const { return revision_.load(std::memory_order_acquire); }
  std::size_t size() const;
  const TupleStoreOptions& options() const { return options_; }

 private:
  friend class ReadView;
  friend class WriteView;

  void lock_shared() const;
  void lock_exclusive();

  // Validated, interned form of one record, prepared before the exclusive lock is taken.
  Status apply_write(Data& d, const TupleRecord& r);
  void apply_delete(Data& d, const TupleKey& key);

  TupleStoreOptions options_;
  mutable std::shared_mutex mu_;
  mutable std::atomic<int> writers_waiting_{0};
  std::atomic<std::uint64_t> revision_{0};
  Data data_;
  std::vector<TupleChange> changes_;  // guarded by mu_
  std::size_t changes_dropped_ = 0;
};

// Syntax and size checks shared by the store and the engine's contextual tuples.
Status check_tuple_syntax(const TupleRecord& r, std::size_t max_context_bytes);

}  // namespace mcpgate::authz
