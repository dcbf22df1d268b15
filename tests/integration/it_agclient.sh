#!/usr/bin/env bash
# The MariaDB C client library through the gateway gets exactly what it gets
# from MariaDB directly: queries, a result above 100 MB streamed with
# mysql_use_result, prepared statements (with and without a cursor),
# multi-statements, a 17 MiB query, a routine with a compound body and
# server errors. Also checks that the gateway's memory stays bounded while
# it streams the large result.
source "$(dirname "$0")/lib.sh"

gw_config
reset_store
allow_writes alpha
gw_start

alpha_token >"$T/alpha.token"
out=$("$AGENTGATE_AGCLIENT" 127.0.0.1 "$AGENTGATE_GATEWAY_PORT" orders "$T/alpha.token" \
	"$AGENTGATE_TEST_CA" 127.0.0.1 "$AGENTGATE_MARIADB_PORT" "$AGENTGATE_MARIADB_RW_USER" \
	"$AGENTGATE_MARIADB_RW_PASSWORD_FILE" "$AGENTGATE_MARIADB_DATABASE" 110 2>&1) || true
echo "$out" | grep -E '^(ok|not ok)' | sed 's/^/  agclient: /'
n_ok=$(echo "$out" | grep -c '^ok' || true)
n_bad=$(echo "$out" | grep -c '^not ok' || true)
assert_eq "C client checks all pass" "0" "$n_bad"
[ "$n_ok" -ge 15 ] && pass "C client ran $n_ok checks" || fail "C client ran only $n_ok checks"

wait_pg "SELECT count(*) FROM statements WHERE command_name = 'COM_STMT_EXECUTE'" 2 >/dev/null
got=$(pgq "SELECT count(*) FROM statements WHERE command_name = 'COM_STMT_EXECUTE' AND sql_text LIKE 'SELECT id, name FROM customers WHERE id > ?%'")
assert_eq "prepared executions recorded with their SQL" "2" "$got"
got=$(pgq "SELECT rows_returned FROM statements WHERE sql_text LIKE 'SELECT seq, REPEAT%'")
assert_eq "large result recorded with its row count" "112640" "$got"
got=$(pgq "SELECT class || ' ' || status FROM statements WHERE sql_text LIKE 'CREATE OR REPLACE PROCEDURE agclient_p%'")
assert_eq "a routine with a compound body is ddl and ran" "ddl ok" "$got"
got=$(pgq "SELECT length(sql_text) > 17000000 FROM statements WHERE sql_text LIKE 'SELECT LENGTH(%'")
assert_eq "17 MiB query recorded whole" "t" "$got"

# Peak memory of a fresh gateway while it streams 110 MB (VmHWM).
gw_stop
gw_start
out=$("$AGENTGATE_AGCLIENT" 127.0.0.1 "$AGENTGATE_GATEWAY_PORT" orders "$T/alpha.token" \
	"$AGENTGATE_TEST_CA" 127.0.0.1 "$AGENTGATE_MARIADB_PORT" "$AGENTGATE_MARIADB_RW_USER" \
	"$AGENTGATE_MARIADB_RW_PASSWORD_FILE" "$AGENTGATE_MARIADB_DATABASE" 110 stream-only 2>&1) || true
assert_contains "large result streamed again" "$out" "ok - large streamed result"
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$GW_PID/status")
echo "  gateway peak RSS: ${hwm} kB"
if [ -z "${AGENTGATE_SANITIZED:-}" ]; then
	[ "$hwm" -lt 65536 ] && pass "gateway memory bounded while streaming" \
		|| fail "gateway peak RSS ${hwm} kB"
fi

finish
