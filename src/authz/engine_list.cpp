// ListObjects, ListUsers and Expand.

#include <algorithm>

#include "authz/engine.hpp"
#include "authz/engine_internal.hpp"

namespace mcpgate::authz {

namespace {

// Validates "type" or "type#relation" of a ListUsers filter.
struct Filter {
  std::uint32_t type = kNoId;
  std::uint32_t relation = kNoRelation;
};

}  // namespace

ListObjectsResult Engine::list_objects(const ListObjectsRequest& request) const {
  ListObjectsResult result;
  TupleStore::ReadView view(store_);
  result.revision = view.revision();
  if (!model_) {
    result.error = fga(FgaErrorCode::kModelNotFound, "no authorization model is loaded");
    return result;
  }
  const CompiledModel& m = *model_;
  const TupleStore::Data& d = view.data();
  const std::uint32_t type = d.types.find(request.type);
  if (m.type(type) == nullptr) {
    result.error = fga(FgaErrorCode::kTypeNotFound, "type '" + request.type + "' not found");
    return result;
  }
  const std::uint32_t relation = d.relations.find(request.relation);
  if (relation == kNoId || m.relation(type, relation) == nullptr) {
    result.error = fga(FgaErrorCode::kRelationNotFound,
                       "relation '" + request.type + "#" + request.relation + "' not found");
    return result;
  }
  if (!check_context(request.context, options_, &result.error)) {
    return result;
  }
  RequestView rv(d, m);
  if (!add_contextual_tuples(rv, request.contextual_tuples, options_, &result.error)) {
    return result;
  }
  auto user = resolve_user(rv, request.user, &result.error);
  if (!user) {
    return result;
  }
  // Candidates: every object of the type that has tuples, stored or contextual. Each is then
  // checked; the evaluator's memo carries over between candidates (same user), so shared
  // sub-problems such as group memberships are solved once per request.
  std::vector<std::uint32_t> candidates;
  if (type < d.objects_by_type.size()) {
    candidates = d.objects_by_type[type];
  }
  for (const OverlayTuple& t : rv.overlay()) {
    if (rv.object_type(t.key.object) == type &&
        std::find(candidates.begin(), candidates.end(), t.key.object) == candidates.end()) {
      candidates.push_back(t.key.object);
    }
  }
  Evaluator ev(rv, options_, &request.context, false);
  ev.set_user(*user);
  for (std::uint32_t obj : candidates) {
    if (rv.is_wildcard(obj)) {
      continue;
    }
    const Tri r = ev.resolve(obj, type, relation, 0);
    if (r == Tri::kError) {
      result.error = ev.error();
      result.objects.clear();
      return result;
    }
    if (r == Tri::kTrue) {
      result.objects.emplace_back(rv.object_name(obj));
      if (options_.list_objects_max_results != 0 && result.objects.size() >= options_.list_objects_max_results) {
        break;
      }
    }
  }
  std::sort(result.objects.begin(), result.objects.end());
  return result;
}

namespace {

// Collects the subjects that appear in the relation graph below (object, relation), walking
// every branch except the subtracted side of an exclusion: OpenFGA's ListUsers names a user
// only when the graph leads to that user explicitly. The walk is a worklist, not recursion,
// so a 10k-deep userset chain costs 10k steps and no stack.
class SubjectCollector {
 public:
  SubjectCollector(RequestView& view, std::uint64_t max_steps) : view_(view), max_steps_(max_steps) {}

  bool collect(std::uint32_t obj, std::uint32_t type, std::uint32_t relation) {
    push(obj, type, relation);
    while (!work_.empty()) {
      const auto [o, t, r] = work_.back();
      work_.pop_back();
      if (++steps_ > max_steps_) {
        return false;
      }
      const CRelation* rel = view_.model().relation(t, r);
      if (rel != nullptr) {
        walk(rel->rewrite, o, t, *rel);
      }
    }
    return true;
  }

  std::vector<std::pair<std::uint32_t, std::uint32_t>> subjects;  // (user object, user relation)

 private:
  struct Item {
    std::uint32_t obj;
    std::uint32_t type;
    std::uint32_t relation;
  };

  void push(std::uint32_t obj, std::uint32_t type, std::uint32_t relation) {
    // Every userset the walk passes through is itself a candidate for a `type#relation` filter.
    add_subject(obj, relation);
    if (visited_.try_emplace(TupleStore::Data::pack(obj, relation)).second) {
      work_.push_back(Item{obj, type, relation});
    }
  }

  void add_subject(std::uint32_t uobj, std::uint32_t urel) {
    if (seen_.try_emplace(TupleStore::Data::pack(uobj, urel)).second) {
      subjects.emplace_back(uobj, urel);
    }
  }

  template <class F>
  void for_each_entry(std::uint32_t obj, std::uint32_t relation, F&& f) {
    const TupleStore::Data& d = view_.data();
    if ((obj & kLocalBit) == 0) {
      if (const Bucket* b = d.bucket(obj, relation); b != nullptr) {
        for (const IndexEntry& e : b->plain) {
          f(e.user_object, e.user_relation);
        }
        for (const IndexEntry& e : b->usersets) {
          f(e.user_object, e.user_relation);
        }
      }
    }
    for (const OverlayTuple& t : view_.overlay()) {
      if (t.key.object == obj && t.key.relation == relation) {
        f(t.key.user_object, t.key.user_relation);
      }
    }
  }

  void walk(const CNode& node, std::uint32_t obj, std::uint32_t type, const CRelation& rel) {
    switch (node.kind) {
      case Rewrite::Kind::kThis:
        for_each_entry(obj, rel.id, [&](std::uint32_t uobj, std::uint32_t urel) {
          add_subject(uobj, urel);
          if (urel != kNoRelation) {
            push(uobj, view_.object_type(uobj), urel);
          }
        });
        return;
      case Rewrite::Kind::kComputed:
        push(obj, type, node.relation);
        return;
      case Rewrite::Kind::kTupleToUserset:
        for_each_entry(obj, node.tupleset, [&](std::uint32_t uobj, std::uint32_t urel) {
          if (urel == kNoRelation && !view_.is_wildcard(uobj)) {
            push(uobj, view_.object_type(uobj), node.relation);
          }
        });
        return;
      case Rewrite::Kind::kUnion:
      case Rewrite::Kind::kIntersection:
        for (const CNode& c : node.children) {
          walk(c, obj, type, rel);
        }
        return;
      case Rewrite::Kind::kDifference:
        walk(node.children[0], obj, type, rel);
        return;
    }
  }

  RequestView& view_;
  std::uint64_t max_steps_;
  std::uint64_t steps_ = 0;
  std::vector<Item> work_;
  FlatMap<std::uint64_t, std::uint8_t, U64Hash> visited_;
  FlatMap<std::uint64_t, std::uint8_t, U64Hash> seen_;
};

}  // namespace

ListUsersResult Engine::list_users(const ListUsersRequest& request) const {
  ListUsersResult result;
  TupleStore::ReadView view(store_);
  result.revision = view.revision();
  if (!model_) {
    result.error = fga(FgaErrorCode::kModelNotFound, "no authorization model is loaded");
    return result;
  }
  const CompiledModel& m = *model_;
  const TupleStore::Data& d = view.data();
  auto obj = parse_object(request.object);
  if (!obj) {
    result.error = fga(FgaErrorCode::kValidationError, obj.error().message);
    return result;
  }
  const std::uint32_t type = d.types.find(obj->type);
  if (m.type(type) == nullptr) {
    result.error = fga(FgaErrorCode::kTypeNotFound, "type '" + std::string(obj->type) + "' not found");
    return result;
  }
  const std::uint32_t relation = d.relations.find(request.relation);
  if (relation == kNoId || m.relation(type, relation) == nullptr) {
    result.error = fga(FgaErrorCode::kRelationNotFound,
                       "relation '" + std::string(obj->type) + "#" + request.relation + "' not found");
    return result;
  }
  std::vector<Filter> filters;
  for (const std::string& f : request.filters) {
    const auto hash = f.find('#');
    const std::string_view ftype = std::string_view(f).substr(0, hash);
    Filter filter;
    filter.type = d.types.find(ftype);
    if (m.type(filter.type) == nullptr) {
      result.error = fga(FgaErrorCode::kTypeNotFound, "type '" + std::string(ftype) + "' not found");
      return result;
    }
    if (hash != std::string::npos) {
      filter.relation = d.relations.find(std::string_view(f).substr(hash + 1));
      if (filter.relation == kNoId || m.relation(filter.type, filter.relation) == nullptr) {
        result.error = fga(FgaErrorCode::kRelationNotFound, "relation '" + f + "' not found");
        return result;
      }
    }
    filters.push_back(filter);
  }
  if (filters.empty()) {
    result.error = fga(FgaErrorCode::kValidationError, "at least one user filter is required");
    return result;
  }
  if (!check_context(request.context, options_, &result.error)) {
    return result;
  }
  RequestView rv(d, m);
  if (!add_contextual_tuples(rv, request.contextual_tuples, options_, &result.error)) {
    return result;
  }
  const std::uint32_t object = rv.object_id(request.object, type);
  SubjectCollector collector(rv, options_.max_dispatches);
  if (!collector.collect(object, type, relation)) {
    result.error = fga(FgaErrorCode::kResolutionTooComplex, "resolution too complex: too many sub-problems");
    return result;
  }
  Evaluator ev(rv, options_, &request.context, false);
  for (const auto& subject : collector.subjects) {
    const std::uint32_t uobj = subject.first;
    const std::uint32_t urel = subject.second;
    const std::uint32_t utype = rv.object_type(uobj);
    const bool wanted = std::any_of(filters.begin(), filters.end(), [&](const Filter& f) {
      return f.type == utype && f.relation == urel;
    });
    if (!wanted) {
      continue;
    }
    UserRef u{uobj, urel, utype, rv.is_wildcard(uobj)};
    ev.set_user(u);
    const Tri r = ev.resolve(object, type, relation, 0);
    if (r == Tri::kError) {
      result.error = ev.error();
      result.users.clear();
      return result;
    }
    if (r == Tri::kTrue) {
      result.users.push_back(rv.user_name(uobj, urel));
      if (options_.list_users_max_results != 0 && result.users.size() >= options_.list_users_max_results) {
        break;
      }
    }
  }
  std::sort(result.users.begin(), result.users.end());
  return result;
}

namespace {

nlohmann::json expand_node(const CNode& node, const std::string& name, std::uint32_t obj, const CRelation& rel,
                           RequestView& rv) {
  const TupleStore::Data& d = rv.data();
  const std::string object_name(rv.object_name(obj));
  nlohmann::json n = {{"name", name}};
  switch (node.kind) {
    case Rewrite::Kind::kThis: {
      nlohmann::json users = nlohmann::json::array();
      auto add = [&](std::uint32_t uobj, std::uint32_t urel) {
        // Only tuples the current model allows, as Check sees them.
        const std::uint32_t utype = rv.object_type(uobj);
        bool ok = false;
        if (urel != kNoRelation) {
          ok = rel.userset_rule(utype, urel) != nullptr;
        } else if (const TypeRule* r = rel.rule_for(utype); r != nullptr) {
          ok = rv.is_wildcard(uobj) ? r->wildcard : r->plain;
        }
        if (ok) {
          users.push_back(rv.user_name(uobj, urel));
        }
      };
      if ((obj & kLocalBit) == 0) {
        if (const Bucket* b = d.bucket(obj, rel.id); b != nullptr) {
          for (const IndexEntry& e : b->plain) {
            add(e.user_object, e.user_relation);
          }
          for (const IndexEntry& e : b->usersets) {
            add(e.user_object, e.user_relation);
          }
        }
      }
      for (const OverlayTuple& t : rv.overlay()) {
        if (t.key.object == obj && t.key.relation == rel.id) {
          add(t.key.user_object, t.key.user_relation);
        }
      }
      n["leaf"] = {{"users", {{"users", users}}}};
      return n;
    }
    case Rewrite::Kind::kComputed:
      n["leaf"] = {{"computed", {{"userset", object_name + "#" + std::string(d.relations.name(node.relation))}}}};
      return n;
    case Rewrite::Kind::kTupleToUserset: {
      nlohmann::json computed = nlohmann::json::array();
      auto add = [&](std::uint32_t parent, std::uint32_t urel) {
        if (urel == kNoRelation && !rv.is_wildcard(parent)) {
          computed.push_back({{"userset", std::string(rv.object_name(parent)) + "#" +
                                              std::string(d.relations.name(node.relation))}});
        }
      };
      if ((obj & kLocalBit) == 0) {
        if (const Bucket* b = d.bucket(obj, node.tupleset); b != nullptr) {
          for (const IndexEntry& e : b->plain) {
            add(e.user_object, e.user_relation);
          }
        }
      }
      for (const OverlayTuple& t : rv.overlay()) {
        if (t.key.object == obj && t.key.relation == node.tupleset) {
          add(t.key.user_object, t.key.user_relation);
        }
      }
      n["leaf"] = {{"tupleToUserset",
                    {{"tupleset", object_name + "#" + std::string(d.relations.name(node.tupleset))},
                     {"computed", computed}}}};
      return n;
    }
    case Rewrite::Kind::kUnion:
    case Rewrite::Kind::kIntersection: {
      nlohmann::json nodes = nlohmann::json::array();
      for (const CNode& c : node.children) {
        nodes.push_back(expand_node(c, name, obj, rel, rv));
      }
      n[node.kind == Rewrite::Kind::kUnion ? "union" : "intersection"] = {{"nodes", nodes}};
      return n;
    }
    case Rewrite::Kind::kDifference:
      n["difference"] = {{"base", expand_node(node.children[0], name, obj, rel, rv)},
                         {"subtract", expand_node(node.children[1], name, obj, rel, rv)}};
      return n;
  }
  return n;
}

}  // namespace

ExpandResult Engine::expand(const ExpandRequest& request) const {
  ExpandResult result;
  TupleStore::ReadView view(store_);
  if (!model_) {
    result.error = fga(FgaErrorCode::kModelNotFound, "no authorization model is loaded");
    return result;
  }
  const CompiledModel& m = *model_;
  const TupleStore::Data& d = view.data();
  auto obj = parse_object(request.object);
  if (!obj) {
    result.error = fga(FgaErrorCode::kValidationError, obj.error().message);
    return result;
  }
  const std::uint32_t type = d.types.find(obj->type);
  if (m.type(type) == nullptr) {
    result.error = fga(FgaErrorCode::kValidationError, "type '" + std::string(obj->type) + "' not found");
    return result;
  }
  const std::uint32_t relation = d.relations.find(request.relation);
  const CRelation* rel = relation == kNoId ? nullptr : m.relation(type, relation);
  if (rel == nullptr) {
    result.error = fga(FgaErrorCode::kValidationError,
                       "relation '" + std::string(obj->type) + "#" + request.relation + "' not found");
    return result;
  }
  RequestView rv(d, m);
  if (!add_contextual_tuples(rv, request.contextual_tuples, options_, &result.error)) {
    return result;
  }
  const std::uint32_t object = rv.object_id(request.object, type);
  result.tree = {{"tree", {{"root", expand_node(rel->rewrite, request.object + "#" + request.relation, object, *rel, rv)}}}};
  return result;
}

}  // namespace mcpgate::authz
