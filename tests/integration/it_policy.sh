#!/usr/bin/env bash
# Classification and policy through the real gateway. With a read-only
# policy every non-read statement of data/nonread.sql is refused with 1142
# and nothing changes on the backend (table checksums and the binary log
# position stay put); reads return exactly what MariaDB returns; prepared
# statements (SQL-level and binary protocol) follow their prepared class;
# the default policy holds writes for review; a policy change applies to
# live sessions at once; read-only sessions run on the connection's
# read-only credential; every decision is recorded with its statement.
source "$(dirname "$0")/lib.sh"

GW_CONN_EXTRA="
[connection orders_ro]
host = 127.0.0.1
port = $AGENTGATE_MARIADB_PORT
user = $AGENTGATE_MARIADB_RW_USER
password_file = $AGENTGATE_MARIADB_RW_PASSWORD_FILE
readonly_user = $AGENTGATE_MARIADB_RO_USER
readonly_password_file = $AGENTGATE_MARIADB_RO_PASSWORD_FILE
database = $AGENTGATE_MARIADB_DATABASE

# Nobody reviews here: a held statement expires after a second.
[approvals]
review_timeout = 1s
" gw_config
reset_store
ctl grant alpha orders_ro >/dev/null
for c in write ddl admin unknown; do ctl policy set --agent alpha "$c" deny >/dev/null; done
gw_start
A=$(alpha_token)
B=$(beta_token)

state() {
	myroot "CHECKSUM TABLE customers, orders; SHOW MASTER STATUS" | awk '{print $1, $2}' | tr '\n' ' '
}
before=$(state)

# Every non-read statement is classified as such and refused.
n=0 refused=0 misclassified=""
while IFS= read -r stmt; do
	n=$((n + 1))
	cls=$(printf "%s\n" "$stmt" | "$AGENTGATECTL" classify | cut -f1 || true)
	[ "$cls" = read ] && misclassified="$misclassified [$stmt]"
	out=$(gwsql "$A" orders -N -B -e "$stmt" 2>&1 || true)
	if [[ "$out" == *"ERROR 1142"* && "$out" == *"denied by agent alpha"* ]]; then
		refused=$((refused + 1))
	else
		fail "not refused: [$stmt] -> [$out]"
	fi
done <"$(dirname "$0")/data/nonread.sql"
assert_eq "no statement of the list is classified read" "" "$misclassified"
assert_eq "all $n non-read statements refused with 1142" "$n" "$refused"
assert_eq "nothing changed on the backend (checksums, binlog position)" "$before" "$(state)"

# Reads return exactly what MariaDB returns.
for q in "SELECT * FROM customers ORDER BY id" \
	"SELECT c.name, SUM(o.amount) FROM customers c JOIN orders o ON o.customer_id = c.id GROUP BY c.name ORDER BY 1" \
	"SHOW TABLES" "DESCRIBE orders" "EXPLAIN SELECT * FROM orders WHERE id = 1"; do
	assert_eq "read: $q" "$(mydirect -N -B -e "$q")" "$(gwsql "$A" orders -N -B -e "$q")"
done

# Prepared statements follow their prepared class (mariadb CLI speaks text,
# so use SQL-level PREPARE for the literal case and the C client for binary).
out=$(gwsql "$A" orders -N -B -e "PREPARE s FROM 'SELECT name FROM customers WHERE id = 1'; EXECUTE s" 2>&1 || true)
assert_contains "PREPARE of a literal read is not allowed blindly" "$out" "ERROR"
got=$(wait_pg "SELECT decision FROM statements WHERE sql_text LIKE 'UPDATE customers SET name = ''x''%'" deny)
assert_eq "the refusal is recorded with its decision" "deny" "$got"
got=$(pgq "SELECT class, status, error_code, policy FROM statements WHERE sql_text LIKE 'UPDATE customers SET name = ''x''%'")
assert_eq "class, status, error and deciding rule recorded" "write|refused|1142|agent alpha on *" "$got"
got=$(pgq "SELECT class, decision FROM statements WHERE sql_text = 'SHOW TABLES'")
assert_eq "allowed reads recorded with class and decision" "read|allow" "$got"

# The binary protocol (the C client library): a prepared write is refused
# at prepare when its class is denied; when it needs review it is held at
# each execute (and expires here); prepared reads return what MariaDB
# returns.
agclient_policy() {
	printf '%s\n' "$1" >"$T/ps.token"
	"$AGENTGATE_AGCLIENT" 127.0.0.1 "$AGENTGATE_GATEWAY_PORT" orders "$T/ps.token" \
		"$AGENTGATE_TEST_CA" 127.0.0.1 "$AGENTGATE_MARIADB_PORT" "$AGENTGATE_MARIADB_RW_USER" \
		"$AGENTGATE_MARIADB_RW_PASSWORD_FILE" "$AGENTGATE_MARIADB_DATABASE" 0 "$2" 2>&1 || true
}
for who in "alpha:$A:prepare" "beta:$B:execute"; do
	out=$(agclient_policy "$(echo "$who" | cut -d: -f2)" "policy-${who##*:}")
	echo "$out" | grep -E '^(ok|not ok)' | sed "s/^/  agclient ${who%%:*}: /"
	assert_eq "${who%%:*}: binary-protocol policy checks pass" "0" "$(echo "$out" | grep -c '^not ok' || true)"
	assert_contains "${who%%:*}: write refused at ${who##*:}" "$out" "ok - prepared write refused at ${who##*:}"
done
got=$(wait_pg "SELECT count(*) FROM statements WHERE command_name = 'COM_STMT_PREPARE' AND decision = 'deny' AND sql_text LIKE 'UPDATE customers SET name = CONCAT%'" 1)
assert_eq "the refused prepare is recorded" "1" "$got"
got=$(wait_pg "SELECT count(*) FROM statements WHERE command_name = 'COM_STMT_EXECUTE' AND decision = 'review' AND sql_text LIKE 'UPDATE customers SET name = CONCAT%' AND params = '[1]'" 1)
assert_eq "the refused execute is recorded with its parameters" "1" "$got"
got=$(pgq "SELECT decision, reason LIKE '%prepare only: each execution needs review' FROM statements WHERE command_name = 'COM_STMT_PREPARE' AND decision <> 'deny' AND sql_text LIKE 'UPDATE customers SET name = CONCAT%'")
assert_eq "a prepare that needs review per execution says so in its record" "allow|t" "$got"

# Beta has the default policy: writes and ddl are held for review (and,
# undecided, expire: the approval workflow itself is it_approvals' and
# it_browser's).
out=$(gwsql "$B" orders -N -B -e "UPDATE customers SET name = name WHERE id = 1" 2>&1 || true)
assert_contains "default policy: write held for review" "$out" "review request"
assert_contains "and, undecided, expired" "$out" "expired"
assert_contains "review refusal is 1142" "$out" "ERROR 1142"
out=$(gwsql "$B" orders -N -B -e "DROP TABLE orders" 2>&1 || true)
assert_contains "default policy: ddl held for review" "$out" "review request"
out=$(gwsql "$B" orders -N -B -e "SET GLOBAL max_connections = 1" 2>&1 || true)
assert_contains "default policy: admin denied" "$out" "denied by built-in default"
out=$(gwsql "$B" orders -N -B -e "BEGIN; SELECT 1; COMMIT; SET NAMES utf8mb4; USE orders; SELECT 2" 2>&1 || true)
assert_eq "default policy: txn and session statements run" "$(printf '1\n2')" "$out"

# A policy change reaches a live session at once.
mkfifo "$T/s.in"
gwsql "$B" orders -N -B -n --force --skip-reconnect <"$T/s.in" >"$T/s.out" 2>&1 &
client_pid=$!
exec 7>"$T/s.in"
echo "UPDATE orders SET quantity = quantity WHERE id = 1;" >&7
for i in $(seq 1 50); do grep -q "review request" "$T/s.out" && break; sleep 0.1; done
assert_contains "before the change: review required" "$(cat "$T/s.out")" "review request"
ctl policy set --agent beta write allow >/dev/null
sleep 0.5
echo "SELECT CONCAT('after', ' change'); UPDATE orders SET quantity = quantity + 0 WHERE id = 1; SELECT ROW_COUNT() + 100;" >&7
sleep 0.5
exec 7>&-
wait "$client_pid" || true
assert_contains "after the change the write runs in the same session" "$(cat "$T/s.out")" "100"
got=$(wait_pg "SELECT decision FROM statements WHERE sql_text = 'UPDATE orders SET quantity = quantity + 0 WHERE id = 1'" allow)
assert_eq "the allowed write is recorded as allowed" "allow" "$got"
got=$(pgq "SELECT count(*) FROM statements WHERE decision = 'allow' AND class <> 'read' AND status = 'running'")
assert_eq "allowed writes are not left as running" "0" "$got"

# Read-only sessions run on the read-only credential.
got=$(gwsql "$A" orders_ro -N -B -e "SELECT CURRENT_USER()")
assert_contains "read-only policy uses the read-only credential" "$got" "$AGENTGATE_MARIADB_RO_USER@"
got=$(wait_pg "SELECT read_only FROM sessions WHERE connection = 'orders_ro' LIMIT 1" t)
assert_eq "the session is recorded as read-only" "t" "$got"
ctl grant beta orders_ro >/dev/null
got=$(gwsql "$B" orders_ro -N -B -e "SELECT CURRENT_USER()")
assert_contains "a policy that may write uses the main credential" "$got" "$AGENTGATE_MARIADB_RW_USER@"

finish
