# Helpers shared by the integration tests: they run the real agentgate and
# agentgatectl binaries against the private MariaDB, PostgreSQL and OIDC
# provider that scripts/servers.sh started (its env.sh is sourced here).
#
# Each test gets a scratch directory, a fresh gateway on the test ports and
# a clean audit database; on failure the gateway log is printed.
# shellcheck shell=bash
set -euo pipefail

: "${AGENTGATE_IT_ENV:?AGENTGATE_IT_ENV must point at the servers env.sh}"
: "${AGENTGATE_BIN_DIR:?AGENTGATE_BIN_DIR must point at the build cmd dir}"
# shellcheck disable=SC1090
source "$AGENTGATE_IT_ENV"

T=$(mktemp -d "${TMPDIR:-/tmp}/agentgate-it.XXXXXX")
GW_PID=""
GW_LOG="$T/gateway.log"
GW_INI="$T/agentgate.ini"
TEST_NAME=$(basename "$0" .sh)
FAILURES=0
PASSES=0

AGENTGATE="$AGENTGATE_BIN_DIR/agentgate"
AGENTGATECTL="$AGENTGATE_BIN_DIR/agentgatectl"

on_exit() {
	local rc=$?
	gw_stop || true
	if [ "$rc" -ne 0 ] || [ "$FAILURES" -ne 0 ]; then
		echo "---- gateway log ($TEST_NAME) ----"
		tail -n 80 "$GW_LOG" 2>/dev/null || true
		echo "---- end of gateway log ----"
	fi
	rm -rf "$T"
}
trap on_exit EXIT

pass() {
	PASSES=$((PASSES + 1))
	echo "ok - $*"
}

fail() {
	FAILURES=$((FAILURES + 1))
	echo "not ok - $*"
}

assert_eq() { # name expected actual
	if [ "$2" == "$3" ]; then pass "$1"; else fail "$1: expected [$2], got [$3]"; fi
}

assert_contains() { # name haystack needle
	if [[ "$2" == *"$3"* ]]; then pass "$1"; else fail "$1: [$2] does not contain [$3]"; fi
}

assert_not_contains() { # name haystack needle
	if [[ "$2" != *"$3"* ]]; then pass "$1"; else fail "$1: [$2] contains [$3]"; fi
}

finish() {
	echo "$PASSES passed, $FAILURES failed"
	[ "$FAILURES" -eq 0 ]
}

# SQL against the audit database.
pgq() {
	psql "$AGENTGATE_TEST_PG_DSN" -X -q -At -v ON_ERROR_STOP=1 -c "$1"
}

# SQL straight to MariaDB as root (test set-up and checks).
myroot() {
	mariadb --no-defaults -uroot --socket="$AGENTGATE_MARIADB_SOCKET" \
		-N -B "$AGENTGATE_MARIADB_DATABASE" -e "$1"
}

# SQL straight to MariaDB as the gateway's backend user (the reference).
mydirect() {
	mariadb --no-defaults -h 127.0.0.1 -P "$AGENTGATE_MARIADB_PORT" \
		-u "$AGENTGATE_MARIADB_RW_USER" \
		--password="$(cat "$AGENTGATE_MARIADB_RW_PASSWORD_FILE")" \
		"$AGENTGATE_MARIADB_DATABASE" "$@"
}

# A fresh access token for an IdP client: token CLIENT_ID SECRET_FILE [AUD]
token() {
	AGENTGATE_TEST_CA="$AGENTGATE_TEST_CA" \
		TOKEN_RESOURCE="${3:-$AGENTGATE_IDP_AUDIENCE}" \
		bash "$AGENTGATE_TOKEN_SH" "$1" "@$2" "$AGENTGATE_IDP_ISSUER"
}

alpha_token() { token "$AGENTGATE_AGENT_ALPHA_CLIENT_ID" "$AGENTGATE_AGENT_ALPHA_SECRET_FILE"; }
beta_token() { token "$AGENTGATE_AGENT_BETA_CLIENT_ID" "$AGENTGATE_AGENT_BETA_SECRET_FILE"; }

# mariadb CLI through the gateway: gwsql TOKEN CONNECTION [mariadb args...]
gwsql() {
	local tok=$1 conn=$2
	shift 2
	mariadb --no-defaults -h 127.0.0.1 -P "$AGENTGATE_GATEWAY_PORT" -u "$conn" \
		--ssl --ssl-ca="$AGENTGATE_TEST_CA" --ssl-verify-server-cert \
		--password="$tok" "$@"
}

# Writes the gateway configuration; extra lines for [gateway] may follow.
gw_config() {
	cat >"$GW_INI" <<EOF
[gateway]
instance = it-$TEST_NAME
tls_cert = $AGENTGATE_GATEWAY_TLS_CERT
tls_key = $AGENTGATE_GATEWAY_TLS_KEY
handshake_timeout = 3s
${GW_EXTRA:-}

[store]
dsn = $AGENTGATE_TEST_PG_DSN
flush_interval = 20ms
grace = ${GW_STORE_GRACE:-2s}
reconnect_interval = 200ms

[listener main]
address = 127.0.0.1
port = $AGENTGATE_GATEWAY_PORT
require_tls = true

[listener plain]
address = 127.0.0.1
port = $AGENTGATE_GATEWAY_PLAIN_PORT
require_tls = false
allow_plaintext_loopback = true

[idp local]
issuer = $AGENTGATE_IDP_ISSUER
audience = $AGENTGATE_IDP_AUDIENCE
ca_file = $AGENTGATE_TEST_CA
clock_skew = 0s
jwks_refresh_min_interval = 1s

[connection orders]
host = 127.0.0.1
port = $AGENTGATE_MARIADB_PORT
user = $AGENTGATE_MARIADB_RW_USER
password_file = $AGENTGATE_MARIADB_RW_PASSWORD_FILE
database = $AGENTGATE_MARIADB_DATABASE

[connection deadend]
host = 127.0.0.1
port = $AGENTGATE_SPARE_PORT
user = nobody
password_file = $AGENTGATE_MARIADB_RW_PASSWORD_FILE
${GW_CONN_EXTRA:-}
EOF
}

ctl() {
	"$AGENTGATECTL" -c "$GW_INI" "$@"
}

# Clean audit state and the two sample agents, alpha granted 'orders'.
reset_store() {
	ctl migrate >/dev/null
	pgq "TRUNCATE statements, sessions, auth_events, policies, approval_votes, approval_events, approval_grants, approval_requests, webhook_outbox, reviewer_sessions, reviewer_logins; DELETE FROM agent_grants; DELETE FROM agents;"
	local alpha_sub beta_sub
	alpha_sub=$(sub_of "$(alpha_token)")
	beta_sub=$(sub_of "$(beta_token)")
	ctl agent add alpha --idp local --subject "$alpha_sub" >/dev/null
	ctl agent add beta --idp local --subject "$beta_sub" >/dev/null
	ctl grant alpha orders >/dev/null
	ctl grant alpha deadend >/dev/null
	ctl grant beta orders >/dev/null
}

# Lets an agent run writes and DDL without review (tests of the relay).
allow_writes() {
	pgq "INSERT INTO policies (scope, subject, connection, class, action)
	     VALUES ('agent', '$1', '*', 'write', 'allow'), ('agent', '$1', '*', 'ddl', 'allow')
	     ON CONFLICT (scope, subject, connection, class) DO UPDATE SET action = 'allow';
	     NOTIFY agentgate_policy"
}

# The subject (sub claim) of a JWT.
sub_of() {
	local p
	p=$(printf '%s' "$1" | cut -d. -f2 | tr '_-' '/+')
	while [ $(( ${#p} % 4 )) -ne 0 ]; do p="$p="; done
	printf '%s' "$p" | base64 -d | jq -r .sub
}

gw_start() {
	[ -f "$GW_INI" ] || gw_config
	local i before
	before=$(grep -c "agentgate .* ready" "$GW_LOG" 2>/dev/null || true)
	"$AGENTGATE" -c "$GW_INI" >>"$GW_LOG" 2>&1 &
	GW_PID=$!
	for i in $(seq 1 100); do
		if [ "$(grep -c "agentgate .* ready" "$GW_LOG" 2>/dev/null)" -gt "${before:-0}" ]; then
			return 0
		fi
		if ! kill -0 "$GW_PID" 2>/dev/null; then
			echo "gateway exited during start-up"
			cat "$GW_LOG"
			return 1
		fi
		sleep 0.1
	done
	echo "gateway did not become ready"
	return 1
}

gw_stop() {
	if [ -n "$GW_PID" ] && kill -0 "$GW_PID" 2>/dev/null; then
		kill -TERM "$GW_PID"
		local i
		for i in $(seq 1 50); do
			kill -0 "$GW_PID" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$GW_PID" 2>/dev/null; then
			kill -KILL "$GW_PID" 2>/dev/null || true
			fail "gateway did not stop within 5 s of SIGTERM"
		fi
		GW_RC=0
		wait "$GW_PID" 2>/dev/null || GW_RC=$?
		if [ "${GW_RC:-0}" -ne 0 ]; then
			fail "gateway exited with status ${GW_RC} (sanitizer report?)"
		fi
	fi
	GW_PID=""
}

# Waits until the audit queue has been written (a statement's record shows).
wait_pg() { # SQL expected [tries]
	local i got=""
	for i in $(seq 1 "${3:-50}"); do
		got=$(pgq "$1" 2>/dev/null || true)
		[ "$got" == "$2" ] && { printf '%s' "$got"; return 0; }
		sleep 0.1
	done
	printf '%s' "$got"
}
