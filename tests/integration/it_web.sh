#!/usr/bin/env bash
# The reviewer web page end to end, driven with curl: the OpenID Connect
# login against the test provider (authorization code + PKCE through its
# real login page), the session cookie and its attributes, reviewers only
# (the outsider account gets 403 and no session), security headers on
# every answer, pages that need a session, CSRF and origin checks, voting
# on requests created with approval_submit() in PostgreSQL (approve, deny,
# a grant and its revocation), self-approval refused, history filters,
# live updates over server-sent events, logout and session expiry, and
# TLS only.
source "$(dirname "$0")/lib.sh"

WEB="https://127.0.0.1:$AGENTGATE_WEB_PORT"
# A login name the provider accepts that is a reviewer by subject, not by
# group, and that requests below use as their agent's subject.
SELF=agent-self

GW_CONN_EXTRA="
[web]
address = 127.0.0.1
port = $AGENTGATE_WEB_PORT
idp = local
client_id = $AGENTGATE_REVIEWER_CLIENT_ID
client_secret_file = $AGENTGATE_REVIEWER_SECRET_FILE
reviewer_groups = reviewers
reviewer_subjects = $SELF
session_lifetime = 1h
login_timeout = 1m
" gw_config
reset_store
pgq "TRUNCATE approval_events, approval_votes, approval_grants, approval_requests,
     reviewer_sessions, reviewer_logins, webhook_outbox"
gw_start

# curl with a cookie jar: wc JAR curl-args...
wc() {
	local jar=$1
	shift
	curl -s --cacert "$AGENTGATE_TEST_CA" -b "$jar" -c "$jar" "$@"
}
location() { grep -i '^location:' | head -1 | sed 's/^[Ll]ocation: *//' | tr -d '\r'; }
header() { grep -i "^$1:" | head -1 | sed "s/^[^:]*: *//" | tr -d '\r'; }
status() { wc "$@" -o /dev/null -w '%{http_code}'; }

# The authorization code flow through the provider's login page:
# web_login JAR LOGIN [NEXT]. Prints the HTTP status of our callback; its
# headers and body are in $T/cb.h and $T/cb.b, its URL in $T/cb.url.
web_login() {
	local url
	url=$(wc "$1" -D - -o /dev/null "$WEB/login?next=${3:-/}" | location)
	web_login_from "$1" "$2" "$url"
}

# The same from the provider's authorization URL on: web_login_from JAR
# LOGIN URL.
web_login_from() {
	local jar=$1 who=$2 url=$3 i page
	for i in 1 2 3 4 5 6 7 8; do
		case "$url" in
		"$WEB"/login/callback*) break ;;
		/*) url="$AGENTGATE_IDP_ISSUER$url" ;;
		esac
		if [[ "$url" == */interaction/* ]]; then
			page=$(wc "$jar" "$url")
			if [[ "$page" == *'name="login"'* ]]; then
				url=$(wc "$jar" -D - -o /dev/null \
					-d "prompt=login&login=$who&password=any" "$url" | location)
			else
				url=$(wc "$jar" -D - -o /dev/null -d "prompt=consent" "$url" | location)
			fi
		else
			url=$(wc "$jar" -D - -o /dev/null "$url" | location)
		fi
	done
	printf '%s' "$url" >"$T/cb.url"
	wc "$jar" -D "$T/cb.h" -o "$T/cb.b" -w '%{http_code}' "$url"
}

# Status of a request carrying only the given cookie: cookie_status COOKIE URL
cookie_status() {
	curl -s --cacert "$AGENTGATE_TEST_CA" -b "$1" -o /dev/null -w '%{http_code}' "$2"
}

# The CSRF token on a page: csrf_of JAR PATH
csrf_of() {
	wc "$1" "$WEB$2" | grep -o 'name="csrf" value="[^"]*"' | head -1 | cut -d'"' -f4
}

# A request as the gateway would submit it: submit SUBJECT SQL -> its id
submit() {
	pgq "SELECT request_id FROM approval_submit(gen_random_uuid(), 'hold',
	     'it-elsewhere', gen_random_uuid(), 4, 9001, 'alpha', 'local',
	     '$AGENTGATE_IDP_ISSUER', '$1', 'orders', '127.0.0.1', 3::smallint,
	     'write', 'a write needs review', 'built-in default',
	     \$q\$$2\$q\$, convert_to(\$q\$$2\$q\$, 'UTF8'), NULL,
	     '[{\"seq\": 3, \"class\": \"read\", \"decision\": \"allow\",
	        \"sql\": \"SELECT * FROM orders\"}]'::jsonb,
	     1, '{}', 300, 900, 20, 1000)"
}

state_of() { pgq "SELECT state FROM approval_requests WHERE id = '$1'"; }

# The page learns the provider's endpoints just after start-up.
for i in $(seq 1 100); do
	health=$(curl -s --cacert "$AGENTGATE_TEST_CA" "$WEB/healthz" || true)
	[[ "$health" == *"identity provider: ready"* ]] && break
	sleep 0.1
done

# ---- transport and headers -------------------------------------------------

out=$(curl -s -D - -o /dev/null --cacert "$AGENTGATE_TEST_CA" "$WEB/healthz")
assert_contains "healthz answers without a session" "$out" "HTTP/1.1 200"
assert_eq "CSP on every answer" \
	"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'" \
	"$(header Content-Security-Policy <<<"$out")"
assert_eq "nosniff" "nosniff" "$(header X-Content-Type-Options <<<"$out")"
assert_eq "no referrer" "no-referrer" "$(header Referrer-Policy <<<"$out")"
assert_contains "HSTS" "$(header Strict-Transport-Security <<<"$out")" "max-age="
assert_eq "dynamic answers are not cached" "no-store" "$(header Cache-Control <<<"$out")"

out=$(curl -s -D - -o /dev/null --cacert "$AGENTGATE_TEST_CA" -X DELETE "$WEB/")
assert_contains "other methods: 405" "$out" "HTTP/1.1 405"
assert_contains "... with the security headers" "$out" "Content-Security-Policy"

out=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$AGENTGATE_WEB_PORT/healthz" || true)
assert_eq "plain HTTP gets no answer" "000" "$out"
if openssl s_client -connect "127.0.0.1:$AGENTGATE_WEB_PORT" -tls1_1 \
	-CAfile "$AGENTGATE_TEST_CA" </dev/null >/dev/null 2>&1; then
	fail "TLS 1.1 is refused"
else
	pass "TLS 1.1 is refused"
fi

out=$(curl -s -D - --cacert "$AGENTGATE_TEST_CA" "$WEB/static/app.js")
assert_contains "app.js is served" "$out" "EventSource"
assert_contains "... as JavaScript" "$(header Content-Type <<<"$out")" "text/javascript"

# ---- pages need a session --------------------------------------------------

J0="$T/nobody.jar"
out=$(wc "$J0" -D - -o /dev/null "$WEB/history?agent=alpha")
assert_contains "a page without a session goes to the login" "$(header Location <<<"$out")" \
	"/login?next=%2Fhistory%3Fagent%3Dalpha"
assert_eq "the queue fragment without a session: 401" "401" "$(status "$J0" "$WEB/fragment/queue")"
assert_eq "live updates without a session: 401" "401" "$(status "$J0" "$WEB/events")"
assert_eq "a vote without a session: 401" "401" \
	"$(status "$J0" -d csrf=x "$WEB/requests/00000000-0000-4000-8000-000000000000/approve")"
assert_eq "a forged session cookie: still the login" "303" \
	"$(cookie_status "__Host-agentgate=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" "$WEB/")"

# ---- login ------------------------------------------------------------------

J1="$T/reviewer1.jar"
assert_eq "reviewer1 logs in (callback answers 200)" "200" "$(web_login "$J1" reviewer1 /grants)"
cookie_line=$(grep -i '^set-cookie: __Host-agentgate=' "$T/cb.h" | tr -d '\r')
if [[ "$cookie_line" =~ ^[Ss]et-[Cc]ookie:\ __Host-agentgate=([A-Za-z0-9_-]{43})\;\ Path=/\;\ Secure\;\ HttpOnly\;\ SameSite=Strict ]]; then
	pass "session cookie with __Host-, Path=/, Secure, HttpOnly, SameSite=Strict"
	COOKIE1=${BASH_REMATCH[1]}
else
	fail "session cookie attributes: [$cookie_line]"
	COOKIE1=none
fi
assert_contains "the callback moves on with a same-origin page" "$(cat "$T/cb.b")" \
	'http-equiv="refresh" content="0;url=/grants"'
assert_eq "one session row, found by the SHA-256 of the cookie" "1|reviewer1|Rita Reviewer|{reviewers}" \
	"$(pgq "SELECT count(*), max(subject), max(name), max(groups::text) FROM reviewer_sessions
	        WHERE id_sha256 = sha256(convert_to('$COOKIE1', 'UTF8'))")"
assert_eq "the cookie value itself is stored nowhere" "0" \
	"$(pgq "SELECT count(*) FROM reviewer_sessions WHERE csrf = '$COOKIE1'
	        OR encode(id_sha256, 'hex') = '$COOKIE1' OR encode(id_sha256, 'base64') LIKE '%$COOKIE1%'")"
assert_eq "the login attempt is used up" "1" "$(pgq "SELECT count(*) FROM reviewer_logins WHERE used_at IS NOT NULL")"

# The login cookie is gone with the login; even with it, a state is used
# once.
cb_url=$(cat "$T/cb.url")
code=$(wc "$J1" -o "$T/replay.b" -w '%{http_code}' "$cb_url")
assert_eq "the same callback again: 400" "400" "$code"
state=$(sed 's/.*[?&]state=\([^&]*\).*/\1/' <<<"$cb_url")
code=$(curl -s --cacert "$AGENTGATE_TEST_CA" -b "__Host-agentgate-login=$state" \
	-o "$T/replay.b" -w '%{http_code}' "$cb_url")
assert_eq "... and with the login cookie: 400" "400" "$code"
assert_contains "... because the login was used" "$(cat "$T/replay.b")" "already been used"

out=$(wc "$J1" "$WEB/")
assert_contains "with the cookie the queue shows" "$out" 'id="queue"'
assert_contains "the page names the reviewer" "$out" '<span id="whoami"'

# ---- who may review ---------------------------------------------------------

J2="$T/outsider.jar"
before=$(pgq "SELECT count(*) FROM reviewer_sessions")
assert_eq "the outsider account: 403" "403" "$(web_login "$J2" outsider)"
assert_contains "... which says they are not a reviewer" "$(cat "$T/cb.b")" "not a reviewer"
assert_not_contains "... and sets no session cookie" "$(grep -i '^set-cookie: __Host-agentgate=' "$T/cb.h" || true)" "__Host-agentgate="
assert_eq "... and records no session" "$before" "$(pgq "SELECT count(*) FROM reviewer_sessions")"

# A login started in another browser cannot be finished in this one.
J3="$T/other.jar"
wc "$J3" -o /dev/null "$WEB/login"
state=$(pgq "SELECT state FROM reviewer_logins WHERE used_at IS NULL ORDER BY created_at DESC LIMIT 1")
code=$(wc "$J1" -o "$T/x.b" -w '%{http_code}' "$WEB/login/callback?code=abc&state=$state")
assert_eq "a state from another browser: 400" "400" "$code"
assert_contains "... not started in this browser" "$(cat "$T/x.b")" "not started in this browser"
code=$(wc "$J1" -o /dev/null -w '%{http_code}' "$WEB/login/callback?code=abc&state=short")
assert_eq "a malformed state: 400" "400" "$code"

# A login attempt that took too long.
J4="$T/slow.jar"
url=$(wc "$J4" -D - -o /dev/null "$WEB/login" | location)
pgq "UPDATE reviewer_logins SET expires_at = now() - interval '1 second' WHERE used_at IS NULL"
code=$(web_login_from "$J4" reviewer2 "$url")
assert_eq "an expired login attempt: 400" "400" "$code"
assert_contains "... which says it expired" "$(cat "$T/cb.b")" "expired"

# ---- voting -----------------------------------------------------------------

R1=$(submit svc-alpha "UPDATE customers SET name = '<script>alert(1)</script>' WHERE id = 1")
R2=$(submit svc-alpha "DELETE FROM orders WHERE id = 5")
queue=$(wc "$J1" "$WEB/")
assert_contains "the queue lists a request created in PostgreSQL" "$queue" "<tr class=\"request\" data-id=\"$R1\""
assert_contains "... with its statement escaped" "$queue" "&lt;script&gt;alert(1)&lt;/script&gt;"
assert_not_contains "... never raw" "$queue" "<script>alert"
frag=$(wc "$J1" "$WEB/fragment/queue")
assert_contains "the live fragment lists both" "$frag" "data-id=\"$R2\""

detail=$(wc "$J1" "$WEB/requests/$R1")
assert_contains "the detail page shows the full statement" "$detail" '<pre id="statement" class="sql"><span class="kw">UPDATE</span>'
assert_contains "... the session's earlier statements" "$detail" '<ol id="context">'
assert_contains "... an approve button" "$detail" '<button id="approve"'
assert_contains "... the comment field" "$detail" '<textarea id="comment"'
assert_contains "... the grant field" "$detail" '<input id="grant-minutes"'
assert_contains "... the SHA-256 of the bytes" "$detail" \
	"$(pgq "SELECT encode(sql_sha256, 'hex') FROM approval_requests WHERE id = '$R1'")"

CSRF1=$(csrf_of "$J1" "/requests/$R1")
assert_eq "a vote without a CSRF token: 403" "403" "$(status "$J1" -d "comment=x" "$WEB/requests/$R1/approve")"
code=$(wc "$J1" -o "$T/x.b" -w '%{http_code}' -d "csrf=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" "$WEB/requests/$R1/approve")
assert_eq "a vote with a wrong CSRF token: 403" "403" "$code"
assert_contains "... with a clear message" "$(cat "$T/x.b")" "CSRF token is missing or does not match"
assert_eq "a vote from another origin: 403" "403" \
	"$(status "$J1" -H "Origin: https://evil.example" -d "csrf=$CSRF1" "$WEB/requests/$R1/approve")"
assert_eq "a vote sent cross-site: 403" "403" \
	"$(status "$J1" -H "Sec-Fetch-Site: cross-site" -d "csrf=$CSRF1" "$WEB/requests/$R1/approve")"
assert_eq "a vote as JSON: 415" "415" \
	"$(status "$J1" -H "Content-Type: application/json" -d "{\"csrf\":\"$CSRF1\"}" "$WEB/requests/$R1/approve")"
assert_eq "nothing changed so far" "pending" "$(state_of "$R1")"

# Browsers send "Origin: null" on their own form posts under
# Referrer-Policy no-referrer: the token decides.
out=$(wc "$J1" -D - -o /dev/null -H "Origin: null" -H "Sec-Fetch-Site: same-origin" \
	-d "csrf=$CSRF1&comment=looks+right&grant_minutes=5" "$WEB/requests/$R1/approve")
assert_contains "a vote is answered with 303" "$out" "HTTP/1.1 303"
assert_eq "... back to the request" "/requests/$R1" "$(header Location <<<"$out")"
assert_eq "the request is approved in PostgreSQL" "approved|Rita Reviewer|looks right" \
	"$(pgq "SELECT state, decided_by, decision_comment FROM approval_requests WHERE id = '$R1'")"
page=$(wc "$J1" "$WEB/requests/$R1")
assert_contains "the page says so once" "$page" '<p class="flash ok" role="status">The request is approved.</p>'
assert_not_contains "... and not twice" "$(wc "$J1" "$WEB/requests/$R1")" 'class="flash'
assert_eq "the approval opened a 5 minute grant" "alpha|orders|write|00:05:00" \
	"$(pgq "SELECT agent_name, connection, class, expires_at - created_at FROM approval_grants WHERE request_id = '$R1'")"

code=$(wc "$J1" -o /dev/null -w '%{http_code}' -d "csrf=$CSRF1&grant_minutes=999" "$WEB/requests/$R2/approve")
assert_eq "a grant beyond max_grant_duration: 400" "400" "$code"
out=$(wc "$J1" -D - -o /dev/null -H "Origin: $WEB" -d "csrf=$CSRF1&comment=not+today" \
	"$WEB/requests/$R2/deny")
assert_contains "a deny is answered with 303" "$out" "HTTP/1.1 303"
assert_eq "the request is denied in PostgreSQL" "denied|not today" \
	"$(pgq "SELECT state, decision_comment FROM approval_requests WHERE id = '$R2'")"
wc "$J1" -o /dev/null -d "csrf=$CSRF1" "$WEB/requests/$R2/approve"
assert_contains "a vote on a decided request is refused with the database's reason" \
	"$(wc "$J1" "$WEB/requests/$R2")" "the request is already denied"

# ---- grants -----------------------------------------------------------------

G=$(pgq "SELECT id FROM approval_grants WHERE request_id = '$R1'")
grants=$(wc "$J1" "$WEB/grants")
assert_contains "the grants page lists the grant" "$grants" "<tr class=\"grant\" data-id=\"$G\""
assert_eq "revoking without a CSRF token: 403" "403" "$(status "$J1" -d "reason=x" "$WEB/grants/$G/revoke")"
assert_eq "revoking: 303" "303" "$(status "$J1" -d "csrf=$CSRF1&reason=enough" "$WEB/grants/$G/revoke")"
assert_eq "the grant is revoked in PostgreSQL" "enough|t" \
	"$(pgq "SELECT revoke_reason, revoked_by LIKE 'reviewer Rita Reviewer <%reviewer1>' FROM approval_grants WHERE id = '$G'")"

# ---- history and sessions ---------------------------------------------------

hist=$(wc "$J1" "$WEB/history?agent=alpha&state=approved&from=2000-01-01&to=2999-12-31")
assert_contains "history filtered by agent and state shows the approved request" "$hist" "data-id=\"$R1\""
assert_not_contains "... and not the denied one" "$hist" "data-id=\"$R2\""
hist=$(wc "$J1" "$WEB/history?reviewer=reviewer1&state=denied")
assert_contains "history filtered by reviewer" "$hist" "data-id=\"$R2\""
assert_eq "a bad date filter: 400" "400" "$(status "$J1" "$WEB/history?from=2024-02-30")"
assert_eq "a bad state filter: 400" "400" "$(status "$J1" "$WEB/history?state=pending%27--")"
sid=$(pgq "SELECT session_id FROM approval_requests WHERE id = '$R1'")
assert_contains "the session page lists the session's requests" \
	"$(wc "$J1" "$WEB/sessions/$sid")" "data-id=\"$R1\""
assert_eq "a malformed request id: 404" "404" "$(status "$J1" "$WEB/requests/not-a-uuid")"
assert_eq "an unknown request: 404" "404" "$(status "$J1" "$WEB/requests/00000000-0000-4000-8000-000000000000")"

# ---- self-approval ----------------------------------------------------------

J5="$T/self.jar"
assert_eq "a reviewer by subject logs in" "200" "$(web_login "$J5" "$SELF")"
R3=$(submit "$SELF" "UPDATE orders SET status = 'paid' WHERE id = 3")
page=$(wc "$J5" "$WEB/requests/$R3")
assert_contains "the approve button is disabled for one's own request" "$page" '<button id="approve" type="submit" class="approve" disabled>'
assert_contains "... and the page says why" "$page" 'id="self-note"'
CSRF5=$(csrf_of "$J5" "/requests/$R3")
wc "$J5" -o /dev/null -d "csrf=$CSRF5" "$WEB/requests/$R3/approve"
assert_contains "approving anyway is refused by the server" "$(wc "$J5" "$WEB/requests/$R3")" \
	"you cannot approve a request made with your own identity"
assert_eq "... and the request is still pending" "pending" "$(state_of "$R3")"
assert_contains "another reviewer sees a live approve button" \
	"$(wc "$J1" "$WEB/requests/$R3")" "/requests/$R3/approve\">Approve</button>"

# ---- live updates -----------------------------------------------------------

curl -s --cacert "$AGENTGATE_TEST_CA" -b "$J1" -N --max-time 120 "$WEB/events" \
	>"$T/sse.out" 2>/dev/null &
sse_pid=$!
for i in $(seq 1 100); do grep -q "connected" "$T/sse.out" 2>/dev/null && break; sleep 0.1; done
R4=$(submit svc-alpha "INSERT INTO orders (customer_id, item, amount) VALUES (1, 'x', 1)")
for i in $(seq 1 100); do grep -q "$R4 created" "$T/sse.out" 2>/dev/null && break; sleep 0.1; done
assert_contains "a new request reaches the open stream" "$(cat "$T/sse.out")" \
	"event: approval
data: $R4 created"
wc "$J5" -o /dev/null -d "csrf=$CSRF5&comment=no" "$WEB/requests/$R4/deny"
for i in $(seq 1 100); do grep -q "$R4 denied" "$T/sse.out" 2>/dev/null && break; sleep 0.1; done
assert_contains "... and so does its decision" "$(cat "$T/sse.out")" "data: $R4 denied"

# Logging out ends the session (open streams end at their next check).
CSRF1=$(csrf_of "$J1" "/")
assert_eq "logging out without a CSRF token: 403" "403" "$(status "$J1" -d "x=1" "$WEB/logout")"
out=$(wc "$J1" -D - -o /dev/null -d "csrf=$CSRF1" "$WEB/logout")
assert_contains "logging out clears the cookie" "$(header Set-Cookie <<<"$out")" "__Host-agentgate=; Path=/"
assert_eq "the session is ended in PostgreSQL" "1" \
	"$(pgq "SELECT count(*) FROM reviewer_sessions WHERE subject = 'reviewer1' AND ended_at IS NOT NULL")"
assert_eq "the old cookie no longer works" "401" \
	"$(cookie_status "__Host-agentgate=$COOKIE1" "$WEB/fragment/queue")"
kill "$sse_pid" 2>/dev/null || true
wait "$sse_pid" 2>/dev/null || true

# An expired session.
pgq "UPDATE reviewer_sessions SET expires_at = now() - interval '1 second' WHERE subject = '$SELF'"
out=$(wc "$J5" -D - -o /dev/null "$WEB/grants")
assert_contains "an expired session goes back to the login" "$(header Location <<<"$out")" "/login?next=%2Fgrants"
assert_eq "... and gets 401 for a vote" "401" "$(status "$J5" -d "csrf=$CSRF5" "$WEB/requests/$R3/deny")"

gw_stop
assert_eq "no errors of the web page in the gateway log" "" "$(grep -E ' error web' "$GW_LOG" || true)"
finish
