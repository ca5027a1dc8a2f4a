# brainserve container image, built in two stages on Debian 12 (bookworm).
#
#   docker build -t brainserve:0.1.0 .
#   docker run --rm -p 50051:50051 -p 8000:8000 -p 9464:9464 brainserve:0.1.0
#
# Needs BuildKit (the default builder since Docker 23; with Debian's docker.io 20.10 set
# DOCKER_BUILDKIT=1). deploy/smoke_test_image.sh builds and runs this image in CI.
#
# The image runs brainserve-server as an unprivileged user (uid 10001) and serves the bundled
# example models. Model state (every created model and parameter update) is kept in the embedded
# SQLite store at /var/lib/brainserve/state.db, a VOLUME: mount a named volume there
# (`-v brainserve-data:/var/lib/brainserve`) so that learned parameters survive a new container. Everything after the image name is passed to the server as flags; the last
# occurrence of a flag wins, so `docker run brainserve --models_file=/models/my.json` replaces the
# default model list. brainserve-cli is in the image too:
#   docker run --rm --network=host --entrypoint brainserve-cli brainserve list

ARG BUILD_IMAGE=debian:bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

# ---------------------------------------------------------------------------------------------
# Build stage: compilers and the -dev packages. Keep this list in step with the build part of
# scripts/install-deps.sh (tests, benchmarks and the Python tools are not needed here).
FROM ${BUILD_IMAGE} AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config ccache \
      libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler \
      libabsl-dev libdnnl-dev ocl-icd-opencl-dev prometheus-cpp-dev libsqlite3-dev libpq-dev libssl-dev \
      libcpp-httplib-dev nlohmann-json3-dev \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY . .
# Parallel compile jobs; defaults to every CPU the builder has.
ARG BUILD_JOBS=
# ccache lives in a BuildKit cache mount, so a rebuild after a small change recompiles only what
# changed (and the generated gRPC/protobuf sources not at all).
RUN --mount=type=cache,id=brainserve-ccache,target=/root/.cache/ccache \
    ccache --zero-stats >/dev/null \
 && cmake -S . -B /build \
      -DCMAKE_BUILD_TYPE=Release \
      -DBRAINSERVE_BUILD_TESTS=OFF -DBRAINSERVE_BUILD_BENCHMARKS=OFF \
      -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
      -DCMAKE_RUNTIME_OUTPUT_DIRECTORY=/out/bin \
 && cmake --build /build -j"${BUILD_JOBS:-$(nproc)}" --target brainserve-server brainserve-cli \
 && strip --strip-unneeded /out/bin/brainserve-server /out/bin/brainserve-cli \
 && { ccache --show-stats | grep -iE 'hits|misses' || true; }

# ---------------------------------------------------------------------------------------------
# Runtime stage: the shared libraries the two binaries link, nothing else. The ldd check below
# fails the build if a library is missing (e.g. after a new dependency was added to CMake).
FROM ${RUNTIME_IMAGE} AS runtime
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libgrpc++1.51 libprotobuf32 libabsl20220623 \
      libdnnl2 libgomp1 \
      libprometheus-cpp-core1.0 libprometheus-cpp-pull1.0 libsqlite3-0 libpq5 libssl3 \
      libcpp-httplib0.11 \
 && rm -rf /var/lib/apt/lists/* /var/log/apt /var/log/dpkg.log /var/cache/debconf/*-old \
 && groupadd --system --gid 10001 brainserve \
 && useradd --system --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home \
      --shell /usr/sbin/nologin brainserve \
 && install -d -o 10001 -g 10001 -m 0750 /var/lib/brainserve

COPY --from=build /out/bin/brainserve-server /out/bin/brainserve-cli /usr/local/bin/
COPY --from=build /src/examples/ /opt/brainserve/examples/
RUN missing="$(ldd /usr/local/bin/brainserve-server /usr/local/bin/brainserve-cli | grep 'not found' || true)" \
 && if [ -n "$missing" ]; then echo "missing shared libraries:"; echo "$missing"; exit 1; fi

LABEL org.opencontainers.image.title="brainserve" \
      org.opencontainers.image.description="gRPC inference server for brainstate/braintrace layer models on a oneDNN CPU engine"

USER 10001:10001
# The working directory is the store's volume, so even a server started with other flags (which
# replace CMD, --store included) keeps its default store, brainserve-data/state.db, in it.
WORKDIR /var/lib/brainserve
# The store's directory: a volume, so it stays writable under --read-only and outlives the
# container when a named volume is mounted.
VOLUME ["/var/lib/brainserve"]
# The CLI (and so the HEALTHCHECK) talks to this address; change it together with --listen.
ENV BRAINSERVE_SERVER=127.0.0.1:50051
# gRPC (ModelService and the Open Inference Protocol), HTTP/REST, /metrics.
EXPOSE 50051 8000 9464
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
  CMD ["brainserve-cli", "--timeout_ms=3000", "health"]
# The server handles SIGTERM (graceful drain, exit 0) itself, so it can be PID 1.
STOPSIGNAL SIGTERM
ENTRYPOINT ["brainserve-server"]
CMD ["--models_file=/opt/brainserve/examples/models.json", "--store=sqlite:/var/lib/brainserve/state.db"]
