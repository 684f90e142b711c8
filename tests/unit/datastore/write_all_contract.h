// The Datastore::write_all contract, shared by the in-memory store's unit test and the real
// etcd integration test: all or nothing, one revision, typed errors naming the key.
#pragma once

#include <gtest/gtest.h>

#include "datastore/datastore.h"

namespace calico::datastore::testing {

inline api::AnyResource write_all_pool(const std::string& name, const std::string& cidr,
                                       const std::string& revision = "") {
  api::IPPool p;
  p.metadata.name = name;
  p.metadata.resource_version = revision;
  p.spec.cidr = cidr;
  return p;
}

inline api::AnyResource write_all_handle(const std::string& id, int count,
                                         const std::string& revision = "") {
  api::IPAMHandle h;
  h.metadata.name = id;
  h.metadata.resource_version = revision;
  h.spec.handle_id = id;
  h.spec.block["10.0.0.0/26"] = count;
  return h;
}

inline void check_write_all_contract(Datastore& ds) {
  ASSERT_TRUE(ds.supports_write_all());
  const Key pool_key{api::Kind::IPPool, "", "wa-pool"};
  const Key handle_key{api::Kind::IPAMHandle, "", "wa-handle"};

  // Two creates (a v3 resource and an IPAM value) in one transaction: one revision.
  auto made =
      ds.write_all({write_all_pool("wa-pool", "10.60.0.0/16"), write_all_handle("wa-handle", 1)});
  ASSERT_TRUE(made) << made.error().to_string();
  ASSERT_EQ(made->size(), 2U);
  EXPECT_EQ((*made)[0].revision, (*made)[1].revision);
  auto pool = ds.get(pool_key);
  auto handle = ds.get(handle_key);
  ASSERT_TRUE(pool && handle);
  EXPECT_EQ(pool->revision, (*made)[0].revision);
  EXPECT_FALSE(api::meta_of(pool->value).uid.empty());

  // CAS updates of both.
  auto upd = ds.write_all({write_all_pool("wa-pool", "10.61.0.0/16", pool->revision),
                           write_all_handle("wa-handle", 2, handle->revision)});
  ASSERT_TRUE(upd) << upd.error().to_string();
  pool = ds.get(pool_key);
  handle = ds.get(handle_key);
  ASSERT_TRUE(pool && handle);
  EXPECT_EQ(std::get<api::IPPool>(pool->value).spec.cidr, "10.61.0.0/16");
  EXPECT_EQ(std::get<api::IPAMHandle>(handle->value).spec.block.at("10.0.0.0/26"), 2);
  EXPECT_EQ(api::meta_of(pool->value).uid, api::meta_of((*made)[0].value).uid);  // kept

  // One stale revision: Conflict naming that key, and nothing written.
  const std::string stale = (*made)[1].revision;
  auto conflict = ds.write_all({write_all_pool("wa-pool", "10.62.0.0/16", pool->revision),
                                write_all_handle("wa-handle", 3, stale)});
  ASSERT_FALSE(conflict);
  EXPECT_EQ(conflict.error().code, ErrorCode::Conflict) << conflict.error().to_string();
  EXPECT_NE(conflict.error().message.find("wa-handle"), std::string::npos)
      << conflict.error().message;
  auto pool_after = ds.get(pool_key);
  ASSERT_TRUE(pool_after);
  EXPECT_EQ(pool_after->revision, pool->revision);
  EXPECT_EQ(std::get<api::IPPool>(pool_after->value).spec.cidr, "10.61.0.0/16");

  // A create of an existing key: AlreadyExists; the update beside it is not applied.
  auto exists = ds.write_all({write_all_pool("wa-pool", "10.63.0.0/16", pool->revision),
                              write_all_handle("wa-handle", 9)});
  ASSERT_FALSE(exists);
  EXPECT_EQ(exists.error().code, ErrorCode::AlreadyExists) << exists.error().to_string();
  EXPECT_EQ(ds.get(pool_key)->revision, pool->revision);

  // An update of a missing key: NotFound.
  auto missing = ds.write_all({write_all_handle("wa-absent", 1, pool->revision)});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::NotFound) << missing.error().to_string();
  EXPECT_NE(missing.error().message.find("wa-absent"), std::string::npos);

  // The same key twice, or an invalid value: refused before anything is sent.
  auto twice = ds.write_all({write_all_handle("wa-x", 1), write_all_handle("wa-x", 2)});
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, ErrorCode::Invalid);
  auto invalid =
      ds.write_all({write_all_pool("wa-bad", "not-a-cidr"), write_all_handle("wa-y", 1)});
  ASSERT_FALSE(invalid);
  EXPECT_EQ(invalid.error().code, ErrorCode::Invalid);
  EXPECT_EQ(ds.get({api::Kind::IPAMHandle, "", "wa-y"}).error().code, ErrorCode::NotFound);
}

}  // namespace calico::datastore::testing
