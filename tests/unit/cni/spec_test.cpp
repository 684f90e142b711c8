// CNI protocol basics (cni/spec.h): environment, versions, errors, network config and
// results in every spec version's format.
#include "cni/spec.h"

#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace calico::cni {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

// ---- helpers ----

GetEnv env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) {
      return std::nullopt;
    }
    return it->second;
  };
}

std::map<std::string, std::string> full_env(const std::string& command) {
  return {{"CNI_COMMAND", command},
          {"CNI_CONTAINERID", "abc123"},
          {"CNI_NETNS", "/var/run/netns/cni-1"},
          {"CNI_IFNAME", "eth0"},
          {"CNI_PATH", "/opt/cni/bin"},
          {"CNI_ARGS", "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0"}};
}

Error env_error(std::map<std::string, std::string> vars) {
  auto got = parse_env(env_of(std::move(vars)));
  EXPECT_FALSE(got.has_value());
  return got ? Error{} : got.error();
}

Error conf_error(std::string_view text) {
  auto got = parse_netconf(text);
  EXPECT_FALSE(got.has_value()) << text;
  return got ? Error{} : got.error();
}

Error result_error(const json& j) {
  auto got = parse_result(j);
  EXPECT_FALSE(got.has_value()) << j.dump();
  return got ? Error{} : got.error();
}

// What the calico plugin returns on ADD (research notes §4.7).
CniResult calico_add_result() {
  CniResult r;
  r.interfaces = {Interface{"cali1234567890a", "", std::nullopt, "", "", ""},
                  Interface{"eth0", "0a:58:0a:f4:03:42", 1440, "/var/run/netns/cni-1", "", ""}};
  r.ips = {IpConfig{"10.244.3.66/32", std::nullopt, 1},
           IpConfig{"fd00:10:244::3:42/128", std::nullopt, 1}};
  r.routes = {Route{"0.0.0.0/0", "169.254.1.1", {}, {}, {}, {}, {}},
              Route{"::/0", "fe80::ecee:eeff:feee:eeee", {}, {}, {}, {}, {}}};
  r.dns = Dns{{"10.96.0.10"}, "cluster.local", {"default.svc.cluster.local"}, {"ndots:5"}};
  return r;
}

// ---- errors ----

TEST(CniError, JsonCarriesVersionCodeMessageAndOptionalDetails) {
  auto j = json::parse(error_json(Error{7, "bad config", "pool too small"}, "1.0.0"));
  EXPECT_EQ(j, (json{{"cniVersion", "1.0.0"},
                     {"code", 7},
                     {"msg", "bad config"},
                     {"details", "pool too small"}}));
  j = json::parse(error_json(Error{kErrTryAgainLater, "busy", ""}, "0.4.0"));
  EXPECT_EQ(j, (json{{"cniVersion", "0.4.0"}, {"code", 11}, {"msg", "busy"}}));
  EXPECT_FALSE(j.contains("details"));
}

TEST(CniError, InvalidUtf8IsReplacedNotThrown) {
  std::string text;
  EXPECT_NO_THROW(text = error_json(Error{4, "bad \xff value", ""}, "1.0.0"));
  EXPECT_EQ(json::parse(text)["code"], 4);
}

TEST(CniError, CodesMatchTheSpec) {
  EXPECT_EQ(kErrIncompatibleVersion, 1);
  EXPECT_EQ(kErrUnsupportedField, 2);
  EXPECT_EQ(kErrUnknownContainer, 3);
  EXPECT_EQ(kErrInvalidEnvironment, 4);
  EXPECT_EQ(kErrIoFailure, 5);
  EXPECT_EQ(kErrDecodingFailure, 6);
  EXPECT_EQ(kErrInvalidNetworkConfig, 7);
  EXPECT_EQ(kErrTryAgainLater, 11);
  EXPECT_EQ(kErrPluginNotAvailable, 50);
  EXPECT_EQ(kErrPluginNotAvailableLimitedConnectivity, 51);
}

TEST(CniError, StreamsCodeMessageAndDetails) {
  std::ostringstream os;
  os << Error{5, "read failed", "EOF"};
  EXPECT_EQ(os.str(), "CNI error 5: read failed (EOF)");
}

// ---- versions ----

TEST(CniVersion, ParsesOneToThreeDecimalParts) {
  EXPECT_EQ(parse_version("1.1.0"), (SemVer{1, 1, 0}));
  EXPECT_EQ(parse_version("0.3"), (SemVer{0, 3, 0}));
  EXPECT_EQ(parse_version("2"), (SemVer{2, 0, 0}));
  EXPECT_EQ(parse_version("10.20.30"), (SemVer{10, 20, 30}));
  for (const char* bad :
       {"", "1.", ".1", "1..0", "1.0.0.0", "v1.0.0", "1.a", "-1", "1.0.0-rc1", "1234567890"}) {
    EXPECT_FALSE(parse_version(bad)) << bad;
  }
}

TEST(CniVersion, ComparesSemantically) {
  EXPECT_LT(*parse_version("0.3.1"), *parse_version("0.4.0"));
  EXPECT_LT(*parse_version("0.10.0"), *parse_version("1.0.0"));
  EXPECT_TRUE(version_at_least("1.1.0", "1.1.0"));
  EXPECT_TRUE(version_at_least("1.2", "1.1.0"));
  EXPECT_FALSE(version_at_least("1.0.0", "1.1.0"));
  EXPECT_FALSE(version_at_least("0.9.0", "0.10.0"));
  EXPECT_FALSE(version_at_least("junk", "0.1.0"));
}

TEST(CniVersion, CheckAcceptsEverySupportedVersion) {
  for (auto v : kSupportedVersions) {
    EXPECT_TRUE(check_version(std::string(v))) << v;
  }
}

TEST(CniVersion, CheckRejectsNewerUnknownAndMalformedVersionsWithCode1) {
  auto newer = check_version("1.2.0");
  ASSERT_FALSE(newer);
  EXPECT_EQ(newer.error().code, kErrIncompatibleVersion);
  EXPECT_THAT(newer.error().msg, HasSubstr("\"1.2.0\""));
  EXPECT_THAT(newer.error().msg, HasSubstr("newer"));
  EXPECT_THAT(newer.error().msg, HasSubstr("0.1.0, 0.2.0, 0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0"));
  auto between = check_version("0.3.2");
  ASSERT_FALSE(between);
  EXPECT_THAT(between.error().msg, HasSubstr("not supported"));
  auto junk = check_version("one");
  ASSERT_FALSE(junk);
  EXPECT_EQ(junk.error().code, 1);
  EXPECT_THAT(junk.error().msg, HasSubstr("not a valid version"));
  EXPECT_FALSE(check_version(""));
  EXPECT_FALSE(check_version("1.0"));  // exact strings, as libcni
}

TEST(CniVersion, VersionReplyEchoesRequestAndListsSupport) {
  auto j = json::parse(version_json("0.4.0"));
  EXPECT_EQ(j["cniVersion"], "0.4.0");
  EXPECT_EQ(j["supportedVersions"],
            (json{"0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"}));
  EXPECT_EQ(json::parse(version_json(""))["cniVersion"], "1.1.0");
}

// ---- environment ----

TEST(CniEnv, AddReadsEveryVariableAndArgs) {
  auto env = parse_env(env_of(full_env("ADD")));
  ASSERT_TRUE(env) << env.error();
  EXPECT_EQ(env->command, "ADD");
  EXPECT_EQ(env->container_id, "abc123");
  EXPECT_EQ(env->netns, "/var/run/netns/cni-1");
  EXPECT_EQ(env->ifname, "eth0");
  EXPECT_EQ(env->path, "/opt/cni/bin");
  ASSERT_EQ(env->args.size(), 3u);
  EXPECT_EQ(env->args[1], (std::pair<std::string, std::string>{"K8S_POD_NAMESPACE", "default"}));
  EXPECT_EQ(arg(*env, "K8S_POD_NAME"), "web-0");
  EXPECT_EQ(arg(*env, "K8S_POD_UID"), std::nullopt);
}

TEST(CniEnv, MissingVariablesAreAllNamed) {
  auto vars = full_env("ADD");
  vars.erase("CNI_NETNS");
  vars["CNI_IFNAME"] = "";  // empty counts as unset
  Error e = env_error(vars);
  EXPECT_EQ(e.code, kErrInvalidEnvironment);
  EXPECT_EQ(e.msg, "required env variables [CNI_NETNS,CNI_IFNAME] missing");
  EXPECT_EQ(env_error({{"CNI_COMMAND", "CHECK"}}).msg,
            "required env variables [CNI_CONTAINERID,CNI_NETNS,CNI_IFNAME,CNI_PATH] missing");
  EXPECT_EQ(env_error({}).msg, "required env variables [CNI_COMMAND] missing");
}

TEST(CniEnv, DelNeedsOnlyContainerIdAndIfname) {
  auto env = parse_env(
      env_of({{"CNI_COMMAND", "DEL"}, {"CNI_CONTAINERID", "abc"}, {"CNI_IFNAME", "eth0"}}));
  ASSERT_TRUE(env) << env.error();
  EXPECT_EQ(env->netns, "");
  EXPECT_EQ(env_error({{"CNI_COMMAND", "DEL"}, {"CNI_NETNS", "/x"}}).msg,
            "required env variables [CNI_CONTAINERID,CNI_IFNAME] missing");
}

TEST(CniEnv, VersionGcAndStatusNeedOnlyTheCommand) {
  for (const char* cmd : {"VERSION", "GC", "STATUS"}) {
    auto env = parse_env(env_of({{"CNI_COMMAND", cmd}, {"CNI_CONTAINERID", "-not-checked"}}));
    ASSERT_TRUE(env) << cmd << ": " << env.error();
    EXPECT_EQ(env->command, cmd);
  }
}

TEST(CniEnv, UnknownCommandIsNamed) {
  for (const char* cmd : {"FOO", "add"}) {
    Error e = env_error({{"CNI_COMMAND", cmd}});
    EXPECT_EQ(e.code, kErrInvalidEnvironment);
    EXPECT_THAT(e.msg, HasSubstr(std::string("\"") + cmd + "\""));
  }
}

TEST(CniEnv, ContainerIdMustUseNameCharacters) {
  for (const char* id : {"-abc", "_abc", "a/b", "a b"}) {
    auto vars = full_env("ADD");
    vars["CNI_CONTAINERID"] = id;
    Error e = env_error(vars);
    EXPECT_EQ(e.code, kErrInvalidEnvironment) << id;
    EXPECT_THAT(e.msg, HasSubstr("CNI_CONTAINERID")) << id;
  }
  auto vars = full_env("DEL");
  vars["CNI_CONTAINERID"] = "A1_b.c-d";
  EXPECT_TRUE(parse_env(env_of(vars)));
}

TEST(CniEnv, IfnameFollowsKernelRules) {
  for (const char* name : {"0123456789abcdef", ".", "..", "eth/0", "eth:0", "eth 0", "eth\t0"}) {
    auto vars = full_env("CHECK");
    vars["CNI_IFNAME"] = name;
    Error e = env_error(vars);
    EXPECT_EQ(e.code, kErrInvalidEnvironment) << name;
    EXPECT_THAT(e.msg, HasSubstr("CNI_IFNAME")) << name;
  }
  auto vars = full_env("ADD");
  vars["CNI_IFNAME"] = "0123456789abcde";  // 15 characters is the maximum
  EXPECT_TRUE(parse_env(env_of(vars)));
}

TEST(CniEnv, CniArgsPairsAreStrict) {
  auto vars = full_env("ADD");
  vars["CNI_ARGS"] = "A=1;;B=;A=2;";  // empty pairs skipped, empty value kept
  auto env = parse_env(env_of(vars));
  ASSERT_TRUE(env) << env.error();
  ASSERT_EQ(env->args.size(), 3u);
  EXPECT_EQ(arg(*env, "A"), "2");  // last wins, as libcni's LoadArgs
  EXPECT_EQ(arg(*env, "B"), "");
  for (const char* bad : {"A", "A=1;B", "=1", "A=1=2"}) {
    vars["CNI_ARGS"] = bad;
    Error e = env_error(vars);
    EXPECT_EQ(e.code, kErrInvalidEnvironment) << bad;
    EXPECT_THAT(e.msg, HasSubstr("CNI_ARGS")) << bad;
  }
  vars["CNI_ARGS"] = "A=1;bogus;C=3";
  EXPECT_THAT(env_error(vars).msg, HasSubstr("\"bogus\""));
  vars.erase("CNI_ARGS");
  EXPECT_TRUE(parse_env(env_of(vars))->args.empty());
}

// ---- network configuration ----

TEST(CniNetConf, ParsesStandardAndPluginKeys) {
  auto conf = parse_netconf(R"({
    "cniVersion": "1.0.0", "name": "k8s-pod-network", "type": "calico",
    "datastore_type": "kubernetes", "mtu": 0,
    "ipam": {"type": "calico-ipam"},
    "prevResult": {"cniVersion": "1.0.0", "ips": [{"address": "10.0.0.1/32"}]}
  })");
  ASSERT_TRUE(conf) << conf.error();
  EXPECT_EQ(conf->cni_version, "1.0.0");
  EXPECT_EQ(conf->name, "k8s-pod-network");
  EXPECT_EQ(conf->type, "calico");
  EXPECT_EQ(conf->raw["datastore_type"], "kubernetes");
  EXPECT_EQ(conf->ipam, (json{{"type", "calico-ipam"}}));
  ASSERT_TRUE(conf->prev_result.has_value());
  EXPECT_EQ(parse_result(*conf->prev_result)->ips.at(0).address, "10.0.0.1/32");
  EXPECT_TRUE(conf->valid_attachments.empty());
}

TEST(CniNetConf, MissingVersionDefaultsTo020AndIpamToEmptyObject) {
  for (const char* text : {R"({"name": "n", "type": "calico"})",
                           R"({"cniVersion": null, "name": "n", "type": "calico", "ipam": null,
                               "prevResult": null})"}) {
    auto conf = parse_netconf(text);
    ASSERT_TRUE(conf) << conf.error();
    EXPECT_EQ(conf->cni_version, "0.2.0");
    EXPECT_EQ(conf->ipam, json::object());
    EXPECT_FALSE(conf->prev_result.has_value());
  }
}

TEST(CniNetConf, MalformedJsonIsDecodeFailureWithParserMessage) {
  for (const char* text : {"", "{", R"({"name": "n",})", "[1, 2]", "\"text\""}) {
    Error e = conf_error(text);
    EXPECT_EQ(e.code, kErrDecodingFailure) << text;
    EXPECT_THAT(e.msg, HasSubstr("network config")) << text;
  }
  EXPECT_THAT(conf_error("{").msg, HasSubstr("parse error"));
  EXPECT_THAT(conf_error("[]").msg, HasSubstr("not a JSON object"));
}

TEST(CniNetConf, NameAndTypeAreValidatedWithCode7) {
  struct Case {
    const char* text;
    const char* field;
  };
  for (const Case& c : std::vector<Case>{
           {R"({"type": "calico"})", "name"},
           {R"({"name": "", "type": "calico"})", "name"},
           {R"({"name": "my net", "type": "calico"})", "name"},
           {R"({"name": "a/b", "type": "calico"})", "name"},
           {R"({"name": 5, "type": "calico"})", "name"},
           {R"({"name": "n"})", "type"},
           {R"({"name": "n", "type": ""})", "type"},
           {R"({"name": "n", "type": "../bin/sh"})", "type"},
           {R"({"name": "n", "type": true})", "type"},
           {R"({"name": "n", "type": "t", "cniVersion": 1})", "cniVersion"},
           {R"({"name": "n", "type": "t", "ipam": "calico-ipam"})", "ipam"},
           {R"({"name": "n", "type": "t", "prevResult": []})", "prevResult"},
       }) {
    Error e = conf_error(c.text);
    EXPECT_EQ(e.code, kErrInvalidNetworkConfig) << c.text;
    EXPECT_THAT(e.msg, HasSubstr(c.field)) << c.text;
  }
  EXPECT_TRUE(parse_netconf(R"({"name": "A-z_0.9", "type": "calico"})"));
}

TEST(CniNetConf, GcValidAttachments) {
  auto conf = parse_netconf(R"({"cniVersion": "1.1.0", "name": "n", "type": "calico",
    "cni.dev/valid-attachments": [{"containerID": "c1", "ifname": "eth0"},
                                  {"containerID": "c2", "ifname": "net1"}]})");
  ASSERT_TRUE(conf) << conf.error();
  EXPECT_EQ(conf->valid_attachments, (std::vector<Attachment>{{"c1", "eth0"}, {"c2", "net1"}}));
  for (const char* bad : {R"({"name": "n", "type": "t", "cni.dev/valid-attachments": {}})",
                          R"({"name": "n", "type": "t", "cni.dev/valid-attachments": [1]})",
                          R"({"name": "n", "type": "t",
                              "cni.dev/valid-attachments": [{"ifname": "eth0"}]})",
                          R"({"name": "n", "type": "t",
                              "cni.dev/valid-attachments": [{"containerID": 3}]})"}) {
    Error e = conf_error(bad);
    EXPECT_EQ(e.code, kErrInvalidNetworkConfig) << bad;
    EXPECT_THAT(e.msg, HasSubstr("cni.dev/valid-attachments")) << bad;
  }
}

// ---- results: formats ----

TEST(CniResultFormat, Version1HasNoPerIpVersionAndKeepsInterfaceFields) {
  auto j = json::parse(result_json(calico_add_result(), "1.0.0"));
  EXPECT_EQ(j["cniVersion"], "1.0.0");
  EXPECT_EQ(j["interfaces"][0], (json{{"name", "cali1234567890a"}}));
  EXPECT_EQ(j["interfaces"][1], (json{{"name", "eth0"},
                                      {"mac", "0a:58:0a:f4:03:42"},
                                      {"mtu", 1440},
                                      {"sandbox", "/var/run/netns/cni-1"}}));
  EXPECT_EQ(j["ips"][0], (json{{"address", "10.244.3.66/32"}, {"interface", 1}}));
  EXPECT_EQ(j["routes"][1], (json{{"dst", "::/0"}, {"gw", "fe80::ecee:eeff:feee:eeee"}}));
  EXPECT_EQ(j["dns"], (json{{"nameservers", {"10.96.0.10"}},
                            {"domain", "cluster.local"},
                            {"search", {"default.svc.cluster.local"}},
                            {"options", {"ndots:5"}}}));
}

TEST(CniResultFormat, Version03xAnd040TagEachIpWithItsFamily) {
  for (const char* v : {"0.3.0", "0.3.1", "0.4.0"}) {
    auto j = json::parse(result_json(calico_add_result(), v));
    EXPECT_EQ(j["cniVersion"], v);
    EXPECT_EQ(j["ips"][0]["version"], "4") << v;
    EXPECT_EQ(j["ips"][1]["version"], "6") << v;
    EXPECT_FALSE(j["interfaces"][1].contains("mtu")) << v;  // 1.x field
    EXPECT_EQ(j["interfaces"][1]["sandbox"], "/var/run/netns/cni-1");
  }
}

TEST(CniResultFormat, LegacyVersionsUseIp4AndIp6Objects) {
  CniResult r = calico_add_result();
  r.ips[0].gateway = "10.244.3.1";
  r.ips.push_back(IpConfig{"10.244.3.67/32", std::nullopt, 1});  // dropped: one per family
  for (const char* v : {"0.1.0", "0.2.0"}) {
    auto j = json::parse(result_json(r, v));
    EXPECT_EQ(j, (json{{"cniVersion", v},
                       {"ip4",
                        {{"ip", "10.244.3.66/32"},
                         {"gateway", "10.244.3.1"},
                         {"routes", {{{"dst", "0.0.0.0/0"}, {"gw", "169.254.1.1"}}}}}},
                       {"ip6",
                        {{"ip", "fd00:10:244::3:42/128"},
                         {"routes", {{{"dst", "::/0"}, {"gw", "fe80::ecee:eeff:feee:eeee"}}}}}},
                       {"dns", json::parse(result_json(r, "1.0.0"))["dns"]}}));
  }
}

TEST(CniResultFormat, LegacyDropsRoutesOfAFamilyWithoutAddress) {
  CniResult r;
  r.ips = {IpConfig{"10.0.0.5/24", std::nullopt, std::nullopt}};
  r.routes = {Route{"::/0", std::nullopt, {}, {}, {}, {}, {}}};
  auto j = json::parse(result_json(r, "0.2.0"));
  EXPECT_FALSE(j.contains("ip6"));
  EXPECT_FALSE(j["ip4"].contains("routes"));
}

TEST(CniResultFormat, EmptyFieldsAreOmittedButDnsIsAlwaysPresent) {
  for (const char* v : {"1.1.0", "0.4.0", "0.2.0"}) {
    EXPECT_EQ(json::parse(result_json(CniResult{}, v)),
              (json{{"cniVersion", v}, {"dns", json::object()}}))
        << v;
  }
}

TEST(CniResultFormat, UnparseableVersionFormatsAsLatest) {
  auto j = json::parse(result_json(calico_add_result(), "weird"));
  EXPECT_FALSE(j["ips"][0].contains("version"));
  EXPECT_EQ(j["interfaces"][1]["mtu"], 1440);
}

TEST(CniResultFormat, Version110RouteAndInterfaceAdditions) {
  CniResult r;
  r.interfaces = {Interface{"net1", "", 9000, "/run/netns/x", "/run/vhost.sock", "0000:03:00.1"}};
  r.routes = {Route{"10.0.0.0/8", "10.1.0.1", 1400, 1360, 100, 254, 0}};
  auto j = json::parse(result_json(r, "1.1.0"));
  EXPECT_EQ(j["interfaces"][0]["socketPath"], "/run/vhost.sock");
  EXPECT_EQ(j["interfaces"][0]["pciID"], "0000:03:00.1");
  EXPECT_EQ(j["routes"][0], (json{{"dst", "10.0.0.0/8"},
                                  {"gw", "10.1.0.1"},
                                  {"mtu", 1400},
                                  {"advmss", 1360},
                                  {"priority", 100},
                                  {"table", 254},
                                  {"scope", 0}}));
}

// ---- results: round trips ----

// What survives formatting for `version`: <1.0 drops the 1.x interface fields, <0.3
// drops interfaces and interface indexes (one address per family is kept by the input).
CniResult expected_after(CniResult r, const std::string& version) {
  if (!version_at_least(version, "1.0.0")) {
    for (auto& i : r.interfaces) {
      i.mtu.reset();
      i.socket_path.clear();
      i.pci_id.clear();
    }
  }
  if (!version_at_least(version, "0.3.0")) {
    r.interfaces.clear();
    for (auto& ip : r.ips) {
      ip.interface.reset();
    }
  }
  return r;
}

class CniResultRoundTrip : public ::testing::TestWithParam<std::string_view> {};

TEST_P(CniResultRoundTrip, ResultJsonThenParseResult) {
  const std::string version(GetParam());
  CniResult r = calico_add_result();
  r.ips[1].gateway = "fd00:10:244::1";
  r.interfaces[1].socket_path = "/run/s.sock";
  r.interfaces[1].pci_id = "0000:00:01.0";
  r.routes[0].mtu = 1400;
  r.routes[0].table = 100;
  r.routes[1].scope = 253;
  const std::string text = result_json(r, version);
  auto back = parse_result(json::parse(text));
  ASSERT_TRUE(back) << back.error() << "\n" << text;
  EXPECT_EQ(*back, expected_after(r, version)) << text;
  // Formatting the parsed result again is stable.
  EXPECT_EQ(result_json(*back, version), text);
  auto from_text = parse_result_text(text);
  ASSERT_TRUE(from_text) << from_text.error();
  EXPECT_EQ(*from_text, *back);
}

TEST_P(CniResultRoundTrip, IpamShapedResult) {
  // calico-ipam: block prefix length kept, one route per IP equal to the address.
  CniResult r;
  r.ips = {IpConfig{"10.244.3.66/26", std::nullopt, std::nullopt}};
  r.routes = {Route{"10.244.3.66/26", std::nullopt, {}, {}, {}, {}, {}}};
  const std::string version(GetParam());
  auto back = parse_result(json::parse(result_json(r, version)));
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(*back, r);
}

INSTANTIATE_TEST_SUITE_P(AllVersions, CniResultRoundTrip, ::testing::ValuesIn(kSupportedVersions),
                         [](const ::testing::TestParamInfo<std::string_view>& param_info) {
                           std::string name(param_info.param);
                           for (char& c : name) {
                             c = c == '.' ? '_' : c;
                           }
                           return "v" + name;
                         });

// ---- results: reading ----

TEST(CniParseResult, FormatFollowsShapeWhenVersionIsMissing) {
  auto legacy = parse_result(json{{"ip4", {{"ip", "10.0.0.2/24"}, {"gateway", "10.0.0.1"}}}});
  ASSERT_TRUE(legacy) << legacy.error();
  EXPECT_EQ(legacy->ips, (std::vector<IpConfig>{{"10.0.0.2/24", "10.0.0.1", std::nullopt}}));
  auto current = parse_result(json{{"ips", {{{"address", "fd00::2/64"}}}}});
  ASSERT_TRUE(current) << current.error();
  EXPECT_EQ(current->ips.at(0).address, "fd00::2/64");
  auto empty = parse_result(json::object());
  ASSERT_TRUE(empty);
  EXPECT_EQ(*empty, CniResult{});
}

TEST(CniParseResult, InvalidContentIsCode6NamingTheField) {
  struct Case {
    json j;
    const char* field;
  };
  const std::vector<Case> cases = {
      {json{{"ips", "10.0.0.1/32"}}, "ips"},
      {json{{"ips", {1}}}, "ips[0]"},
      {json{{"ips", {json::object()}}}, "ips[0].address"},
      {json{{"ips", {{{"address", "10.0.0.1"}}}}}, "ips[0].address"},  // no prefix
      {json{{"ips", {{{"address", "10.0.0.256/32"}}}}}, "ips[0].address"},
      {json{{"ips", {{{"address", "10.0.0.1/32"}, {"version", "6"}}}}}, "ips[0].address"},
      {json{{"ips", {{{"address", "10.0.0.1/32"}, {"version", "5"}}}}}, "ips[0].version"},
      {json{{"ips", {{{"address", "10.0.0.1/32"}, {"gateway", "gw"}}}}}, "ips[0].gateway"},
      {json{{"ips", {{{"address", "10.0.0.1/32"}, {"interface", -1}}}}}, "ips[0].interface"},
      {json{{"ips", {{{"address", "10.0.0.1/32"}, {"interface", 1.5}}}}}, "ips[0].interface"},
      {json{{"interfaces", {{{"mac", "aa"}}}}}, "interfaces[0].name"},
      {json{{"interfaces", {{{"name", "eth0"}, {"mtu", "1500"}}}}}, "interfaces[0].mtu"},
      {json{{"routes", {{{"dst", "default"}}}}}, "routes[0].dst"},
      {json{{"routes", {{{"dst", "0.0.0.0/0"}, {"gw", "x"}}}}}, "routes[0].gw"},
      {json{{"routes", {{{"dst", "0.0.0.0/0"}, {"table", -3}}}}}, "routes[0].table"},
      {json{{"dns", {{"nameservers", "10.0.0.10"}}}}, "dns.nameservers"},
      {json{{"dns", {{"search", {1}}}}}, "dns.search"},
      {json{{"dns", 3}}, "dns"},
      {json{{"cniVersion", "0.2.0"}, {"ip4", {{"ip", "fd00::1/64"}}}}, "ip4.ip"},
      {json{{"cniVersion", "0.2.0"}, {"ip6", {{"gateway", "fd00::1"}}}}, "ip6.ip"},
      {json{{"cniVersion", "0.2.0"}, {"ip4", {{"ip", "10.0.0.1/8"}, {"routes", {{{"gw", "x"}}}}}}},
       "ip4.routes[0].dst"},
      {json{{"cniVersion", 1}}, "cniVersion"},
  };
  for (const Case& c : cases) {
    Error e = result_error(c.j);
    EXPECT_EQ(e.code, kErrDecodingFailure) << c.j.dump();
    EXPECT_THAT(e.msg, HasSubstr(std::string(c.field) + ":")) << c.j.dump();
  }
  EXPECT_THAT(result_error(json::array()).msg, HasSubstr("not a JSON object"));
}

TEST(CniParseResult, TextInputReportsParseErrors) {
  auto bad = parse_result_text("{\"ips\": [");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, kErrDecodingFailure);
  EXPECT_THAT(bad.error().msg, HasSubstr("parse error"));
  auto ok = parse_result_text(R"({"cniVersion": "0.3.1",
    "ips": [{"version": "4", "address": "10.1.2.3/26"}], "dns": {}})");
  ASSERT_TRUE(ok) << ok.error();
  EXPECT_EQ(ok->ips.at(0).address, "10.1.2.3/26");
}

}  // namespace
}  // namespace calico::cni
