# brainserve-auth-bench: the per-call cost of a bearer-token check (ns per
# call) against its parts and a naive EVP_Digest baseline in the same run.
# Included by tests/bench/CMakeLists.txt via include(auth.cmake).
if(NOT TARGET brainserve_auth)
  return()
endif()
if(NOT TARGET benchmark::benchmark)
  find_package(benchmark CONFIG REQUIRED)
endif()
find_package(OpenSSL REQUIRED)
add_executable(brainserve-auth-bench ${CMAKE_CURRENT_LIST_DIR}/auth_bench.cc)
target_link_libraries(brainserve-auth-bench PRIVATE
  brainserve_auth
  OpenSSL::Crypto
  absl::strings
  benchmark::benchmark
  Threads::Threads
)
