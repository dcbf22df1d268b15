#!/usr/bin/env bash
# Malformed, truncated, oversized and out-of-order packets, slow clients,
# smuggled plaintext and refused commands, spoken byte by byte: each gets
# its precise MySQL error and the gateway keeps serving other sessions.
source "$(dirname "$0")/lib.sh"

GW_EXTRA="max_packet_size = 1M" gw_config
reset_store
gw_start
alpha_token >"$T/alpha.token"

if /usr/bin/python3 "$(dirname "$0")/rawproto.py" 127.0.0.1 "$AGENTGATE_GATEWAY_PORT" \
	"$AGENTGATE_GATEWAY_PLAIN_PORT" "$T/alpha.token" >"$T/raw.out" 2>&1; then
	pass "raw protocol checks"
else
	fail "raw protocol checks"
fi
sed 's/^/  rawproto: /' "$T/raw.out"

got=$(wait_pg "SELECT count(*) FROM statements WHERE status = 'refused'" 7)
assert_eq "refused commands are recorded" "7" "$got"
got=$(pgq "SELECT error_code FROM statements WHERE command_name = 'COM_CHANGE_USER'")
assert_eq "COM_CHANGE_USER recorded with its error" "1227" "$got"
got=$(pgq "SELECT count(*) FROM auth_events WHERE reason = 'handshake timeout'")
assert_eq "handshake timeout recorded as an auth event" "1" "$got"
kill -0 "$GW_PID" && pass "gateway still running" || fail "gateway died"

finish
