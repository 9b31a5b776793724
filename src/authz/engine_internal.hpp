#pragma once
// Engine internals shared by engine.cpp (Check, Write) and engine_list.cpp (ListObjects,
// ListUsers, Expand): the compiled model and the graph evaluator.

#include <array>
#include <memory>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "authz/engine.hpp"
#include "authz/flat_map.hpp"
#include "authz/model.hpp"
#include "authz/tuple_store.hpp"
#include "cel/cel.hpp"

namespace mcpgate::authz {

inline FgaError fga(FgaErrorCode code, std::string message) { return FgaError{code, std::move(message)}; }

// A rewrite with names replaced by interned relation ids.
struct CNode {
  Rewrite::Kind kind = Rewrite::Kind::kThis;
  std::uint32_t relation = kNoRelation;  // kComputed, kTupleToUserset
  std::uint32_t tupleset = kNoRelation;  // kTupleToUserset
  std::vector<CNode> children;
};

// The direct restrictions for one user type: may a plain user / the wildcard of the type be
// written here, and with which conditions (kNoCondition = unconditioned).
struct TypeRule {
  std::uint32_t type = kNoId;
  bool plain = false;
  bool wildcard = false;
  std::vector<std::uint32_t> plain_conditions;
  std::vector<std::uint32_t> wildcard_conditions;
};

struct CRelation;

struct UsersetRule {
  std::uint32_t type = kNoId;
  std::uint32_t relation = kNoRelation;
  std::vector<std::uint32_t> conditions;
  // type#relation in the same compiled model (set once the model is built), or null when the
  // model does not define it: saves a lookup per userset subject on the check path.
  const CRelation* target = nullptr;
};

struct CRelation {
  std::uint32_t id = kNoRelation;
  std::string name;
  CNode rewrite;
  std::vector<TypeRule> direct;
  std::vector<UsersetRule> usersets;
  // `define member: [user, ...]` with no usersets and no other rewrite: answering it for a
  // plain user is one or two hash probes, so usersets pointing here are answered inline.
  bool direct_only = false;
  // Relations of the same object a check of this relation reads first (its direct part,
  // computed relations a level or two down, tuplesets): their index slots are prefetched.
  std::vector<std::uint32_t> prefetch_relations;
  // Of those, the ones read by a direct probe (object#r@user): for a user with a long tuple
  // list the probe hashes into the tuple index, whose slot can be prefetched too.
  std::vector<std::uint32_t> prefetch_direct;
  // Tuple-to-usersets reached within the same levels (tupleset, computed relation): when the
  // tupleset holds a single parent, the parent's index slots are prefetched as well.
  std::vector<std::pair<std::uint32_t, std::uint32_t>> prefetch_ttu;

  const TypeRule* rule_for(std::uint32_t type) const {
    for (const TypeRule& r : direct) {
      if (r.type == type) {
        return &r;
      }
    }
    return nullptr;
  }
  const UsersetRule* userset_rule(std::uint32_t type, std::uint32_t relation) const {
    for (const UsersetRule& r : usersets) {
      if (r.type == type && r.relation == relation) {
        return &r;
      }
    }
    return nullptr;
  }
};

struct CType {
  std::uint32_t id = kNoId;
  std::string name;
  std::vector<std::int32_t> relation_index;  // relation id -> index into relations, or -1
  std::vector<CRelation> relations;
};

struct CCondition {
  std::uint32_t id = kNoCondition;
  std::string name;
  std::optional<cel::Program> program;
  std::vector<std::pair<std::string, cel::Type>> parameters;
};

struct CompiledModel {
  std::string id;
  std::uint64_t version = 0;
  AuthorizationModel source;
  std::vector<std::int32_t> type_index;  // type id -> index into types, or -1
  std::vector<CType> types;
  std::vector<std::int32_t> condition_index;  // condition id -> index, or -1
  std::vector<CCondition> conditions;

  const CType* type(std::uint32_t type_id) const {
    if (type_id >= type_index.size() || type_index[type_id] < 0) {
      return nullptr;
    }
    return &types[static_cast<std::size_t>(type_index[type_id])];
  }
  const CRelation* relation(std::uint32_t type_id, std::uint32_t relation_id) const {
    const CType* t = type(type_id);
    if (t == nullptr || relation_id >= t->relation_index.size() || t->relation_index[relation_id] < 0) {
      return nullptr;
    }
    return &t->relations[static_cast<std::size_t>(t->relation_index[relation_id])];
  }
  const CCondition* condition(std::uint32_t condition_id) const {
    if (condition_id >= condition_index.size() || condition_index[condition_id] < 0) {
      return nullptr;
    }
    return &conditions[static_cast<std::size_t>(condition_index[condition_id])];
  }
};

// A user with at most this many tuples has them scanned (one list fetched per check) instead
// of probed in the tuple index.
inline constexpr std::size_t kUserScanLimit = 32;

// Objects a request mentions that the store has never seen (contextual tuples, or a check on
// an unknown object) get request-local ids above this bit, so the evaluator has one id space.
inline constexpr std::uint32_t kLocalBit = 0x80000000U;

struct OverlayTuple {
  TupleKey key;
  std::uint32_t condition = kNoCondition;
  const nlohmann::json* context = nullptr;
};

// A request's view: the store's data plus its contextual tuples and local ids.
class RequestView {
 public:
  RequestView(const TupleStore::Data& d, const CompiledModel& m) : d_(d), m_(m) {}

  const TupleStore::Data& data() const { return d_; }
  const CompiledModel& model() const { return m_; }

  // Id of an object string ("type:id" or "type:*"); interns it locally when the store lacks it.
  // `type` must already be known (a model type).
  std::uint32_t object_id(std::string_view object, std::uint32_t type);
  std::uint32_t find_object(std::string_view object) const;
  std::uint32_t object_type(std::uint32_t obj) const {
    return (obj & kLocalBit) != 0 ? local_types_[obj & ~kLocalBit] : d_.object_type[obj];
  }
  bool is_wildcard(std::uint32_t obj) const {
    return (obj & kLocalBit) != 0 ? local_wildcard_[obj & ~kLocalBit] != 0 : d_.object_wildcard[obj] != 0;
  }
  std::uint32_t wildcard_of(std::uint32_t type) const;
  std::string_view object_name(std::uint32_t obj) const {
    return (obj & kLocalBit) != 0 ? std::string_view(local_names_[obj & ~kLocalBit]) : d_.objects.name(obj);
  }
  std::string user_name(std::uint32_t obj, std::uint32_t rel) const;

  void add_overlay(const OverlayTuple& t) { overlay_.push_back(t); }
  const std::vector<OverlayTuple>& overlay() const { return overlay_; }
  bool has_overlay() const { return !overlay_.empty(); }
  bool has_local() const { return !local_names_.empty(); }
  const std::vector<std::string>& local_names() const { return local_names_; }

 private:
  const TupleStore::Data& d_;
  const CompiledModel& m_;
  std::vector<OverlayTuple> overlay_;
  std::vector<std::string> local_names_;
  std::vector<std::uint32_t> local_types_;
  std::vector<std::uint8_t> local_wildcard_;
};

// The subject of a query: a plain user, a wildcard, or a userset.
struct UserRef {
  std::uint32_t object = kNoId;
  std::uint32_t relation = kNoRelation;
  std::uint32_t type = kNoId;
  bool wildcard = false;
};

enum class Tri : std::uint8_t { kFalse, kTrue, kCycle, kError };

struct EvalMemo {
  Tri result = Tri::kFalse;
  std::uint32_t height = 0;  // how many levels the answer needed below its node
};

// Per-thread working memory of an Evaluator, reused from check to check so the common path
// does not allocate.
struct EvalScratch {
  std::vector<std::uint64_t> path;
  FlatMap<std::uint64_t, EvalMemo, U64Hash> memo;
  bool in_use = false;
};

// Evaluates relations for one user. Recursion depth is bounded by options.max_depth (each
// dispatch - computed userset, tuple-to-userset, userset expansion - is one level), and the
// total work by options.max_dispatches, so neither input depth nor fan-out can exhaust the
// stack or the CPU. Definite answers of sub-problems are memoised per user.
class Evaluator {
 public:
  Evaluator(RequestView& view, const EngineOptions& options, const nlohmann::json* context, bool explain);
  ~Evaluator();
  Evaluator(const Evaluator&) = delete;
  Evaluator& operator=(const Evaluator&) = delete;

  void set_user(const UserRef& user);
  // The user's reverse list, when the caller already looked it up (after set_user).
  void preload_user_tuples(const SubjectHead* tuples) {
    user_tuples_ = tuples;
    user_tuples_loaded_ = true;
  }
  Tri resolve(std::uint32_t obj, std::uint32_t type, std::uint32_t relation, std::uint32_t depth);

  const FgaError& error() const { return error_; }
  bool used_condition() const { return used_condition_; }
  bool saw_cycle() const { return cycles_ != 0; }
  std::string explain_path() const;

 private:
  Tri eval_node(const CNode& node, std::uint32_t obj, std::uint32_t type, const CRelation& rel,
                std::uint32_t depth);
  Tri eval_node_impl(const CNode& node, std::uint32_t obj, std::uint32_t type, const CRelation& rel,
                     std::uint32_t depth);
  Tri eval_this(std::uint32_t obj, const CRelation& rel, std::uint32_t depth);
  Tri eval_ttu(const CNode& node, std::uint32_t obj, std::uint32_t type, std::uint32_t depth);
  // Looks up one exact tuple (store, then contextual tuples); nullptr when absent.
  bool probe(const TupleKey& key, std::uint32_t* condition, const nlohmann::json** context);
  // The user's reverse list (fetched on first use; null when the user has no tuples).
  const SubjectHead* user_tuples();
  static bool user_has_tuple_on(const SubjectHead* mine, std::uint32_t obj, std::uint32_t relation);
  Tri eval_condition(std::uint32_t condition, const nlohmann::json* tuple_context, const TupleKey& key);
  Tri fail(FgaErrorCode code, std::string message);
  void record_hit(const TupleKey& key, std::uint32_t condition);

  std::unique_ptr<EvalScratch> owned_;  // only when this thread's scratch is already in use
  EvalScratch* scratch_;
  std::vector<std::uint64_t>& path_;  // object<<32|relation of the frames being resolved
  FlatMap<std::uint64_t, EvalMemo, U64Hash>& memo_;
  RequestView& view_;
  const TupleStore::Data& d_;
  const CompiledModel& m_;
  const EngineOptions& options_;
  const nlohmann::json* context_;
  bool explain_;
  UserRef user_;
  std::uint32_t reached_ = 0;  // deepest depth reached in the current subtree
  std::uint64_t cycles_ = 0;
  std::uint64_t dispatches_ = 0;
  FgaError error_;
  bool used_condition_ = false;
  const SubjectHead* user_tuples_ = nullptr;  // the user's own tuples, fetched once
  bool user_tuples_loaded_ = false;
  std::vector<std::uint64_t> hit_path_;
  TupleKey hit_key_;
  std::uint32_t hit_condition_ = kNoCondition;
  bool hit_ = false;
};

// Request validation shared by the queries.
Result<UserRef> resolve_user(RequestView& view, std::string_view user, FgaError* error);
bool add_contextual_tuples(RequestView& view, const std::vector<TupleRecord>& tuples,
                           const EngineOptions& options, FgaError* error);
bool check_context(const nlohmann::json& context, const EngineOptions& options, FgaError* error);
// Validates a tuple against the model's type restrictions (2027 on failure).
bool validate_tuple_against_model(const CompiledModel& m, const TupleStore::Data& d, const TupleRecord& t,
                                  FgaError* error);

}  // namespace mcpgate::authz
