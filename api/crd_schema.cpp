// CRD schemas from the resource model (see crd_schema.h for the type mapping).
#include "api/crd_schema.h"

#include <algorithm>
#include <cctype>
#include <type_traits>
#include <variant>

#include "api/resources.h"
#include "api/types.h"
#include "api/yaml.h"
#include "common/result.h"

namespace calico::api {
namespace {

template <class T>
inline constexpr bool kIntOrStringScalar =
    std::is_same_v<T, ASNumber> || std::is_same_v<T, Port> || std::is_same_v<T, Protocol> ||
    std::is_same_v<T, IntOrString>;

template <class>
inline constexpr bool kDependentFalse = false;

template <class T>
Json schema_of(bool may_be_null);

// Fills `properties` with one schema per visit() field.
class SchemaVisitor {
 public:
  explicit SchemaVisitor(Json& properties) : properties_(properties) {}

  template <class T>
  void operator()(std::string_view key, T& /*field*/, Emit emit = Emit::OmitEmpty) {
    // Emit::OmitEmpty leaves empty values (and unset optionals) out.
    properties_[std::string(key)] = schema_of<T>(emit == Emit::Always);
  }

 private:
  Json& properties_;
};

template <class T>
Json object_schema() {
  Json properties = Json::object();
  SchemaVisitor v(properties);
  T value{};
  value.visit(v);
  return Json{{"type", "object"}, {"properties", std::move(properties)}};
}

// `written_when_empty`: the codec writes this value even when it is empty (an Emit::Always
// field, a list item, a map value, the value of a set optional), so an unset optional is
// written as null and a string may be written as "".
template <class T>
Json schema_of(bool written_when_empty) {
  if constexpr (std::is_same_v<T, Json>) {
    // Free-form JSON, kept as written: the one case where the server cannot know the shape.
    return Json{{"x-kubernetes-preserve-unknown-fields", true}};
  } else if constexpr (IsOptional<T>::value) {
    Json s = schema_of<typename T::value_type>(true);
    if (written_when_empty) {
      s["nullable"] = true;
    }
    return s;
  } else if constexpr (std::is_same_v<T, std::string>) {
    // nullable where "" can be written: kube-apiserver's type check (go-openapi) reads a
    // value equal to its Go zero value as null, and with the runtime's shared zero buffer
    // an empty string is one, so servers built with a recent Go (the 1.20.2 our
    // integration tests run) refuse "" in a non-nullable string ("must be of type string:
    // \"null\"").  false, 0, [] and {} are not affected.  A null that gets through reads
    // back as "" (api/codec.h).
    Json s = {{"type", "string"}};
    if (written_when_empty) {
      s["nullable"] = true;
    }
    return s;
  } else if constexpr (std::is_same_v<T, bool>) {
    return Json{{"type", "boolean"}};
  } else if constexpr (std::is_integral_v<T>) {
    constexpr bool kFitsInt32 = sizeof(T) < 4 || (sizeof(T) == 4 && std::is_signed_v<T>);
    return Json{{"type", "integer"}, {"format", kFitsInt32 ? "int32" : "int64"}};
  } else if constexpr (std::is_floating_point_v<T>) {
    return Json{{"type", "number"}};
  } else if constexpr (IsVector<T>::value) {
    return Json{{"type", "array"}, {"items", schema_of<typename T::value_type>(true)}};
  } else if constexpr (IsStringMap<T>::value) {
    return Json{{"type", "object"},
                {"additionalProperties", schema_of<typename T::mapped_type>(true)}};
  } else if constexpr (CustomScalar<T>) {
    // Numbers or strings (AS numbers "64512" / "1.10", ports 80 / "80:90" / "http",
    // protocols 6 / "TCP", IntOrString), each kept in the form it was written.
    static_assert(kIntOrStringScalar<T>, "new scalar type: give it a schema here");
    return Json{{"x-kubernetes-int-or-string", true}};
  } else if constexpr (requires(T & t, SchemaVisitor & v) { t.visit(v); }) {
    return object_schema<T>();
  } else {
    static_assert(kDependentFalse<T>, "field type without a schema mapping");
  }
}

// A resource's top-level properties: metadata is left to the server (ObjectMeta is
// validated by the API server itself and may not be constrained by a CRD).
class ResourceVisitor {
 public:
  explicit ResourceVisitor(Json& properties) : properties_(properties) {}

  template <class T>
  void operator()(std::string_view key, T& /*field*/, Emit /*emit*/ = Emit::OmitEmpty) {
    properties_[std::string(key)] =
        key == "metadata" ? Json{{"type", "object"}} : schema_of<T>(false);
  }

 private:
  Json& properties_;
};

Json resource_schema(Kind kind) {
  Json properties = Json::object();
  properties["apiVersion"] = Json{{"type", "string"}};
  properties["kind"] = Json{{"type", "string"}};
  AnyResource r = make_resource(kind);
  std::visit(
      [&properties](auto& res) {
        ResourceVisitor v(properties);
        res.visit(v);
      },
      r);
  return Json{{"type", "object"}, {"properties", std::move(properties)}};
}

// spec (and status) kept as written: for CRDs without a model.
Json unmodelled_schema(bool with_status) {
  const Json preserved = {{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}};
  Json properties = {{"apiVersion", {{"type", "string"}}},
                     {"kind", {{"type", "string"}}},
                     {"metadata", {{"type", "object"}}},
                     {"spec", preserved}};
  if (with_status) {
    properties["status"] = preserved;
  }
  return Json{{"type", "object"}, {"properties", std::move(properties)}};
}

bool has_status(Kind kind) {
  return resource_schema(kind)["properties"].contains("status");
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

std::vector<CrdDefinition> crd_definitions() {
  std::vector<CrdDefinition> out;
  for (const auto& k : kKinds) {
    if (const auto names = crd_names(k.kind)) {
      out.push_back({names->kind, names->plural, k.namespaced, has_status(k.kind), k.kind});
    }
  }
  out.insert(out.end(), kUnmodelledCrds.begin(), kUnmodelledCrds.end());
  std::sort(out.begin(), out.end(),
            [](const CrdDefinition& a, const CrdDefinition& b) { return a.plural < b.plural; });
  return out;
}

std::string crd_file_name(const CrdDefinition& d) {
  return std::string(kCrdGroup) + "_" + std::string(d.plural) + ".yaml";
}

Json crd_schema(Kind kind) {
  CALICO_CHECK(crd_names(kind).has_value());
  return resource_schema(kind);
}

Json crd_document(const CrdDefinition& d) {
  const std::string kind(d.kind);
  Json version = {{"name", "v1"}, {"served", true}, {"storage", true}};
  if (d.status_subresource) {
    version["subresources"] = {{"status", Json::object()}};
  }
  version["schema"] = {{"openAPIV3Schema",
                        d.model ? crd_schema(*d.model) : unmodelled_schema(d.status_subresource)}};
  Json doc;
  doc["apiVersion"] = "apiextensions.k8s.io/v1";
  doc["kind"] = "CustomResourceDefinition";
  doc["metadata"] = {{"name", std::string(d.plural) + "." + std::string(kCrdGroup)}};
  doc["spec"] = {{"group", std::string(kCrdGroup)},
                 {"scope", d.namespaced ? "Namespaced" : "Cluster"},
                 {"names",
                  {{"kind", kind},
                   {"listKind", kind + "List"},
                   {"plural", std::string(d.plural)},
                   {"singular", lower(kind)}}},
                 {"versions", Json::array({version})}};
  return doc;
}

std::string crd_yaml(const CrdDefinition& d) {
  const std::string kind(d.kind);
  std::string header;
  if (d.model) {
    const std::string v3(info(*d.model).name);
    header = "# " + kind + ": projectcalico.org/v3 " + v3 +
             " stored as a crd.projectcalico.org/v1 custom resource\n"
             "# (Calico's group, names and scope).  Generated from the api/ model by "
             "calico-crd-gen (see\n"
             "# manifests/README.md; do not edit): every field we store is in the "
             "structural schema, so\n"
             "# the server prunes nothing; values are checked by our API layer "
             "(api/validation).\n";
  } else {
    header = "# " + kind + ": Calico's crd.projectcalico.org/v1 " + kind +
             " (Calico's group,\n"
             "# names and scope), installed for Calico's own clients.  Not modelled in api/: "
             "we neither\n"
             "# read nor write it, so its spec" +
             std::string(d.status_subresource ? " and status are" : " is") +
             " kept as written.  Generated by\n"
             "# calico-crd-gen (see manifests/README.md; do not edit).\n";
  }
  return header + json_to_yaml(crd_document(d));
}

}  // namespace calico::api
