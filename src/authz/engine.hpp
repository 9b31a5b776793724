#pragma once
// authz::Engine: OpenFGA-compatible queries (Check, BatchCheck, ListObjects, ListUsers, Expand,
// Read, Write, ReadChanges) over the in-memory TupleStore and one compiled authorization model.
//
// Semantics follow OpenFGA (../shared/docs/FGA.md §2.2-2.5):
//  * the current model's type restrictions filter stored tuples: a tuple the model no longer
//    allows is ignored, never an error;
//  * contextual tuples are validated strictly (2027) and are visible only to their request;
//  * conditions see the request context merged with the tuple's context, the tuple winning;
//    a missing parameter or a badly typed value is an error (2000), not false;
//  * resolution deeper than max_depth (25) is an error (2002); a cycle is a third outcome that
//    never grants (also not through `but not`);
//  * union: true beats error; intersection and exclusion: false beats error;
//  * fail closed: every error is allowed = false, with the reason in `error`.
//
// Thread safety: every method may be called from any thread. Queries run in the caller's
// thread without I/O; a check takes the store's shared lock for its evaluation (microseconds).
// set_model() and writes are serialised by the store's exclusive lock.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "authz/model.hpp"
#include "authz/tuple.hpp"
#include "authz/tuple_store.hpp"
#include "core/result.hpp"

namespace mcpgate::authz {

struct EngineOptions {
  TupleStoreOptions store;
  std::uint32_t max_depth = 25;                  // OpenFGA's resolveNodeLimit
  std::uint64_t max_dispatches = 200'000;        // work bound per query, whatever the depth
  std::size_t max_contextual_tuples = 100;
  std::size_t max_context_bytes = 32 * 1024;     // request context (serialised JSON)
  std::size_t max_batch_checks = 50;             // OpenFGA's maxChecksPerBatchCheck
  std::size_t list_objects_max_results = 1000;   // 0: unlimited
  std::size_t list_users_max_results = 1000;     // 0: unlimited
  std::size_t decision_cache_slots = 1 << 16;    // 0: no decision cache (rounded to a power of 2)
};

struct CheckRequest {
  std::string object;    // "type:id"
  std::string relation;
  std::string user;      // "type:id", "type:*" or "type:id#relation"
  std::vector<TupleRecord> contextual_tuples;
  nlohmann::json context;  // null or an object: condition parameters
  bool explain = false;    // fill CheckResult::reason (costs a few allocations)
  bool bypass_cache = false;
};

struct CheckResult {
  bool allowed = false;     // false whenever error is set (fail closed)
  FgaError error;
  bool cycle = false;       // the decision met a cycle (never grants)
  bool conditional = false; // a condition took part in the decision
  bool cached = false;      // served from the decision cache
  // check(PreparedCheck) could not use the prepared ids (never resolved, the model changed, a
  // load reassigned them, or another engine prepared it) and resolved the strings as
  // check(request) does: the answer is as right, but prepare() again to get the fast path back.
  bool unprepared = false;
  std::uint64_t revision = 0;       // tuple revision the decision was made at
  std::uint64_t model_version = 0;  // Engine::model_version() at decision time
  std::string reason;       // explain: the relation path that decided, or why not
};

struct ListObjectsRequest {
  std::string type;
  std::string relation;
  std::string user;
  std::vector<TupleRecord> contextual_tuples;
  nlohmann::json context;
};

struct ListObjectsResult {
  std::vector<std::string> objects;  // "type:id", sorted
  FgaError error;
  std::uint64_t revision = 0;
};

struct ListUsersRequest {
  std::string object;
  std::string relation;
  std::vector<std::string> filters;  // "type" or "type#relation"
  std::vector<TupleRecord> contextual_tuples;
  nlohmann::json context;
};

struct ListUsersResult {
  std::vector<std::string> users;  // "type:id", "type:*" or "type:id#relation", sorted
  FgaError error;
  std::uint64_t revision = 0;
};

struct ExpandRequest {
  std::string object;
  std::string relation;
  std::vector<TupleRecord> contextual_tuples;
};

struct ExpandResult {
  nlohmann::json tree;  // OpenFGA's {"tree":{"root":{...}}}
  FgaError error;
};

struct WriteRequest {
  std::vector<TupleRecord> writes;
  std::vector<TupleRecord> deletes;
};

struct WriteResult {
  std::uint64_t revision = 0;  // the new revision on success
  FgaError error;
};

struct CompiledModel;  // engine.cpp
class RequestView;     // engine_internal.hpp
struct UserRef;        // engine_internal.hpp
class Engine;

// A check whose object, relation and user were resolved to the store's ids once
// (Engine::prepare), for callers that check the same pair repeatedly (a session's user or
// client against a tool). Checking it skips parsing both strings and looking them up in the
// object table, which at a million objects is two or three cache misses each: about a third
// of an uncached check. The decision itself is evaluated as for check(request()).
//
// The ids stay valid while the engine keeps the same model and has not been reloaded; when
// either changed, or the object or user was not in the store when prepared (it may be
// written later), check() resolves the strings again, so a stale PreparedCheck is slower,
// never wrong (CheckResult::unprepared says so: prepare again). Only the per-call parts can
// change after preparing (context, explain, bypass_cache); a different object, relation, user
// or contextual tuples need a new prepare. check(prepared, context) leaves the PreparedCheck
// untouched, so one shared PreparedCheck serves concurrent calls with their own contexts.
class PreparedCheck {
 public:
  PreparedCheck() = default;

  const CheckRequest& request() const { return request_; }
  // A context set here is validated by every check; one given to prepare() is validated there
  // once (same rules, same error) and not walked again.
  void set_context(nlohmann::json context) {
    request_.context = std::move(context);
    context_valid_ = false;
  }
  void set_explain(bool explain) { request_.explain = explain; }
  void set_bypass_cache(bool bypass) { request_.bypass_cache = bypass; }
  // Whether check() can use the ids (false: it takes the string path every time).
  bool resolved() const { return resolved_; }

 private:
  friend class Engine;
  CheckRequest request_;
  const Engine* engine_ = nullptr;  // ids are only meaningful to the engine that made them
  std::uint64_t generation_ = 0;
  std::uint64_t model_version_ = 0;
  bool resolved_ = false;
  bool context_valid_ = false;  // request_.context passed check_context at prepare()
  bool user_wildcard_ = false;
  std::uint32_t object_ = 0;
  std::uint32_t type_ = 0;
  std::uint32_t relation_ = 0;
  std::uint32_t user_object_ = 0;
  std::uint32_t user_type_ = 0;
  std::uint32_t user_relation_ = 0;
};

class Engine {
 public:
  // An engine without a model answers every query with 2001 until set_model() succeeds.
  explicit Engine(EngineOptions options = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // A ready engine for a validated model (conditions are compiled here).
  static Result<std::unique_ptr<Engine>> create(const AuthorizationModel& model,
                                                EngineOptions options = {});

  // Switches the model atomically (in-flight queries finish on the old one). Fails without
  // change if the model does not validate or a condition does not compile.
  Status set_model(const AuthorizationModel& model);
  std::string model_id() const;
  std::uint64_t model_version() const { return model_version_.load(std::memory_order_acquire); }

  CheckResult check(const CheckRequest& request) const;
  // Resolves the request's strings once (see PreparedCheck); never fails: a request that does
  // not validate now is prepared unresolved and check() reports its error as check(request).
  PreparedCheck prepare(CheckRequest request) const;
  CheckResult check(const PreparedCheck& prepared) const;
  // The prepared check with `context` in place of its own (validated on every call). Nothing
  // in `prepared` is modified, so one PreparedCheck can serve concurrent callers, each with
  // its own call's context.
  CheckResult check(const PreparedCheck& prepared, const nlohmann::json& context) const;
  // At most max_batch_checks requests (more: every result is error 2000).
  std::vector<CheckResult> batch_check(const std::vector<CheckRequest>& requests) const;
  ListObjectsResult list_objects(const ListObjectsRequest& request) const;
  ListUsersResult list_users(const ListUsersRequest& request) const;
  ExpandResult expand(const ExpandRequest& request) const;

  // Validates every tuple against the current model (2027), then applies atomically.
  // `at_revision` non-zero: the revision persistent storage gave this change (above the current).
  WriteResult write(const WriteRequest& request, std::uint64_t at_revision = 0);
  // The model and syntax checks of write(), without applying anything (run before persisting).
  FgaError validate_write(const WriteRequest& request) const;
  // Applies a change another process already validated and persistent storage numbered
  // `revision` (a replica following the change log): no model check, since tuples the current
  // model does not allow are ignored by queries anyway. Fails (nothing applied) when the change
  // does not fit this engine's content, e.g. a missed revision: reload then.
  Status replicate(const WriteRequest& request, std::uint64_t revision);
  std::vector<TupleRecord> read(const ReadFilter& filter, std::size_t limit = 0) const;
  std::vector<TupleChange> read_changes(std::uint64_t after_revision, std::size_t limit = 0,
                                        std::string_view type = {}) const;
  // Replaces all tuples (start-up from persistent storage); no model validation.
  Status load(const std::vector<TupleRecord>& records, std::uint64_t revision);

  // The newest tuple revision. Cheap (one atomic load); poll it to invalidate caches.
  std::uint64_t revision() const { return store_.revision(); }
  // Called after every successful write, load or set_model, outside any lock, with the new
  // revision. Keep it short; it runs on the writer's thread.
  using ChangeListener = std::function<void(std::uint64_t revision)>;
  void on_change(ChangeListener listener);

  const EngineOptions& options() const { return options_; }
  TupleStore& store() { return store_; }

 private:
  struct CacheSlot;
  class DecisionCache;

  // `context` stands for request.context (a prepared check may be given another one).
  CheckResult check_locked(const TupleStore::Data& d, const CompiledModel& m, std::uint64_t revision,
                           const CheckRequest& request, const nlohmann::json& context) const;
  CheckResult check_prepared(const PreparedCheck& prepared, const nlohmann::json& context,
                             bool context_valid) const;
  // The part of a check after the request's strings became ids.
  CheckResult check_resolved(const TupleStore::Data& d, const CompiledModel& m, const CheckRequest& request,
                             const nlohmann::json& context, RequestView& rv, std::uint32_t object,
                             std::uint32_t type, std::uint32_t relation, const UserRef& user,
                             CheckResult result) const;
  void notify(std::uint64_t revision);

  EngineOptions options_;
  TupleStore store_;
  std::shared_ptr<const CompiledModel> model_;  // guarded by the store's lock
  std::atomic<std::uint64_t> model_version_{0};
  std::unique_ptr<DecisionCache> cache_;
  std::mutex listeners_mu_;
  std::vector<ChangeListener> listeners_;
};

}  // namespace mcpgate::authz
