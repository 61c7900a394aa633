#!/usr/bin/env bash
# Runs fedctl's whole test suite on a fresh machine: installs the external tools some tests
# drive (xmllint + OASIS schemas for metadata validation, xmlsec1 for XML signatures,
# promtool for Prometheus output), then runs every test of the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."

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

# The simulator's own run: KC_CONFORMANCE_URL only selects the real server below.
env -u KC_CONFORMANCE_URL cargo test --workspace --locked --no-fail-fast "$@"

# Differential conformance: kc-sim's conformance tests, unchanged, against a real Keycloak
# (KC_CONFORMANCE_URL, admin KC_CONFORMANCE_USER/KC_CONFORMANCE_PASSWORD, default admin/admin).
if [ -n "${KC_CONFORMANCE_URL:-}" ]; then
  cargo test --locked -p kc-sim --test conformance -- --test-threads=4
else
  echo "KC_CONFORMANCE_URL not set: skipping kc-sim's conformance run against a real Keycloak" >&2
fi

# The simulator must satisfy Keycloak's official admin client, not only our own tests.
if command -v npm >/dev/null; then
  cargo build --locked -p kc-sim
  (cd tests/kc-sim/compat && npm ci --no-audit --no-fund --silent && node compat.mjs)
else
  echo "npm not found: skipping the official admin-client compatibility check" >&2
fi
