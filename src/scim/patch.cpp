#include "scim/patch.hpp"

#include <optional>
#include <utility>
#include <vector>

#include "core/ascii.hpp"
#include "scim/datetime.hpp"
#include "scim/error.hpp"
#include "scim/evaluate.hpp"
#include "scim/names.hpp"

namespace mcpgate::scim {

namespace {

enum class PatchOpKind { kAdd, kReplace, kRemove };

Error invalid_value(const std::string& what) { return scim_error(ScimType::kInvalidValue, what); }
Error mutability_error(const std::string& what) { return scim_error(ScimType::kMutability, what); }

Result<nlohmann::json> normalize_simple(const Attribute& a, const nlohmann::json& v) {
  const std::string where = "'" + a.name + "'";
  switch (a.type) {
    case AttrType::kBoolean:
      if (v.is_boolean()) {
        return v;
      }
      if (v.is_string() && ascii::iequals(v.get_ref<const std::string&>(), "true")) {
        return nlohmann::json(true);
      }
      if (v.is_string() && ascii::iequals(v.get_ref<const std::string&>(), "false")) {
        return nlohmann::json(false);
      }
      return invalid_value(where + " must be a boolean");
    case AttrType::kInteger:
      if (v.is_number_integer()) {
        return v;
      }
      return invalid_value(where + " must be an integer");
    case AttrType::kDecimal:
      if (v.is_number()) {
        return v;
      }
      return invalid_value(where + " must be a number");
    case AttrType::kDateTime:
      if (v.is_string() && parse_datetime(v.get_ref<const std::string&>())) {
        return v;
      }
      return invalid_value(where + " must be a dateTime such as \"2024-01-31T12:00:00Z\"");
    case AttrType::kString:
    case AttrType::kReference:
    case AttrType::kBinary:
      if (v.is_string()) {
        return v;
      }
      return invalid_value(where + " must be a string");
    case AttrType::kComplex:
      break;
  }
  return invalid_value(where + " has an unexpected type");
}

// One value of a complex attribute: an object of known sub-attributes (canonical names,
// readOnly ones dropped, nulls dropped), or a bare scalar meaning {"value": scalar}.
Result<nlohmann::json> normalize_complex(const Attribute& a, const nlohmann::json& v) {
  if (!v.is_object()) {
    const Attribute* value_sub = a.find_sub("value");
    if (value_sub == nullptr || v.is_array() || v.is_null()) {
      return invalid_value("'" + a.name + "' must be an object");
    }
    MCPGATE_ASSIGN_OR_RETURN(nlohmann::json value, normalize_simple(*value_sub, v));
    return nlohmann::json{{value_sub->name, std::move(value)}};
  }
  nlohmann::json out = nlohmann::json::object();
  for (auto it = v.begin(); it != v.end(); ++it) {
    const Attribute* sub = a.find_sub(it.key());
    if (sub == nullptr) {
      return invalid_value("'" + a.name + "' has no sub-attribute '" + printable(it.key()) + "'");
    }
    if (sub->mutability == Mutability::kReadOnly || it.value().is_null()) {
      continue;
    }
    MCPGATE_ASSIGN_OR_RETURN(out[sub->name], normalize_simple(*sub, it.value()));
  }
  return out;
}

Result<nlohmann::json> normalize_single(const Attribute& a, const nlohmann::json& v) {
  return a.type == AttrType::kComplex ? normalize_complex(a, v) : normalize_simple(a, v);
}

// Whether two values of a multi-valued attribute are the same value: by "value" when the
// attribute has one (ignoring case unless caseExact), else equal JSON.
bool same_value(const Attribute& a, const nlohmann::json& x, const nlohmann::json& y) {
  if (a.type == AttrType::kComplex) {
    const Attribute* value_sub = a.find_sub("value");
    if (value_sub != nullptr) {
      const auto* vx = find_member(x, value_sub->name);
      const auto* vy = find_member(y, value_sub->name);
      if (vx == nullptr || vy == nullptr) {
        return x == y;
      }
      if (vx->is_string() && vy->is_string() && !value_sub->case_exact) {
        return ascii::iequals(vx->get_ref<const std::string&>(), vy->get_ref<const std::string&>());
      }
      return *vx == *vy;
    }
    return x == y;
  }
  if (x.is_string() && y.is_string() && !a.case_exact) {
    return ascii::iequals(x.get_ref<const std::string&>(), y.get_ref<const std::string&>());
  }
  return x == y;
}

// RFC 7643 §2.4: at most one value has primary true; the one just written wins.
void keep_one_primary(const Attribute& a, nlohmann::json& values, const nlohmann::json* winner) {
  const Attribute* primary = a.find_sub("primary");
  if (primary == nullptr || winner == nullptr || !values.is_array()) {
    return;
  }
  for (auto& e : values) {
    if (&e == winner) {
      continue;
    }
    if (auto* p = find_member(e, primary->name); p != nullptr && p->is_boolean() && p->get<bool>()) {
      *p = false;
    }
  }
}

const nlohmann::json* primary_winner(const Attribute& a, const nlohmann::json& values) {
  const Attribute* primary = a.find_sub("primary");
  if (primary == nullptr || !values.is_array()) {
    return nullptr;
  }
  const nlohmann::json* winner = nullptr;
  for (const auto& e : values) {
    if (const auto* p = find_member(e, primary->name); p != nullptr && p->is_boolean() && p->get<bool>()) {
      winner = &e;
    }
  }
  return winner;
}

void set_member(nlohmann::json& object, const std::string& canonical, nlohmann::json value) {
  erase_member(object, canonical);
  object[canonical] = std::move(value);
}

// The sub-attributes of a value filter made only of eq terms joined by and, as an element
// (`emails[type eq "work"]` → {"type": "work"}); nullopt for any other filter.
std::optional<nlohmann::json> element_from_filter(const Filter& filter) {
  nlohmann::json element = nlohmann::json::object();
  std::vector<NodeId> terms;
  const Node& root = filter.nodes[filter.root];
  if (root.kind == NodeKind::kAnd) {
    terms = root.children;
  } else {
    terms = {filter.root};
  }
  for (const NodeId id : terms) {
    const Node& n = filter.nodes[id];
    if (n.kind != NodeKind::kCompare || n.op != CompareOp::kEq || n.negate || !n.in_element) {
      return std::nullopt;
    }
    element[n.target.sub->name] = n.literal;
  }
  return element;
}

class PatchApplier {
 public:
  PatchApplier(nlohmann::json& resource, const ResourceType& type, const PatchOptions& options)
      : resource_(resource), type_(type), options_(options) {}

  Status apply(PatchOpKind op, const nlohmann::json* path, const nlohmann::json* value) {
    if (op != PatchOpKind::kRemove && value == nullptr) {
      return invalid_value("add and replace need a value");
    }
    if (path == nullptr || (path->is_string() && path->get_ref<const std::string&>().empty())) {
      if (op == PatchOpKind::kRemove) {
        return scim_error(ScimType::kNoTarget, "remove needs a path");
      }
      return apply_without_path(op, *value);
    }
    if (!path->is_string()) {
      return scim_error(ScimType::kInvalidPath, "path must be a string");
    }
    MCPGATE_ASSIGN_OR_RETURN(PatchPath parsed, parse_patch_path(path->get_ref<const std::string&>(), options_.path_limits));
    const auto resolved = resolve_path(type_, parsed.attr);
    if (!resolved) {
      return scim_error(ScimType::kInvalidPath,
                        "'" + printable(parsed.attr.to_string()) + "' is not an attribute of " + type_.name);
    }
    if (parsed.filter) {
      return apply_filtered(op, *resolved, parsed, value);
    }
    return apply_to(op, *resolved, value);
  }

 private:
  Status apply_without_path(PatchOpKind op, const nlohmann::json& value) {
    if (!value.is_object()) {
      return invalid_value("without a path, the value must be an object of attributes");
    }
    for (auto it = value.begin(); it != value.end(); ++it) {
      if (ascii::iequals(it.key(), "schemas")) {
        continue;
      }
      MCPGATE_ASSIGN_OR_RETURN(const AttrPath key, parse_attr_path(it.key()));
      const auto resolved = resolve_path(type_, key);
      if (!resolved) {
        return scim_error(ScimType::kInvalidPath, "'" + printable(it.key()) + "' is not an attribute of " + type_.name);
      }
      MCPGATE_TRY(apply_to(op, *resolved, &it.value()));
    }
    return {};
  }

  // The object an attribute of `r` is written into (the extension object is created, and its URN
  // added to "schemas", on first write).
  nlohmann::json& writable_container(const Resolved& r) {
    if (!r.in_extension) {
      return resource_;
    }
    nlohmann::json* ext = find_member(resource_, r.schema->id);
    if (ext == nullptr || !ext->is_object()) {
      set_member(resource_, r.schema->id, nlohmann::json::object());
      ext = &resource_[r.schema->id];
    }
    nlohmann::json* schemas = find_member(resource_, "schemas");
    if (schemas == nullptr || !schemas->is_array()) {
      set_member(resource_, "schemas", nlohmann::json::array({type_.core->id}));
      schemas = &resource_["schemas"];
    }
    bool listed = false;
    for (const auto& s : *schemas) {
      listed = listed || (s.is_string() && ascii::iequals(s.get_ref<const std::string&>(), r.schema->id));
    }
    if (!listed) {
      schemas->push_back(r.schema->id);
    }
    return *ext;
  }

  static bool unassigned(const nlohmann::json* v) { return v == nullptr || !is_present(*v); }

  // readOnly: no change at all; immutable: set once; required: never removed.
  static Status check_mutability(const Attribute& a, const nlohmann::json* current, const nlohmann::json* next,
                                 const std::string& name) {
    if (a.mutability == Mutability::kReadOnly) {
      if (next != nullptr && current != nullptr && *current == *next) {
        return {};
      }
      return mutability_error("'" + name + "' is readOnly");
    }
    if (a.mutability == Mutability::kImmutable && !unassigned(current)
        && (next == nullptr || *current != *next)) {
      return mutability_error("'" + name + "' is immutable and already has a value");
    }
    if (a.required && next == nullptr) {
      return mutability_error("'" + name + "' is required and can not be removed");
    }
    return {};
  }

  Status apply_extension_object(PatchOpKind op, const Resolved& r, const nlohmann::json* value) {
    if (op == PatchOpKind::kRemove) {
      const auto* ext = find_member(resource_, r.schema->id);
      if (ext != nullptr) {
        for (const auto& a : r.schema->attributes) {
          MCPGATE_TRY(check_mutability(a, find_member(*ext, a.name), nullptr, a.name));
        }
      }
      erase_member(resource_, r.schema->id);
      if (auto* schemas = find_member(resource_, "schemas"); schemas != nullptr && schemas->is_array()) {
        nlohmann::json kept = nlohmann::json::array();
        for (const auto& s : *schemas) {
          if (!(s.is_string() && ascii::iequals(s.get_ref<const std::string&>(), r.schema->id))) {
            kept.push_back(s);
          }
        }
        *schemas = std::move(kept);
      }
      return {};
    }
    if (!value->is_object()) {
      return invalid_value("'" + r.schema->id + "' must be an object");
    }
    for (auto it = value->begin(); it != value->end(); ++it) {
      AttrPath inner;
      MCPGATE_ASSIGN_OR_RETURN(inner, parse_attr_path(it.key()));
      if (!inner.urn.empty()) {
        return scim_error(ScimType::kInvalidPath, "'" + printable(it.key()) + "' inside " + r.schema->id);
      }
      inner.urn = r.schema->id;
      const auto resolved = resolve_path(type_, inner);
      if (!resolved || resolved->attr == nullptr) {
        return scim_error(ScimType::kInvalidPath, "'" + printable(it.key()) + "' is not an attribute of " + r.schema->id);
      }
      MCPGATE_TRY(apply_to(op, *resolved, &it.value()));
    }
    return {};
  }

  Status apply_to(PatchOpKind op, const Resolved& r, const nlohmann::json* value) {
    if (r.attr == nullptr) {
      return apply_extension_object(op, r, value);
    }
    if (value != nullptr && value->is_null() && op != PatchOpKind::kRemove) {
      return apply_to(PatchOpKind::kRemove, r, nullptr);  // null unassigns (RFC 7643 §2.5)
    }
    if (r.sub != nullptr) {
      return apply_to_sub(op, r, value);
    }
    const Attribute& a = *r.attr;
    const nlohmann::json* container = attribute_container(resource_, r);
    const nlohmann::json* current = container != nullptr ? find_member(*container, a.name) : nullptr;

    if (op == PatchOpKind::kRemove) {
      if (value != nullptr && a.multi_valued && current != nullptr && current->is_array()) {
        return remove_listed_values(r, *value);
      }
      if (current == nullptr) {
        return {};
      }
      MCPGATE_TRY(check_mutability(a, current, nullptr, a.name));
      erase_member(writable_container(r), a.name);
      return {};
    }

    MCPGATE_ASSIGN_OR_RETURN(nlohmann::json normalized, normalize_attribute_value(a, *value));
    if (a.multi_valued) {
      nlohmann::json merged = op == PatchOpKind::kAdd && current != nullptr && current->is_array()
                                  ? *current
                                  : nlohmann::json::array();
      const Attribute* primary = a.find_sub("primary");
      std::optional<std::size_t> winner;  // the last value written with primary true
      for (auto& v : normalized) {
        std::size_t at = merged.size();
        for (std::size_t i = 0; i < merged.size(); ++i) {
          if (same_value(a, merged[i], v)) {
            at = i;
            break;
          }
        }
        if (at == merged.size()) {
          merged.push_back(std::move(v));
        } else if (merged[at].is_object() && v.is_object()) {
          for (auto it = v.begin(); it != v.end(); ++it) {
            set_member(merged[at], it.key(), it.value());
          }
        }
        const auto* p = primary != nullptr ? find_member(merged[at], primary->name) : nullptr;
        if (p != nullptr && p->is_boolean() && p->get<bool>()) {
          winner = at;
        }
      }
      keep_one_primary(a, merged, winner ? &merged[*winner] : primary_winner(a, merged));
      MCPGATE_TRY(check_mutability(a, current, &merged, a.name));
      set_member(writable_container(r), a.name, std::move(merged));
      return {};
    }
    if (a.type == AttrType::kComplex) {
      // add and replace both set the given sub-attributes and keep the others (RFC 7644 §3.5.2.1, §3.5.2.3).
      nlohmann::json merged = current != nullptr && current->is_object() ? *current : nlohmann::json::object();
      if (value->is_object()) {  // {"givenName": null} unassigns that sub-attribute
        for (auto it = value->begin(); it != value->end(); ++it) {
          const Attribute* sub = a.find_sub(it.key());
          if (it.value().is_null() && sub != nullptr && find_member(merged, sub->name) != nullptr) {
            MCPGATE_TRY(check_mutability(*sub, find_member(merged, sub->name), nullptr, a.name + "." + sub->name));
            erase_member(merged, sub->name);
          }
        }
      }
      for (auto it = normalized.begin(); it != normalized.end(); ++it) {
        const Attribute* sub = a.find_sub(it.key());
        MCPGATE_TRY(check_mutability(*sub, find_member(merged, sub->name), &it.value(), a.name + "." + sub->name));
        set_member(merged, sub->name, it.value());
      }
      if (merged.empty()) {
        if (current != nullptr) {
          MCPGATE_TRY(check_mutability(a, current, nullptr, a.name));
          erase_member(writable_container(r), a.name);
        }
        return {};
      }
      MCPGATE_TRY(check_mutability(a, current, &merged, a.name));
      set_member(writable_container(r), a.name, std::move(merged));
      return {};
    }
    MCPGATE_TRY(check_mutability(a, current, &normalized, a.name));
    set_member(writable_container(r), a.name, std::move(normalized));
    return {};
  }

  // `path: members` with a value list on remove: the listed values go (Okta, some Entra setups).
  Status remove_listed_values(const Resolved& r, const nlohmann::json& value) {
    const Attribute& a = *r.attr;
    MCPGATE_ASSIGN_OR_RETURN(const nlohmann::json listed, normalize_attribute_value(a, value));
    nlohmann::json& container = writable_container(r);
    nlohmann::json* current = find_member(container, a.name);
    nlohmann::json kept = nlohmann::json::array();
    std::size_t removed = 0;
    for (const auto& e : *current) {
      bool drop = false;
      for (const auto& l : listed) {
        drop = drop || same_value(a, e, l);
      }
      if (drop) {
        ++removed;
      } else {
        kept.push_back(e);
      }
    }
    if (removed == 0 && options_.strict_remove) {
      return scim_error(ScimType::kNoTarget, "none of the values to remove is in '" + a.name + "'");
    }
    if (kept.empty()) {
      MCPGATE_TRY(check_mutability(a, current, nullptr, a.name));
      erase_member(container, a.name);
    } else {
      *current = std::move(kept);
    }
    return {};
  }

  // name.givenName (single-valued parent) or emails.value (every value of a multi-valued one).
  Status apply_to_sub(PatchOpKind op, const Resolved& r, const nlohmann::json* value) {
    const Attribute& a = *r.attr;
    const Attribute& sub = *r.sub;
    const std::string name = a.name + "." + sub.name;
    if (a.mutability == Mutability::kReadOnly) {
      return mutability_error("'" + a.name + "' is readOnly");
    }
    nlohmann::json normalized;
    if (op != PatchOpKind::kRemove) {
      MCPGATE_ASSIGN_OR_RETURN(normalized, normalize_simple(sub, *value));
    }
    const nlohmann::json* container = attribute_container(resource_, r);
    const nlohmann::json* current = container != nullptr ? find_member(*container, a.name) : nullptr;
    nlohmann::json updated = current != nullptr ? *current : (a.multi_valued ? nlohmann::json::array() : nlohmann::json::object());
    std::vector<nlohmann::json*> parents;
    if (a.multi_valued) {
      if (!updated.is_array()) {
        updated = nlohmann::json::array();
      }
      if (updated.empty() && op != PatchOpKind::kRemove) {
        updated.push_back(nlohmann::json::object());
      }
      for (auto& e : updated) {
        if (e.is_object()) {
          parents.push_back(&e);
        }
      }
    } else {
      if (!updated.is_object()) {
        updated = nlohmann::json::object();
      }
      parents.push_back(&updated);
    }
    for (auto* parent : parents) {
      MCPGATE_TRY(write_sub(op, sub, *parent, normalized, name));
    }
    return store_parent(r, current, std::move(updated));
  }

  static Status write_sub(PatchOpKind op, const Attribute& sub, nlohmann::json& parent, const nlohmann::json& value,
                          const std::string& name) {
    const nlohmann::json* existing = find_member(parent, sub.name);
    if (op == PatchOpKind::kRemove) {
      if (existing != nullptr) {
        MCPGATE_TRY(check_mutability(sub, existing, nullptr, name));
        erase_member(parent, sub.name);
      }
      return {};
    }
    MCPGATE_TRY(check_mutability(sub, existing, &value, name));
    set_member(parent, sub.name, value);
    return {};
  }

  // Writes an updated complex value back; an emptied one is removed (checking that it may be).
  Status store_parent(const Resolved& r, const nlohmann::json* current, nlohmann::json updated) {
    const Attribute& a = *r.attr;
    if (a.multi_valued) {
      nlohmann::json kept = nlohmann::json::array();
      for (auto& e : updated) {
        if (!(e.is_object() && e.empty())) {
          kept.push_back(std::move(e));
        }
      }
      updated = std::move(kept);
      keep_one_primary(a, updated, primary_winner(a, updated));
    }
    if (updated.empty()) {
      if (current != nullptr) {
        MCPGATE_TRY(check_mutability(a, current, nullptr, a.name));
        erase_member(writable_container(r), a.name);
      }
      return {};
    }
    set_member(writable_container(r), a.name, std::move(updated));
    return {};
  }

  // attr[filter] and attr[filter].sub.
  Status apply_filtered(PatchOpKind op, const Resolved& r, PatchPath& path, const nlohmann::json* value) {
    if (r.attr == nullptr || r.sub != nullptr || r.attr->type != AttrType::kComplex) {
      return scim_error(ScimType::kInvalidPath, "a value filter needs a complex attribute, not '"
                                                    + printable(path.attr.to_string()) + "'");
    }
    const Attribute& a = *r.attr;
    MCPGATE_TRY(bind_value_filter(*path.filter, type_, r));
    const Attribute* sub = nullptr;
    if (!path.sub.empty()) {
      sub = a.find_sub(path.sub);
      if (sub == nullptr) {
        return scim_error(ScimType::kInvalidPath, "'" + a.name + "' has no sub-attribute '" + printable(path.sub) + "'");
      }
    }
    if (a.mutability == Mutability::kReadOnly) {
      return mutability_error("'" + a.name + "' is readOnly");
    }
    const std::string name = a.name + (sub != nullptr ? "." + sub->name : std::string());
    nlohmann::json normalized;
    if (op != PatchOpKind::kRemove) {
      if (sub != nullptr) {
        MCPGATE_ASSIGN_OR_RETURN(normalized, normalize_simple(*sub, *value));
      } else {
        MCPGATE_ASSIGN_OR_RETURN(normalized, normalize_complex(a, *value));
      }
    }
    const nlohmann::json* container = attribute_container(resource_, r);
    const nlohmann::json* current = container != nullptr ? find_member(*container, a.name) : nullptr;
    nlohmann::json updated = current != nullptr ? *current : nlohmann::json();
    std::vector<nlohmann::json*> selected;
    if (updated.is_array()) {
      for (auto& e : updated) {
        if (element_matches(*path.filter, e)) {
          selected.push_back(&e);
        }
      }
    } else if (updated.is_object() && element_matches(*path.filter, updated)) {
      selected.push_back(&updated);
    }

    if (selected.empty()) {
      if (op == PatchOpKind::kRemove) {
        if (options_.strict_remove) {
          return scim_error(ScimType::kNoTarget, "no value of '" + a.name + "' matches the filter");
        }
        return {};
      }
      // Entra ID: add (or replace) `emails[type eq "work"].value` when there is no work email.
      auto created = sub != nullptr ? element_from_filter(*path.filter) : std::nullopt;
      if (!created) {
        return scim_error(ScimType::kNoTarget, "no value of '" + a.name + "' matches the filter");
      }
      (*created)[sub->name] = normalized;
      MCPGATE_ASSIGN_OR_RETURN(nlohmann::json element, normalize_complex(a, *created));
      if (a.multi_valued) {
        if (!updated.is_array()) {
          updated = nlohmann::json::array();
        }
        updated.push_back(std::move(element));
      } else {
        updated = std::move(element);
      }
      return store_parent(r, current, std::move(updated));
    }

    if (op == PatchOpKind::kRemove && sub == nullptr) {
      nlohmann::json kept = nlohmann::json::array();
      if (updated.is_array()) {
        for (auto& e : updated) {
          if (!element_matches(*path.filter, e)) {
            kept.push_back(std::move(e));
          }
        }
      }
      if (kept.empty()) {
        MCPGATE_TRY(check_mutability(a, current, nullptr, a.name));
        erase_member(writable_container(r), a.name);
        return {};
      }
      set_member(writable_container(r), a.name, std::move(kept));
      return {};
    }
    for (auto* element : selected) {
      if (sub != nullptr) {
        MCPGATE_TRY(write_sub(op, *sub, *element, normalized, name));
        continue;
      }
      if (op == PatchOpKind::kReplace) {
        // The selected value is replaced; immutable sub-attributes must keep their values.
        for (const auto& s : a.sub_attributes) {
          const nlohmann::json* before = find_member(*element, s.name);
          const nlohmann::json* after = find_member(normalized, s.name);
          if (s.mutability == Mutability::kImmutable && !unassigned(before) && (after == nullptr || *before != *after)) {
            return mutability_error("'" + a.name + "." + s.name + "' is immutable");
          }
        }
        nlohmann::json replacement = normalized;
        for (const auto& s : a.sub_attributes) {  // readOnly sub-attributes are the server's: kept
          if (s.mutability == Mutability::kReadOnly) {
            if (const auto* keep = find_member(*element, s.name)) {
              replacement[s.name] = *keep;
            }
          }
        }
        *element = std::move(replacement);
      } else {
        for (auto it = normalized.begin(); it != normalized.end(); ++it) {
          MCPGATE_TRY(write_sub(op, *a.find_sub(it.key()), *element, it.value(), a.name + "." + it.key()));
        }
      }
    }
    return store_parent(r, current, std::move(updated));
  }

  nlohmann::json& resource_;
  const ResourceType& type_;
  const PatchOptions& options_;
};

Result<PatchOpKind> op_kind(const nlohmann::json* op) {
  if (op != nullptr && op->is_string()) {
    const std::string& name = op->get_ref<const std::string&>();
    if (ascii::iequals(name, "add")) {
      return PatchOpKind::kAdd;
    }
    if (ascii::iequals(name, "replace")) {
      return PatchOpKind::kReplace;
    }
    if (ascii::iequals(name, "remove")) {
      return PatchOpKind::kRemove;
    }
    return scim_error(ScimType::kInvalidSyntax, "unknown op '" + printable(name) + "' (add, replace or remove)");
  }
  return scim_error(ScimType::kInvalidSyntax, "every operation needs an op (add, replace or remove)");
}

}  // namespace

Result<nlohmann::json> normalize_attribute_value(const Attribute& attr, const nlohmann::json& value) {
  if (!attr.multi_valued) {
    if (value.is_array()) {
      return invalid_value("'" + attr.name + "' is single-valued");
    }
    return normalize_single(attr, value);
  }
  nlohmann::json out = nlohmann::json::array();
  const auto add = [&](const nlohmann::json& v) -> Status {
    if (v.is_null()) {
      return {};
    }
    MCPGATE_ASSIGN_OR_RETURN(nlohmann::json n, normalize_single(attr, v));
    for (const auto& existing : out) {
      if (same_value(attr, existing, n)) {
        return {};
      }
    }
    out.push_back(std::move(n));
    return {};
  };
  if (value.is_array()) {
    for (const auto& v : value) {
      MCPGATE_TRY(add(v));
    }
  } else {
    MCPGATE_TRY(add(value));
  }
  return out;
}

Result<PatchOutcome> apply_patch(nlohmann::json& resource, const nlohmann::json& request, const ResourceType& type,
                                 const PatchOptions& options) {
  if (!request.is_object()) {
    return scim_error(ScimType::kInvalidSyntax, "a PATCH request is a JSON object");
  }
  if (options.require_patch_schema) {
    const auto* schemas = find_member(request, "schemas");
    bool listed = false;
    if (schemas != nullptr && schemas->is_array()) {
      for (const auto& s : *schemas) {
        listed = listed || (s.is_string() && ascii::iequals(s.get_ref<const std::string&>(), kPatchOpMessageId));
      }
    }
    if (!listed) {
      return scim_error(ScimType::kInvalidSyntax, "schemas must list " + std::string(kPatchOpMessageId));
    }
  }
  const auto* operations = find_member(request, "Operations");
  if (operations == nullptr || !operations->is_array() || operations->empty()) {
    return scim_error(ScimType::kInvalidSyntax, "Operations must be a non-empty array");
  }
  if (operations->size() > options.max_operations) {
    return scim_error(ScimType::kInvalidSyntax,
                      "more than " + std::to_string(options.max_operations) + " operations in one request");
  }
  if (!resource.is_object()) {
    return scim_error(ScimType::kNone, "the resource is not a JSON object");
  }
  nlohmann::json working = resource;
  PatchApplier applier(working, type, options);
  std::size_t index = 0;
  for (const auto& operation : *operations) {
    if (!operation.is_object()) {
      return scim_error(ScimType::kInvalidSyntax, "operation " + std::to_string(index) + " is not an object");
    }
    auto kind = op_kind(find_member(operation, "op"));
    if (!kind) {
      return kind.error();
    }
    const Status st = applier.apply(*kind, find_member(operation, "path"), find_member(operation, "value"));
    if (!st) {
      const Error& e = st.error();
      return scim_error(scim_type_of(e), "operation " + std::to_string(index) + ": " + std::string(scim_detail(e)));
    }
    ++index;
  }
  PatchOutcome outcome;
  outcome.changed = working != resource;
  resource = std::move(working);
  return outcome;
}

}  // namespace mcpgate::scim
