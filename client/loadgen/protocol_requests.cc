#include "client/loadgen/protocol_requests.h"

#include <charconv>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace brainserve::loadgen {

inference::ModelInferRequest ToModelInferRequest(
    const brainserve::v1::ForwardRequest& request) {
  inference::ModelInferRequest out;
  out.set_model_name(request.model());
  auto* input = out.add_inputs();
  input->set_name("input");
  input->set_datatype("FP32");
  input->mutable_shape()->CopyFrom(request.input().shape());
  if (!request.input().raw().empty()) {
    out.add_raw_input_contents(request.input().raw());
  } else {
    input->mutable_contents()->mutable_fp32_contents()->CopyFrom(
        request.input().values());
  }
  return out;
}

HttpInferBody ToHttpInferBody(const brainserve::v1::ForwardRequest& request) {
  const brainserve::v1::Tensor& tensor = request.input();
  const bool binary = !tensor.raw().empty();
  HttpInferBody out;
  std::string& body = out.body;
  absl::StrAppend(&body,
                  R"({"inputs":[{"name":"input","datatype":"FP32","shape":[)",
                  absl::StrJoin(tensor.shape(), ","), "]");
  if (binary) {
    absl::StrAppend(&body, R"(,"parameters":{"binary_data_size":)",
                    tensor.raw().size(), "}}],",
                    R"("outputs":[{"name":"output","parameters":)",
                    R"({"binary_data":true}}]})");
    out.json_length = body.size();
    body += tensor.raw();
    return out;
  }
  body += R"(,"data":[)";
  for (int i = 0; i < tensor.values_size(); ++i) {
    if (i > 0) body.push_back(',');
    char buffer[32];
    auto result = std::to_chars(buffer, buffer + sizeof(buffer), tensor.values(i));
    body.append(buffer, result.ptr);
  }
  body += "]}]}";
  return out;
}

}  // namespace brainserve::loadgen
