#!/usr/bin/env bash
# A real Keycloak on loopback for fedctl's tests (docs/real-keycloak.md).
#
#   scripts/keycloak.sh start  [VERSION]   fetch (Maven), unpack (cached), start, wait until ready
#   scripts/keycloak.sh stop   [VERSION]   stop the instance this checkout started
#   scripts/keycloak.sh status [VERSION]   exit 0 and print url/log when it is running and ready
#
# Idempotent: starting a running instance prints it again; stopping a stopped one does nothing.
# The distribution is org.keycloak:keycloak-quarkus-dist:VERSION:tar.gz from Maven Central
# (kept in ~/.m2), unpacked once into $FEDCTL_KEYCLOAK_CACHE (default ~/.cache/fedctl/keycloak).
# The instance's pid, ports and log live under target/keycloak/VERSION of this checkout, so
# several checkouts on one machine run their own servers without stepping on each other.
#
# Environment:
#   KC_BOOTSTRAP_ADMIN_USERNAME, KC_BOOTSTRAP_ADMIN_PASSWORD   the master admin (required to start)
#   JAVA_HOME                       the JDK to run it on (default: `java` on PATH)
#   KC_HTTP_PORT, KC_MANAGEMENT_PORT  fixed ports (default: the first free pair from 18080/19000)
#   KC_START_TIMEOUT                seconds to wait for readiness (default 240)
set -euo pipefail

DEFAULT_VERSION=26.7.3
command=${1:-}
version=${2:-$DEFAULT_VERSION}
case "$command" in start | stop | status) ;; *)
  echo "usage: $0 start|stop|status [VERSION]   (default VERSION $DEFAULT_VERSION)" >&2
  exit 64
  ;;
esac
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || {
  echo "error: VERSION must look like 26.7.3, got '$version'" >&2
  exit 64
}

repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${FEDCTL_KEYCLOAK_CACHE:-$HOME/.cache/fedctl/keycloak}
home="$cache/$version/keycloak-$version"
run="$repo/target/keycloak/$version"
pid_file="$run/pid"
log="$run/keycloak.log"

log_note() { echo "keycloak $version: $*" >&2; }

running_pid() {
  [ -f "$pid_file" ] || return 1
  local pid
  pid=$(cat "$pid_file")
  kill -0 "$pid" 2>/dev/null && echo "$pid"
}

ready() { curl -fs -o /dev/null --max-time 5 "http://127.0.0.1:$(cat "$run/management-port")/health/ready"; }

describe() {
  echo "url=http://127.0.0.1:$(cat "$run/http-port")"
  echo "log=$log"
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# The first pair (http, management) from 18080/19000 upwards that nothing listens on.
pick_ports() {
  local offset
  for offset in $(seq 0 50); do
    if port_free $((18080 + offset)) && port_free $((19000 + offset)); then
      echo "$((18080 + offset)) $((19000 + offset))"
      return
    fi
  done
  log_note "no free port pair from 18080/19000" && return 1
}

# Download with Maven (~/.m2 is Maven's own cache) and unpack once; a lock keeps two
# checkouts from unpacking into the same directory at the same time.
install() {
  [ -x "$home/bin/kc.sh" ] && return
  mkdir -p "$cache/$version"
  (
    flock 9
    [ -x "$home/bin/kc.sh" ] && exit 0
    local artifact=org.keycloak:keycloak-quarkus-dist:$version:tar.gz
    local m2=${MAVEN_REPOSITORY:-$HOME/.m2/repository}
    local tarball="$m2/org/keycloak/keycloak-quarkus-dist/$version/keycloak-quarkus-dist-$version.tar.gz"
    if [ ! -f "$tarball" ]; then
      log_note "fetching $artifact with Maven"
      mvn -q -B dependency:get -Dartifact="$artifact" -Dtransitive=false >&2
    fi
    local partial="$cache/$version/unpacking"
    rm -rf "$partial" && mkdir -p "$partial"
    tar -xzf "$tarball" -C "$partial"
    mv "$partial/keycloak-$version" "$home"
    rmdir "$partial"
  ) 9>"$cache/$version/.lock"
}

start() {
  if running_pid >/dev/null; then
    ready || log_note "running but not ready yet (see $log)"
    describe
    return
  fi
  : "${KC_BOOTSTRAP_ADMIN_USERNAME:?set KC_BOOTSTRAP_ADMIN_USERNAME (the master admin to create)}"
  : "${KC_BOOTSTRAP_ADMIN_PASSWORD:?set KC_BOOTSTRAP_ADMIN_PASSWORD}"
  install
  mkdir -p "$run"
  # One start at a time on this machine, from picking the ports until the server is up: two
  # checkouts starting at once would otherwise pick the same free ports (the second server
  # then fails to bind while its readiness check is answered by the first), and start-dev
  # re-augments a shared distribution when its build options change.
  exec 9>"$cache/.start-lock"
  flock 9
  local http management
  if [ -n "${KC_HTTP_PORT:-}" ]; then
    http=$KC_HTTP_PORT management=${KC_MANAGEMENT_PORT:-$((KC_HTTP_PORT + 920))}
  else
    read -r http management < <(pick_ports)
  fi
  echo "$http" >"$run/http-port"
  echo "$management" >"$run/management-port"
  log_note "starting on 127.0.0.1:$http (management $management), java: ${JAVA_HOME:-$(command -v java)}"
  # A session of its own, so that stop can end kc.sh and the JVM together.
  setsid env JAVA_OPTS_KC_HEAP="${JAVA_OPTS_KC_HEAP:--Xms64m -Xmx768m}" \
    "$home/bin/kc.sh" start-dev \
    --http-host 127.0.0.1 --http-port "$http" --http-management-port "$management" \
    --db dev-mem --health-enabled true \
    >"$log" 2>&1 </dev/null &
  echo $! >"$pid_file"
  local deadline=$((SECONDS + ${KC_START_TIMEOUT:-240}))
  # Ready, and this server: its log says it listens on the port it was given.
  until ready && grep -q "Listening on: http://127.0.0.1:$http" "$log"; do
    if ! running_pid >/dev/null; then
      flock -u 9
      log_note "exited during startup; last lines of $log:"
      tail -n 20 "$log" >&2
      rm -f "$pid_file"
      return 1
    fi
    if [ $SECONDS -ge $deadline ]; then
      flock -u 9
      log_note "not ready after ${KC_START_TIMEOUT:-240}s (log: $log); stopping it"
      stop
      return 1
    fi
    sleep 2
  done
  flock -u 9
  log_note "ready"
  describe
}

stop() {
  local pid
  if ! pid=$(running_pid); then
    rm -f "$pid_file"
    return 0
  fi
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid"
  for _ in $(seq 1 30); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 1
  done
  kill -0 "$pid" 2>/dev/null && kill -KILL -- "-$pid" 2>/dev/null
  rm -f "$pid_file"
  log_note "stopped (log: $log)"
}

status() {
  if running_pid >/dev/null && ready; then
    describe
  else
    log_note "not running"
    return 1
  fi
}

"$command"
