// Replays every file of the seed corpus (tests/fuzz/corpus/<target>/),
// crash reproducers included, through the fuzz targets' own code in the
// normal build: a broken invariant aborts, ASan-free builds still catch the
// fixed findings' invariants. *.textproto files are text-format protos of
// the target's message, encoded here as scripts/fuzz.sh does with protoc.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "brainserve/v1/model_service.pb.h"
#include "brainserve/v1/tensor.pb.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "inference/grpc_predict_v2.pb.h"

#define DECLARE_TARGET(name) \
  extern "C" int Replay_##name(const uint8_t* data, size_t size);
DECLARE_TARGET(model_spec_fuzzer)
DECLARE_TARGET(tensor_decode_fuzzer)
DECLARE_TARGET(update_fuzzer)
DECLARE_TARGET(npy_fuzzer)
DECLARE_TARGET(json_tensor_fuzzer)
DECLARE_TARGET(forward_fuzzer)
DECLARE_TARGET(model_infer_fuzzer)
DECLARE_TARGET(v2_json_fuzzer)

namespace brainserve::fuzz {
namespace {

struct Target {
  const char* name;
  int (*run)(const uint8_t*, size_t);
  // The message *.textproto seeds hold; nullptr: the target reads raw bytes.
  const google::protobuf::Message* prototype;
};

std::ostream& operator<<(std::ostream& os, const Target& target) {
  return os << target.name;
}

std::vector<Target> Targets() {
  return {
      {"model_spec_fuzzer", Replay_model_spec_fuzzer,
       &v1::CreateModelRequest::default_instance()},
      {"tensor_decode_fuzzer", Replay_tensor_decode_fuzzer,
       &v1::Tensor::default_instance()},
      {"update_fuzzer", Replay_update_fuzzer,
       &v1::UpdateParametersRequest::default_instance()},
      {"npy_fuzzer", Replay_npy_fuzzer, nullptr},
      {"json_tensor_fuzzer", Replay_json_tensor_fuzzer, nullptr},
      {"forward_fuzzer", Replay_forward_fuzzer,
       &v1::ForwardRequest::default_instance()},
      {"model_infer_fuzzer", Replay_model_infer_fuzzer,
       &inference::ModelInferRequest::default_instance()},
      {"v2_json_fuzzer", Replay_v2_json_fuzzer, nullptr},
  };
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

class CorpusReplayTest : public ::testing::TestWithParam<Target> {};

TEST_P(CorpusReplayTest, EverySeedRunsWithoutBreakingAnInvariant) {
  const Target& target = GetParam();
  const std::filesystem::path dir =
      std::filesystem::path(BRAINSERVE_FUZZ_CORPUS) / target.name;
  ASSERT_TRUE(std::filesystem::is_directory(dir)) << dir;
  int replayed = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    SCOPED_TRACE(entry.path().string());
    std::string bytes = ReadFile(entry.path());
    if (entry.path().extension() == ".textproto") {
      ASSERT_NE(target.prototype, nullptr);
      std::unique_ptr<google::protobuf::Message> message(
          target.prototype->New());
      ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(bytes,
                                                                message.get()));
      bytes = message->SerializeAsString();
    }
    target.run(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    ++replayed;
  }
  EXPECT_GT(replayed, 0);
}

INSTANTIATE_TEST_SUITE_P(
    AllTargets, CorpusReplayTest, ::testing::ValuesIn(Targets()),
    [](const ::testing::TestParamInfo<Target>& info) {
      return std::string(info.param.name);
    });

}  // namespace
}  // namespace brainserve::fuzz
