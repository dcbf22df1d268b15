#!/usr/bin/env bash
# The approval workflow through the real gateway, with decisions made the
# way the reviewer page makes them (the approval_decide function): a held
# UPDATE from the mariadb client waits and runs once approved; deny carries
# the reviewer's comment; a request expires; a client that disconnects
# cancels its request; deferred mode answers with the request id and runs
# the identical statement once after approval; a quorum needs two
# approvals; a time-boxed grant lets writes run unreviewed until revoked;
# pending bounds refuse; a revoked agent's held statement is cancelled; a
# restarted instance cancels the requests it held; a second instance sees
# decisions as well; every creation and decision reaches a webhook, signed,
# retried after a refusal.
source "$(dirname "$0")/lib.sh"

# A webhook receiver that refuses its first POST (to see the retry).
head -c 32 /dev/urandom | base64 >"$T/hook.secret"
node "$(dirname "$0")/webhook_sink.mjs" "$T/hook.port" "$T/hook.log" "$T/hook.secret" &
SINK_PID=$!
for i in $(seq 1 100); do [ -s "$T/hook.port" ] && break; sleep 0.05; done
GW_CONN_EXTRA="
[approvals]
review_timeout = 8s
deferred_window = 1m
max_pending_per_agent = 3
sweep_interval = 500ms
webhook_url = http://127.0.0.1:$(cat "$T/hook.port")/hook
webhook_secret_file = $T/hook.secret
" gw_config
reset_store
gw_start
B=$(beta_token)
ISS=$AGENTGATE_IDP_ISSUER

q() { printf '%s' "${1//\'/\'\'}"; } # as an SQL string literal's body
name_of() { myroot "SELECT name FROM orders.customers WHERE id = $1"; }
pending_id() { # waits for one pending request of the given SQL, prints its id
	local i id=""
	for i in $(seq 1 400); do
		id=$(pgq "SELECT id FROM approval_requests WHERE state = 'pending' AND sql_text = '$(q "$1")' ORDER BY created_at DESC LIMIT 1")
		[ -n "$id" ] && { printf '%s' "$id"; return 0; }
		sleep 0.05
	done
	echo "not ok - no pending request for [$1] within 20 s" >&2
	return 1
}
decide() { # id reviewer vote comment [grant_minutes]
	pgq "SELECT outcome || ' ' || coalesce(state, '') || ' ' || coalesce(detail, '') FROM approval_decide('$1', '$ISS', '$2', initcap('$2'), '{reviewers}', '$3', '$4', ${5:-0}, 60)"
}

myroot "UPDATE orders.customers SET name = 'Ada' WHERE id = 1"

# --- hold: the client waits, approval runs the exact statement.
Q1="UPDATE customers SET name = 'Ada Held' WHERE id = 1"
gwsql "$B" orders -N -B -e "SELECT 'ctx-marker'; $Q1; SELECT ROW_COUNT()" >"$T/q1.out" 2>&1 &
c1=$!
id=$(pending_id "$Q1") || fail "no pending request appeared"
sleep 0.3
kill -0 "$c1" 2>/dev/null && pass "the client waits while the request is pending" \
	|| fail "the client did not wait: $(cat "$T/q1.out")"
assert_eq "nothing ran before the approval" "Ada" "$(name_of 1)"
got=$(pgq "SELECT mode, class, encode(sql_sha256, 'hex') = encode(sha256(convert_to('$(q "$Q1")', 'UTF8')), 'hex'), context::text LIKE '%ctx-marker%' FROM approval_requests WHERE id = '$id'")
assert_eq "request holds mode, class, the statement's SHA-256 and earlier statements" "hold|write|t|t" "$got"
assert_contains "approval" "$(decide "$id" reviewer1 approve 'looks fine')" "decided approved"
wait "$c1" && pass "the client finished" || fail "client exit status $?"
assert_eq "the client got the affected-rows count" "$(printf 'ctx-marker\n1')" "$(cat "$T/q1.out")"
assert_eq "the row changed on MariaDB" "Ada Held" "$(name_of 1)"
got=$(wait_pg "SELECT consumed_at IS NOT NULL FROM approval_requests WHERE id = '$id'" t)
assert_eq "the approved request was consumed once" "t" "$got"
got=$(pgq "SELECT string_agg(action, ',' ORDER BY id) FROM approval_events WHERE request_id = '$id'")
assert_eq "every transition recorded" "created,approve,approved,executed" "$got"
got=$(wait_pg "SELECT s.decision || ' ' || s.status FROM statements s JOIN approval_requests r ON r.session_id = s.session_id AND r.stmt_seq = s.seq WHERE r.id = '$id'" "review ok")
assert_eq "the request names its statement's record: reviewed and run" "review ok" "$got"

# --- deny: the comment reaches the client.
Q2="UPDATE customers SET name = 'Nope' WHERE id = 2"
gwsql "$B" orders -N -B -e "$Q2" >"$T/q2.out" 2>&1 &
c2=$!
id=$(pending_id "$Q2")
assert_contains "deny" "$(decide "$id" reviewer2 deny 'not during business hours')" "decided denied"
wait "$c2" || true
assert_contains "deny answers 1142" "$(cat "$T/q2.out")" "ERROR 1142"
assert_contains "deny names the reviewer and comment" "$(cat "$T/q2.out")" "denied by reviewer Reviewer2: not during business hours"
assert_not_contains "denied statement did not run" "$(name_of 2)" "Nope"

# --- expiry.
Q3="UPDATE customers SET name = 'Late' WHERE id = 2"
start=$(date +%s%N)
out=$(gwsql "$B" orders -N -B -e "$Q3" 2>&1 || true)
ms=$(( ($(date +%s%N) - start) / 1000000 ))
assert_contains "an undecided request expires" "$out" "expired"
[ "$ms" -ge 7500 ] && pass "the client waited the review timeout (${ms} ms)" || fail "expired after ${ms} ms"
assert_eq "expired request state" "expired" "$(pgq "SELECT state FROM approval_requests WHERE sql_text = '$(q "$Q3")'")"
id=$(pgq "SELECT id FROM approval_requests WHERE sql_text = '$(q "$Q3")'")
assert_contains "an expired request cannot be approved" "$(decide "$id" reviewer1 approve '')" "refused expired"

# --- the agent disconnects while pending.
Q4="UPDATE customers SET name = 'Gone' WHERE id = 2"
gwsql "$B" orders -N -B -e "$Q4" >/dev/null 2>&1 &
c4=$!
id=$(pending_id "$Q4")
pkill -KILL -P "$c4"; wait "$c4" 2>/dev/null || true
got=$(wait_pg "SELECT state FROM approval_requests WHERE id = '$id'" cancelled)
assert_eq "disconnecting cancels the request" "cancelled" "$got"
assert_contains "a cancelled request cannot be approved" "$(decide "$id" reviewer1 approve '')" "refused cancelled"

# --- an operator lists and cancels a pending request.
Q4b="UPDATE customers SET name = 'Operator' WHERE id = 2"
gwsql "$B" orders -N -B -e "$Q4b" >"$T/q4b.out" 2>&1 &
c4b=$!
id=$(pending_id "$Q4b")
assert_contains "agentgatectl lists the pending request" "$(ctl approvals list)" "$id  pending  hold  beta   orders      write"
assert_eq "agentgatectl cancels it" "request $id cancelled" "$(ctl approvals cancel "$id" --reason 'wrong ticket')"
wait "$c4b" || true
assert_contains "the held client learns why" "$(cat "$T/q4b.out")" "was cancelled (wrong ticket)"
assert_contains "cancelling twice is an error" "$(ctl approvals cancel "$id" 2>&1 || true)" "is cancelled, not pending"
assert_contains "a bad id is refused" "$(ctl approvals cancel nope 2>&1 || true)" "not a request or grant id"
assert_eq "nothing pending" "no pending approval requests" "$(ctl approvals list)"
assert_contains "--all lists every state" "$(ctl approvals list --all)" "cancelled"

# --- self-approval is refused by the database function itself.
Q5="UPDATE customers SET name = 'Self' WHERE id = 2"
gwsql "$B" orders -N -B -e "$Q5" >/dev/null 2>&1 &
c5=$!
id=$(pending_id "$Q5")
beta_sub=$(sub_of "$B")
assert_contains "self-approval refused" "$(decide "$id" "$beta_sub" approve '')" "your own identity"
decide "$id" reviewer1 deny 'cleanup' >/dev/null
wait "$c5" || true

# --- deferred mode: error with the id, approve, re-send runs once.
ctl policy set --agent beta write review --mode deferred >/dev/null
sleep 0.3
Q6="UPDATE customers SET name = 'Deferred' WHERE id = 3"
out=$(gwsql "$B" orders -N -B -e "$Q6" 2>&1 || true)
assert_contains "deferred answers at once with the request id" "$out" "is pending"
id=$(pgq "SELECT id FROM approval_requests WHERE sql_text = '$(q "$Q6")'")
assert_contains "the error carries the request id" "$out" "$id"
out=$(gwsql "$B" orders -N -B -e "$Q6" 2>&1 || true)
assert_contains "re-sending before the decision names the same request" "$out" "$id"
assert_eq "still one request" "1" "$(pgq "SELECT count(*) FROM approval_requests WHERE sql_text = '$(q "$Q6")'")"
decide "$id" reviewer1 approve 'ok' >/dev/null
out=$(gwsql "$B" orders -N -B -e "$Q6; SELECT ROW_COUNT()" 2>&1 || true)
assert_eq "after approval the identical statement runs" "1" "$out"
assert_eq "and changed the row" "Deferred" "$(name_of 3)"
out=$(gwsql "$B" orders -N -B -e "$Q6" 2>&1 || true)
assert_contains "it runs only once: a third send needs a new review" "$out" "is pending"
assert_eq "a new request was made" "2" "$(pgq "SELECT count(*) FROM approval_requests WHERE sql_text = '$(q "$Q6")'")"
out=$(gwsql "$B" orders -N -B -e "UPDATE customers SET name = 'Deferred'  WHERE id = 3" 2>&1 || true)
assert_contains "a different text is a different request" "$out" "is pending"
pgq "UPDATE approval_requests SET state = 'cancelled' WHERE state = 'pending'" >/dev/null

# --- quorum: two approvals, one of them from the dba group.
ctl policy set --agent beta write review --quorum 2 --require-group dba >/dev/null
sleep 0.3
Q7="UPDATE customers SET name = 'Quorum' WHERE id = 3"
gwsql "$B" orders -N -B -e "$Q7; SELECT ROW_COUNT()" >"$T/q7.out" 2>&1 &
c7=$!
id=$(pending_id "$Q7")
assert_contains "first approval is not enough" "$(decide "$id" reviewer1 approve '')" "voted pending 1 of 2"
assert_contains "a second vote by the same reviewer is refused" "$(decide "$id" reviewer1 approve '')" "already voted"
assert_contains "two approvals without the group are not enough" "$(decide "$id" reviewer2 approve '')" "one approver must be in dba"
got=$(pgq "SELECT outcome || ' ' || state FROM approval_decide('$id', '$ISS', 'dora', 'Dora', '{dba}', 'approve', '', 0, 60)")
assert_eq "an approval from the group completes the quorum" "decided approved" "$got"
wait "$c7" || true
assert_eq "quorum-approved statement ran" "1" "$(cat "$T/q7.out")"

# --- time-boxed grant: approve with a window; writes run unreviewed.
ctl policy set --agent beta write review >/dev/null
sleep 0.3
Q8="UPDATE customers SET name = 'Granted' WHERE id = 3"
gwsql "$B" orders -N -B -e "$Q8" >/dev/null 2>&1 &
c8=$!
id=$(pending_id "$Q8")
decide "$id" reviewer1 approve 'window for the migration' 5 >/dev/null
wait "$c8" || true
gid=$(pgq "SELECT grant_id FROM approval_requests WHERE id = '$id'")
[ -n "$gid" ] && pass "a grant was opened" || fail "no grant"
sleep 0.3
out=$(gwsql "$B" orders -N -B -e "UPDATE customers SET name = 'Under grant' WHERE id = 3; SELECT ROW_COUNT()" 2>&1 || true)
assert_eq "under the grant a write runs without review" "1" "$out"
assert_eq "no request for it" "0" "$(pgq "SELECT count(*) FROM approval_requests WHERE sql_text LIKE '%Under grant%'")"
got=$(wait_pg "SELECT decision || ' ' || status || ' ' || (policy LIKE 'grant $gid (%') FROM statements WHERE sql_text LIKE '%Under grant%'" "review ok true")
assert_eq "the statement is recorded with the grant's id" "review ok true" "$got"
assert_contains "agentgatectl lists the grant" "$(ctl approvals grants)" "$gid  beta   orders      write"
assert_eq "agentgatectl ends the grant" "grant $gid ended" "$(ctl approvals end-grant "$gid" --reason done)"
assert_contains "a grant ends once" "$(ctl approvals end-grant "$gid" 2>&1 || true)" "no active grant"
assert_eq "no active grants" "no active grants" "$(ctl approvals grants)"
sleep 0.3
Q9="UPDATE customers SET name = 'After grant' WHERE id = 3"
gwsql "$B" orders -N -B -e "$Q9" >/dev/null 2>&1 &
c9=$!
id=$(pending_id "$Q9") && pass "after the grant is revoked writes need review again" || fail "no review after revoke"
decide "$id" reviewer1 deny '' >/dev/null
wait "$c9" || true

# --- bounds: max_pending_per_agent = 3.
pids=""
for i in 1 2 3; do
	gwsql "$B" orders -N -B -e "UPDATE customers SET name = 'Bound $i' WHERE id = 4" >/dev/null 2>&1 &
	pids="$pids $!"
	pending_id "UPDATE customers SET name = 'Bound $i' WHERE id = 4" >/dev/null
done
out=$(gwsql "$B" orders -N -B -e "UPDATE customers SET name = 'Bound 4' WHERE id = 4" 2>&1 || true)
assert_contains "beyond the per-agent bound reviews are refused" "$out" "max_pending_per_agent"
assert_contains "with 1290" "$out" "ERROR 1290"

# --- revoking the agent cancels its held requests and ends the session.
ctl agent revoke beta --reason "compromised" >/dev/null
for p in $pids; do wait "$p" 2>/dev/null || true; done
got=$(wait_pg "SELECT count(*) FROM approval_requests WHERE state = 'cancelled' AND state_reason = 'the agent was revoked'" 3)
assert_eq "revocation cancelled the pending requests" "3" "$got"
ctl agent restore beta >/dev/null

# --- a restarted instance cancels what it held.
Q10="UPDATE customers SET name = 'Orphan' WHERE id = 4"
gwsql "$B" orders -N -B -e "$Q10" >/dev/null 2>&1 &
c10=$!
id=$(pending_id "$Q10")
kill -KILL "$GW_PID"; wait "$GW_PID" 2>/dev/null || true
GW_PID=""
wait "$c10" 2>/dev/null || true
assert_eq "still pending while the instance is down" "pending" "$(pgq "SELECT state FROM approval_requests WHERE id = '$id'")"
gw_start
got=$(wait_pg "SELECT state || ': ' || state_reason FROM approval_requests WHERE id = '$id'" "cancelled: the gateway instance holding the session restarted")
assert_eq "restart cancels the orphaned request visibly" "cancelled: the gateway instance holding the session restarted" "$got"

# --- a second instance: the decision reaches the instance holding the session.
GW2_INI="$T/agentgate2.ini"
sed -e "s/port = $AGENTGATE_GATEWAY_PORT\$/port = $AGENTGATE_GATEWAY2_PORT/" \
    -e "s/port = $AGENTGATE_GATEWAY_PLAIN_PORT\$/port = $AGENTGATE_GATEWAY2_PLAIN_PORT/" \
    -e "s/^instance = .*/instance = it-second/" "$GW_INI" >"$GW2_INI"
"$AGENTGATE" -c "$GW2_INI" >"$T/gateway2.log" 2>&1 &
GW2_PID=$!
for i in $(seq 1 100); do grep -q "agentgate .* ready" "$T/gateway2.log" && break; sleep 0.1; done
Q11="UPDATE customers SET name = 'Second' WHERE id = 2"
mariadb --no-defaults --ssl --ssl-ca="$AGENTGATE_TEST_CA" -h 127.0.0.1 -P "$AGENTGATE_GATEWAY2_PORT" -u orders \
	--password="$B" orders -N -B -e "$Q11; SELECT ROW_COUNT()" >"$T/q11.out" 2>&1 &
c11=$!
id=$(pending_id "$Q11")
assert_eq "held by the second instance" "it-second" "$(pgq "SELECT instance FROM approval_requests WHERE id = '$id'")"
decide "$id" reviewer1 approve '' >/dev/null
wait "$c11" || true
assert_eq "the second instance ran it" "1" "$(cat "$T/q11.out")"
kill -TERM "$GW2_PID"; wait "$GW2_PID" || fail "second gateway exit status $?"

# --- webhook: every creation and decision was posted, signed, the first
# refusal retried; nothing is left undelivered.
got=$(wait_pg "SELECT count(*) FROM webhook_outbox WHERE delivered_at IS NULL" 0 100)
assert_eq "every notification delivered" "0" "$got"
first=$(head -n 1 "$T/hook.log")
assert_contains "the first POST was refused" "$first" '"status":503'
d=$(printf '%s' "$first" | jq -r .delivery)
assert_eq "and delivered on a later attempt" "1" "$(jq -r "select(.delivery == \"$d\" and .status == 200) | .delivery" "$T/hook.log" | wc -l)"
assert_eq "every POST signed with the secret" "0" "$(jq -r 'select(.signed != true) | .delivery' "$T/hook.log" | wc -l)"
assert_eq "posted as JSON" "0" "$(jq -r 'select(.type != "application/json") | .delivery' "$T/hook.log" | wc -l)"
id1=$(pgq "SELECT id FROM approval_requests WHERE sql_text = '$(q "$Q1")'")
got=$(jq -r "select(.status == 200 and .payload.id == \"$id1\") | .event" "$T/hook.log" | sort | tr '\n' ' ')
assert_eq "the held request's creation and approval were announced" "request.approved request.created " "$got"
got=$(jq -r "select(.status == 200 and .payload.id == \"$id1\" and .event == \"request.approved\") | .payload.decided_by + \"|\" + .payload.comment + \"|\" + .payload.agent" "$T/hook.log")
assert_eq "the decision names the reviewer, comment and agent" "Reviewer1|looks fine|beta" "$got"
kill "$SINK_PID"; wait "$SINK_PID" 2>/dev/null || true

myroot "UPDATE orders.customers SET name = ELT(id, 'Ada Lovelace', 'Grace Hopper', 'Alan Turing') WHERE id <= 3"
finish
