// The manifests (manifests/) checked against the code:
//   * every document of every *.yaml parses and has an identity, with no duplicates;
//   * the CRDs are exactly the kinds api/kind.h stores as custom resources (plus the few
//     we install unmodelled), are the generator's output, are structural, and declare
//     every field the JSON codec emits with a compatible type: a fully populated object
//     of each kind is encoded, validated against the committed schema, pruned as the API
//     server would prune it, and must decode back unchanged;
//   * the DaemonSet runs binaries our CMake builds, from where the Dockerfile puts them,
//     with probe flags calico-node accepts, environment names its binaries read (values
//     they accept) and ports they use;
//   * RBAC bindings name roles and service accounts defined here;
//   * the CNI config template renders (as calico-cni-install renders it) to a config our
//     plugin parser accepts.
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include <gtest/gtest.h>

#include "api/crd_schema.h"
#include "api/document.h"
#include "api/resources.h"
#include "api/types.h"
#include "api/yaml.h"
#include "cni/calico_config.h"
#include "cni/install.h"
#include "cni/ipam_config.h"
#include "cni/spec.h"
#include "datastore/config.h"
#include "felix/health_probe.h"
#include "felix/node_config.h"

namespace calico {
namespace {

namespace fs = std::filesystem;
using api::Json;

const fs::path manifests_dir = CALICO_MANIFESTS_DIR;
const fs::path repo_dir = CALICO_REPO_ROOT;
constexpr const char* kRegenerate =
    "; regenerate with `calico-crd-gen manifests/crds` (see manifests/README.md)";

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string str(const Json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
}

// ---- loading --------------------------------------------------------------------------

struct Doc {
  fs::path file;
  std::size_t index = 0;
  Json json;
  std::string where() const {
    return fs::relative(file, manifests_dir).string() + " document " + std::to_string(index + 1);
  }
};

std::vector<fs::path> yaml_files(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file() && e.path().extension() == ".yaml") {
      out.push_back(e.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

const std::vector<Doc>& all_docs() {
  static const std::vector<Doc> docs = [] {
    std::vector<Doc> out;
    for (const auto& f : yaml_files(manifests_dir)) {
      auto parsed = api::yaml_to_json_documents(slurp(f));
      if (!parsed) {
        ADD_FAILURE() << f << ": " << parsed.error().to_string();
        continue;
      }
      for (std::size_t i = 0; i < parsed->size(); ++i) {
        out.push_back({f, i, (*parsed)[i]});
      }
    }
    return out;
  }();
  return docs;
}

std::vector<const Doc*> docs_of_kind(const std::string& kind) {
  std::vector<const Doc*> out;
  for (const auto& d : all_docs()) {
    if (str(d.json, "kind") == kind) {
      out.push_back(&d);
    }
  }
  return out;
}

const Json* find_doc(const std::string& kind, const std::string& ns, const std::string& name) {
  for (const auto* d : docs_of_kind(kind)) {
    const Json& m = d->json["metadata"];
    if (str(m, "name") == name && str(m, "namespace") == ns) {
      return &d->json;
    }
  }
  return nullptr;
}

// The committed CRD whose spec.names.kind is `kind`.
const Json* crd_doc(std::string_view kind) {
  for (const auto* d : docs_of_kind("CustomResourceDefinition")) {
    if (str(d->json["spec"]["names"], "kind") == kind) {
      return &d->json;
    }
  }
  return nullptr;
}

const Json& open_api_schema(const Json& crd) {
  return crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"];
}

// ---- schema checks --------------------------------------------------------------------

bool flag(const Json& schema, const char* key) {
  return schema.contains(key) && schema[key].is_boolean() && schema[key].get<bool>();
}

// Kubernetes' structural-schema rules that matter here: every node has a type, or is
// int-or-string (then without type), or preserves unknown fields; arrays have items; an
// object has properties or additionalProperties, not both.
void check_structural(const Json& s, const std::string& path, std::vector<std::string>& errs) {
  if (!s.is_object()) {
    errs.push_back(path + ": schema node is not an object");
    return;
  }
  const bool int_or_string = flag(s, "x-kubernetes-int-or-string");
  const bool preserve = flag(s, "x-kubernetes-preserve-unknown-fields");
  const std::string type = str(s, "type");
  if (type.empty() && !int_or_string && !preserve) {
    errs.push_back(path + ": no type (and neither int-or-string nor preserve-unknown-fields)");
  }
  if (int_or_string && !type.empty()) {
    errs.push_back(path + ": x-kubernetes-int-or-string with a type");
  }
  static const std::set<std::string> types = {"",       "object",  "array",  "string",
                                              "number", "integer", "boolean"};
  if (types.count(type) == 0) {
    errs.push_back(path + ": unknown type \"" + type + "\"");
  }
  if (type == "array") {
    if (!s.contains("items")) {
      errs.push_back(path + ": array without items");
    } else {
      check_structural(s["items"], path + "[]", errs);
    }
  }
  if (s.contains("properties") && s.contains("additionalProperties")) {
    errs.push_back(path + ": both properties and additionalProperties");
  }
  if (s.contains("properties")) {
    for (const auto& [k, v] : s["properties"].items()) {
      check_structural(v, path.empty() ? k : path + "." + k, errs);
    }
  }
  if (s.contains("additionalProperties")) {
    check_structural(s["additionalProperties"], path + ".*", errs);
  }
}

// `value` (what the codec emitted at `path`) against schema node `s`.
void check_value(const Json& s, const Json& value, const std::string& path,
                 std::vector<std::string>& errs) {
  if (value.is_null()) {
    if (!flag(s, "nullable")) {
      errs.push_back(path +
                     ": the codec writes null here, but the schema is not nullable (the "
                     "server would drop it)");
    }
    return;
  }
  if (flag(s, "x-kubernetes-int-or-string")) {
    if (!value.is_number_integer() && !value.is_string()) {
      errs.push_back(path + ": int-or-string, the codec wrote " + value.dump());
    }
    return;
  }
  const std::string type = str(s, "type");
  if (type.empty() && flag(s, "x-kubernetes-preserve-unknown-fields")) {
    return;
  }
  auto mismatch = [&](const std::string& want) {
    errs.push_back(path + ": schema type " + want + ", the codec wrote " + value.dump());
  };
  if (type == "string") {
    if (!value.is_string()) {
      mismatch("string");
    } else if (value.get<std::string>().empty() && !flag(s, "nullable")) {
      // kube-apiserver built with a recent Go reads "" as null (api/crd_schema.cpp).
      errs.push_back(path +
                     ": the codec writes \"\" here, which the API server refuses "
                     "unless the schema is nullable");
    }
  } else if (type == "boolean") {
    if (!value.is_boolean()) {
      mismatch("boolean");
    }
  } else if (type == "number") {
    if (!value.is_number()) {
      mismatch("number");
    }
  } else if (type == "integer") {
    const std::string format = str(s, "format");
    if (!value.is_number_integer()) {
      mismatch("integer");
    } else if (value.is_number_unsigned() &&
               value.get<std::uint64_t>() >
                   static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      mismatch("integer (int64)");
    } else if (format == "int32") {
      const auto v = value.get<std::int64_t>();
      if (v < std::numeric_limits<std::int32_t>::min() ||
          v > std::numeric_limits<std::int32_t>::max()) {
        mismatch("integer (int32)");
      }
    }
  } else if (type == "array") {
    if (!value.is_array()) {
      mismatch("array");
      return;
    }
    for (std::size_t i = 0; i < value.size(); ++i) {
      check_value(s["items"], value[i], path + "[" + std::to_string(i) + "]", errs);
    }
  } else if (type == "object") {
    if (!value.is_object()) {
      mismatch("object");
      return;
    }
    for (const auto& [k, v] : value.items()) {
      const std::string p = path.empty() ? k : path + "." + k;
      if (s.contains("properties") && s["properties"].contains(k)) {
        check_value(s["properties"][k], v, p, errs);
      } else if (s.contains("additionalProperties")) {
        check_value(s["additionalProperties"], v, p, errs);
      } else if (!flag(s, "x-kubernetes-preserve-unknown-fields")) {
        errs.push_back(p + ": not in the schema (the server would prune it)");
      }
    }
  } else {
    errs.push_back(path + ": schema node without a usable type");
  }
}

// What the API server keeps of `value` (structural pruning): object fields the schema
// does not declare and nulls in non-nullable fields are dropped.
Json prune(const Json& s, const Json& value) {
  if (value.is_array() && s.contains("items")) {
    Json out = Json::array();
    for (const auto& e : value) {
      out.push_back(prune(s["items"], e));
    }
    return out;
  }
  if (!value.is_object() || flag(s, "x-kubernetes-preserve-unknown-fields")) {
    return value;
  }
  Json out = Json::object();
  for (const auto& [k, v] : value.items()) {
    const Json* field = nullptr;
    if (s.contains("properties") && s["properties"].contains(k)) {
      field = &s["properties"][k];
    } else if (s.contains("additionalProperties")) {
      field = &s["additionalProperties"];
    }
    if (field == nullptr || (v.is_null() && !flag(*field, "nullable"))) {
      continue;
    }
    out[k] = prune(*field, v);
  }
  return out;
}

// ---- fully populated model objects ----------------------------------------------------

// Number / String: every scalar set (the largest integers, num-or-string scalars in one
// form); Zero: every optional set and every list/map holding one item, but strings,
// booleans and numbers empty or zero (so the codec writes exactly the values it writes
// even when empty).
enum class ScalarForm { Number, String, Zero };

const char* form_name(ScalarForm f) {
  return f == ScalarForm::Number ? "numbers" : f == ScalarForm::String ? "strings" : "zeros";
}

// Both forms of each num-or-string scalar, at the edge of its range.
template <class T>
Json scalar_json(ScalarForm form) {
  const bool num = form != ScalarForm::String;
  if constexpr (std::is_same_v<T, api::ASNumber>) {
    return num ? Json(4294967295U) : Json("65000.100");
  } else if constexpr (std::is_same_v<T, api::Port>) {
    return num ? Json(65535) : Json("1024:65535");
  } else if constexpr (std::is_same_v<T, api::Protocol>) {
    return num ? Json(255) : Json("TCP");
  } else if constexpr (std::is_same_v<T, api::IntOrString>) {
    return num ? Json(std::numeric_limits<std::int32_t>::max()) : Json("EF");
  } else {
    static_assert(std::is_same_v<T, void>, "new scalar type: add its forms here");
  }
}

// Sets every field, so the encoder emits every field path: every optional set, one list
// item (and a null one where items are optional), one map entry; scalars per ScalarForm
// ("x", true and the largest value of each integer type, uint64 capped at int64's since
// the API server stores integers as int64; or "", false and 0).
class Filler {
 public:
  explicit Filler(ScalarForm form) : form_(form) {}

  template <class T>
  void operator()(std::string_view /*key*/, T& field, api::Emit /*emit*/ = api::Emit::OmitEmpty) {
    fill(field);
  }

  template <class T>
  void fill(T& out) {
    if constexpr (std::is_same_v<T, Json>) {
      out = Json{{"free", "form"}};
    } else if constexpr (api::IsOptional<T>::value) {
      out.emplace();
      fill(*out);
    } else if constexpr (std::is_same_v<T, std::string>) {
      out = zero() ? "" : "x";
    } else if constexpr (std::is_same_v<T, bool>) {
      out = !zero();
    } else if constexpr (std::is_integral_v<T>) {
      if (zero()) {
        out = 0;
      } else if constexpr (std::is_unsigned_v<T> && sizeof(T) == 8) {
        out = static_cast<T>(std::numeric_limits<std::int64_t>::max());
      } else {
        out = std::numeric_limits<T>::max();
      }
    } else if constexpr (std::is_floating_point_v<T>) {
      out = zero() ? 0.0 : 1.5;
    } else if constexpr (api::IsVector<T>::value) {
      out.resize(1);
      fill(out[0]);
      if constexpr (api::IsOptional<typename T::value_type>::value) {
        out.emplace_back();
      }
    } else if constexpr (api::IsStringMap<T>::value) {
      fill(out["k"]);
      if constexpr (api::IsOptional<typename T::mapped_type>::value) {
        out["unset"] = std::nullopt;
      }
    } else if constexpr (api::CustomScalar<T>) {
      std::string why;
      EXPECT_TRUE(out.decode_json(scalar_json<T>(form_), why)) << why;
    } else {
      out.visit(*this);
    }
  }

 private:
  bool zero() const { return form_ == ScalarForm::Zero; }
  ScalarForm form_;
};

// Fills everything but metadata (the server owns ObjectMeta; the CRD codec moves ours
// into an annotation).
class ResourceFiller {
 public:
  explicit ResourceFiller(ScalarForm form) : fill_(form) {}
  template <class T>
  void operator()(std::string_view key, T& field, api::Emit /*emit*/ = api::Emit::OmitEmpty) {
    if (key != "metadata") {
      fill_.fill(field);
    }
  }

 private:
  Filler fill_;
};

api::AnyResource filled(api::Kind kind, ScalarForm form) {
  api::AnyResource r = api::make_resource(kind);
  std::visit(
      [form](auto& res) {
        ResourceFiller f(form);
        res.visit(f);
        res.metadata.name = "filled";
      },
      r);
  return r;
}

// ---- the repository: what CMake builds, where the image puts it -----------------------

// Executable names of every calico_add_executable / add_executable in the product's
// CMakeLists.txt files (tests/ and build directories are not the product).
std::set<std::string> built_executables() {
  std::set<std::string> out;
  const std::regex re(R"((?:calico_add_executable|add_executable)\s*\(\s*([A-Za-z0-9_.+-]+))");
  for (auto it = fs::recursive_directory_iterator(repo_dir);
       it != fs::recursive_directory_iterator(); ++it) {
    const std::string name = it->path().filename().string();
    if (it->is_directory() &&
        (name.rfind("build", 0) == 0 || name == "tests" || name.front() == '.')) {
      it.disable_recursion_pending();
      continue;
    }
    if (name != "CMakeLists.txt") {
      continue;
    }
    const std::string text = slurp(it->path());
    for (std::sregex_iterator m(text.begin(), text.end(), re), end; m != end; ++m) {
      out.insert((*m)[1].str());
    }
  }
  return out;
}

// The Dockerfile's final stage: file name -> directory it is copied to ("/usr/local/bin/").
std::map<std::string, std::string> image_files() {
  std::string text = slurp(repo_dir / "Dockerfile");
  text = std::regex_replace(text, std::regex(R"(\\\n)"), " ");
  std::istringstream in(text);
  std::map<std::string, std::string> out;
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::vector<std::string> w;
    for (std::string t; words >> t;) {
      w.push_back(t);
    }
    if (w.empty()) {
      continue;
    }
    if (w[0] == "FROM") {
      out.clear();  // only the last stage is the image
    } else if (w[0] == "COPY" && w.size() >= 3) {
      std::vector<std::string> args;
      for (std::size_t i = 1; i < w.size(); ++i) {
        if (w[i].rfind("--", 0) != 0) {
          args.push_back(w[i]);
        }
      }
      for (std::size_t i = 0; i + 1 < args.size(); ++i) {
        out[fs::path(args[i]).filename().string()] = args.back();
      }
    }
  }
  return out;
}

// The environment names each DaemonSet binary reads: the tables its readers use.
std::map<std::string, std::set<std::string>> env_readers() {
  std::set<std::string> node(felix::kNodeEnvVars.begin(), felix::kNodeEnvVars.end());
  node.insert(datastore::kDatastoreEnvVars.begin(), datastore::kDatastoreEnvVars.end());
  return {{"calico-node", node},
          {"calico-cni-install", {cni::install::kEnvVars.begin(), cni::install::kEnvVars.end()}}};
}

// ---- the DaemonSet --------------------------------------------------------------------

constexpr const char* kNodeName = "node-1";

const Json& daemon_set() {
  static const Json* ds = find_doc("DaemonSet", "kube-system", "calico-node");
  if (ds == nullptr) {
    ADD_FAILURE() << "no DaemonSet kube-system/calico-node in manifests/";
    static const Json empty = Json::object();
    return empty;
  }
  return *ds;
}

struct Container {
  std::string name;
  Json json;
  std::string binary() const {
    return json.contains("command") && !json["command"].empty()
               ? fs::path(json["command"][0].get<std::string>()).filename().string()
               : "";
  }
};

std::vector<Container> containers() {
  std::vector<Container> out;
  const Json& pod = daemon_set()["spec"]["template"]["spec"];
  for (const char* list : {"initContainers", "containers"}) {
    if (pod.contains(list)) {
      for (const auto& c : pod[list]) {
        out.push_back({str(c, "name"), c});
      }
    }
  }
  return out;
}

const Container* container_running(const std::string& binary) {
  static const std::vector<Container> all = containers();
  for (const auto& c : all) {
    if (c.binary() == binary) {
      return &c;
    }
  }
  return nullptr;
}

// The container's environment as the kubelet would set it: values, ConfigMap keys (from
// the manifests) and the node name for spec.nodeName.
datastore::Environment resolved_env(const Container& c) {
  datastore::Environment env;
  const std::string ns = str(daemon_set()["metadata"], "namespace");
  for (const auto& e : c.json.value("env", Json::array())) {
    const std::string name = str(e, "name");
    if (e.contains("value")) {
      EXPECT_TRUE(e["value"].is_string()) << c.name << " env " << name << ": not a string";
      env[name] = str(e, "value");
    } else if (e.contains("valueFrom") && e["valueFrom"].contains("configMapKeyRef")) {
      const Json& ref = e["valueFrom"]["configMapKeyRef"];
      const Json* cm = find_doc("ConfigMap", ns, str(ref, "name"));
      const std::string key = str(ref, "key");
      EXPECT_TRUE(cm != nullptr && (*cm)["data"].contains(key))
          << c.name << " env " << name << ": no ConfigMap " << ns << "/" << str(ref, "name")
          << " with key " << key;
      env[name] = cm != nullptr ? str((*cm)["data"], key.c_str()) : "";
    } else if (e.contains("valueFrom") && e["valueFrom"].contains("fieldRef")) {
      const std::string field = str(e["valueFrom"]["fieldRef"], "fieldPath");
      EXPECT_EQ(field, "spec.nodeName") << c.name << " env " << name;
      env[name] = kNodeName;
    } else {
      ADD_FAILURE() << c.name << " env " << name << ": no value the test understands";
    }
  }
  return env;
}

cni::install::Settings install_settings() {
  const Container* c = container_running("calico-cni-install");
  if (c == nullptr) {
    ADD_FAILURE() << "no container runs calico-cni-install";
    return {};
  }
  const auto env = resolved_env(*c);
  auto s = cni::install::settings_from_env([&env](const std::string& k) {
    auto it = env.find(k);
    return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
  });
  EXPECT_TRUE(s) << "calico-cni-install refuses the DaemonSet's env: " << s.error();
  return s ? *s : cni::install::Settings{};
}

felix::NodeOptions node_options() {
  const Container* c = container_running("calico-node");
  if (c == nullptr) {
    ADD_FAILURE() << "no container runs calico-node";
    return {};
  }
  auto opt = felix::node_options_from_env(resolved_env(*c), kNodeName);
  EXPECT_TRUE(opt) << "calico-node refuses the DaemonSet's env: " << opt.error();
  return opt ? *opt : felix::NodeOptions{};
}

bool mounts(const Container& c, const std::string& path) {
  for (const auto& m : c.json.value("volumeMounts", Json::array())) {
    const std::string mp = str(m, "mountPath");
    if (path == mp || path.rfind(mp + "/", 0) == 0) {
      return true;
    }
  }
  return false;
}

// ---- tests: every document ------------------------------------------------------------

TEST(Manifests, EveryDocumentHasAnIdentityAndNoneIsDuplicated) {
  ASSERT_FALSE(all_docs().empty());
  std::map<std::tuple<std::string, std::string, std::string>, std::string> seen;
  for (const auto& d : all_docs()) {
    const Json& j = d.json;
    ASSERT_TRUE(j.is_object()) << d.where();
    EXPECT_FALSE(str(j, "apiVersion").empty()) << d.where() << ": no apiVersion";
    EXPECT_FALSE(str(j, "kind").empty()) << d.where() << ": no kind";
    ASSERT_TRUE(j.contains("metadata") && j["metadata"].is_object()) << d.where();
    EXPECT_FALSE(str(j["metadata"], "name").empty()) << d.where() << ": no metadata.name";
    const auto id = std::make_tuple(str(j, "kind"), str(j["metadata"], "namespace"),
                                    str(j["metadata"], "name"));
    auto [it, fresh] = seen.emplace(id, d.where());
    EXPECT_TRUE(fresh) << d.where() << ": same kind/namespace/name as " << it->second;
  }
}

// ---- tests: CRDs ----------------------------------------------------------------------

TEST(Crds, OneFilePerStoredKindWithTheKindTablesNames) {
  for (const auto& k : api::kKinds) {
    const auto names = api::crd_names(k.kind);
    if (!names) {
      continue;
    }
    int files = 0;
    for (const auto* d : docs_of_kind("CustomResourceDefinition")) {
      files += str(d->json["spec"]["names"], "kind") == names->kind ? 1 : 0;
    }
    ASSERT_EQ(files, 1) << k.name << ": expected exactly one CRD of kind " << names->kind;
    const Json& crd = *crd_doc(names->kind);
    const Json& spec = crd["spec"];
    const std::string plural(names->plural);
    EXPECT_EQ(str(crd["metadata"], "name"), plural + "." + std::string(api::kCrdGroup));
    EXPECT_EQ(str(spec, "group"), api::kCrdGroup) << k.name;
    EXPECT_EQ(str(spec["names"], "plural"), plural) << k.name;
    EXPECT_EQ(str(spec["names"], "listKind"), std::string(names->kind) + "List") << k.name;
    EXPECT_EQ(str(spec, "scope"), k.namespaced ? "Namespaced" : "Cluster") << k.name;
    ASSERT_EQ(spec["versions"].size(), 1U) << k.name;
    const Json& v = spec["versions"][0];
    EXPECT_EQ(str(v, "name"), "v1") << k.name;
    EXPECT_TRUE(flag(v, "served") && flag(v, "storage")) << k.name << ": v1 not served+storage";
  }
}

TEST(Crds, EveryFileIsAKnownCrdAndTheGeneratorsOutput) {
  std::set<std::string> expected;
  for (const auto& d : api::crd_definitions()) {
    const std::string file = api::crd_file_name(d);
    expected.insert(file);
    const fs::path path = manifests_dir / "crds" / file;
    ASSERT_TRUE(fs::exists(path)) << file << " is missing" << kRegenerate;
    EXPECT_TRUE(slurp(path) == api::crd_yaml(d))
        << file << " differs from what the api/ model generates" << kRegenerate;
  }
  for (const auto& f : yaml_files(manifests_dir / "crds")) {
    EXPECT_EQ(expected.count(f.filename().string()), 1U)
        << f.filename() << " is not a CRD of api/crd_schema.h" << kRegenerate;
  }
  EXPECT_EQ(docs_of_kind("CustomResourceDefinition").size(), expected.size());
}

TEST(Crds, SchemasAreStructural) {
  for (const auto* d : docs_of_kind("CustomResourceDefinition")) {
    const Json& root = open_api_schema(d->json);
    std::vector<std::string> errs;
    check_structural(root, "", errs);
    EXPECT_EQ(str(root, "type"), "object") << d->where();
    // The server validates ObjectMeta itself; a CRD may only say it is an object.
    EXPECT_EQ(root["properties"]["metadata"], Json({{"type", "object"}})) << d->where();
    for (const auto& e : errs) {
      ADD_FAILURE() << d->where() << " (" << str(d->json["spec"]["names"], "kind") << "): " << e;
    }
  }
}

// The check the issue asks for, independent of the generator: every field path the codec
// emits for a fully populated object is in the committed schema with a compatible type,
// and what the server keeps after pruning decodes back to the same object.
TEST(Crds, SchemaDeclaresEveryFieldTheCodecEmits) {
  for (const auto& k : api::kKinds) {
    const auto names = api::crd_names(k.kind);
    if (!names) {
      continue;
    }
    const Json* crd = crd_doc(names->kind);
    ASSERT_NE(crd, nullptr) << k.name;
    const Json& schema = open_api_schema(*crd);
    for (const auto form : {ScalarForm::Number, ScalarForm::String, ScalarForm::Zero}) {
      const api::AnyResource value = filled(k.kind, form);
      const Json encoded = api::encode_json(value);
      // Every spec field of every kind is set: an empty spec would mean nothing is checked.
      EXPECT_FALSE(encoded["spec"].empty()) << k.name << " (" << form_name(form) << ")";
      std::vector<std::string> errs;
      Json kept = encoded;
      for (const auto& [key, v] : encoded.items()) {
        if (key == "metadata") {
          continue;  // the server's (our metadata travels in an annotation: crd_codec.h)
        }
        if (!schema["properties"].contains(key)) {
          errs.push_back(key + ": not in the schema (the server would prune it)");
          kept.erase(key);
          continue;
        }
        check_value(schema["properties"][key], v, key, errs);
        kept[key] = prune(schema["properties"][key], v);
      }
      for (const auto& e : errs) {
        ADD_FAILURE() << k.name << " (CRD " << names->kind << ", " << form_name(form) << "): " << e;
      }
      auto back = api::decode_json(kept);
      ASSERT_TRUE(back) << k.name << " (" << form_name(form)
                        << "): " << back.error().to_string_all();
      EXPECT_TRUE(*back == value) << k.name << " (" << form_name(form)
                                  << "): changed by pruning; kept " << kept.dump() << "\nof "
                                  << encoded.dump();
    }
  }
}

TEST(Crds, TypeMappingOfTheTrickyFields) {
  const Json block = api::crd_schema(api::Kind::IPAMBlock)["properties"]["spec"]["properties"];
  // Free ordinals are null in allocations.
  EXPECT_TRUE(flag(block["allocations"]["items"], "nullable"));
  EXPECT_EQ(str(block["sequenceNumber"], "format"), "int64");
  const Json rule =
      api::crd_schema(api::Kind::GlobalNetworkPolicy)["properties"]["spec"]["properties"]["ingress"]
                                                     ["items"]["properties"];
  EXPECT_TRUE(flag(rule["protocol"], "x-kubernetes-int-or-string"));
  EXPECT_TRUE(flag(rule["source"]["properties"]["ports"]["items"], "x-kubernetes-int-or-string"));
  EXPECT_EQ(str(rule["ipVersion"], "format"), "int32");
  const Json peer = api::crd_schema(api::Kind::BGPPeer)["properties"]["spec"]["properties"];
  EXPECT_TRUE(flag(peer["asNumber"], "x-kubernetes-int-or-string"));
  EXPECT_FALSE(peer["asNumber"].contains("type"));
  // No modelled kind needs free-form JSON.
  for (const auto& d : api::crd_definitions()) {
    if (d.model) {
      EXPECT_EQ(api::crd_schema(*d.model).dump().find("preserve-unknown"), std::string::npos)
          << d.kind;
    }
  }
}

// ---- tests: the DaemonSet -------------------------------------------------------------

TEST(DaemonSet, CommandsAreBinariesWeBuildWhereTheImagePutsThem) {
  const auto built = built_executables();
  ASSERT_GT(built.count("calico-node"), 0U) << "the CMake scan found no calico-node";
  const auto image = image_files();
  const auto all = containers();
  ASSERT_FALSE(all.empty());
  for (const auto& c : all) {
    ASSERT_TRUE(c.json.contains("command") && !c.json["command"].empty())
        << c.name << ": no command (the image's entrypoint is not what we check)";
    const std::string cmd = c.json["command"][0].get<std::string>();
    const std::string bin = c.binary();
    EXPECT_EQ(built.count(bin), 1U) << c.name << ": " << cmd << " is not a binary CMake builds";
    auto it = image.find(bin);
    ASSERT_NE(it, image.end()) << c.name << ": the Dockerfile does not copy " << bin;
    EXPECT_EQ(it->second, fs::path(cmd).parent_path().string() + "/")
        << c.name << ": the image has " << bin << " in " << it->second;
  }
}

TEST(DaemonSet, EveryEnvNameIsReadByTheContainersBinary) {
  const auto readers = env_readers();
  for (const auto& c : containers()) {
    auto r = readers.find(c.binary());
    ASSERT_NE(r, readers.end()) << c.name << ": no environment table for " << c.binary();
    for (const auto& e : c.json.value("env", Json::array())) {
      EXPECT_EQ(r->second.count(str(e, "name")), 1U)
          << c.name << ": " << c.binary() << " does not read " << str(e, "name");
    }
  }
}

TEST(DaemonSet, EnvValuesAreAcceptedByTheBinaries) {
  const auto opt = node_options();
  EXPECT_EQ(opt.node_name, kNodeName);
  const Container* node = container_running("calico-node");
  ASSERT_NE(node, nullptr);
  auto ds = datastore::load_config("", resolved_env(*node));
  ASSERT_TRUE(ds) << ds.error();
  EXPECT_EQ(ds->type, datastore::DatastoreType::Kubernetes);
  // The directories calico-node writes to are host paths.
  EXPECT_TRUE(mounts(*node, fs::path(opt.nodename_file).parent_path().string()));
  EXPECT_TRUE(mounts(*node, fs::path(opt.control_socket).parent_path().string()));

  const auto s = install_settings();
  const Container* install = container_running("calico-cni-install");
  ASSERT_NE(install, nullptr);
  EXPECT_TRUE(mounts(*install, s.bin_dir)) << s.bin_dir;
  EXPECT_TRUE(mounts(*install, s.net_dir)) << s.net_dir;
  // The plugins it copies are in the image where it looks for them.
  const auto image = image_files();
  for (const auto& b : s.binaries) {
    auto it = image.find(b);
    ASSERT_NE(it, image.end()) << "CNI_BINARIES names " << b << ", not in the image";
    EXPECT_EQ(it->second, s.source_dir + "/") << b;
  }
}

TEST(DaemonSet, ProbesUseCalicoNodesHealthFlagsAndPorts) {
  const auto opt = node_options();
  const std::set<int> node_ports = {opt.health_port, api::kBgpDefaultListenPort};
  int exec_probes = 0;
  int ports_seen = 0;
  for (const auto& c : containers()) {
    for (const auto& p : c.json.value("ports", Json::array())) {
      ++ports_seen;
      EXPECT_EQ(c.binary(), "calico-node") << c.name << " declares a port";
      EXPECT_EQ(node_ports.count(p.value("containerPort", 0)), 1U)
          << c.name << ": port " << p.dump() << " is neither health " << opt.health_port
          << " nor BGP " << api::kBgpDefaultListenPort;
    }
    for (const char* kind : {"livenessProbe", "readinessProbe", "startupProbe"}) {
      if (!c.json.contains(kind)) {
        continue;
      }
      const Json& probe = c.json[kind];
      if (probe.contains("httpGet") || probe.contains("tcpSocket")) {
        ++ports_seen;
        const Json& target = probe.contains("httpGet") ? probe["httpGet"] : probe["tcpSocket"];
        EXPECT_EQ(target.value("port", 0), opt.health_port) << c.name << " " << kind;
        continue;
      }
      ASSERT_TRUE(probe.contains("exec")) << c.name << " " << kind << ": unknown probe type";
      ++exec_probes;
      const Json& cmd = probe["exec"]["command"];
      ASSERT_GE(cmd.size(), 2U) << c.name << " " << kind;
      EXPECT_EQ(cmd[0], c.json["command"][0]) << c.name << " " << kind << ": another binary";
      std::vector<std::string> args;
      for (std::size_t i = 1; i < cmd.size(); ++i) {
        args.push_back(cmd[i].get<std::string>());
        EXPECT_TRUE(felix::find_probe_flag(args.back()))
            << c.name << " " << kind << ": calico-node has no flag " << args.back();
      }
      const auto path = felix::probe_path(args);
      ASSERT_TRUE(path) << c.name << " " << kind << ": calico-node refuses these flags";
      // Both components are checked (the combined endpoint), and of the right kind.
      EXPECT_EQ(*path, std::string(kind) == "livenessProbe" ? "/liveness" : "/readiness")
          << c.name << " " << kind;
    }
  }
  if (ports_seen == 0) {
    EXPECT_EQ(exec_probes, 2) << "no ports: liveness and readiness must be exec probes";
  }
  EXPECT_TRUE(opt.health_enabled) << "probes need FELIX_HEALTHENABLED";
}

// ---- tests: RBAC ----------------------------------------------------------------------

TEST(Rbac, BindingsNameDefinedRolesAndServiceAccounts) {
  int bindings = 0;
  for (const char* kind : {"ClusterRoleBinding", "RoleBinding"}) {
    for (const auto* d : docs_of_kind(kind)) {
      ++bindings;
      const Json& b = d->json;
      const std::string ns = str(b["metadata"], "namespace");
      const Json& ref = b["roleRef"];
      const std::string role_kind = str(ref, "kind");
      EXPECT_TRUE(role_kind == "ClusterRole" ||
                  (role_kind == "Role" && kind == std::string("RoleBinding")))
          << d->where();
      EXPECT_NE(find_doc(role_kind, role_kind == "Role" ? ns : "", str(ref, "name")), nullptr)
          << d->where() << ": no " << role_kind << " " << str(ref, "name");
      ASSERT_FALSE(b.value("subjects", Json::array()).empty()) << d->where();
      for (const auto& s : b["subjects"]) {
        if (str(s, "kind") == "ServiceAccount") {
          EXPECT_NE(find_doc("ServiceAccount", str(s, "namespace"), str(s, "name")), nullptr)
              << d->where() << ": no ServiceAccount " << str(s, "namespace") << "/"
              << str(s, "name");
        }
      }
    }
  }
  EXPECT_GT(bindings, 0);
  // The DaemonSet runs as a defined service account.
  const std::string sa = str(daemon_set()["spec"]["template"]["spec"], "serviceAccountName");
  EXPECT_NE(find_doc("ServiceAccount", str(daemon_set()["metadata"], "namespace"), sa), nullptr)
      << sa;
}

TEST(Rbac, CalicoResourcesAreDefinedCrds) {
  std::set<std::string> plurals;
  for (const auto& d : api::crd_definitions()) {
    plurals.insert(std::string(d.plural));
  }
  for (const char* kind : {"ClusterRole", "Role"}) {
    for (const auto* d : docs_of_kind(kind)) {
      for (const auto& rule : d->json.value("rules", Json::array())) {
        const auto groups = rule.value("apiGroups", Json::array());
        if (std::find(groups.begin(), groups.end(), Json(std::string(api::kCrdGroup))) ==
            groups.end()) {
          continue;
        }
        for (const auto& r : rule.value("resources", Json::array())) {
          EXPECT_EQ(plurals.count(r.get<std::string>()), 1U)
              << d->where() << ": " << r << " is not one of our CRDs";
        }
      }
    }
  }
}

// ---- tests: the CNI configuration -----------------------------------------------------

TEST(CniConfig, TemplateRendersToAConfigThePluginsAccept) {
  const auto s = install_settings();
  ASSERT_FALSE(s.network_config.empty()) << "CNI_NETWORK_CONFIG is not set from the ConfigMap";
  auto rendered = cni::install::render_network_config(s.network_config, s);
  ASSERT_TRUE(rendered) << rendered.error();
  const auto conflist = nlohmann::json::parse(*rendered, nullptr, false);
  ASSERT_TRUE(conflist.is_object()) << *rendered;
  ASSERT_TRUE(conflist.contains("plugins") && conflist["plugins"].is_array()) << *rendered;
  int calico = 0;
  for (auto plugin : conflist["plugins"]) {
    if (plugin.value("type", "") != "calico") {
      continue;
    }
    ++calico;
    // A runtime hands each plugin of a list its entry plus the list's name and version.
    plugin["name"] = conflist["name"];
    plugin["cniVersion"] = conflist["cniVersion"];
    auto netconf = cni::parse_netconf(plugin.dump());
    ASSERT_TRUE(netconf) << netconf.error();
    auto conf = cni::parse_calico_conf(*netconf);
    ASSERT_TRUE(conf) << conf.error();
    EXPECT_EQ(conf->common.nodename, kNodeName);
    EXPECT_EQ(conf->common.datastore_type, "kubernetes");
    EXPECT_EQ(conf->common.ipam_type, "calico-ipam");
    EXPECT_EQ(conf->common.kubeconfig, s.kubeconfig_host_path);
    EXPECT_EQ(std::to_string(conf->mtu), s.mtu);
    // The delegate IPAM plugin reads the same document.
    auto ipam = cni::parse_ipam_conf(*netconf);
    EXPECT_TRUE(ipam) << ipam.error();
  }
  EXPECT_EQ(calico, 1);
}

TEST(CniConfig, InstallerReadsExactlyItsEnvTable) {
  std::set<std::string> read;
  auto s = cni::install::settings_from_env([&read](const std::string& k) {
    read.insert(k);
    return std::optional<std::string>();
  });
  ASSERT_TRUE(s) << s.error();
  EXPECT_EQ(read,
            std::set<std::string>(cni::install::kEnvVars.begin(), cni::install::kEnvVars.end()));
}

}  // namespace
}  // namespace calico
