#!/usr/bin/env bash
# Approval latency: from the reviewer's approve POST to the held statement's
# result at the agent, p50 and p99 over N requests, with the page of the
# instance holding the session and with a second instance's page (the
# decision crosses PostgreSQL's NOTIFY). The same UPDATE straight on MariaDB
# is timed for scale.
#
# Usage: bench/approval_bench.sh [--n N]     (default 200)
# Builds in $AGENTGATE_BUILD_DIR (default ./build) and starts private servers under
# that directory's bench-approval on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."

N=200
while [ $# -gt 0 ]; do
	case "$1" in
	--n) N=$2; shift 2 ;;
	*) echo "usage: $0 [--n N]" >&2; exit 2 ;;
	esac
done
set --

bash scripts/install-deps.sh
BUILD=${AGENTGATE_BUILD_DIR:-build}
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD" -j"$(nproc)" --target agentgate agentgatectl >/dev/null

DIR=$PWD/$BUILD/bench-approval
export AGENTGATE_PORT_BASE=${AGENTGATE_PORT_BASE:-27100}
bash scripts/servers.sh start "$DIR" >/dev/null
PIDS=""
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	bash scripts/servers.sh stop "$DIR" >/dev/null 2>&1 || true
}
trap cleanup EXIT
# shellcheck disable=SC1091
source "$DIR/env.sh"

write_ini() { # file instance port plain_port web_port
	cat >"$1" <<EOF
[gateway]
instance = $2
tls_cert = $AGENTGATE_GATEWAY_TLS_CERT
tls_key = $AGENTGATE_GATEWAY_TLS_KEY
log_level = ${AGENTGATE_BENCH_LOG_LEVEL:-warn}
[store]
dsn = $AGENTGATE_TEST_PG_DSN
[listener tls]
address = 127.0.0.1
port = $3
[listener plain]
address = 127.0.0.1
port = $4
require_tls = false
allow_plaintext_loopback = true
[idp local]
issuer = $AGENTGATE_IDP_ISSUER
audience = $AGENTGATE_IDP_AUDIENCE
ca_file = $AGENTGATE_TEST_CA
[connection orders]
host = 127.0.0.1
port = $AGENTGATE_MARIADB_PORT
user = $AGENTGATE_MARIADB_RW_USER
password_file = $AGENTGATE_MARIADB_RW_PASSWORD_FILE
database = $AGENTGATE_MARIADB_DATABASE
[approvals]
max_pending_per_agent = 1000
[web]
port = $5
idp = local
client_id = $AGENTGATE_REVIEWER_CLIENT_ID
client_secret_file = $AGENTGATE_REVIEWER_SECRET_FILE
reviewer_groups = reviewers
EOF
}
write_ini "$DIR/gw1.ini" bench-1 "$AGENTGATE_GATEWAY_PORT" "$AGENTGATE_GATEWAY_PLAIN_PORT" "$AGENTGATE_WEB_PORT"
write_ini "$DIR/gw2.ini" bench-2 "$AGENTGATE_GATEWAY2_PORT" "$AGENTGATE_GATEWAY2_PLAIN_PORT" "$AGENTGATE_WEB2_PORT"
CTL="$BUILD/cmd/agentgatectl -c $DIR/gw1.ini"
$CTL migrate >/dev/null
TOKEN=$(AGENTGATE_TEST_CA=$AGENTGATE_TEST_CA bash "$AGENTGATE_TOKEN_SH" \
	"$AGENTGATE_AGENT_BETA_CLIENT_ID" "@$AGENTGATE_AGENT_BETA_SECRET_FILE" "$AGENTGATE_IDP_ISSUER")
SUB=$(printf '%s' "$TOKEN" | cut -d. -f2 | tr '_-' '/+' | base64 -d 2>/dev/null | jq -r .sub || true)
$CTL agent add bench --idp local --subject "$SUB" >/dev/null 2>&1 || true
$CTL grant bench orders >/dev/null 2>&1 || true
printf '%s\n' "$TOKEN" >"$DIR/token"

for i in 1 2; do
	"$BUILD"/cmd/agentgate -c "$DIR/gw$i.ini" >>"$DIR/gateway$i.log" 2>&1 &
	PIDS="$PIDS $!"
done
for i in 1 2; do
	for _ in $(seq 1 100); do
		grep -q "ready" "$DIR/gateway$i.log" 2>/dev/null && break
		sleep 0.1
	done
done

WEB1="https://127.0.0.1:$AGENTGATE_WEB_PORT" WEB2="https://127.0.0.1:$AGENTGATE_WEB2_PORT" \
GW_PORT="$AGENTGATE_GATEWAY_PORT" TOKEN_FILE="$DIR/token" CA="$AGENTGATE_TEST_CA" \
DB_PORT="$AGENTGATE_MARIADB_PORT" DB_USER="$AGENTGATE_MARIADB_RW_USER" \
DB_PASSWORD_FILE="$AGENTGATE_MARIADB_RW_PASSWORD_FILE" N="$N" \
	node bench/approval_bench.mjs "$@"
