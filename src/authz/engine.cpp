#include "authz/engine.hpp"

#include <algorithm>
#include <atomic>

#include "authz/engine_internal.hpp"

namespace mcpgate::authz {

namespace {

bool set_error(FgaError* out, FgaErrorCode code, std::string message) {
  if (out != nullptr) {
    *out = fga(code, std::move(message));
  }
  return false;
}

CNode compile_rewrite(const Rewrite& rw, TupleStore::Data& d) {
  CNode n;
  n.kind = rw.kind;
  if (!rw.relation.empty()) {
    n.relation = d.relations.intern(rw.relation);
  }
  if (!rw.tupleset.empty()) {
    n.tupleset = d.relations.intern(rw.tupleset);
  }
  n.children.reserve(rw.children.size());
  for (const Rewrite& c : rw.children) {
    n.children.push_back(compile_rewrite(c, d));
  }
  return n;
}

void add_unique(std::vector<std::uint32_t>& v, std::uint32_t x) {
  if (std::find(v.begin(), v.end(), x) == v.end()) {
    v.push_back(x);
  }
}

struct PrefetchPlan {
  std::vector<std::uint32_t> buckets;
  std::vector<std::uint32_t> direct;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> ttu;
};

void collect_prefetch(const CompiledModel& m, std::uint32_t type, const CNode& node, const CRelation& rel,
                      int levels, PrefetchPlan& out) {
  constexpr std::size_t kMaxPrefetch = 8;
  if (out.buckets.size() >= kMaxPrefetch) {
    return;
  }
  switch (node.kind) {
    case Rewrite::Kind::kThis:
      add_unique(out.buckets, rel.id);
      if (!rel.direct.empty()) {
        add_unique(out.direct, rel.id);
      }
      return;
    case Rewrite::Kind::kTupleToUserset:
      add_unique(out.buckets, node.tupleset);
      if (std::find(out.ttu.begin(), out.ttu.end(), std::pair(node.tupleset, node.relation)) == out.ttu.end()) {
        out.ttu.emplace_back(node.tupleset, node.relation);
      }
      return;
    case Rewrite::Kind::kComputed:
      if (levels > 0) {
        if (const CRelation* target = m.relation(type, node.relation); target != nullptr) {
          collect_prefetch(m, type, target->rewrite, *target, levels - 1, out);
        }
      }
      return;
    default:
      for (const CNode& c : node.children) {
        collect_prefetch(m, type, c, rel, levels, out);
      }
      return;
  }
}

bool condition_in(const std::vector<std::uint32_t>& allowed, std::uint32_t c) {
  return std::find(allowed.begin(), allowed.end(), c) != allowed.end();
}

// A check with no model loaded: an error, which denies.
CheckResult no_model_check_result() {
  CheckResult r;
  r.error = fga(FgaErrorCode::kModelNotFound, "no authorization model is loaded");
  r.reason = r.error.message;
  return r;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Decision cache: direct-mapped slots keyed by (model version, revision, object, relation,
// user). A slot is only a hit when every key field matches, so an entry from an older revision
// is simply a miss: a write invalidates everything without touching the cache.

struct Engine::CacheSlot {
  std::atomic_flag busy = ATOMIC_FLAG_INIT;
  bool valid = false;
  bool allowed = false;
  bool cycle = false;  // the decision met a cycle: a hit reports it as the evaluation did
  std::uint64_t model_version = 0;
  std::uint64_t revision = 0;
  TupleKey key;
};

class Engine::DecisionCache {
 public:
  explicit DecisionCache(std::size_t slots) {
    std::size_t n = 1;
    while (n < slots) {
      n <<= 1;
    }
    mask_ = n - 1;
    slots_ = std::make_unique<CacheSlot[]>(n);
  }

  // Fills `out`'s allowed and cycle flags on a hit (true); false for a miss.
  bool lookup(std::uint64_t model_version, std::uint64_t revision, const TupleKey& key, CheckResult& out) const {
    CacheSlot& s = slot(model_version, revision, key);
    if (s.busy.test_and_set(std::memory_order_acquire)) {
      return false;  // contended: computing is cheaper than waiting
    }
    const bool hit = s.valid && s.model_version == model_version && s.revision == revision && s.key == key;
    if (hit) {
      out.allowed = s.allowed;
      out.cycle = s.cycle;
    }
    s.busy.clear(std::memory_order_release);
    return hit;
  }

  void store(std::uint64_t model_version, std::uint64_t revision, const TupleKey& key, const CheckResult& decided) const {
    CacheSlot& s = slot(model_version, revision, key);
    if (s.busy.test_and_set(std::memory_order_acquire)) {
      return;
    }
    s.valid = true;
    s.allowed = decided.allowed;
    s.cycle = decided.cycle;
    s.model_version = model_version;
    s.revision = revision;
    s.key = key;
    s.busy.clear(std::memory_order_release);
  }

 private:
  CacheSlot& slot(std::uint64_t model_version, std::uint64_t revision, const TupleKey& key) const {
    const std::uint64_t h = TupleKeyHash{}(key) ^ mix64(model_version * 0x9e3779b97f4a7c15ULL + revision);
    return slots_[h & mask_];
  }

  std::unique_ptr<CacheSlot[]> slots_;
  std::size_t mask_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Request validation.

namespace {

// An estimate of the serialised size (keys counted as if fully escaped), stopping as soon as it
// passes `limit`: dump() would allocate and format the whole context on every check.
std::size_t json_size_bounded(const nlohmann::json& j, std::size_t limit, std::size_t acc) {
  if (acc > limit) {
    return acc;
  }
  switch (j.type()) {
    case nlohmann::json::value_t::object:
      acc += 2;
      for (auto it = j.begin(); it != j.end() && acc <= limit; ++it) {
        acc += it.key().size() * 6 + 4;  // worst case: every character \u-escaped
        acc = json_size_bounded(it.value(), limit, acc);
      }
      return acc;
    case nlohmann::json::value_t::array:
      acc += 2;
      for (auto it = j.begin(); it != j.end() && acc <= limit; ++it) {
        acc = json_size_bounded(*it, limit, acc + 1);
      }
      return acc;
    case nlohmann::json::value_t::string:
      return acc + j.get_ref<const std::string&>().size() + 2;
    default:
      return acc + 24;  // numbers, booleans, null
  }
}

}  // namespace

bool check_context(const nlohmann::json& context, const EngineOptions& options, FgaError* error) {
  if (context.is_null()) {
    return true;
  }
  if (!context.is_object()) {
    return set_error(error, FgaErrorCode::kValidationError, "context must be a JSON object");
  }
  if (!context.empty() && json_size_bounded(context, options.max_context_bytes, 0) > options.max_context_bytes) {
    return set_error(error, FgaErrorCode::kValidationError,
                     "context exceeds " + std::to_string(options.max_context_bytes) + " bytes");
  }
  return true;
}

bool validate_tuple_against_model(const CompiledModel& m, const TupleStore::Data& d, const TupleRecord& t,
                                  FgaError* error) {
  auto invalid = [&](const std::string& why) {
    return set_error(error, FgaErrorCode::kInvalidTuple, "invalid tuple '" + to_string(t) + "': " + why);
  };
  if (Status s = check_tuple_syntax(t, std::numeric_limits<std::size_t>::max()); !s) {
    return invalid(s.error().message);
  }
  const ParsedObject obj = parse_object(t.object).value();
  const ParsedUser user = parse_user(t.user).value();
  const std::uint32_t type = d.types.find(obj.type);
  if (m.type(type) == nullptr) {
    return invalid("type '" + std::string(obj.type) + "' not found");
  }
  const std::uint32_t rel_id = d.relations.find(t.relation);
  const CRelation* rel = rel_id == kNoId ? nullptr : m.relation(type, rel_id);
  if (rel == nullptr) {
    return invalid("relation '" + std::string(obj.type) + "#" + t.relation + "' not found");
  }
  const std::uint32_t utype = d.types.find(user.type);
  if (m.type(utype) == nullptr) {
    return invalid("type '" + std::string(user.type) + "' not found");
  }
  std::uint32_t cond = kNoCondition;
  if (!t.condition_name.empty()) {
    cond = d.conditions.find(t.condition_name);
    if (m.condition(cond) == nullptr) {
      return invalid("condition '" + t.condition_name + "' not found");
    }
  }
  bool ok = false;
  if (!user.relation.empty()) {
    const std::uint32_t urel = d.relations.find(user.relation);
    const UsersetRule* rule = urel == kNoId ? nullptr : rel->userset_rule(utype, urel);
    ok = rule != nullptr && condition_in(rule->conditions, cond);
  } else if (user.wildcard) {
    const TypeRule* rule = rel->rule_for(utype);
    ok = rule != nullptr && rule->wildcard && condition_in(rule->wildcard_conditions, cond);
  } else {
    const TypeRule* rule = rel->rule_for(utype);
    ok = rule != nullptr && rule->plain && condition_in(rule->plain_conditions, cond);
  }
  if (!ok) {
    return invalid("type '" + std::string(user.type) + (user.relation.empty() ? "" : "#") +
                   std::string(user.relation) + (user.wildcard ? ":*" : "") +
                   (cond == kNoCondition ? "" : " with " + t.condition_name) + "' is not an allowed type restriction for '" +
                   std::string(obj.type) + "#" + t.relation + "'");
  }
  return true;
}

bool add_contextual_tuples(RequestView& view, const std::vector<TupleRecord>& tuples, const EngineOptions& options,
                           FgaError* error) {
  if (tuples.size() > options.max_contextual_tuples) {
    return set_error(error, FgaErrorCode::kValidationError,
                     "at most " + std::to_string(options.max_contextual_tuples) + " contextual tuples are allowed");
  }
  const TupleStore::Data& d = view.data();
  for (const TupleRecord& t : tuples) {
    if (!validate_tuple_against_model(view.model(), d, t, error)) {
      return false;
    }
    if (!t.condition_context.is_null() &&
        json_size_bounded(t.condition_context, options.max_context_bytes, 0) > options.max_context_bytes) {
      return set_error(error, FgaErrorCode::kInvalidTuple, "condition context of contextual tuple exceeds limit");
    }
    const ParsedObject obj = parse_object(t.object).value();
    const ParsedUser user = parse_user(t.user).value();
    OverlayTuple o;
    o.key.object = view.object_id(t.object, d.types.find(obj.type));
    o.key.relation = d.relations.find(t.relation);
    const std::string_view user_object = std::string_view(t.user).substr(0, t.user.find('#'));
    o.key.user_object = view.object_id(user_object, d.types.find(user.type));
    o.key.user_relation = user.relation.empty() ? kNoRelation : d.relations.find(user.relation);
    o.condition = t.condition_name.empty() ? kNoCondition : d.conditions.find(t.condition_name);
    o.context = t.condition_context.is_object() && !t.condition_context.empty() ? &t.condition_context : nullptr;
    view.add_overlay(o);
  }
  return true;
}

Result<UserRef> resolve_user(RequestView& view, std::string_view user, FgaError* error) {
  auto fail = [&](std::string message) -> Result<UserRef> {
    set_error(error, FgaErrorCode::kValidationError, message);
    return make_error(ErrorCode::kInvalidArgument, std::move(message));
  };
  auto parsed = parse_user(user);
  if (!parsed) {
    return fail(parsed.error().message);
  }
  const TupleStore::Data& d = view.data();
  const std::uint32_t type = d.types.find(parsed->type);
  if (view.model().type(type) == nullptr) {
    return fail("type '" + std::string(parsed->type) + "' not found");
  }
  UserRef u;
  u.type = type;
  u.wildcard = parsed->wildcard;
  if (!parsed->relation.empty()) {
    u.relation = d.relations.find(parsed->relation);
    if (u.relation == kNoId || view.model().relation(type, u.relation) == nullptr) {
      return fail("relation '" + std::string(parsed->type) + "#" + std::string(parsed->relation) + "' not found");
    }
  }
  u.object = view.object_id(user.substr(0, user.find('#')), type);
  return u;
}

namespace {

// Starts the memory accesses a check of `rel` will make, before the graph walk needs them: at a
// million tuples nearly every one is a cache miss, and misses issued together overlap instead of
// queueing. Two rounds: the slots known from the request alone, then (once the user's list and
// the tuplesets' slots have arrived) the user's tuples and a lone parent's slots. Returns the
// user's reverse list for the evaluator. Only reads; the answer never depends on it.
const SubjectHead* warm_up(const TupleStore::Data& d, const CompiledModel& m, std::uint32_t object,
                           const CRelation& rel, const UserRef& user) {
  d.reverse_index.prefetch(TupleStore::Data::pack(user.object, user.relation));
  for (std::uint32_t r : rel.prefetch_relations) {
    d.bucket_index.prefetch(TupleStore::Data::pack(object, r));
  }
  // Whether the direct probes will scan the user's list or hash into the tuple index is only
  // known once the list's slot has arrived; the index slots are fetched meanwhile regardless
  // (a wasted line or two for a user with a short list, a miss saved for one with a long list).
  for (std::uint32_t r : rel.prefetch_direct) {
    d.tuple_index.prefetch(TupleKey{object, r, user.object, user.relation});
  }
  const SubjectHead* mine = d.tuples_of_subject(user.object, user.relation);
  const bool hashed = mine != nullptr && mine->size > kUserScanLimit;
  if (mine != nullptr && !hashed) {
    const char* p = reinterpret_cast<const char*>(mine->data);
    const std::size_t bytes = mine->size * sizeof(ReverseEntry);
    for (std::size_t off = 0; off < bytes; off += 64) {
      __builtin_prefetch(p + off);
    }
  }
  // A subject with a long list (an agent client granted on many tools) is mostly answered by
  // its hashed direct probes, already in flight: waiting here for the tupleset's slot would
  // delay that answer (measured: agent checks slower, user checks faster), so only subjects
  // with short lists warm the parent's slots.
  if (hashed) {
    return mine;
  }
  for (const auto& [tupleset, computed] : rel.prefetch_ttu) {
    const BucketHead* h = d.bucket_head(object, tupleset);
    if (h == nullptr || h->plain_size != 1) {
      continue;
    }
    const IndexEntry& parent = h->only_plain;
    const CRelation* target = m.relation(parent.user_type, computed);
    if (target == nullptr) {
      continue;
    }
    for (std::uint32_t r : target->prefetch_relations) {
      d.bucket_index.prefetch(TupleStore::Data::pack(parent.user_object, r));
    }
  }
  return mine;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Engine.

Engine::Engine(EngineOptions options) : options_(options), store_(options.store) {
  if (options_.decision_cache_slots != 0) {
    cache_ = std::make_unique<DecisionCache>(options_.decision_cache_slots);
  }
}

Engine::~Engine() = default;

Result<std::unique_ptr<Engine>> Engine::create(const AuthorizationModel& model, EngineOptions options) {
  auto engine = std::make_unique<Engine>(options);
  MCPGATE_TRY(engine->set_model(model));
  return engine;
}

Status Engine::set_model(const AuthorizationModel& model) {
  MCPGATE_TRY(validate_model(model));
  // Conditions compile outside the lock: it can take a while, and a failure changes nothing.
  std::vector<CCondition> conditions;
  conditions.reserve(model.conditions.size());
  for (const Condition& c : model.conditions) {
    std::map<std::string, cel::Type, std::less<>> params;
    CCondition cc;
    cc.name = c.name;
    for (const ConditionParameter& p : c.parameters) {
      params.emplace(p.name, p.type);
      cc.parameters.emplace_back(p.name, p.type);
    }
    auto program = cel::Program::compile(c.expression, params);
    if (!program) {
      return make_error(ErrorCode::kInvalidArgument,
                        "condition '" + c.name + "': " + program.error().message);
    }
    cc.program = std::move(program).value();
    conditions.push_back(std::move(cc));
  }

  auto compiled = std::make_shared<CompiledModel>();
  compiled->id = model.id;
  compiled->source = model;
  std::uint64_t revision = 0;
  {
    TupleStore::WriteView view(store_);
    TupleStore::Data& d = view.data();
    compiled->version = model_version_.load(std::memory_order_relaxed) + 1;
    for (CCondition& c : conditions) {
      c.id = d.conditions.intern(c.name);
      if (c.id >= compiled->condition_index.size()) {
        compiled->condition_index.resize(c.id + 1, -1);
      }
      compiled->condition_index[c.id] = static_cast<std::int32_t>(compiled->conditions.size());
      compiled->conditions.push_back(std::move(c));
    }
    for (const TypeDefinition& td : model.types) {
      CType ct;
      ct.id = d.intern_type(td.name);
      ct.name = td.name;
      for (const Relation& r : td.relations) {
        CRelation cr;
        cr.id = d.relations.intern(r.name);
        cr.name = r.name;
        cr.rewrite = compile_rewrite(r.rewrite, d);
        for (const RelatedType& rt : r.directly_related) {
          const std::uint32_t type = d.intern_type(rt.type);
          const std::uint32_t cond = rt.condition.empty() ? kNoCondition : d.conditions.intern(rt.condition);
          if (!rt.relation.empty()) {
            const std::uint32_t urel = d.relations.intern(rt.relation);
            auto it = std::find_if(cr.usersets.begin(), cr.usersets.end(),
                                   [&](const UsersetRule& u) { return u.type == type && u.relation == urel; });
            if (it == cr.usersets.end()) {
              cr.usersets.push_back(UsersetRule{type, urel, {}});
              it = cr.usersets.end() - 1;
            }
            add_unique(it->conditions, cond);
            continue;
          }
          auto it = std::find_if(cr.direct.begin(), cr.direct.end(), [&](const TypeRule& t) { return t.type == type; });
          if (it == cr.direct.end()) {
            cr.direct.push_back(TypeRule{type, false, false, {}, {}});
            it = cr.direct.end() - 1;
          }
          if (rt.wildcard) {
            it->wildcard = true;
            add_unique(it->wildcard_conditions, cond);
          } else {
            it->plain = true;
            add_unique(it->plain_conditions, cond);
          }
        }
        cr.direct_only = cr.rewrite.kind == Rewrite::Kind::kThis && cr.usersets.empty();
        if (cr.id >= ct.relation_index.size()) {
          ct.relation_index.resize(cr.id + 1, -1);
        }
        ct.relation_index[cr.id] = static_cast<std::int32_t>(ct.relations.size());
        ct.relations.push_back(std::move(cr));
      }
      if (ct.id >= compiled->type_index.size()) {
        compiled->type_index.resize(ct.id + 1, -1);
      }
      compiled->type_index[ct.id] = static_cast<std::int32_t>(compiled->types.size());
      compiled->types.push_back(std::move(ct));
    }
    for (CType& ct : compiled->types) {
      for (CRelation& cr : ct.relations) {
        PrefetchPlan prefetch;
        collect_prefetch(*compiled, ct.id, cr.rewrite, cr, 2, prefetch);
        cr.prefetch_relations = std::move(prefetch.buckets);
        cr.prefetch_direct = std::move(prefetch.direct);
        cr.prefetch_ttu = std::move(prefetch.ttu);
        for (UsersetRule& u : cr.usersets) {
          u.target = compiled->relation(u.type, u.relation);
        }
      }
    }
    model_ = std::move(compiled);
    model_version_.store(model_->version, std::memory_order_release);
    revision = store_.revision();
  }
  notify(revision);
  return {};
}

std::string Engine::model_id() const {
  TupleStore::ReadView view(store_);
  return model_ ? model_->id : std::string();
}

void Engine::on_change(ChangeListener listener) {
  std::lock_guard lock(listeners_mu_);
  listeners_.push_back(std::move(listener));
}

void Engine::notify(std::uint64_t revision) {
  std::vector<ChangeListener> listeners;
  {
    std::lock_guard lock(listeners_mu_);
    listeners = listeners_;
  }
  for (const ChangeListener& l : listeners) {
    l(revision);
  }
}

CheckResult Engine::check(const CheckRequest& request) const {
  TupleStore::ReadView view(store_);
  if (!model_) {
    return no_model_check_result();
  }
  return check_locked(view.data(), *model_, view.revision(), request, request.context);
}

CheckResult Engine::check_locked(const TupleStore::Data& d, const CompiledModel& m, std::uint64_t revision,
                                 const CheckRequest& request, const nlohmann::json& context) const {
  CheckResult result;
  result.revision = revision;
  result.model_version = m.version;
  // Both interner lookups miss the cache at a million objects: start them together.
  d.objects.prefetch(request.object);
  d.objects.prefetch(std::string_view(request.user).substr(0, request.user.find('#')));
  auto fail = [&](FgaError e) {
    result.allowed = false;
    result.error = std::move(e);
    result.reason = result.error.message;
    return result;
  };
  auto obj = parse_object(request.object);
  if (!obj) {
    return fail(fga(FgaErrorCode::kValidationError, obj.error().message));
  }
  const std::uint32_t type = d.types.find(obj->type);
  if (m.type(type) == nullptr) {
    return fail(fga(FgaErrorCode::kValidationError, "type '" + std::string(obj->type) + "' not found"));
  }
  const std::uint32_t relation = d.relations.find(request.relation);
  if (relation == kNoId || m.relation(type, relation) == nullptr) {
    return fail(fga(FgaErrorCode::kValidationError,
                    "relation '" + std::string(obj->type) + "#" + request.relation + "' not found"));
  }
  FgaError error;
  if (!check_context(context, options_, &error)) {
    return fail(std::move(error));
  }
  RequestView rv(d, m);
  if (!add_contextual_tuples(rv, request.contextual_tuples, options_, &error)) {
    return fail(std::move(error));
  }
  auto user = resolve_user(rv, request.user, &error);
  if (!user) {
    return fail(std::move(error));
  }
  const std::uint32_t object = rv.object_id(request.object, type);
  return check_resolved(d, m, request, context, rv, object, type, relation, *user, std::move(result));
}

CheckResult Engine::check_resolved(const TupleStore::Data& d, const CompiledModel& m, const CheckRequest& request,
                                   const nlohmann::json& context, RequestView& rv, std::uint32_t object,
                                   std::uint32_t type, std::uint32_t relation, const UserRef& user_ref,
                                   CheckResult result) const {
  const std::uint64_t revision = result.revision;
  const UserRef* user = &user_ref;
  auto fail = [&](FgaError e) {
    result.allowed = false;
    result.error = std::move(e);
    result.reason = result.error.message;
    return result;
  };
  const bool stored = ((object | user->object) & kLocalBit) == 0;
  const TupleKey cache_key{object, relation, user->object, user->relation};
  const bool cacheable = cache_ && !request.bypass_cache && !request.explain && !rv.has_overlay() &&
                         ((object | user->object) & kLocalBit) == 0;
  // A load reassigns object ids and may repeat a revision: its generation is part of the key.
  const std::uint64_t cache_model = m.version | d.generation << 40;
  if (cacheable) {
    if (cache_->lookup(cache_model, revision, cache_key, result)) {
      result.cached = true;
      return result;
    }
  }
  const SubjectHead* user_tuples = stored ? warm_up(d, m, object, *m.relation(type, relation), *user) : nullptr;
  Evaluator ev(rv, options_, &context, request.explain);
  ev.set_user(*user);
  if (stored) {
    ev.preload_user_tuples(user_tuples);
  }
  const Tri r = ev.resolve(object, type, relation, 0);
  result.conditional = ev.used_condition();
  result.cycle = r == Tri::kCycle;
  if (r == Tri::kError) {
    return fail(ev.error());
  }
  result.allowed = r == Tri::kTrue;
  if (request.explain) {
    result.reason = result.allowed ? ev.explain_path()
                    : result.cycle ? "denied: the relation graph has a cycle on this path"
                                   : "denied: no relation path from the user to " + request.object + "#" +
                                         request.relation;
  }
  // A decision that read a condition depends on the request context: never cached.
  if (cacheable && !result.conditional) {
    cache_->store(cache_model, revision, cache_key, result);
  }
  return result;
}

PreparedCheck Engine::prepare(CheckRequest request) const {
  PreparedCheck p;
  p.request_ = std::move(request);
  p.engine_ = this;
  const CheckRequest& req = p.request_;
  p.context_valid_ = check_context(req.context, options_, nullptr);
  TupleStore::ReadView view(store_);
  if (!model_ || !req.contextual_tuples.empty()) {
    return p;  // contextual tuples may introduce request-local objects: always the full path
  }
  const TupleStore::Data& d = view.data();
  const CompiledModel& m = *model_;
  // The same validation as check_locked and resolve_user; anything it rejects stays unresolved.
  auto obj = parse_object(req.object);
  auto user = parse_user(req.user);
  if (!obj || !user) {
    return p;
  }
  const std::uint32_t type = d.types.find(obj->type);
  const std::uint32_t relation = d.relations.find(req.relation);
  const std::uint32_t utype = d.types.find(user->type);
  if (m.type(type) == nullptr || relation == kNoId || m.relation(type, relation) == nullptr ||
      m.type(utype) == nullptr) {
    return p;
  }
  std::uint32_t urel = kNoRelation;
  if (!user->relation.empty()) {
    urel = d.relations.find(user->relation);
    if (urel == kNoId || m.relation(utype, urel) == nullptr) {
      return p;
    }
  }
  const std::uint32_t object = d.find_object(req.object);
  const std::uint32_t user_object = d.find_object(std::string_view(req.user).substr(0, req.user.find('#')));
  if (object == kNoId || user_object == kNoId) {
    return p;  // not in the store (yet): the full path gives it a request-local id each time
  }
  p.generation_ = d.generation;
  p.model_version_ = m.version;
  p.object_ = object;
  p.type_ = type;
  p.relation_ = relation;
  p.user_object_ = user_object;
  p.user_type_ = utype;
  p.user_relation_ = urel;
  p.user_wildcard_ = user->wildcard;
  p.resolved_ = true;
  return p;
}

CheckResult Engine::check(const PreparedCheck& p) const {
  return check_prepared(p, p.request_.context, p.context_valid_);
}

CheckResult Engine::check(const PreparedCheck& p, const nlohmann::json& context) const {
  return check_prepared(p, context, false);
}

CheckResult Engine::check_prepared(const PreparedCheck& p, const nlohmann::json& context, bool context_valid) const {
  TupleStore::ReadView view(store_);
  if (!model_) {
    return no_model_check_result();
  }
  const TupleStore::Data& d = view.data();
  const CompiledModel& m = *model_;
  if (!p.resolved_ || p.engine_ != this || p.generation_ != d.generation || p.model_version_ != m.version) {
    CheckResult r = check_locked(d, m, view.revision(), p.request_, context);
    r.unprepared = true;
    return r;
  }
  CheckResult result;
  result.revision = view.revision();
  result.model_version = m.version;
  if (FgaError error; !context_valid && !check_context(context, options_, &error)) {
    result.error = std::move(error);
    result.reason = result.error.message;
    return result;
  }
  RequestView rv(d, m);
  UserRef user;
  user.object = p.user_object_;
  user.relation = p.user_relation_;
  user.type = p.user_type_;
  user.wildcard = p.user_wildcard_;
  return check_resolved(d, m, p.request_, context, rv, p.object_, p.type_, p.relation_, user, std::move(result));
}

std::vector<CheckResult> Engine::batch_check(const std::vector<CheckRequest>& requests) const {
  std::vector<CheckResult> out;
  out.reserve(requests.size());
  if (requests.size() > options_.max_batch_checks) {
    CheckResult r;
    r.error = fga(FgaErrorCode::kValidationError,
                  "a batch may hold at most " + std::to_string(options_.max_batch_checks) + " checks");
    r.reason = r.error.message;
    out.assign(requests.size(), r);
    return out;
  }
  // One lock for the batch: every answer is from the same revision.
  TupleStore::ReadView view(store_);
  for (const CheckRequest& req : requests) {
    if (!model_) {
      CheckResult r;
      r.error = fga(FgaErrorCode::kModelNotFound, "no authorization model is loaded");
      out.push_back(r);
      continue;
    }
    out.push_back(check_locked(view.data(), *model_, view.revision(), req, req.context));
  }
  return out;
}

FgaError Engine::validate_write(const WriteRequest& request) const {
  FgaError error;
  TupleStore::ReadView view(store_);
  if (!model_) {
    return fga(FgaErrorCode::kModelNotFound, "no authorization model is loaded");
  }
  if (request.writes.empty() && request.deletes.empty()) {
    return fga(FgaErrorCode::kInvalidWriteInput, "no tuples to write or delete");
  }
  if (request.writes.size() + request.deletes.size() > options_.store.max_tuples_per_write) {
    return fga(FgaErrorCode::kExceededEntityLimit,
               "a write may change at most " + std::to_string(options_.store.max_tuples_per_write) + " tuples");
  }
  // Deletes are not checked against the model: a tuple the model no longer allows must still be
  // removable.
  for (const TupleRecord& t : request.writes) {
    if (!validate_tuple_against_model(*model_, view.data(), t, &error)) {
      return error;
    }
  }
  return error;
}

WriteResult Engine::write(const WriteRequest& request, std::uint64_t at_revision) {
  WriteResult result;
  result.error = validate_write(request);
  if (!result.error.ok()) {
    return result;
  }
  FgaError detail;
  auto rev = store_.write(request.writes, request.deletes, &detail, at_revision);
  if (!rev) {
    result.error = detail.ok() ? fga(FgaErrorCode::kInvalidWriteInput, rev.error().message) : detail;
    return result;
  }
  result.revision = *rev;
  notify(result.revision);
  return result;
}

Status Engine::replicate(const WriteRequest& request, std::uint64_t revision) {
  auto rev = store_.write(request.writes, request.deletes, nullptr, revision);
  if (!rev) {
    return rev.error();
  }
  notify(*rev);
  return {};
}

std::vector<TupleRecord> Engine::read(const ReadFilter& filter, std::size_t limit) const {
  return store_.read(filter, limit);
}

std::vector<TupleChange> Engine::read_changes(std::uint64_t after_revision, std::size_t limit,
                                              std::string_view type) const {
  return store_.changes_since(after_revision, limit, type);
}

Status Engine::load(const std::vector<TupleRecord>& records, std::uint64_t revision) {
  MCPGATE_TRY(store_.load(records, revision));
  notify(revision);
  return {};
}

}  // namespace mcpgate::authz
