// open_datastore(): builds the configured backend (datastore/config.h).
#pragma once

#include <memory>
#include <string>

#include "datastore/config.h"
#include "datastore/datastore.h"

namespace calico::datastore {

Result<std::unique_ptr<Datastore>, std::string> open_datastore(const DatastoreConfig& config);

}  // namespace calico::datastore
