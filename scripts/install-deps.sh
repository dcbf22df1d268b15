#!/usr/bin/env bash
# Installs everything agentgate needs to build and test on Debian 12:
# compilers and libraries, the MariaDB/PostgreSQL servers and clients used by
# the integration tests, Chromium for browser tests, and the Node packages of
# the test identity provider (tests/idp). Idempotent: when everything is
# already there it only checks and returns within a second or two.
# Package installs never leave services running; the project starts its own
# private servers (scripts/servers.sh).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

APT_PACKAGES=(
  build-essential cmake pkg-config
  libevent-dev libssl-dev liblasso3-dev libcjose-dev libjansson-dev
  libpq-dev default-libmysqlclient-dev libcmocka-dev
  mariadb-server mariadb-client postgresql sysbench
  clang libclang-rt-14-dev
  chromium fonts-liberation curl jq openssl
  iproute2 procps
)

log() { printf 'install-deps: %s\n' "$*" >&2; }

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    log "not root and no sudo: cannot install packages"
    exit 1
  fi
fi

apt_updated=0
apt_install() {
  # Installs the given packages without starting their services.
  local created_policy=0
  if [ "$apt_updated" -eq 0 ]; then
    log "apt-get update"
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    apt_updated=1
  fi
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    # exit 101 = "action forbidden": invoke-rc.d then starts no service.
    printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee /usr/sbin/policy-rc.d >/dev/null
    "${SUDO[@]}" chmod 755 /usr/sbin/policy-rc.d
    created_policy=1
  fi
  log "apt-get install $*"
  local rc=0
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    --no-install-recommends -o Dpkg::Options::=--force-confdef \
    -o Dpkg::Options::=--force-confold "$@" || rc=$?
  if [ "$created_policy" -eq 1 ]; then
    "${SUDO[@]}" rm -f /usr/sbin/policy-rc.d
  fi
  return "$rc"
}

stop_distro_services() {
  # Should a package script have started the distribution's own servers
  # anyway (e.g. a machine without policy-rc.d support), stop them: they are
  # not used and would only take memory and ports.
  local svc
  for svc in mariadb postgresql; do
    if command -v service >/dev/null 2>&1 && \
       service "$svc" status >/dev/null 2>&1; then
      log "stopping the distribution's $svc service"
      "${SUDO[@]}" service "$svc" stop >/dev/null 2>&1 || true
    fi
  done
}

# ---- Debian packages -------------------------------------------------------
# One dpkg-query for all: the packages it lists as installed are present.
installed="$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${APT_PACKAGES[@]}" 2>/dev/null \
  | awk '$2 == "installed" { print $1 }' || true)"
missing=()
for p in "${APT_PACKAGES[@]}"; do
  grep -qxF -- "$p" <<<"$installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  apt_install "${missing[@]}"
  stop_distro_services
else
  log "Debian packages: all present"
fi

# ---- Node.js ---------------------------------------------------------------
node_major() {
  node -e 'process.stdout.write(String(process.versions.node.split(".")[0]))' 2>/dev/null || echo 0
}
if ! command -v node >/dev/null 2>&1 || [ "$(node_major)" -lt 18 ]; then
  apt_install nodejs npm
fi
if ! command -v npm >/dev/null 2>&1; then
  apt_install npm
fi
if [ "$(node_major)" -lt 18 ]; then
  log "Node.js >= 18 is required, found $(node --version 2>/dev/null || echo none)"
  exit 1
fi
if [ "$(node_major)" -lt 20 ]; then
  log "warning: Node.js $(node --version) is older than 20; playwright-core wants >= 20"
fi

# ---- npm packages of the test identity provider ---------------------------
IDP_DIR="$ROOT/tests/idp"
stamp="$IDP_DIR/node_modules/.agentgate-lock.sha256"
want="$(sha256sum "$IDP_DIR/package-lock.json" | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  log "tests/idp node modules: up to date"
else
  log "npm ci in tests/idp"
  (cd "$IDP_DIR" && npm ci --no-audit --no-fund --loglevel=error)
  printf '%s\n' "$want" >"$stamp"
fi

log "done"
