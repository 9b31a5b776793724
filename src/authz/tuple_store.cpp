#include "authz/tuple_store.hpp"

#include <algorithm>
#include <thread>

namespace mcpgate::authz {

namespace {


void set_detail(FgaError* detail, FgaErrorCode code, const std::string& message) {
  if (detail != nullptr) {
    *detail = FgaError{code, message};
  }
}

// Removes one entry from an index vector by swapping in the last; order is not meaningful.
void remove_entry(std::vector<IndexEntry>& v, std::uint32_t user_object, std::uint32_t user_relation) {
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i].user_object == user_object && v[i].user_relation == user_relation) {
      v[i] = v.back();
      v.pop_back();
      return;
    }
  }
}

}  // namespace

Status check_tuple_syntax(const TupleRecord& r, std::size_t max_context_bytes) {
  auto obj = parse_object(r.object);
  if (!obj) {
    return obj.error();
  }
  if (!valid_relation_name(r.relation)) {
    return invalid_argument("invalid relation '" + r.relation + "'");
  }
  auto user = parse_user(r.user);
  if (!user) {
    return user.error();
  }
  if (!r.condition_context.is_null()) {
    if (!r.condition_context.is_object()) {
      return invalid_argument("condition context of " + to_string(r) + " must be a JSON object");
    }
    if (r.condition_name.empty()) {
      return invalid_argument("condition context without a condition name in " + to_string(r));
    }
    if (r.condition_context.dump().size() > max_context_bytes) {
      return invalid_argument("condition context of " + r.object + "#" + r.relation + "@" + r.user +
                     " exceeds " + std::to_string(max_context_bytes) + " bytes");
    }
  }
  return {};
}

std::uint32_t TupleStore::Data::intern_type(std::string_view type) {
  const std::uint32_t id = types.intern(type);
  if (id >= type_wildcard.size()) {
    type_wildcard.resize(id + 1, kNoId);
    objects_by_type.resize(id + 1);
    subjects_by_type.resize(id + 1);
  }
  return id;
}

std::uint32_t TupleStore::Data::intern_object(std::string_view object) {
  const std::uint32_t existing = objects.find(object);
  if (existing != kNoId) {
    return existing;
  }
  const auto colon = object.find(':');
  const std::uint32_t type = intern_type(object.substr(0, colon));
  const std::uint32_t id = objects.intern(object);
  object_type.push_back(type);
  const bool wildcard = object.substr(colon + 1) == "*";
  object_wildcard.push_back(wildcard ? 1 : 0);
  object_listed.push_back(0);
  if (wildcard) {
    type_wildcard[type] = id;
  }
  return id;
}

TupleRecord TupleStore::Data::record(const StoredTuple& t) const {
  TupleRecord r;
  r.object = std::string(objects.name(t.key.object));
  r.relation = std::string(relations.name(t.key.relation));
  r.user = user_string(t.key.user_object, t.key.user_relation);
  if (t.condition != kNoCondition) {
    r.condition_name = std::string(conditions.name(t.condition));
  }
  if (t.context) {
    r.condition_context = *t.context;
  }
  return r;
}

std::string TupleStore::Data::user_string(std::uint32_t user_object, std::uint32_t user_relation) const {
  std::string s(objects.name(user_object));
  if (user_relation != kNoRelation) {
    s += '#';
    s += relations.name(user_relation);
  }
  return s;
}

TupleStore::ReadView::ReadView(const TupleStore& store) : store_(store) { store_.lock_shared(); }
TupleStore::ReadView::~ReadView() { store_.mu_.unlock_shared(); }
TupleStore::WriteView::WriteView(TupleStore& store) : store_(store) { store_.lock_exclusive(); }
TupleStore::WriteView::~WriteView() { store_.mu_.unlock(); }

void TupleStore::lock_shared() const {
  // Writer priority: glibc's rwlock prefers readers, so a continuous stream of checks could
  // hold off a write indefinitely. A queued writer makes new readers wait their turn.
  while (writers_waiting_.load(std::memory_order_acquire) > 0) {
    std::this_thread::yield();
  }
  mu_.lock_shared();
}

void TupleStore::lock_exclusive() {
  writers_waiting_.fetch_add(1, std::memory_order_acq_rel);
  mu_.lock();
  writers_waiting_.fetch_sub(1, std::memory_order_acq_rel);
}

TupleStore::TupleStore(TupleStoreOptions options) : options_(options) {
  data_.relations.intern("");
  data_.conditions.intern("");
}

std::size_t TupleStore::size() const {
  ReadView view(*this);
  return view.data().tuple_index.size();
}

Status TupleStore::apply_write(Data& d, const TupleRecord& r) {
  TupleKey key;
  key.object = d.intern_object(r.object);
  key.relation = d.relations.intern(r.relation);
  const auto hash = r.user.find('#');
  key.user_object = d.intern_object(std::string_view(r.user).substr(0, hash));
  key.user_relation =
      hash == std::string::npos ? kNoRelation : d.relations.intern(std::string_view(r.user).substr(hash + 1));
  auto [slot, inserted] = d.tuple_index.try_emplace(key);
  if (!inserted) {
    return invalid_argument("cannot write a tuple which already exists: " + to_string(r));
  }
  std::uint32_t index = 0;
  if (!d.free_tuples.empty()) {
    index = d.free_tuples.back();
    d.free_tuples.pop_back();
  } else {
    index = static_cast<std::uint32_t>(d.tuples.size());
    d.tuples.emplace_back();
  }
  StoredTuple& t = d.tuples[index];
  t.key = key;
  t.condition = r.condition_name.empty() ? kNoCondition : d.conditions.intern(r.condition_name);
  t.context = r.condition_context.is_object() && !r.condition_context.empty()
                  ? std::make_shared<const nlohmann::json>(r.condition_context)
                  : nullptr;
  *slot = TupleRef{index, t.condition};

  auto [head, new_bucket] = d.bucket_index.try_emplace(Data::pack(key.object, key.relation));
  if (new_bucket) {
    head->index = static_cast<std::uint32_t>(d.buckets.size());
    d.buckets.emplace_back();
  }
  Bucket& b = d.buckets[head->index];
  const IndexEntry entry{key.user_object, key.user_relation, d.object_type[key.user_object], t.condition};
  (key.user_relation == kNoRelation ? b.plain : b.usersets).push_back(entry);
  d.refresh_head(*head);
  auto [subject, new_subject_list] = d.reverse_index.try_emplace(Data::pack(key.user_object, key.user_relation));
  if (new_subject_list) {
    subject->index = static_cast<std::uint32_t>(d.reverse.size());
    d.reverse.emplace_back();
  }
  d.reverse[subject->index].push_back(ReverseEntry{key.object, key.relation, index, t.condition});
  d.refresh_head(*subject);

  if (!d.object_listed[key.object]) {
    d.object_listed[key.object] = 1;
    d.objects_by_type[d.object_type[key.object]].push_back(key.object);
  }
  auto [seen, new_subject] = d.subject_seen.try_emplace(Data::pack(key.user_object, key.user_relation));
  (void)seen;
  if (new_subject) {
    d.subjects_by_type[d.object_type[key.user_object]].push_back(entry);
  }
  return {};
}

void TupleStore::apply_delete(Data& d, const TupleKey& key) {
  const TupleRef* slot = d.tuple_index.find(key);
  if (slot == nullptr) {
    return;
  }
  const std::uint32_t index = slot->index;
  d.tuple_index.erase(key);
  if (BucketHead* h = d.bucket_index.find(Data::pack(key.object, key.relation)); h != nullptr) {
    Bucket& bucket = d.buckets[h->index];
    remove_entry(key.user_relation == kNoRelation ? bucket.plain : bucket.usersets, key.user_object,
                 key.user_relation);
    d.refresh_head(*h);
  }
  if (SubjectHead* r = d.reverse_index.find(Data::pack(key.user_object, key.user_relation)); r != nullptr) {
    std::vector<ReverseEntry>& list = d.reverse[r->index];
    for (std::size_t i = 0; i < list.size(); ++i) {
      if (list[i].tuple == index) {
        list[i] = list.back();
        list.pop_back();
        break;
      }
    }
    d.refresh_head(*r);
  }
  d.tuples[index] = StoredTuple{};
  d.free_tuples.push_back(index);
  // objects_by_type / subjects_by_type keep the id: they are candidate lists, and a candidate
  // without tuples simply evaluates to false.
}

Result<std::uint64_t> TupleStore::write(const std::vector<TupleRecord>& writes,
                                        const std::vector<TupleRecord>& deletes, FgaError* detail,
                                        std::uint64_t at_revision) {
  const std::size_t total = writes.size() + deletes.size();
  if (total == 0) {
    set_detail(detail, FgaErrorCode::kInvalidWriteInput, "no tuples to write or delete");
    return invalid_argument("no tuples to write or delete");
  }
  if (total > options_.max_tuples_per_write) {
    const std::string m = "a write may change at most " + std::to_string(options_.max_tuples_per_write) +
                          " tuples, got " + std::to_string(total);
    set_detail(detail, FgaErrorCode::kExceededEntityLimit, m);
    return make_error(ErrorCode::kResourceExhausted, m);
  }
  // Syntax and duplicates first, without the lock.
  std::vector<std::string> keys;
  keys.reserve(total);
  for (const auto* list : {&writes, &deletes}) {
    for (const TupleRecord& r : *list) {
      if (Status s = check_tuple_syntax(r, options_.max_context_bytes); !s) {
        set_detail(detail, FgaErrorCode::kValidationError, s.error().message);
        return s.error();
      }
      keys.push_back(r.object + "#" + r.relation + "@" + r.user);
    }
  }
  std::sort(keys.begin(), keys.end());
  if (auto dup = std::adjacent_find(keys.begin(), keys.end()); dup != keys.end()) {
    const std::string m = "duplicate tuple in one write: " + *dup;
    set_detail(detail, FgaErrorCode::kDuplicateTupleInWrite, m);
    return invalid_argument(m);
  }

  WriteView view(*this);
  Data& d = view.data();
  if (at_revision != 0 && at_revision <= revision_.load(std::memory_order_relaxed)) {
    const std::string m = "revision " + std::to_string(at_revision) + " is not after the current one";
    set_detail(detail, FgaErrorCode::kInternal, m);
    return make_error(ErrorCode::kFailedPrecondition, m);
  }
  // Existence checks against the current content before any change, so failure changes nothing.
  std::vector<TupleKey> delete_keys;
  delete_keys.reserve(deletes.size());
  auto lookup_key = [&d](const TupleRecord& r, TupleKey* out) {
    const auto hash = r.user.find('#');
    out->object = d.objects.find(r.object);
    out->relation = d.relations.find(r.relation);
    out->user_object = d.objects.find(std::string_view(r.user).substr(0, hash));
    out->user_relation =
        hash == std::string::npos ? kNoRelation : d.relations.find(std::string_view(r.user).substr(hash + 1));
    return out->object != kNoId && out->relation != kNoId && out->user_object != kNoId &&
           out->user_relation != kNoId && d.tuple_index.find(*out) != nullptr;
  };
  for (const TupleRecord& r : deletes) {
    TupleKey k;
    if (!lookup_key(r, &k)) {
      const std::string m = "cannot delete a tuple which does not exist: " + to_string(r);
      set_detail(detail, FgaErrorCode::kInvalidWriteInput, m);
      return invalid_argument(m);
    }
    delete_keys.push_back(k);
  }
  for (const TupleRecord& r : writes) {
    TupleKey k;
    if (lookup_key(r, &k)) {
      const std::string m = "cannot write a tuple which already exists: " + to_string(r);
      set_detail(detail, FgaErrorCode::kInvalidWriteInput, m);
      return invalid_argument(m);
    }
  }
  for (const TupleKey& k : delete_keys) {
    apply_delete(d, k);
  }
  for (const TupleRecord& r : writes) {
    // Cannot fail: existence and duplicates were ruled out above.
    apply_write(d, r).ignore_error();
  }
  const std::uint64_t rev = at_revision != 0 ? at_revision : revision_.load(std::memory_order_relaxed) + 1;
  const auto now = std::chrono::system_clock::now();
  for (const TupleRecord& r : deletes) {
    changes_.push_back(TupleChange{TupleChange::Op::kDelete, r, rev, now});
  }
  for (const TupleRecord& r : writes) {
    changes_.push_back(TupleChange{TupleChange::Op::kWrite, r, rev, now});
  }
  if (changes_.size() > options_.max_changes_kept) {
    const std::size_t drop = changes_.size() - options_.max_changes_kept;
    changes_.erase(changes_.begin(), changes_.begin() + static_cast<std::ptrdiff_t>(drop));
    changes_dropped_ += drop;
  }
  revision_.store(rev, std::memory_order_release);
  return rev;
}

Status TupleStore::load(const std::vector<TupleRecord>& records, std::uint64_t revision) {
  for (const TupleRecord& r : records) {
    MCPGATE_TRY(check_tuple_syntax(r, options_.max_context_bytes));
  }
  Data fresh;
  fresh.relations.intern("");
  fresh.conditions.intern("");
  fresh.tuple_index.reserve(records.size());
  fresh.tuples.reserve(records.size());
  for (const TupleRecord& r : records) {
    if (Status s = apply_write(fresh, r); !s) {
      return s.error();
    }
  }
  WriteView view(*this);
  // Keep the ids of the previous content's types and relations: a compiled model holds them.
  // Re-interning every old name first makes the new ids a superset of the old ones.
  Data& d = view.data();
  Data merged;
  for (std::size_t i = 0; i < d.relations.size(); ++i) {
    merged.relations.intern(d.relations.name(static_cast<std::uint32_t>(i)));
  }
  for (std::size_t i = 0; i < d.conditions.size(); ++i) {
    merged.conditions.intern(d.conditions.name(static_cast<std::uint32_t>(i)));
  }
  for (std::size_t i = 0; i < d.types.size(); ++i) {
    merged.intern_type(d.types.name(static_cast<std::uint32_t>(i)));
  }
  merged.tuple_index.reserve(records.size());
  merged.tuples.reserve(records.size());
  for (const TupleRecord& r : records) {
    apply_write(merged, r).ignore_error();  // validated on `fresh` above
  }
  merged.generation = d.generation + 1;
  d = std::move(merged);
  changes_.clear();
  revision_.store(revision, std::memory_order_release);
  return {};
}

std::vector<TupleRecord> TupleStore::read(const ReadFilter& filter, std::size_t limit) const {
  std::vector<TupleRecord> out;
  ReadView view(*this);
  const Data& d = view.data();
  auto full = [&](std::size_t n) { return limit != 0 && n >= limit; };
  const bool type_only = !filter.object.empty() && filter.object.back() == ':';
  std::uint32_t rel = kNoId;
  if (!filter.relation.empty()) {
    rel = d.relations.find(filter.relation);
    if (rel == kNoId) {
      return out;
    }
  }
  auto user_matches = [&](const StoredTuple& t) {
    return filter.user.empty() || d.user_string(t.key.user_object, t.key.user_relation) == filter.user;
  };
  auto emit_bucket = [&](std::uint32_t obj, std::uint32_t r) {
    const Bucket* b = d.bucket(obj, r);
    if (b == nullptr) {
      return;
    }
    for (const auto* list : {&b->plain, &b->usersets}) {
      for (const IndexEntry& e : *list) {
        if (full(out.size())) {
          return;
        }
        const StoredTuple* t = d.find(TupleKey{obj, r, e.user_object, e.user_relation});
        if (t != nullptr && user_matches(*t)) {
          out.push_back(d.record(*t));
        }
      }
    }
  };
  if (!filter.object.empty() && !type_only) {
    const std::uint32_t obj = d.objects.find(filter.object);
    if (obj == kNoId) {
      return out;
    }
    if (rel != kNoId) {
      emit_bucket(obj, rel);
    } else {
      for (std::uint32_t r = 1; r < d.relations.size() && !full(out.size()); ++r) {
        emit_bucket(obj, r);
      }
    }
    return out;
  }
  std::uint32_t type = kNoId;
  if (type_only) {
    type = d.types.find(std::string_view(filter.object).substr(0, filter.object.size() - 1));
    if (type == kNoId) {
      return out;
    }
  }
  d.tuple_index.for_each([&](const TupleKey& k, const TupleRef& ref) {
    const std::uint32_t index = ref.index;
    if (full(out.size())) {
      return;
    }
    if (type != kNoId && d.object_type[k.object] != type) {
      return;
    }
    if (rel != kNoId && k.relation != rel) {
      return;
    }
    const StoredTuple& t = d.tuples[index];
    if (user_matches(t)) {
      out.push_back(d.record(t));
    }
  });
  return out;
}

std::vector<TupleChange> TupleStore::changes_since(std::uint64_t revision, std::size_t limit,
                                                   std::string_view type) const {
  std::vector<TupleChange> out;
  ReadView view(*this);
  auto it = std::upper_bound(changes_.begin(), changes_.end(), revision,
                             [](std::uint64_t rev, const TupleChange& c) { return rev < c.revision; });
  for (; it != changes_.end(); ++it) {
    if (limit != 0 && out.size() >= limit) {
      break;
    }
    if (!type.empty()) {
      const auto colon = it->tuple.object.find(':');
      if (std::string_view(it->tuple.object).substr(0, colon) != type) {
        continue;
      }
    }
    out.push_back(*it);
  }
  return out;
}

}  // namespace mcpgate::authz
