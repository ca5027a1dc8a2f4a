# shellcheck shell=bash
# Helpers shared by the deploy scripts that need Docker. Source this file; it defines functions only.
#
#   docker_env_start        make a Docker daemon reachable: reuse a running one, or start a private
#                           one that leaves the host's networking alone (no iptables, no IP
#                           forwarding or masquerading, no docker0 bridge). Sets DOCKER (client
#                           command), DOCKER_HOST and DOCKER_ENV_STARTED_PID (empty if reused).
#   docker_env_stop         stop the daemon that docker_env_start started, by its PID.
#   docker_env_base_images  make sure debian:bookworm and debian:bookworm-slim exist; when absent
#                           (no Docker Hub here) build them from Debian packages with debootstrap.
#
# Caches (kept between runs so CI is fast): ${BRAINSERVE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/brainserve}
#   base/<name>.tar   debootstrapped root filesystems
#   docker/           the private daemon's data root (images, build cache, ccache mount)

DOCKER_ENV_CACHE_DIR="${BRAINSERVE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/brainserve}"
DOCKER_ENV_STARTED_PID=""
DOCKER_ENV_RUN_DIR=""
DOCKER_ENV_DATA_ROOT=""
# The Debian mirrors come from this machine's apt configuration (never hard-coded): the image is
# built from the same mirrors, and through the same apt proxy, as the host's own packages.
# DEBIAN_MIRROR / DEBIAN_SECURITY_MIRROR override them.
DEBIAN_MIRROR="${DEBIAN_MIRROR:-}"
DEBIAN_SECURITY_MIRROR="${DEBIAN_SECURITY_MIRROR:-}"

# Prints the first URI of the host's enabled apt sources (deb822 *.sources and one-line
# sources.list) whose suites include $1 exactly (e.g. "bookworm" or "bookworm-security").
docker_env_host_apt_uri() {
  local suite="$1" file
  for file in /etc/apt/sources.list.d/*.sources; do
    [ -f "$file" ] || continue
    awk -v want="$suite" '
      function flush() {
        if (types ~ /(^| )deb( |$)/ && enabled != "no" && uri != "") {
          n = split(suites, s, " "); for (i = 1; i <= n; i++) if (s[i] == want) { print uri; exit }
        }
        types = ""; suites = ""; uri = ""; enabled = ""
      }
      /^[[:space:]]*$/ { flush(); next }
      /^[[:space:]]*#/ { next }
      tolower($1) == "types:" { $1 = ""; types = $0 }
      tolower($1) == "suites:" { $1 = ""; suites = $0 }
      tolower($1) == "uris:" { uri = $2 }
      tolower($1) == "enabled:" { enabled = tolower($2) }
      END { flush() }' "$file"
  done | head -n 1 | grep . && return 0
  for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$file" ] || continue
    # deb [options] URI SUITE COMPONENTS...
    sed -e 's/\[[^]]*\]//' "$file" | awk -v want="$suite" '$1 == "deb" && $3 == want { print $2; exit }'
  done | head -n 1 | grep .
}

# Sets DEBIAN_MIRROR and DEBIAN_SECURITY_MIRROR from the host's apt sources when not given.
docker_env_resolve_mirrors() {
  if [ -z "$DEBIAN_MIRROR" ]; then
    DEBIAN_MIRROR="$(docker_env_host_apt_uri bookworm || true)"
  fi
  if [ -z "$DEBIAN_MIRROR" ]; then
    docker_env_log "no bookworm mirror in this machine's apt sources; set DEBIAN_MIRROR"
    return 1
  fi
  if [ -z "$DEBIAN_SECURITY_MIRROR" ]; then
    DEBIAN_SECURITY_MIRROR="$(docker_env_host_apt_uri bookworm-security || true)"
  fi
  docker_env_log "Debian mirror from the host's apt sources: $DEBIAN_MIRROR" \
    "(security: ${DEBIAN_SECURITY_MIRROR:-none})"
}

docker_env_log() { echo "[docker-env] $*" >&2; }

docker_env_as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

docker_env_apt_install() {
  docker_env_log "installing Debian packages: $*"
  DEBIAN_FRONTEND=noninteractive docker_env_as_root apt-get -o DPkg::Lock::Timeout=600 update -q >&2
  DEBIAN_FRONTEND=noninteractive docker_env_as_root apt-get -o DPkg::Lock::Timeout=600 install -y -q \
    --no-install-recommends "$@" >&2
}

# Picks a client that can drive BuildKit (the Dockerfile uses RUN --mount). A docker CLI with the
# buildx plugin works as is; Debian's docker.io 20.10 client has BuildKit built in.
docker_env_pick_client() {
  if [ -n "${DOCKER:-}" ]; then return 0; fi
  if docker buildx version >/dev/null 2>&1; then
    DOCKER=docker
  elif [ -x /usr/bin/docker ]; then
    DOCKER=/usr/bin/docker
  elif command -v docker >/dev/null 2>&1; then
    DOCKER=docker
  else
    docker_env_apt_install docker.io
    DOCKER=/usr/bin/docker
  fi
  export DOCKER DOCKER_BUILDKIT=1
}

docker_env_reachable() { $DOCKER version --format '{{.Server.Version}}' >/dev/null 2>&1; }

# Starts dockerd with the given storage driver; returns non-zero if it does not come up in 60 s.
docker_env_launch_daemon() {
  local driver="$1"
  local data_root="$DOCKER_ENV_CACHE_DIR/docker-$driver"
  DOCKER_ENV_DATA_ROOT="$data_root"
  mkdir -p "$data_root"
  docker_env_stop_orphans "$data_root"
  # A short path: the daemon's unix sockets must fit in sun_path (108 bytes).
  DOCKER_ENV_RUN_DIR="$(mktemp -d /tmp/bsdock.XXXXXX)"
  : >"$DOCKER_ENV_RUN_DIR/dockerd.log"
  docker_env_log "starting dockerd (storage $driver, data root $data_root)"
  # setsid: the daemon gets its own process group, so a Ctrl-C on this script doesn't kill it
  # before the trap stops it cleanly.
  setsid dockerd \
    --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false --bridge=none \
    --storage-driver="$driver" \
    --data-root="$data_root" \
    --exec-root="$DOCKER_ENV_RUN_DIR/exec" \
    --pidfile="$DOCKER_ENV_RUN_DIR/dockerd.pid" \
    --host="unix://$DOCKER_ENV_RUN_DIR/docker.sock" \
    >>"$DOCKER_ENV_RUN_DIR/dockerd.log" 2>&1 </dev/null {DOCKER_ENV_LOCK_FD}>&- &
  # $! is dockerd itself, or setsid's short-lived parent when setsid had to fork (when this shell
  # runs with job control); the pidfile names the daemon either way.
  local launcher=$! pidfile="$DOCKER_ENV_RUN_DIR/dockerd.pid" pid="" i
  export DOCKER_HOST="unix://$DOCKER_ENV_RUN_DIR/docker.sock"
  for i in $(seq 1 120); do
    [ -s "$pidfile" ] && pid="$(cat "$pidfile")"
    if docker_env_reachable; then
      # It wrote the pidfile before it started serving the API.
      [ -s "$pidfile" ] && pid="$(cat "$pidfile")"
      DOCKER_ENV_STARTED_PID="$pid"
      docker_env_log "dockerd is up (pid $DOCKER_ENV_STARTED_PID)"
      return 0
    fi
    if [ -n "$pid" ]; then
      kill -0 "$pid" 2>/dev/null || break
    elif ! kill -0 "$launcher" 2>/dev/null && [ "$i" -gt 10 ]; then
      break
    fi
    sleep 0.5
  done
  DOCKER_ENV_STARTED_PID="$pid"
  docker_env_log "dockerd (storage $driver) did not come up; last log lines:"
  grep -v "\[core\]" "$DOCKER_ENV_RUN_DIR/dockerd.log" | tail -n 25 >&2 || true
  docker_env_stop
  return 1
}

# A daemon left running on our data root by a run that was killed (we hold the lock, so no live run
# owns it) would be corrupted by a second daemon: stop it, identified by its exact --data-root.
docker_env_stop_orphans() {
  local data_root="$1" pid i args run_dir mnt
  for pid in $(pgrep -x dockerd || true); do
    args="$(tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null)" || continue
    grep -qxF -- "--data-root=$data_root" <<<"$args" || continue
    docker_env_log "stopping dockerd $pid left running on $data_root by an earlier run"
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$pid" 2>/dev/null || true
    # Its run directory (/tmp/bsdock.*, the parent of --exec-root) goes too.
    run_dir="$(sed -n 's#^--exec-root=\(/tmp/bsdock\.[A-Za-z0-9]*\)/exec$#\1#p' <<<"$args")"
    if [ -n "$run_dir" ]; then
      for mnt in $(awk -v d="$run_dir/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r); do
        umount -l "$mnt" 2>/dev/null || true
      done
      rm -rf "$run_dir"
    fi
  done
}

docker_env_start() {
  docker_env_pick_client
  if docker_env_reachable; then
    docker_env_log "using the running Docker daemon (${DOCKER_HOST:-default socket})"
    return 0
  fi
  if [ "$(id -u)" -ne 0 ]; then
    docker_env_log "no Docker daemon is reachable and starting one needs root"
    return 1
  fi
  if ! command -v dockerd >/dev/null 2>&1; then docker_env_apt_install docker.io; fi
  mkdir -p "$DOCKER_ENV_CACHE_DIR"
  # One private daemon per data root at a time: wait for a concurrent run to finish.
  exec {DOCKER_ENV_LOCK_FD}>"$DOCKER_ENV_CACHE_DIR/docker.lock"
  if ! flock -w 900 "$DOCKER_ENV_LOCK_FD"; then
    docker_env_log "timed out waiting for $DOCKER_ENV_CACHE_DIR/docker.lock"
    return 1
  fi
  local driver
  for driver in ${BRAINSERVE_DOCKER_STORAGE_DRIVERS:-overlay2 vfs}; do
    if docker_env_launch_daemon "$driver"; then return 0; fi
  done
  docker_env_log "could not start a Docker daemon (see the log above)"
  return 1
}

docker_env_stop() {
  if [ -z "$DOCKER_ENV_STARTED_PID" ] && [ -n "$DOCKER_ENV_RUN_DIR" ] &&
     [ -s "$DOCKER_ENV_RUN_DIR/dockerd.pid" ]; then
    DOCKER_ENV_STARTED_PID="$(cat "$DOCKER_ENV_RUN_DIR/dockerd.pid")"
  fi
  if [ -n "$DOCKER_ENV_STARTED_PID" ]; then
    local pid="$DOCKER_ENV_STARTED_PID" i
    DOCKER_ENV_STARTED_PID=""
    if kill -0 "$pid" 2>/dev/null; then
      docker_env_log "stopping dockerd (pid $pid)"
      kill -TERM "$pid" 2>/dev/null || true
      for i in $(seq 1 60); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.5
      done
      if kill -0 "$pid" 2>/dev/null; then
        docker_env_log "dockerd (pid $pid) ignored SIGTERM for 30 s; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
      fi
      wait "$pid" 2>/dev/null || true
    fi
  fi
  # dockerd leaves its network namespace handle (exec-root/netns/default) mounted, and after a
  # failed start also its data root: unmount what is left under the directories it was given.
  local dir mnt
  for dir in "$DOCKER_ENV_RUN_DIR" "$DOCKER_ENV_DATA_ROOT"; do
    [ -n "$dir" ] || continue
    for mnt in $(awk -v d="$dir" '$2 == d || index($2, d "/") == 1 { print $2 }' /proc/mounts | sort -r); do
      umount -l "$mnt" 2>/dev/null || true
    done
  done
  DOCKER_ENV_DATA_ROOT=""
  if [ -n "$DOCKER_ENV_RUN_DIR" ]; then
    rm -rf "$DOCKER_ENV_RUN_DIR" 2>/dev/null || true
    DOCKER_ENV_RUN_DIR=""
  fi
}

docker_env_has_image() { $DOCKER image inspect "$1" >/dev/null 2>&1; }

# Builds root filesystem tarballs for debian bookworm from Debian's packages, with one debootstrap:
#   $1 = tarball like debian:bookworm; $2 = tarball like debian:bookworm-slim
docker_env_debootstrap_tarballs() {
  local out_full="$1" out_slim="$2" root
  command -v debootstrap >/dev/null 2>&1 || docker_env_apt_install debootstrap
  docker_env_resolve_mirrors || return 1
  root="$(mktemp -d /tmp/bsroot.XXXXXX)"
  docker_env_log "debootstrap --variant=minbase bookworm from $DEBIAN_MIRROR"
  if ! docker_env_as_root debootstrap --variant=minbase bookworm "$root" "$DEBIAN_MIRROR" \
      >"$root.log" 2>&1; then
    tail -n 30 "$root.log" >&2
    docker_env_as_root rm -rf "$root" "$root.log"
    return 1
  fi
  # Make it look like the official images: updates and security suites, no downloaded .debs or
  # package lists left behind, apt configured to clean up after itself.
  rm -f "$root/etc/apt/sources.list"
  {
    printf 'Types: deb\nURIs: %s\nSuites: bookworm bookworm-updates\nComponents: main\n' \
      "$DEBIAN_MIRROR"
    printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
    if [ -n "$DEBIAN_SECURITY_MIRROR" ]; then
      printf '\nTypes: deb\nURIs: %s\nSuites: bookworm-security\nComponents: main\n' \
        "$DEBIAN_SECURITY_MIRROR"
      printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
    fi
  } >"$root/etc/apt/sources.list.d/debian.sources"
  # The host's apt proxy, if it has one, so apt inside the image reaches the same mirrors.
  apt-config dump 2>/dev/null | grep -iE '^Acquire::(https?|ftp)::Proxy' \
    >"$root/etc/apt/apt.conf.d/01proxy" || rm -f "$root/etc/apt/apt.conf.d/01proxy"
  cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
  echo 'APT::Install-Recommends "false";' >"$root/etc/apt/apt.conf.d/docker-no-recommends"
  rm -rf "$root/var/cache/apt/archives"/*.deb "$root/var/lib/apt/lists"/* "$root/var/log"/*.log \
    "$root/var/cache/apt"/*.bin "$root/debootstrap" 2>/dev/null || true
  mkdir -p "$(dirname "$out_full")" "$(dirname "$out_slim")"
  tar --numeric-owner --xattrs -C "$root" -cf "$out_full.tmp" .
  mv "$out_full.tmp" "$out_full"
  # The slim flavor, as debuerreotype makes the -slim images: no docs, man pages or locales,
  # now or in packages installed later.
  cat >"$root/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
EOF
  find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "$root/usr/share/man"/* "$root/usr/share/groff"/* "$root/usr/share/info"/* \
    "$root/usr/share/lintian"/* "$root/usr/share/linda"/*
  find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +
  tar --numeric-owner --xattrs -C "$root" -cf "$out_slim.tmp" .
  mv "$out_slim.tmp" "$out_slim"
  docker_env_as_root rm -rf "$root" "$root.log"
}

docker_env_base_images() {
  local name tarball base="$DOCKER_ENV_CACHE_DIR/base"
  for name in bookworm bookworm-slim; do
    if docker_env_has_image "debian:$name"; then continue; fi
    tarball="$base/debian-$name.tar"
    if [ ! -s "$tarball" ]; then
      docker_env_debootstrap_tarballs "$base/debian-bookworm.tar" "$base/debian-bookworm-slim.tar"
    fi
    docker_env_log "docker import $tarball as debian:$name"
    $DOCKER import --change 'CMD ["bash"]' --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      "$tarball" "debian:$name" >/dev/null
  done
}
