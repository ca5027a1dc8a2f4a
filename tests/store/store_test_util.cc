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

server::store::SnapshotView Parameters::View(uint64_t version) const {
  return server::store::SnapshotView{version, &infos, &values};
}

Parameters LinearParameters(float seed) {
  Parameters p;
  p.infos = {{"fc", "weight", {3, 2}}, {"fc", "bias", {2}}};
  p.values = {{{3, 2}, {seed, seed + 1, seed + 2, seed + 3, seed + 4, seed + 5}},
              {{2}, {-seed, 0.5f * seed}}};
  return p;
}

std::vector<engine::ParameterUpdate> BiasAdd(float delta, bool replace_weight) {
  std::vector<engine::ParameterUpdate> updates;
  updates.push_back({"fc", "bias", engine::UpdateMode::kAdd, {{2}, {delta, -delta}}});
  if (replace_weight) {
    updates.push_back({"fc", "weight", engine::UpdateMode::kReplace,
                       {{3, 2}, {delta, 2 * delta, 3 * delta, 4 * delta,
                                 5 * delta, 6 * delta}}});
  }
  return updates;
}

}  // namespace brainserve::store_testing
