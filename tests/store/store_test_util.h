// Shared fixtures for the store tests: a fresh temp directory, a small
// model's create request and parameters, and update builders.
#ifndef BRAINSERVE_TESTS_STORE_STORE_TEST_UTIL_H_
#define BRAINSERVE_TESTS_STORE_STORE_TEST_UTIL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "brainserve/v1/model_service.pb.h"
#include "server/store/model_store.h"

namespace brainserve::store_testing {

// A new empty directory under the test's temp dir.
std::string FreshDir();

// A model 'name' with linear(3 -> 2): fc/weight [3, 2] and fc/bias [2].
v1::CreateModelRequest LinearRequest(const std::string& name);

// Parameters of LinearRequest's model, values derived from `seed`.
struct Parameters {
  std::vector<server::store::StoredParameter> values;
  std::vector<server::store::ParameterRef> Refs() const;
};
Parameters LinearParameters(float seed);

// Owned updates and the borrowed form the store writes.
struct Updates {
  std::vector<server::store::StoredUpdate> updates;
  std::vector<server::store::UpdateRef> Refs() const;
};

// One ADD of fc/bias by `delta` (both elements) and, if `replace_weight`,
// a REPLACE of fc/weight by values derived from `delta`.
Updates BiasAdd(float delta, bool replace_weight = false);

}  // namespace brainserve::store_testing

#endif  // BRAINSERVE_TESTS_STORE_STORE_TEST_UTIL_H_
