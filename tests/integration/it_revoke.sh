#!/usr/bin/env bash
# Revoking an agent refuses its new logins and closes its live sessions on
# every gateway instance sharing the database within one second, with the
# reason recorded; other agents keep working. Token expiry and the maximum
# session lifetime end sessions at a statement boundary with a clear error.
source "$(dirname "$0")/lib.sh"

gw_config
reset_store
gw_start
A=$(alpha_token)
B=$(beta_token)

# A second instance on other ports, same database.
GW2_INI="$T/agentgate2.ini"
sed -e "s/^port = $AGENTGATE_GATEWAY_PORT\$/port = $AGENTGATE_GATEWAY2_PORT/" \
    -e "s/^port = $AGENTGATE_GATEWAY_PLAIN_PORT\$/port = $AGENTGATE_GATEWAY2_PLAIN_PORT/" \
    -e "s/^instance = .*/instance = it-second/" "$GW_INI" >"$GW2_INI"
"$AGENTGATE" -c "$GW2_INI" >"$T/gateway2.log" 2>&1 &
GW2_PID=$!
for _ in $(seq 1 50); do grep -q ready "$T/gateway2.log" && break; sleep 0.1; done

# Live sessions: alpha on both instances (idle and mid-statement), beta.
fifo_session() { # NAME PORT TOKEN
	mkfifo "$T/$1.in"
	mariadb --no-defaults -h 127.0.0.1 -P "$2" -u orders --ssl --ssl-ca="$AGENTGATE_TEST_CA" \
		--password="$3" -N -B -n --skip-reconnect <"$T/$1.in" >"$T/$1.out" 2>&1 &
	eval "$1_PID=$!"
	exec {fd}>"$T/$1.in"
	eval "$1_FD=$fd"
}
fifo_session a1 "$AGENTGATE_GATEWAY_PORT" "$A"
fifo_session a2 "$AGENTGATE_GATEWAY2_PORT" "$A"
fifo_session b1 "$AGENTGATE_GATEWAY_PORT" "$B"
echo "SELECT 'a1 up';" >&"$a1_FD"
echo "SELECT 'a2 up';" >&"$a2_FD"
echo "SELECT 'b1 up';" >&"$b1_FD"
sleep 0.5
echo "SELECT SLEEP(20);" >&"$a2_FD"   # a2 is mid-statement when revoked
sleep 0.3
assert_contains "alpha session on instance 1 is up" "$(cat "$T/a1.out")" "a1 up"
assert_contains "alpha session on instance 2 is up" "$(cat "$T/a2.out")" "a2 up"

start=$(date +%s%N)
ctl agent revoke alpha --reason "leaked token" >/dev/null
echo "SELECT CONCAT('a1', ' after');" >&"$a1_FD"
# a2's client notices when its connection closes.
for _ in $(seq 1 20); do kill -0 "$a2_PID" 2>/dev/null || break; sleep 0.05; done
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
if kill -0 "$a2_PID" 2>/dev/null; then
	fail "mid-statement session on instance 2 still open after revocation"
else
	pass "mid-statement session on instance 2 closed within ${elapsed_ms} ms"
fi
[ "$elapsed_ms" -lt 1000 ] && pass "revocation took effect within one second" \
	|| fail "revocation took ${elapsed_ms} ms"
sleep 0.3
assert_contains "idle session is told why" "$(cat "$T/a1.out")" "agent revoked: leaked token"
assert_not_contains "idle session ran nothing after revocation" "$(cat "$T/a1.out")" "a1 after"
echo "SELECT 'b1 still';" >&"$b1_FD"
sleep 0.3
assert_contains "another agent keeps working" "$(cat "$T/b1.out")" "b1 still"

out=$(gwsql "$A" orders -N -B -e "SELECT 1" 2>&1 || true)
assert_contains "new logins of the revoked agent refused" "$out" "agent 'alpha' is revoked"

eval "exec $a1_FD>&- $a2_FD>&- $b1_FD>&-"
wait_pg "SELECT count(*) FROM sessions WHERE end_reason = 'agent revoked: leaked token'" 2 >/dev/null
got=$(pgq "SELECT instance FROM sessions WHERE end_reason = 'agent revoked: leaked token' ORDER BY 1" | tr '\n' ' ')
assert_eq "both instances recorded the revocation reason" "it-it_revoke it-second " "$got"
got=$(pgq "SELECT status FROM statements WHERE sql_text = 'SELECT SLEEP(20)'")
assert_eq "the interrupted statement is recorded as aborted" "aborted" "$got"
kill -TERM "$GW2_PID"; wait "$GW2_PID" || fail "second gateway exit status $?"

# Maximum session lifetime, ending at a statement boundary.
gw_stop
ctl agent restore alpha >/dev/null
GW_EXTRA="max_session_lifetime = 1s" gw_config
gw_start
out=$( { echo "SELECT 'first';"; sleep 1.5; echo "SELECT CONCAT('sec', 'ond');"; } | gwsql "$A" orders -N -B -n --skip-reconnect 2>&1 || true)
assert_contains "statement before the lifetime runs" "$out" "first"
assert_contains "session ends with a clear error" "$out" "maximum lifetime"
assert_not_contains "nothing runs after the lifetime" "$out" "second"

# Token expiry closes the session when enabled.
gw_stop
GW_EXTRA="close_on_token_expiry = true" gw_config
gw_start
S=$(token "$AGENTGATE_AGENT_SHORT_CLIENT_ID" "$AGENTGATE_AGENT_SHORT_SECRET_FILE")
ctl agent add shorty --idp local --subject "$(sub_of "$S")" >/dev/null
ctl grant shorty orders >/dev/null
out=$( { echo "SELECT 'early';"; sleep $((AGENTGATE_AGENT_SHORT_TTL + 1)); echo "SELECT CONCAT('la', 'te');"; } | gwsql "$S" orders -N -B -n --skip-reconnect 2>&1 || true)
assert_contains "statement while the token is valid runs" "$out" "early"
assert_contains "expired token ends the session" "$out" "token has expired"
assert_not_contains "nothing runs after expiry" "$out" "late"
got=$(wait_pg "SELECT end_reason FROM sessions WHERE agent_name = 'shorty'" "token expired")
assert_eq "expiry recorded as the end reason" "token expired" "$got"

finish
