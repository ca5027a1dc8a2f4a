#include "engine/weight_layouts.h"

#include <cstring>

#include "engine/dnnl_util.h"

namespace brainserve::engine {

std::vector<const void*> PackedWeights::DataHandles() const {
  std::vector<const void*> handles;
  for (const dnnl::memory& memory : weights) {
    handles.push_back(memory.get_data_handle());
  }
  if (bias) handles.push_back(bias.get_data_handle());
  return handles;
}

PackedWeights WeightLayouts::Pack(const dnnl::memory::desc& plain_md,
                                  const float* weights,
                                  const dnnl::memory::desc& bias_md,
                                  const float* bias) const {
  const dnnl::engine& engine = CpuEngine();
  PackedWeights packed;
  dnnl::memory plain(plain_md, engine, const_cast<float*>(weights));
  dnnl::stream stream(engine);
  for (const dnnl::memory::desc& layout : layouts) {
    dnnl::memory packed_weights(layout, engine);
    dnnl::reorder(plain, packed_weights).execute(stream, plain, packed_weights);
    packed.weights.push_back(packed_weights);
  }
  stream.wait();
  if (bias != nullptr) packed.bias = PackBias(bias_md, bias);
  return packed;
}

int64_t WeightLayouts::PackedBytes(const dnnl::memory::desc& bias_md) const {
  int64_t bytes = static_cast<int64_t>(bias_md.get_size());
  for (const dnnl::memory::desc& layout : layouts) {
    bytes += static_cast<int64_t>(layout.get_size());
  }
  return bytes;
}

dnnl::memory WeightLayouts::PackBias(const dnnl::memory::desc& bias_md,
                                     const float* bias) {
  dnnl::memory packed(bias_md, CpuEngine());
  std::memcpy(packed.get_data_handle(), bias, bias_md.get_size());
  return packed;
}

}  // namespace brainserve::engine
