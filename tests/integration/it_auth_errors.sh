#!/usr/bin/env bash
# Every way a login can be wrong gets MySQL error 1045 (or the precise
# transport error) naming the check that failed, never echoing the token,
# is recorded as an auth event, and leaves the gateway serving others.
source "$(dirname "$0")/lib.sh"

gw_config
reset_store
gw_start

A=$(alpha_token)
b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }
hdr=$(printf '%s' "$A" | cut -d. -f1)
payload=$(printf '%s' "$A" | cut -d. -f2)
sig=$(printf '%s' "$A" | cut -d. -f3)

# try NAME TOKEN CONNECTION EXPECTED_CODE EXPECTED_TEXT [mariadb args]
try() {
	local name=$1 tok=$2 conn=$3 code=$4 text=$5
	shift 5
	local out
	out=$(gwsql "$tok" "$conn" -N -B -e "SELECT 1" "$@" 2>&1 || true)
	assert_contains "$name: error $code" "$out" "ERROR $code"
	assert_contains "$name: says why" "$out" "$text"
	if [ "${#tok}" -gt 30 ]; then
		assert_not_contains "$name: token not echoed" "$out" "${tok:10:20}"
	fi
}

try "garbage token" "not-a-token-at-all" orders 1045 "token rejected (malformed)"
try "empty password" "" orders 1045 "no token was sent"
try "wrong audience" "$(token "$AGENTGATE_AGENT_ALPHA_CLIENT_ID" "$AGENTGATE_AGENT_ALPHA_SECRET_FILE" "$AGENTGATE_IDP_OTHER_AUDIENCE")" \
	orders 1045 "token rejected (audience)"
try "bad signature" "$hdr.$payload.${sig:0:40}AAAA${sig:44}" orders 1045 "token rejected (signature)"
try "alg none" "$(printf '{"alg":"none","typ":"JWT"}' | b64url).$payload." orders 1045 "token rejected (algorithm)"
try "HMAC algorithm" "$(printf '{"alg":"HS256","typ":"JWT"}' | b64url).$payload.$sig" orders 1045 "token rejected (algorithm)"
try "unknown kid" "$(printf '{"alg":"RS256","kid":"no-such-key"}' | b64url).$payload.$sig" orders 1045 "no-such-key"
other_payload=$(printf '%s' "$payload" | tr '_-' '/+')
while [ $(( ${#other_payload} % 4 )) -ne 0 ]; do other_payload="$other_payload="; done
other_payload=$(printf '%s' "$other_payload" | base64 -d | jq -c '.iss = "https://evil.example"' | b64url)
try "wrong issuer" "$hdr.$other_payload.$sig" orders 1045 "token rejected (issuer)"
try "unknown connection" "$A" nosuch 1045 "unknown connection 'nosuch'"
try "connection not granted" "$(beta_token)" deadend 1045 "agent 'beta' may not use connection 'deadend'"
try "backend unreachable" "$A" deadend 1429 "backend of connection 'deadend' is unavailable"

out=$(mariadb --no-defaults -h 127.0.0.1 -P "$AGENTGATE_GATEWAY_PORT" -u orders --skip-ssl \
	--password="$A" -N -B -e "SELECT 1" 2>&1 || true)
assert_contains "no TLS on a TLS listener: error 3159" "$out" "ERROR 3159"
assert_contains "no TLS: says TLS is required" "$out" "TLS is required"
out=$(mariadb --no-defaults -h 127.0.0.1 -P "$AGENTGATE_GATEWAY_PLAIN_PORT" -u orders --skip-ssl \
	--password="$A" -N -B -e "SELECT 1" 2>&1 || true)
assert_eq "loopback plaintext listener accepts a token when allowed" "1" "$out"

# Short-lived token: valid, then expired (clock_skew is 0 in this config).
S=$(token "$AGENTGATE_AGENT_SHORT_CLIENT_ID" "$AGENTGATE_AGENT_SHORT_SECRET_FILE")
ctl agent add shorty --idp local --subject "$(sub_of "$S")" >/dev/null
ctl grant shorty orders >/dev/null
out=$(gwsql "$S" orders -N -B -e "SELECT 1" 2>&1 || true)
assert_eq "short-lived token works while valid" "1" "$out"
sleep $((AGENTGATE_AGENT_SHORT_TTL + 1))
try "expired token" "$S" orders 1045 "token rejected (expired)"

# Unregistered and revoked agents, with a valid token.
pgq "DELETE FROM agents WHERE name = 'beta'"
try "unregistered agent" "$(beta_token)" orders 1045 "no agent is registered for subject"
ctl agent revoke alpha --reason "test revocation" >/dev/null
try "revoked agent" "$A" orders 1045 "agent 'alpha' is revoked"
ctl agent restore alpha >/dev/null
out=$(gwsql "$A" orders -N -B -e "SELECT 1" 2>&1 || true)
assert_eq "restored agent logs in again" "1" "$out"

wait_pg "SELECT count(*) > 0 FROM auth_events WHERE reason LIKE '%revoked%'" t >/dev/null
got=$(pgq "SELECT count(*) FROM auth_events WHERE NOT success")
[ "$got" -ge 14 ] && pass "failed logins recorded ($got)" || fail "failed logins recorded: $got"
got=$(pgq "SELECT reason FROM auth_events WHERE NOT success AND reason LIKE '%expired%' LIMIT 1")
assert_contains "auth event says which check failed" "$got" "expired"
got=$(pgq "SELECT subject IS NOT NULL FROM auth_events WHERE reason LIKE '%revoked%' LIMIT 1")
assert_eq "refused valid tokens are recorded with their subject" "t" "$got"
got=$(pgq "SELECT count(*) FROM auth_events WHERE reason LIKE '%$(printf '%s' "$A" | cut -c10-30)%'")
assert_eq "no token in auth events" "0" "$got"
assert_not_contains "token absent from the gateway log" "$(cat "$GW_LOG")" "${sig:5:30}"

finish
