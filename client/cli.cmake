# brainserve_client: the synchronous C++ client and the tensor file formats
# (.npy, JSON) it shares with the load generator. No flags live here.
add_library(brainserve_client STATIC
  ${CMAKE_CURRENT_LIST_DIR}/channel_security.cc
  ${CMAKE_CURRENT_LIST_DIR}/client.cc
  ${CMAKE_CURRENT_LIST_DIR}/grpc_status.cc
  ${CMAKE_CURRENT_LIST_DIR}/health_call.cc
  ${CMAKE_CURRENT_LIST_DIR}/host_tensor.cc
  ${CMAKE_CURRENT_LIST_DIR}/json_tensor.cc
  ${CMAKE_CURRENT_LIST_DIR}/npy.cc
  ${CMAKE_CURRENT_LIST_DIR}/tensor_format.cc
  ${CMAKE_CURRENT_LIST_DIR}/tensor_io.cc)
target_include_directories(brainserve_client PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(brainserve_client PUBLIC
  brainserve_grpc
  brainserve_tensor
  absl::flat_hash_map
  gRPC::grpc++
  absl::status
  absl::statusor
  absl::strings
  absl::synchronization)

# brainserve_cli_lib: brainserve-cli's flags, parsing and subcommands, linked
# by the binary and by its unit tests.
add_library(brainserve_cli_lib STATIC
  ${CMAKE_CURRENT_LIST_DIR}/cli.cc
  ${CMAKE_CURRENT_LIST_DIR}/cli_args.cc
  ${CMAKE_CURRENT_LIST_DIR}/cli_flags.cc
  ${CMAKE_CURRENT_LIST_DIR}/cli_format.cc
  ${CMAKE_CURRENT_LIST_DIR}/cli_models.cc
  ${CMAKE_CURRENT_LIST_DIR}/cli_tensors.cc)
target_link_libraries(brainserve_cli_lib PUBLIC
  brainserve_client
  absl::flags
  absl::flags_reflection)

add_executable(brainserve-cli ${CMAKE_CURRENT_LIST_DIR}/cli_main.cc)
target_link_libraries(brainserve-cli PRIVATE brainserve_cli_lib)
