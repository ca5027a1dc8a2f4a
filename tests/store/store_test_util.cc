#include "tests/store/store_test_util.h"

#include <stdlib.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace brainserve::store_testing {

std::string FreshDir() {
  std::string dir =
      absl::StrCat(::testing::TempDir(), "/store-test-", getpid(), "-XXXXXX");
  if (mkdtemp(dir.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
  return dir;
}

v1::CreateModelRequest LinearRequest(const std::string& name) {
  v1::CreateModelRequest request;
  request.set_name(name);
  request.set_seed(7);
  request.mutable_spec()->add_input_shape(3);
  v1::LayerSpec* layer = request.mutable_spec()->add_layers();
  layer->set_name("fc");
  layer->mutable_linear()->set_out_size(2);
  request.mutable_batching()->set_max_batch_size(8);
  return request;
}

std::vector<server::store::ParameterRef> Parameters::Refs() const {
  std::vector<server::store::ParameterRef> refs;
  for (const auto& p : values) {
    refs.push_back({p.layer, p.name, {p.value.shape, p.value.data}});
  }
  return refs;
}

Parameters LinearParameters(float seed) {
  Parameters p;
  p.values = {
      {"fc", "weight", {{3, 2}, {seed, seed + 1, seed + 2, seed + 3, seed + 4, seed + 5}}},
      {"fc", "bias", {{2}, {-seed, 0.5f * seed}}}};
  return p;
}

std::vector<server::store::UpdateRef> Updates::Refs() const {
  std::vector<server::store::UpdateRef> refs;
  for (const auto& u : updates) {
    refs.push_back({u.layer, u.name, u.mode, {u.value.shape, u.value.data}});
  }
  return refs;
}

Updates BiasAdd(float delta, bool replace_weight) {
  using server::store::UpdateMode;
  Updates u;
  u.updates.push_back({"fc", "bias", UpdateMode::kAdd, {{2}, {delta, -delta}}});
  if (replace_weight) {
    u.updates.push_back({"fc", "weight", UpdateMode::kReplace,
                         {{3, 2}, {delta, 2 * delta, 3 * delta, 4 * delta,
                                   5 * delta, 6 * delta}}});
  }
  return u;
}

}  // namespace brainserve::store_testing
