#!/usr/bin/env bash
# The reviewer web page in headless Chromium with two gateway instances
# sharing one database: see browser_review.mjs for what is checked.
# Screenshots are kept in $AGENTGATE_ARTEFACT_DIR/browser.
source "$(dirname "$0")/lib.sh"

B=$(beta_token)
beta_sub=$(sub_of "$B")
web_section() { # port
	cat <<EOW
[approvals]
review_timeout = 10s
sweep_interval = 500ms

[web]
address = 127.0.0.1
port = $1
idp = local
client_id = $AGENTGATE_REVIEWER_CLIENT_ID
client_secret_file = $AGENTGATE_REVIEWER_SECRET_FILE
reviewer_groups = reviewers
reviewer_subjects = $beta_sub
EOW
}
GW_CONN_EXTRA="$(web_section "$AGENTGATE_WEB_PORT")" gw_config
reset_store
gw_start

GW2_INI="$T/agentgate2.ini"
GW_CONN_EXTRA="$(web_section "$AGENTGATE_WEB2_PORT")" GW_INI="$GW2_INI" gw_config
sed -i -e "s/port = $AGENTGATE_GATEWAY_PORT\$/port = $AGENTGATE_GATEWAY2_PORT/" \
	-e "s/port = $AGENTGATE_GATEWAY_PLAIN_PORT\$/port = $AGENTGATE_GATEWAY2_PLAIN_PORT/" \
	-e "s/^instance = .*/instance = it-second/" "$GW2_INI"
"$AGENTGATE" -c "$GW2_INI" >"$T/gateway2.log" 2>&1 &
GW2_PID=$!
for i in $(seq 1 100); do grep -q "agentgate .* ready" "$T/gateway2.log" && break; sleep 0.1; done

printf '%s\n' "$B" >"$T/beta.token"
ART="${AGENTGATE_ARTEFACT_DIR:-$T/artefacts}/browser"
rm -rf "$ART"
if WEB1="https://127.0.0.1:$AGENTGATE_WEB_PORT" WEB2="https://127.0.0.1:$AGENTGATE_WEB2_PORT" \
	GW1_PORT="$AGENTGATE_GATEWAY_PORT" GW2_PORT="$AGENTGATE_GATEWAY2_PORT" \
	TOKEN_FILE="$T/beta.token" CA="$AGENTGATE_TEST_CA" ARTEFACTS="$ART" \
	AGENT_SUBJECT="$beta_sub" CTL="$AGENTGATECTL -c $GW_INI" \
	ROOT_SQL="mariadb --no-defaults -N -B -S $AGENTGATE_MARIADB_SOCKET -u root" \
	node "$(dirname "$0")/browser_review.mjs" >"$T/out" 2>&1; then
	pass "browser checks"
else
	fail "browser checks"
fi
sed 's/^/  browser: /' "$T/out"
for f in queue.png detail.png queue-phone.png; do
	[ -s "$ART/$f" ] && pass "screenshot $f saved" || fail "no screenshot $f"
done
got=$(pgq "SELECT count(*) FROM approval_events WHERE action = 'approved' AND actor LIKE 'reviewer %'")
[ "$got" -ge 3 ] && pass "approvals recorded with the reviewer ($got)" || fail "approvals recorded: $got"

kill -TERM "$GW2_PID"; wait "$GW2_PID" || fail "second gateway exit status $?"
myroot "UPDATE orders.customers SET name = ELT(id, 'Ada Lovelace', 'Grace Hopper', 'Alan Turing') WHERE id <= 3"
finish
