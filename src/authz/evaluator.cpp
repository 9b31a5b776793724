// The graph walk behind Check (and, per candidate, ListObjects / ListUsers).

#include <algorithm>
#include <span>

#include "authz/engine_internal.hpp"

namespace mcpgate::authz {

namespace {

bool condition_allowed(const std::vector<std::uint32_t>& allowed, std::uint32_t condition) {
  return std::find(allowed.begin(), allowed.end(), condition) != allowed.end();
}

// OpenFGA's precedence: union - true, then error, then cycle, then false.
Tri union_merge(Tri acc, Tri r) {
  if (acc == Tri::kTrue || r == Tri::kTrue) {
    return Tri::kTrue;
  }
  if (acc == Tri::kError || r == Tri::kError) {
    return Tri::kError;
  }
  if (acc == Tri::kCycle || r == Tri::kCycle) {
    return Tri::kCycle;
  }
  return Tri::kFalse;
}

}  // namespace

std::uint32_t RequestView::find_object(std::string_view object) const {
  const std::uint32_t id = d_.objects.find(object);
  if (id != kNoId) {
    return id;
  }
  for (std::size_t i = 0; i < local_names_.size(); ++i) {
    if (local_names_[i] == object) {
      return static_cast<std::uint32_t>(i) | kLocalBit;
    }
  }
  return kNoId;
}

std::uint32_t RequestView::object_id(std::string_view object, std::uint32_t type) {
  const std::uint32_t found = find_object(object);
  if (found != kNoId) {
    return found;
  }
  local_names_.emplace_back(object);
  local_types_.push_back(type);
  const auto colon = object.find(':');
  local_wildcard_.push_back(object.substr(colon + 1) == "*" ? 1 : 0);
  return static_cast<std::uint32_t>(local_names_.size() - 1) | kLocalBit;
}

std::uint32_t RequestView::wildcard_of(std::uint32_t type) const {
  if (type < d_.type_wildcard.size() && d_.type_wildcard[type] != kNoId) {
    return d_.type_wildcard[type];
  }
  for (std::size_t i = 0; i < local_names_.size(); ++i) {
    if (local_wildcard_[i] != 0 && local_types_[i] == type) {
      return static_cast<std::uint32_t>(i) | kLocalBit;
    }
  }
  return kNoId;
}

std::string RequestView::user_name(std::uint32_t obj, std::uint32_t rel) const {
  std::string s(object_name(obj));
  if (rel != kNoRelation) {
    s += '#';
    s += d_.relations.name(rel);
  }
  return s;
}

namespace {

EvalScratch* acquire_scratch(std::unique_ptr<EvalScratch>& owned) {
  thread_local EvalScratch scratch;
  if (!scratch.in_use) {
    scratch.in_use = true;
    return &scratch;
  }
  owned = std::make_unique<EvalScratch>();
  return owned.get();
}

}  // namespace

Evaluator::Evaluator(RequestView& view, const EngineOptions& options, const nlohmann::json* context,
                     bool explain)
    : scratch_(acquire_scratch(owned_)),
      path_(scratch_->path),
      memo_(scratch_->memo),
      view_(view),
      d_(view.data()),
      m_(view.model()),
      options_(options),
      context_(context != nullptr && context->is_object() && !context->empty() ? context : nullptr),
      explain_(explain) {
  path_.clear();
  memo_.clear();
}

Evaluator::~Evaluator() {
  if (!owned_) {
    // Keep the thread's scratch warm, but do not pin the memory of one huge query forever.
    constexpr std::size_t kKeepSlots = 1 << 14;
    if (memo_.capacity() > kKeepSlots) {
      memo_ = FlatMap<std::uint64_t, EvalMemo, U64Hash>();
    } else {
      memo_.clear();
    }
    scratch_->in_use = false;
  }
}

void Evaluator::set_user(const UserRef& user) {
  user_ = user;
  memo_.clear();
  path_.clear();
  reached_ = 0;
  cycles_ = 0;
  error_ = FgaError{};
  used_condition_ = false;
  hit_ = false;
  user_tuples_ = nullptr;
  user_tuples_loaded_ = false;
}

Tri Evaluator::fail(FgaErrorCode code, std::string message) {
  if (error_.ok()) {
    error_ = FgaError{code, std::move(message)};
  }
  return Tri::kError;
}

void Evaluator::record_hit(const TupleKey& key, std::uint32_t condition) {
  if (!explain_ || hit_) {
    return;
  }
  hit_ = true;
  hit_path_ = path_;
  hit_key_ = key;
  hit_condition_ = condition;
}

std::string Evaluator::explain_path() const {
  if (!hit_) {
    return {};
  }
  std::string s;
  for (std::uint64_t frame : hit_path_) {
    if (!s.empty()) {
      s += " -> ";
    }
    const auto obj = static_cast<std::uint32_t>(frame >> 32);
    const auto rel = static_cast<std::uint32_t>(frame & 0xffffffffU);
    s += view_.user_name(obj, rel);
  }
  s += " via tuple ";
  s += view_.user_name(hit_key_.object, hit_key_.relation);
  s += '@';
  s += view_.user_name(hit_key_.user_object, hit_key_.user_relation);
  if (hit_condition_ != kNoCondition) {
    s += " with condition ";
    s += d_.conditions.name(hit_condition_);
  }
  return s;
}

bool Evaluator::probe(const TupleKey& key, std::uint32_t* condition, const nlohmann::json** context) {
  if (((key.object | key.user_object) & kLocalBit) == 0) {
    bool scanned = false;
    if (key.user_object == user_.object && key.user_relation == user_.relation) {
      user_tuples();
      // Most users have a handful of tuples: scanning them beats a random access into the
      // tuple index, and one fetch serves every probe of this check.
      if (user_tuples_ == nullptr || user_tuples_->size <= kUserScanLimit) {
        scanned = true;
        if (user_tuples_ != nullptr) {
          const ReverseEntry* e = user_tuples_->data;
          for (const ReverseEntry* end = e + user_tuples_->size; e != end; ++e) {
            if (e->object == key.object && e->relation == key.relation) {
              *condition = e->condition;
              *context = e->condition == kNoCondition ? nullptr : d_.tuples[e->tuple].context.get();
              return true;
            }
          }
        }
      }
    }
    if (!scanned) {
      if (const TupleRef* t = d_.tuple_index.find(key); t != nullptr) {
        *condition = t->condition;
        *context = t->condition == kNoCondition ? nullptr : d_.tuples[t->index].context.get();
        return true;
      }
    }
  }
  for (const OverlayTuple& t : view_.overlay()) {
    if (t.key == key) {
      *condition = t.condition;
      *context = t.context;
      return true;
    }
  }
  return false;
}

const SubjectHead* Evaluator::user_tuples() {
  if (!user_tuples_loaded_) {
    user_tuples_ = d_.tuples_of_subject(user_.object, user_.relation);
    user_tuples_loaded_ = true;
  }
  return user_tuples_;
}

bool Evaluator::user_has_tuple_on(const SubjectHead* mine, std::uint32_t obj, std::uint32_t relation) {
  if (mine == nullptr) {
    return false;
  }
  const ReverseEntry* e = mine->data;
  for (const ReverseEntry* end = e + mine->size; e != end; ++e) {
    if (e->object == obj && e->relation == relation) {
      return true;
    }
  }
  return false;
}

Tri Evaluator::eval_condition(std::uint32_t condition, const nlohmann::json* tuple_context, const TupleKey& key) {
  if (condition == kNoCondition) {
    return Tri::kTrue;
  }
  used_condition_ = true;
  const CCondition* c = m_.condition(condition);
  if (c == nullptr || !c->program) {
    // The type restrictions only admit conditions the model defines; this is a broken model.
    return fail(FgaErrorCode::kValidationError, "condition '" + std::string(d_.conditions.name(condition)) +
                                                    "' is not defined by the model");
  }
  cel::Activation activation;
  for (const auto& [name, type] : c->parameters) {
    const nlohmann::json* value = nullptr;
    if (tuple_context != nullptr) {
      if (auto it = tuple_context->find(name); it != tuple_context->end()) {
        value = &*it;
      }
    }
    if (value == nullptr && context_ != nullptr) {
      if (auto it = context_->find(name); it != context_->end()) {
        value = &*it;
      }
    }
    if (value == nullptr) {
      continue;  // the evaluator reports it as missing if the expression needs it
    }
    auto converted = cel::value_from_json(*value, type);
    if (!converted) {
      return fail(FgaErrorCode::kValidationError,
                  "failed to evaluate relationship condition '" + c->name + "': parameter '" + name +
                      "': " + converted.error().message);
    }
    activation.emplace(name, std::move(converted).value());
  }
  cel::EvalResult r = c->program->evaluate(activation);
  if (!r.ok()) {
    std::string tuple = view_.user_name(key.object, key.relation) + "@" +
                        view_.user_name(key.user_object, key.user_relation);
    if (r.error().kind == cel::EvalErrorKind::kMissingParameter) {
      std::string missing;
      for (const std::string& p : r.error().missing) {
        missing += missing.empty() ? "" : ", ";
        missing += p;
      }
      const bool first_error = error_.ok();
      const Tri t = fail(FgaErrorCode::kValidationError,
                         "tuple '" + tuple + "' is missing context parameters '" + missing +
                             "' for condition '" + c->name + "'");
      error_.missing_parameters = error_.missing_parameters || first_error;
      return t;
    }
    return fail(FgaErrorCode::kValidationError,
                "failed to evaluate relationship condition '" + c->name + "' on '" + tuple + "': " + r.error().message);
  }
  return r.value() ? Tri::kTrue : Tri::kFalse;
}

Tri Evaluator::resolve(std::uint32_t obj, std::uint32_t type, std::uint32_t relation, std::uint32_t depth) {
  if (depth >= options_.max_depth) {
    reached_ = std::max(reached_, depth);
    return fail(FgaErrorCode::kResolutionTooComplex, "resolution too complex: the depth limit of " +
                                                         std::to_string(options_.max_depth) + " was exceeded");
  }
  if (++dispatches_ > options_.max_dispatches) {
    return fail(FgaErrorCode::kResolutionTooComplex,
                "resolution too complex: more than " + std::to_string(options_.max_dispatches) + " sub-problems");
  }
  const CRelation* rel = m_.relation(type, relation);
  if (rel == nullptr) {
    return Tri::kFalse;
  }
  // A userset contains itself: group:x#member is in group:x#member (as OpenFGA answers when a
  // userset is the user of a check or a ListUsers filter).
  if (user_.relation == relation && user_.object == obj) {
    return Tri::kTrue;
  }
  const std::uint64_t frame = TupleStore::Data::pack(obj, relation);
  for (std::uint64_t f : path_) {
    if (f == frame) {
      ++cycles_;
      return Tri::kCycle;
    }
  }
  if (const EvalMemo* memo = memo_.find(frame); memo != nullptr && depth + memo->height < options_.max_depth) {
    reached_ = std::max(reached_, depth + memo->height);
    return memo->result;
  }
  const std::uint32_t outer_reached = reached_;
  const std::uint64_t outer_cycles = cycles_;
  reached_ = depth;
  path_.push_back(frame);
  const Tri r = eval_node(rel->rewrite, obj, type, *rel, depth);
  path_.pop_back();
  const std::uint32_t height = reached_ - depth;
  // Only definite answers that met no cycle are reusable: a cycle's outcome depends on the path
  // that led here. With explain on, a memoised true would hide the path, so trues are not kept.
  if ((r == Tri::kFalse || (r == Tri::kTrue && !explain_)) && cycles_ == outer_cycles) {
    *memo_.try_emplace(frame).first = EvalMemo{r, height};
  }
  reached_ = std::max(outer_reached, reached_);
  return r;
}

Tri Evaluator::eval_node(const CNode& node, std::uint32_t obj, std::uint32_t type, const CRelation& rel,
                         std::uint32_t depth) {
  const bool outer_hit = hit_;
  const Tri r = eval_node_impl(node, obj, type, rel, depth);
  if (!outer_hit && hit_ && r != Tri::kTrue) {
    hit_ = false;  // a leaf matched, but this node did not grant: not the reason for an allow
  }
  return r;
}

Tri Evaluator::eval_node_impl(const CNode& node, std::uint32_t obj, std::uint32_t type, const CRelation& rel,
                              std::uint32_t depth) {
  switch (node.kind) {
    case Rewrite::Kind::kThis:
      return eval_this(obj, rel, depth);
    case Rewrite::Kind::kComputed:
      return resolve(obj, type, node.relation, depth + 1);
    case Rewrite::Kind::kTupleToUserset:
      return eval_ttu(node, obj, type, depth);
    case Rewrite::Kind::kUnion: {
      Tri acc = Tri::kFalse;
      for (const CNode& child : node.children) {
        acc = union_merge(acc, eval_node(child, obj, type, rel, depth));
        if (acc == Tri::kTrue) {
          return acc;
        }
      }
      return acc;
    }
    case Rewrite::Kind::kIntersection: {
      bool error = false;
      bool cycle = false;
      for (const CNode& child : node.children) {
        const Tri r = eval_node(child, obj, type, rel, depth);
        if (r == Tri::kFalse) {
          return Tri::kFalse;
        }
        error = error || r == Tri::kError;
        cycle = cycle || r == Tri::kCycle;
      }
      return error ? Tri::kError : cycle ? Tri::kCycle : Tri::kTrue;
    }
    case Rewrite::Kind::kDifference: {
      const Tri base = eval_node(node.children[0], obj, type, rel, depth);
      if (base == Tri::kFalse) {
        return Tri::kFalse;
      }
      const Tri subtract = eval_node(node.children[1], obj, type, rel, depth);
      if (subtract == Tri::kTrue) {
        return Tri::kFalse;
      }
      if (base == Tri::kError || subtract == Tri::kError) {
        return Tri::kError;
      }
      if (base == Tri::kCycle || subtract == Tri::kCycle) {
        return Tri::kCycle;
      }
      return Tri::kTrue;
    }
  }
  return Tri::kFalse;
}

Tri Evaluator::eval_this(std::uint32_t obj, const CRelation& rel, std::uint32_t depth) {
  Tri acc = Tri::kFalse;
  std::uint32_t condition = kNoCondition;
  const nlohmann::json* context = nullptr;

  if (user_.relation == kNoRelation) {
    if (const TypeRule* rule = rel.rule_for(user_.type); rule != nullptr) {
      if (rule->plain && !user_.wildcard) {
        const TupleKey key{obj, rel.id, user_.object, kNoRelation};
        if (probe(key, &condition, &context) && condition_allowed(rule->plain_conditions, condition)) {
          acc = union_merge(acc, eval_condition(condition, context, key));
          if (acc == Tri::kTrue) {
            record_hit(key, condition);
            return acc;
          }
        }
      }
      if (rule->wildcard) {
        const std::uint32_t w = view_.wildcard_of(user_.type);
        const TupleKey key{obj, rel.id, w, kNoRelation};
        if (w != kNoId && probe(key, &condition, &context) && condition_allowed(rule->wildcard_conditions, condition)) {
          acc = union_merge(acc, eval_condition(condition, context, key));
          if (acc == Tri::kTrue) {
            record_hit(key, condition);
            return acc;
          }
        }
      }
    }
  }
  if (rel.usersets.empty()) {
    return acc;
  }
  if (user_.relation != kNoRelation) {
    if (const UsersetRule* rule = rel.userset_rule(user_.type, user_.relation); rule != nullptr) {
      const TupleKey key{obj, rel.id, user_.object, user_.relation};
      if (probe(key, &condition, &context) && condition_allowed(rule->conditions, condition)) {
        acc = union_merge(acc, eval_condition(condition, context, key));
        if (acc == Tri::kTrue) {
          record_hit(key, condition);
          return acc;
        }
      }
    }
  }
  auto visit = [&](std::uint32_t user_object, std::uint32_t utype, std::uint32_t user_relation, std::uint32_t cond,
                   const nlohmann::json* ctx) {
    const UsersetRule* rule = rel.userset_rule(utype, user_relation);
    if (rule == nullptr || !condition_allowed(rule->conditions, cond)) {
      return;  // not allowed by the current model: ignored
    }
    if (cond != kNoCondition) {
      const Tri c = eval_condition(cond, ctx, TupleKey{obj, rel.id, user_object, user_relation});
      if (c != Tri::kTrue) {
        acc = union_merge(acc, c);
        return;
      }
    }
    // Fast path for the common `group#member` shape: nothing below it can recurse, so the
    // cycle, memo and path bookkeeping of resolve() would cost more than the probe itself.
    const CRelation* target = rule->target;
    if (target != nullptr && target->direct_only && user_.relation == kNoRelation &&
        depth + 1 < options_.max_depth) {
      reached_ = std::max(reached_, depth + 1);
      acc = union_merge(acc, eval_this(user_object, *target, depth + 1));
      return;
    }
    acc = union_merge(acc, resolve(user_object, utype, user_relation, depth + 1));
  };
  if ((obj & kLocalBit) == 0) {
    if (const BucketHead* b = d_.bucket_head(obj, rel.id); b != nullptr) {
      // For a plain user with a short tuple list, a `group#member`-shaped subject the user has
      // no tuple on is answered false without the walk: nothing else could grant it (no
      // wildcard rule, no usersets below, no contextual tuples, no condition on the userset
      // tuple to evaluate), and the depth bookkeeping is the same as the walk's.
      const SubjectHead* mine = nullptr;
      bool may_skip = false;
      if (user_.relation == kNoRelation && !user_.wildcard && !view_.has_overlay() &&
          depth + 1 < options_.max_depth) {
        mine = user_tuples();
        may_skip = mine == nullptr || mine->size <= kUserScanLimit;
      }
      for (const IndexEntry& e : std::span(b->usersets, b->userset_size)) {
        if (may_skip && e.condition == kNoCondition && !user_has_tuple_on(mine, e.user_object, e.user_relation)) {
          const UsersetRule* rule = rel.userset_rule(e.user_type, e.user_relation);
          if (rule != nullptr && rule->target != nullptr && rule->target->direct_only &&
              condition_allowed(rule->conditions, kNoCondition)) {
            const TypeRule* direct = rule->target->rule_for(user_.type);
            if (direct == nullptr || !direct->wildcard) {
              reached_ = std::max(reached_, depth + 1);
              continue;
            }
          }
        }
        visit(e.user_object, e.user_type, e.user_relation, e.condition,
              e.condition == kNoCondition ? nullptr
                                          : d_.find(TupleKey{obj, rel.id, e.user_object, e.user_relation})->context.get());
        if (acc == Tri::kTrue) {
          return acc;
        }
      }
    }
  }
  for (const OverlayTuple& t : view_.overlay()) {
    if (t.key.object == obj && t.key.relation == rel.id && t.key.user_relation != kNoRelation) {
      visit(t.key.user_object, view_.object_type(t.key.user_object), t.key.user_relation, t.condition, t.context);
      if (acc == Tri::kTrue) {
        return acc;
      }
    }
  }
  return acc;
}

Tri Evaluator::eval_ttu(const CNode& node, std::uint32_t obj, std::uint32_t type, std::uint32_t depth) {
  const CRelation* tupleset = m_.relation(type, node.tupleset);
  if (tupleset == nullptr) {
    return Tri::kFalse;
  }
  Tri acc = Tri::kFalse;
  auto visit = [&](std::uint32_t parent, std::uint32_t ptype, std::uint32_t cond, const nlohmann::json* ctx) {
    if (view_.wildcard_of(ptype) == parent) {
      return;  // `folder:*` is not an object to walk to
    }
    const TypeRule* rule = tupleset->rule_for(ptype);
    if (rule == nullptr || !rule->plain || !condition_allowed(rule->plain_conditions, cond)) {
      return;
    }
    if (cond != kNoCondition) {
      const Tri c = eval_condition(cond, ctx, TupleKey{obj, tupleset->id, parent, kNoRelation});
      if (c != Tri::kTrue) {
        acc = union_merge(acc, c);
        return;
      }
    }
    if (m_.relation(ptype, node.relation) == nullptr) {
      return;
    }
    acc = union_merge(acc, resolve(parent, ptype, node.relation, depth + 1));
  };
  if ((obj & kLocalBit) == 0) {
    if (const BucketHead* b = d_.bucket_head(obj, tupleset->id); b != nullptr) {
      for (const IndexEntry& e : std::span(b->plain_data(), b->plain_size)) {
        visit(e.user_object, e.user_type, e.condition,
              e.condition == kNoCondition
                  ? nullptr
                  : d_.find(TupleKey{obj, tupleset->id, e.user_object, kNoRelation})->context.get());
        if (acc == Tri::kTrue) {
          return acc;
        }
      }
    }
  }
  for (const OverlayTuple& t : view_.overlay()) {
    if (t.key.object == obj && t.key.relation == tupleset->id && t.key.user_relation == kNoRelation) {
      visit(t.key.user_object, view_.object_type(t.key.user_object), t.condition, t.context);
      if (acc == Tri::kTrue) {
        return acc;
      }
    }
  }
  return acc;
}

}  // namespace mcpgate::authz
