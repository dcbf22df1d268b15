#!/usr/bin/env bash
# PostgreSQL becoming unreachable: statements keep running while their
# records can wait (grace), then new statements and logins are refused with
# a clear error rather than run unrecorded; when PostgreSQL is back the
# queued records are written and service resumes. Nothing is lost.
source "$(dirname "$0")/lib.sh"

GW_STORE_GRACE=2s gw_config
reset_store
gw_start
A=$(alpha_token)

admin() { psql "$AGENTGATE_TEST_PG_ADMIN_DSN" -X -q -At -c "$1"; }
pg_cut() {
	admin "ALTER DATABASE $AGENTGATE_PG_DATABASE ALLOW_CONNECTIONS false" >/dev/null
	admin "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '$AGENTGATE_PG_DATABASE'" >/dev/null
}
pg_restore() {
	admin "ALTER DATABASE $AGENTGATE_PG_DATABASE ALLOW_CONNECTIONS true" >/dev/null
}
trap 'pg_restore; on_exit' EXIT

mkfifo "$T/s.in"
mariadb --no-defaults -h 127.0.0.1 -P "$AGENTGATE_GATEWAY_PORT" -u orders --ssl \
	--ssl-ca="$AGENTGATE_TEST_CA" --password="$A" -N -B -n --force --skip-reconnect \
	<"$T/s.in" >"$T/s.out" 2>&1 &
exec 7>"$T/s.in"
echo "SELECT CONCAT('before', ' cut');" >&7
sleep 0.3

pg_cut
sleep 0.3
echo "SELECT CONCAT('within', ' grace');" >&7
sleep 0.3
assert_contains "statements run within the grace period" "$(cat "$T/s.out")" "within grace"
sleep 2.5
echo "SELECT CONCAT('after', ' grace');" >&7
sleep 0.5
out=$(cat "$T/s.out")
assert_contains "after the grace, statements are refused with 1290" "$out" "ERROR 1290"
assert_contains "the refusal names the audit store" "$out" "audit store is unavailable"
assert_not_contains "the refused statement did not run" "$out" "after grace"
out=$(gwsql "$A" orders -N -B -e "SELECT 1" 2>&1 || true)
assert_contains "new logins refused while the store is down" "$out" "unavailable"

pg_restore
ok=""
for _ in $(seq 1 50); do
	echo "SELECT CONCAT('back', ' again');" >&7
	sleep 0.2
	grep -q "back again" "$T/s.out" && { ok=1; break; }
done
[ -n "$ok" ] && pass "the same session works again once PostgreSQL is back" \
	|| fail "session did not recover: $(tail -3 "$T/s.out")"
exec 7>&-

got=$(wait_pg "SELECT count(*) FROM statements WHERE sql_text LIKE '%''within'', '' grace''%'" 1)
assert_eq "the statement run during the outage was recorded afterwards" "1" "$got"
got=$(pgq "SELECT status FROM statements WHERE sql_text LIKE '%''after'', '' grace''%'")
assert_eq "nothing recorded for the refused statement as run" "" "$got"
out=$(gwsql "$A" orders -N -B -e "SELECT 2" 2>&1 || true)
assert_eq "new logins work again" "2" "$out"

finish
