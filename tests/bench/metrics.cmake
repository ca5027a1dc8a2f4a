# brainserve-metrics-bench: cost of the metrics calls on the request path (ns per call),
# PrometheusReporter against the null reporter in the same run.
# Included by tests/bench/CMakeLists.txt via include(metrics.cmake).
if(NOT TARGET benchmark::benchmark)
  find_package(benchmark CONFIG REQUIRED)
endif()
add_executable(brainserve-metrics-bench ${CMAKE_CURRENT_LIST_DIR}/metrics_bench.cc)
target_link_libraries(brainserve-metrics-bench PRIVATE
  brainserve_metrics
  absl::status
  benchmark::benchmark
  Threads::Threads
)
