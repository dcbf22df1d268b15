#!/bin/sh
# agentgatectl against a real PostgreSQL: usage and configuration errors
# (exit 2), migrations (also two at once, and the schema the recorder
# writes), agents, grants, revocation with its NOTIFY, and the exact
# messages an operator sees.
#
# usage: test_store_pg.sh PATH/TO/agentgatectl
# AGENTGATE_TEST_PG_DSN must be a key=value libpq connection string to a
# database where the test may create (and then drops) a schema of its own;
# psql must be on PATH. Without the variable the test is skipped (exit 77).
# It does not start or stop any server.

set -u

CTL=${1:-${AGENTGATECTL:-}}
if [ -z "${AGENTGATE_TEST_PG_DSN:-}" ]; then
	echo "SKIP: AGENTGATE_TEST_PG_DSN is not set"
	exit 77
fi
if [ -z "$CTL" ] || [ ! -x "$CTL" ]; then
	echo "usage: $0 PATH/TO/agentgatectl" >&2
	exit 2
fi

SCHEMA="agentgate_ctl_test_$$"
DIR=$(mktemp -d)
DSN="$AGENTGATE_TEST_PG_DSN options='-csearch_path=$SCHEMA'"
FAILS=0

psql_admin() {
	psql "$AGENTGATE_TEST_PG_DSN" -X -q -v ON_ERROR_STOP=1 "$@"
}

cleanup() {
	psql_admin -c "DROP SCHEMA IF EXISTS $SCHEMA CASCADE" >/dev/null 2>&1
	rm -rf "$DIR"
}
trap cleanup EXIT

psql_admin -c "SET client_min_messages = warning; CREATE SCHEMA $SCHEMA" ||
	exit 1

cat >"$DIR/agentgate.conf" <<EOF
[gateway]
instance = ctl-test

[store]
dsn = $DSN

[listener main]
address = 127.0.0.1
require_tls = false
allow_plaintext_loopback = true

[idp corp]
issuer = https://idp.example.com
audience = agentgate

[connection orders]
host = 127.0.0.1
user = gateway
password_file = $DIR/password
EOF

# expect STATUS STDOUT_SUBSTRING STDERR_SUBSTRING -- ARGS...
# (empty substrings match anything)
expect() {
	want_rc=$1
	want_out=$2
	want_err=$3
	shift 4
	"$CTL" "$@" >"$DIR/out" 2>"$DIR/err"
	rc=$?
	ok=1
	[ "$rc" -eq "$want_rc" ] || ok=0
	if [ -n "$want_out" ] && ! grep -qF -- "$want_out" "$DIR/out"; then
		ok=0
	fi
	if [ -n "$want_err" ] && ! grep -qF -- "$want_err" "$DIR/err"; then
		ok=0
	fi
	if [ $ok -eq 1 ]; then
		echo "ok: agentgatectl $*"
	else
		echo "FAIL: agentgatectl $*"
		echo "  status $rc, wanted $want_rc"
		sed 's/^/  stdout: /' "$DIR/out"
		sed 's/^/  stderr: /' "$DIR/err"
		FAILS=$((FAILS + 1))
	fi
}

sql() {
	psql "$DSN" -X -A -t -q -c "$1"
}

check_sql() {
	got=$(sql "$1")
	if [ "$got" = "$2" ]; then
		echo "ok: $1"
	else
		echo "FAIL: $1"
		echo "  got '$got', wanted '$2'"
		FAILS=$((FAILS + 1))
	fi
}

C="$DIR/agentgate.conf"

# Usage and configuration errors: exit 2, nothing touched.
expect 0 "usage: agentgatectl" "" -- --help
expect 0 "usage: agentgatectl" "" -- -c "$C" agent list --help
expect 2 "" "no command given" -- -c "$C"
expect 2 "" "unknown command 'frobnicate'" -- -c "$C" frobnicate
expect 2 "" "unknown agent command 'destroy'" -- -c "$C" agent destroy x
expect 2 "" "no configuration file" -- agent list
expect 2 "" "unknown option '--force'" -- -c "$C" agent list --force
expect 2 "" "agent add NAME --idp IDP --subject SUBJECT" -- \
	-c "$C" agent add bot --idp corp
expect 2 "" "--reason belongs to 'agent revoke'" -- \
	-c "$C" agent restore bot --reason x
expect 2 "" "usage: agentgatectl -c FILE grant AGENT CONNECTION" -- \
	-c "$C" grant bot
printf '[gateway]\nnonsense\n' >"$DIR/bad.conf"
expect 2 "" "$DIR/bad.conf:2:" -- -c "$DIR/bad.conf" agent list
expect 2 "" "" -- -c "$DIR/missing.conf" agent list

# Before migrating, a clear hint.
expect 1 "" "has 'agentgatectl migrate' been run?" -- -c "$C" agent list

# Two migrations at once: the advisory lock serialises them.
"$CTL" -c "$C" migrate >"$DIR/m1" 2>&1 &
p1=$!
"$CTL" -c "$C" migrate >"$DIR/m2" 2>&1 &
p2=$!
rc1=0
rc2=0
wait $p1 || rc1=$?
wait $p2 || rc2=$?
if [ $rc1 -eq 0 ] && [ $rc2 -eq 0 ] &&
	cat "$DIR/m1" "$DIR/m2" | grep -q "applied 001_init"; then
	echo "ok: concurrent migrate"
else
	echo "FAIL: concurrent migrate ($rc1, $rc2)"
	cat "$DIR/m1" "$DIR/m2"
	FAILS=$((FAILS + 1))
fi
# Every numbered file in sql/ is a migration compiled into the binary.
versions=$(ls "$(dirname "$0")/../../sql" | sed -n 's/^0*\([0-9][0-9]*\)_.*\.sql$/\1/p' | sort -n | paste -sd,)
latest=${versions##*,}
check_sql "SELECT string_agg(version::text, ',' ORDER BY version) FROM schema_migrations" "$versions"
expect 0 "schema is up to date (version $latest)" "" -- -c "$C" migrate
# The columns the gateway's recorder writes besides those of 001_init.
check_sql "SELECT string_agg(table_name || '.' || column_name, ','
	ORDER BY table_name, column_name) FROM information_schema.columns
	WHERE table_schema = '$SCHEMA' AND (
	(table_name = 'statements' AND column_name IN
		('class', 'decision', 'policy', 'reason', 'params')) OR
	(table_name = 'sessions' AND column_name IN ('groups', 'read_only')))" \
	"sessions.groups,sessions.read_only,statements.class,statements.decision,statements.params,statements.policy,statements.reason"
# The indexes the recorder's rows maintain: the key its upserts need, and
# a BRIN time index (003) instead of a btree.
check_sql "SELECT string_agg(i.relname || ' ' || am.amname, ',' ORDER BY i.relname)
	FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
	JOIN pg_am am ON am.oid = i.relam
	WHERE x.indrelid = '$SCHEMA.statements'::regclass" \
	"statements_pkey btree,statements_started_idx brin"

# Agents and grants.
expect 0 "agent 'bot-1' added" "" -- \
	-c "$C" agent add bot-1 --idp corp --subject "sub-1"
expect 1 "" "agent 'bot-1' already exists" -- \
	-c "$C" agent add bot-1 --idp corp --subject "sub-2"
expect 1 "" "agent 'bot-1' already has idp 'corp' and subject 'sub-1'" -- \
	-c "$C" agent add bot-2 --idp=corp --subject=sub-1
expect 1 "" "has no [idp okta] section (known: corp)" -- \
	-c "$C" agent add bot-2 --idp okta --subject sub-2
expect 1 "" "invalid agent name 'bad name'" -- \
	-c "$C" agent add "bad name" --idp corp --subject sub-2
expect 0 "agent 'bot-2' added" "" -- \
	-c "$C" agent add bot-2 --idp corp --subject "sub-2"
expect 0 "agent 'bot-1' may use connection 'orders'" "" -- \
	-c "$C" grant bot-1 orders
expect 1 "" "agent 'bot-1' is already granted connection 'orders'" -- \
	-c "$C" grant bot-1 orders
expect 0 "" "warning:" -- -c "$C" grant bot-1 crm
expect 1 "" "no agent named 'ghost'" -- -c "$C" grant ghost orders
expect 0 "bot-1  corp  sub-1    active  crm,orders" "" -- -c "$C" agent list
expect 0 "may no longer use connection 'crm'" "" -- \
	-c "$C" revoke-grant bot-1 crm
expect 1 "" "agent 'bot-1' has no grant for connection 'crm'" -- \
	-c "$C" revoke-grant bot-1 crm

# Revocation: state, NOTIFY in the same transaction, messages.
psql "$DSN" -X -q >"$DIR/listen" 2>&1 <<EOF &
LISTEN agentgate_revoke;
SELECT pg_sleep(2);
SELECT 1;
EOF
listener=$!
sleep 0.5
expect 0 "agent 'bot-1' revoked" "" -- \
	-c "$C" agent revoke bot-1 --reason "key leaked"
wait $listener
id=$(sql "SELECT id FROM agents WHERE name = 'bot-1'")
if grep -qF "\"agentgate_revoke\" with payload \"$id key leaked\"" \
	"$DIR/listen"; then
	echo "ok: NOTIFY payload '$id key leaked'"
else
	echo "FAIL: no NOTIFY seen"
	cat "$DIR/listen"
	FAILS=$((FAILS + 1))
fi
check_sql "SELECT status || ',' || revoke_reason || ',' ||
	(revoked_at IS NOT NULL) FROM agents WHERE name = 'bot-1'" \
	"revoked,key leaked,true"
expect 1 "" "agent 'bot-1' is already revoked" -- \
	-c "$C" agent revoke bot-1
expect 1 "" "no agent named 'ghost'" -- -c "$C" agent revoke ghost
expect 0 "status:   revoked since" "" -- -c "$C" agent show bot-1
expect 0 "agent 'bot-1' restored" "" -- -c "$C" agent restore bot-1
expect 1 "" "agent 'bot-1' is not revoked" -- -c "$C" agent restore bot-1
check_sql "SELECT status || ',' || (revoked_at IS NULL) FROM agents
	WHERE name = 'bot-1'" "active,true"

# show: grants and the last sessions, newest first, at most 10.
sql "INSERT INTO sessions (id, agent_id, connection, client_addr,
	started_at, ended_at, end_reason, statements)
	SELECT gen_random_uuid(), $id, 'orders', '10.0.0.' || g,
	now() - g * interval '1 minute', now(), 'client quit', g
	FROM generate_series(1, 12) g" >/dev/null
expect 0 "grants:   orders" "" -- -c "$C" agent show bot-1
if [ "$(grep -c '10\.0\.0\.' "$DIR/out")" = 10 ] &&
	grep -q "10.0.0.1  " "$DIR/out" && ! grep -q "10.0.0.11 " "$DIR/out"; then
	echo "ok: agent show lists the 10 newest sessions"
else
	echo "FAIL: agent show sessions"
	cat "$DIR/out"
	FAILS=$((FAILS + 1))
fi
expect 1 "" "no agent named 'nobody'" -- -c "$C" agent show nobody

# An unreachable database is an operation failure, not a usage error.
sed "s/^dsn = .*/dsn = host=127.0.0.1 port=1 connect_timeout=2/" "$C" \
	>"$DIR/down.conf"
expect 1 "" "cannot connect to PostgreSQL" -- -c "$DIR/down.conf" agent list

if [ $FAILS -ne 0 ]; then
	echo "$FAILS check(s) failed"
	exit 1
fi
echo "all checks passed"
