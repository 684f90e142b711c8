#include "api/document.h"

#include "api/validation.h"
#include "api/yaml.h"

namespace calico::api {
namespace {

Error doc_error(const Json& doc, std::string path, std::string message) {
  Error e;
  if (doc.is_object()) {
    if (auto k = doc.find("kind"); k != doc.end() && k->is_string()) {
      e.kind = k->get<std::string>();
    }
    if (auto m = doc.find("metadata"); m != doc.end() && m->is_object()) {
      if (auto n = m->find("name"); n != m->end() && n->is_string()) {
        e.name = n->get<std::string>();
      }
      if (auto ns = m->find("namespace"); ns != m->end() && ns->is_string()) {
        e.ns = ns->get<std::string>();
      }
    }
  }
  e.fields.push_back({std::move(path), std::move(message)});
  return e;
}

template <std::size_t I = 0>
std::vector<FieldError> decode_into(Kind kind, const Json& body, AnyResource& out) {
  if constexpr (I < std::variant_size_v<AnyResource>) {
    using T = std::variant_alternative_t<I, AnyResource>;
    if (T::kKind == kind) {
      T value{};
      auto errs = decode_struct(body, value);
      out = std::move(value);
      return errs;
    }
    return decode_into<I + 1>(kind, body, out);
  } else {
    return {{"kind", "no decoder for kind"}};
  }
}

}  // namespace

Result<AnyResource, Error> decode_json(const Json& doc) {
  if (!doc.is_object()) {
    return fail(doc_error(doc, "", "a resource must be a map, got " + json_type_name(doc)));
  }
  const auto av = doc.find("apiVersion");
  const auto k = doc.find("kind");
  if (k == doc.end() || !k->is_string() || k->get<std::string>().empty()) {
    return fail(doc_error(doc, "kind", "is required"));
  }
  if (av == doc.end() || !av->is_string() || av->get<std::string>().empty()) {
    return fail(doc_error(doc, "apiVersion", "is required"));
  }
  const auto api_version = av->get<std::string>();
  const auto kind_name = k->get<std::string>();
  const auto kind = kind_from_document(api_version, kind_name);
  if (!kind) {
    if (api_version != kCalicoApiVersion && api_version != kCrdApiVersion &&
        api_version != kK8sNetworkingApiVersion) {
      return fail(doc_error(doc, "apiVersion",
                            "unsupported apiVersion \"" + api_version + "\" (expected " +
                                std::string(kCalicoApiVersion) + ")"));
    }
    return fail(doc_error(
        doc, "kind", "unknown kind \"" + kind_name + "\" for apiVersion \"" + api_version + "\""));
  }
  Json body = doc;
  body.erase("apiVersion");
  body.erase("kind");
  AnyResource out = make_resource(*kind);
  auto errs = decode_into(*kind, body, out);
  if (!errs.empty()) {
    Error e = doc_error(doc, "", "");
    e.kind = std::string(info(*kind).name);
    e.fields = std::move(errs);
    return fail(std::move(e));
  }
  return out;
}

Result<AnyResource, Error> decode_json_text(std::string_view text) {
  Json doc;
  try {
    doc = Json::parse(text);
  } catch (const Json::parse_error& e) {
    Error err;
    err.fields.push_back({"", std::string("invalid JSON: ") + e.what()});
    return fail(std::move(err));
  }
  return decode_json(doc);
}

Result<std::vector<AnyResource>, Error> decode_yaml(std::string_view text, std::string_view source,
                                                    std::vector<std::string>* sources) {
  auto docs = yaml_to_json_documents(text);
  if (!docs) {
    Error e;
    e.source = std::string(source);
    e.fields.push_back({"", docs.error().to_string()});
    return fail(std::move(e));
  }
  std::vector<AnyResource> out;
  std::size_t index = 0;
  auto source_of = [&](std::size_t i) {
    std::string s(source);
    if (docs->size() > 1) {
      s += (s.empty() ? "" : " ") + std::string("document ") + std::to_string(i + 1);
    }
    return s;
  };
  for (const auto& doc : *docs) {
    // "XList" documents: expand items.
    if (doc.is_object() && doc.contains("items") && doc.contains("kind") &&
        doc["kind"].is_string() && doc["kind"].get<std::string>().ends_with("List")) {
      if (!doc["items"].is_array()) {
        Error e = doc_error(doc, "items", "must be a list");
        e.source = source_of(index);
        return fail(std::move(e));
      }
      for (const auto& item : doc["items"]) {
        auto r = decode_json(item);
        if (!r) {
          r.error().source = source_of(index);
          return fail(std::move(r).error());
        }
        out.push_back(std::move(*r));
        if (sources != nullptr) {
          sources->push_back(source_of(index));
        }
      }
    } else {
      auto r = decode_json(doc);
      if (!r) {
        r.error().source = source_of(index);
        return fail(std::move(r).error());
      }
      out.push_back(std::move(*r));
      if (sources != nullptr) {
        sources->push_back(source_of(index));
      }
    }
    ++index;
  }
  return out;
}

Json encode_json(const AnyResource& r) {
  return std::visit(
      [](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        Json out = Json::object();
        const auto& ki = info(T::kKind);
        out["apiVersion"] = std::string(ki.api_version);
        out["kind"] = std::string(ki.name);
        Json body = encode_value(x);
        for (auto it = body.begin(); it != body.end(); ++it) {
          out[it.key()] = it.value();
        }
        return out;
      },
      r);
}

std::string encode_json_text(const AnyResource& r, int indent) {
  return safe_dump(encode_json(r), indent);
}

std::string encode_yaml(const AnyResource& r) {
  return json_to_yaml(encode_json(r));
}

void apply_defaults(AnyResource& r) {
  std::visit([](auto& x) { apply_defaults_to(x); }, r);
}

Result<void, Error> validate(const AnyResource& r) {
  std::vector<FieldError> errs;
  std::visit([&](const auto& x) { validate_into(x, errs); }, r);
  if (errs.empty()) {
    return {};
  }
  Error e;
  e.kind = std::string(info(kind_of(r)).name);
  e.name = meta_of(r).name;
  e.ns = meta_of(r).ns;
  e.fields = std::move(errs);
  return fail(std::move(e));
}

}  // namespace calico::api
