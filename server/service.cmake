# brainserve_server: the gRPC service, registry, batching adapter, config and
# server lifecycle (everything in server/ except batching/ and metrics/, and
# except main.cc / server_flags.cc, which only the binary links).
# Included by server/CMakeLists.txt after batching/ and metrics/.
set(BRAINSERVE_SERVER_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/admission/admission.cc
  ${CMAKE_CURRENT_LIST_DIR}/admission/forward_cost.cc
  ${CMAKE_CURRENT_LIST_DIR}/admission/update_cost.cc
  ${CMAKE_CURRENT_LIST_DIR}/batched_forward_executor.cc
  ${CMAKE_CURRENT_LIST_DIR}/batching_config.cc
  ${CMAKE_CURRENT_LIST_DIR}/change_audit.cc
  ${CMAKE_CURRENT_LIST_DIR}/compute_budget.cc
  ${CMAKE_CURRENT_LIST_DIR}/deadline_timer.cc
  ${CMAKE_CURRENT_LIST_DIR}/exit_deadline.cc
  ${CMAKE_CURRENT_LIST_DIR}/fd_limits.cc
  ${CMAKE_CURRENT_LIST_DIR}/forward_batch.cc
  ${CMAKE_CURRENT_LIST_DIR}/free_memory.cc
  ${CMAKE_CURRENT_LIST_DIR}/forward_call.cc
  ${CMAKE_CURRENT_LIST_DIR}/listener_watchdog.cc
  ${CMAKE_CURRENT_LIST_DIR}/model_log.cc
  ${CMAKE_CURRENT_LIST_DIR}/model_manager.cc
  ${CMAKE_CURRENT_LIST_DIR}/model_manager_store_sync.cc
  ${CMAKE_CURRENT_LIST_DIR}/model_reader.cc
  ${CMAKE_CURRENT_LIST_DIR}/model_registry.cc
  ${CMAKE_CURRENT_LIST_DIR}/model_service_impl.cc
  ${CMAKE_CURRENT_LIST_DIR}/parameter_ops.cc
  ${CMAKE_CURRENT_LIST_DIR}/replicator.cc
  ${CMAKE_CURRENT_LIST_DIR}/request_validation.cc
  ${CMAKE_CURRENT_LIST_DIR}/rpc_recorder.cc
  ${CMAKE_CURRENT_LIST_DIR}/security.cc
  ${CMAKE_CURRENT_LIST_DIR}/served_model.cc
  ${CMAKE_CURRENT_LIST_DIR}/model_update_queue.cc
  ${CMAKE_CURRENT_LIST_DIR}/server.cc
  ${CMAKE_CURRENT_LIST_DIR}/server_options.cc
  ${CMAKE_CURRENT_LIST_DIR}/startup_models.cc
  ${CMAKE_CURRENT_LIST_DIR}/status_util.cc
  ${CMAKE_CURRENT_LIST_DIR}/version_gate.cc
  ${CMAKE_CURRENT_LIST_DIR}/work_queue.cc
  ${CMAKE_CURRENT_LIST_DIR}/inference_protocol/infer_validation.cc
  ${CMAKE_CURRENT_LIST_DIR}/inference_protocol/inference_protocol.cc
  ${CMAKE_CURRENT_LIST_DIR}/inference_protocol/inference_service.cc
  ${CMAKE_CURRENT_LIST_DIR}/inference_protocol/model_infer_io.cc
  ${CMAKE_CURRENT_LIST_DIR}/http/http_server.cc
  ${CMAKE_CURRENT_LIST_DIR}/http/routes.cc
  ${CMAKE_CURRENT_LIST_DIR}/http/v1_routes.cc
  ${CMAKE_CURRENT_LIST_DIR}/http/v2_json.cc
  ${CMAKE_CURRENT_LIST_DIR}/http/v2_routes.cc
)

if(TARGET brainserve_batching AND TARGET brainserve_metrics AND TARGET brainserve_auth)
  add_library(brainserve_server STATIC ${BRAINSERVE_SERVER_SOURCES})
  target_include_directories(brainserve_server PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(brainserve_server
    PUBLIC
      brainserve_grpc
      brainserve_inference_grpc
      brainserve_batching
      brainserve_metrics
      brainserve_auth
      brainserve_store
      gRPC::grpc++
      gRPC::grpc++_reflection
      protobuf::libprotobuf
      absl::base
      absl::cleanup
      absl::flat_hash_map
      absl::flat_hash_set
      absl::span
      absl::status
      absl::statusor
      absl::strings
      absl::synchronization
      absl::time
      Threads::Threads
    PRIVATE
      PkgConfig::HTTPLIB
      nlohmann_json::nlohmann_json
      OpenSSL::SSL
  )
  if(TARGET brainserve_engine)
    target_link_libraries(brainserve_server PUBLIC brainserve_engine)

    add_executable(brainserve-server
      ${CMAKE_CURRENT_LIST_DIR}/main.cc
      ${CMAKE_CURRENT_LIST_DIR}/server_flags.cc
    )
    target_compile_definitions(brainserve-server
      PRIVATE BRAINSERVE_VERSION="${PROJECT_VERSION}")
    target_link_libraries(brainserve-server
      PRIVATE brainserve_server absl::flags absl::flags_parse absl::flags_usage)
  endif()
endif()
