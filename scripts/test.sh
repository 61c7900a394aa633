#!/usr/bin/env bash
# Runs fedctl's whole test suite on a fresh machine: installs the external tools some tests
# drive (xmllint + OASIS schemas for metadata validation, xmlsec1 for XML signatures,
# promtool for Prometheus output), then runs every test of the workspace, and the
# real-Keycloak tier against each Keycloak version below (docs/real-keycloak.md), including
# kc-sim's conformance tests against each real version (a difference fails the run in CI).
#
# Real Keycloak: VERSION=JAVA_HOME pairs (an empty JAVA_HOME: `java` on PATH). With CI=true a
# version that cannot be fetched or started fails the run; elsewhere the tier is skipped, loudly.
# FEDCTL_KEYCLOAK_VERSIONS="" skips it on purpose (not allowed in CI).
set -euo pipefail
cd "$(dirname "$0")/.."

KEYCLOAK_VERSIONS=${FEDCTL_KEYCLOAK_VERSIONS-"26.7.3=/usr/lib/jvm/temurin-25-jdk-amd64 26.4.7="}
in_ci() { [ "${CI:-}" = "true" ]; }

need=()
command -v xmllint >/dev/null || need+=(libxml2-utils)
[ -d /usr/share/xml/opensaml ] || need+=(opensaml-schemas)
[ -d /usr/share/xml/xmltooling ] || need+=(xmltooling-schemas)
command -v xmlsec1 >/dev/null || need+=(xmlsec1)
command -v promtool >/dev/null || need+=(prometheus)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing test tools: ${need[*]}" >&2
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# ---------------------------------------------------------------- real Keycloak
started=()
stop_keycloaks() {
  for version in ${started[@]+"${started[@]}"}; do scripts/keycloak.sh stop "$version" || true; done
}
trap stop_keycloaks EXIT

export KC_BOOTSTRAP_ADMIN_USERNAME=fedctl-test-admin
KC_BOOTSTRAP_ADMIN_PASSWORD=$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
export KC_BOOTSTRAP_ADMIN_PASSWORD

skip_tier() {
  if in_ci; then
    echo "error: the real-Keycloak tier is required in CI: $1" >&2
    exit 1
  fi
  echo "==> SKIPPING the real-Keycloak tier for $2: $1" >&2
}

# Starts VERSION on its JDK and points the tier at it; false (after saying why) if it cannot.
start_keycloak() {
  local version=$1 jdk=$2
  if [ -n "$jdk" ] && [ ! -x "$jdk/bin/java" ]; then
    skip_tier "no JDK at $jdk" "Keycloak $version"
    return 1
  fi
  if ! command -v mvn >/dev/null || ! { [ -n "$jdk" ] || command -v java >/dev/null; }; then
    skip_tier "Java and Maven are needed to fetch and run Keycloak" "Keycloak $version"
    return 1
  fi
  local described
  if ! described=$(JAVA_HOME=$jdk scripts/keycloak.sh start "$version"); then
    scripts/keycloak.sh stop "$version" || true
    skip_tier "Keycloak $version could not be fetched or started (see above)" "Keycloak $version"
    return 1
  fi
  started+=("$version")
  echo "$described" | sed "s/^/keycloak $version: /" >&2
  FEDCTL_REAL_KEYCLOAK_URL=$(echo "$described" | sed -n 's/^url=//p')
  export FEDCTL_REAL_KEYCLOAK_URL
  export FEDCTL_REAL_KEYCLOAK_USER=$KC_BOOTSTRAP_ADMIN_USERNAME
  export FEDCTL_REAL_KEYCLOAK_PASSWORD=$KC_BOOTSTRAP_ADMIN_PASSWORD
}

stop_keycloak() {
  scripts/keycloak.sh stop "$1"
  unset FEDCTL_REAL_KEYCLOAK_URL FEDCTL_REAL_KEYCLOAK_USER FEDCTL_REAL_KEYCLOAK_PASSWORD
}

# The official admin client's calls, against kc-sim or (with KC_URL) a real server.
compat() {
  if command -v npm >/dev/null; then
    (cd tests/kc-sim/compat && npm ci --no-audit --no-fund --silent && "$@" node compat.mjs)
  elif in_ci; then
    echo "error: npm is needed for the admin-client compatibility check" >&2
    exit 1
  else
    echo "==> SKIPPING the official admin-client compatibility check: npm not found" >&2
  fi
}

if [ -z "$KEYCLOAK_VERSIONS" ] && in_ci; then
  echo "error: FEDCTL_KEYCLOAK_VERSIONS is empty, but the real-Keycloak tier is required in CI" >&2
  exit 1
fi
read -r -a versions <<<"$KEYCLOAK_VERSIONS"
[ ${#versions[@]} -gt 0 ] || echo "==> SKIPPING the real-Keycloak tier: FEDCTL_KEYCLOAK_VERSIONS is empty" >&2

# ---------------------------------------------------------------- the suite
# The first version serves the whole workspace run (its tier tests and the real-server part of
# tests/live_keycloak.rs); it starts while the tests build.
first=${versions[0]:-}
if [ -n "$first" ]; then
  cargo test --workspace --locked --no-run --quiet "$@" 2>/dev/null &
  build=$!
  start_keycloak "${first%%=*}" "${first#*=}" || first=""
  wait "$build" || true
fi
# The simulator's own conformance run: KC_CONFORMANCE_URL only selects a real server below.
env -u KC_CONFORMANCE_URL cargo test --workspace --locked --no-fail-fast "$@"

# Differential conformance against a Keycloak of your own, on request (each version of the
# tier gets its own run below): kc-sim's conformance tests against KC_CONFORMANCE_URL.
if [ -n "${KC_CONFORMANCE_URL:-}" ]; then
  cargo test --locked -p kc-sim --test conformance -- --test-threads=4
fi

# The simulator must satisfy Keycloak's official admin client, not only our own tests.
cargo build --locked -p kc-sim
compat env KC_SIM_BIN="$PWD/target/debug/kc-sim"

# Differential conformance: kc-sim's conformance tests, unchanged, against the real server
# (tests/kc-sim/README.md). In CI a difference fails the run; elsewhere it is reported loudly.
conformance() {
  local version=$1 started_at=$SECONDS
  echo "==> kc-sim conformance tests against Keycloak $version" >&2
  if KC_CONFORMANCE_URL="$FEDCTL_REAL_KEYCLOAK_URL" KC_CONFORMANCE_USER="$FEDCTL_REAL_KEYCLOAK_USER" \
    KC_CONFORMANCE_PASSWORD="$FEDCTL_REAL_KEYCLOAK_PASSWORD" \
    cargo test --locked -p kc-sim --test conformance -- --test-threads=4; then
    echo "==> conformance against Keycloak $version: passed in $((SECONDS - started_at)) s" >&2
  elif in_ci; then
    echo "error: kc-sim differs from Keycloak $version (failures above)" >&2
    exit 1
  else
    echo "==> WARNING: kc-sim differs from Keycloak $version (failures above; CI fails on this)" >&2
  fi
}

run_tier_extras() {
  conformance "$1"
  compat env KC_URL="$FEDCTL_REAL_KEYCLOAK_URL" KC_ADMIN_USER="$FEDCTL_REAL_KEYCLOAK_USER" \
    KC_ADMIN_PASSWORD="$FEDCTL_REAL_KEYCLOAK_PASSWORD"
}
if [ -n "$first" ]; then
  run_tier_extras "${first%%=*}"
  stop_keycloak "${first%%=*}"
fi
# The other versions: the tier alone, one server at a time.
for pair in ${versions[@]+"${versions[@]:1}"}; do
  version=${pair%%=*}
  start_keycloak "$version" "${pair#*=}" || continue
  echo "==> real-Keycloak tier on Keycloak $version" >&2
  cargo test --locked --no-fail-fast --test real_keycloak --test live_keycloak "$@"
  run_tier_extras "$version"
  stop_keycloak "$version"
done
