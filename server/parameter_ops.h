// The logic behind GetParameters on one served model (UpdateParameters is
// the ModelManager's: it commits to the store).
//
// ReadModelParameters answers with `values` encoding: GetParametersRequest has
// no tensor to take an encoding from, and `values` is what JSON clients and
// the CLI print. Empty layer / name select everything; an unknown layer or a
// selection that matches no parameter is NOT_FOUND. A response larger than
// the largest message the server sends is RESOURCE_EXHAUSTED, decided from
// the parameter shapes before anything is copied.
//
// Thread-safe.
#ifndef BRAINSERVE_SERVER_PARAMETER_OPS_H_
#define BRAINSERVE_SERVER_PARAMETER_OPS_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "brainserve/v1/model_service.pb.h"
#include "server/admission/admission.h"
#include "server/served_model.h"

namespace brainserve::server {

absl::Status ReadModelParameters(const ServedModel& model,
                                 const v1::GetParametersRequest& request,
                                 const admission::AdmissionLimits& limits,
                                 v1::GetParametersResponse* response);

}  // namespace brainserve::server

#endif  // BRAINSERVE_SERVER_PARAMETER_OPS_H_
