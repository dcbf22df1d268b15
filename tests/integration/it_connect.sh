#!/usr/bin/env bash
# Two agents connect through the gateway with their own OIDC tokens using
# the mariadb CLI, get exactly what direct MariaDB returns, and their
# sessions, statements and auth events appear in PostgreSQL under their own
# identities. Tokens never reach the gateway log.
source "$(dirname "$0")/lib.sh"

gw_config
reset_store
allow_writes alpha
gw_start

A=$(alpha_token)
B=$(beta_token)

q="SELECT id, name, email FROM customers ORDER BY id"
want=$(mydirect -N -B -e "$q")
got=$(gwsql "$A" orders -N -B -e "$q")
assert_eq "alpha reads what direct MariaDB returns" "$want" "$got"
got=$(gwsql "$B" orders -N -B -e "$q")
assert_eq "beta reads what direct MariaDB returns" "$want" "$got"

got=$(gwsql "$A" orders -N -B -e "SELECT DATABASE(), CURRENT_USER() LIKE 'agentgate_rw@%'")
assert_eq "default database selected, gateway credential used" "$(printf 'orders\t1')" "$got"

got=$(gwsql "$A" orders -N -B -e "SHOW STATUS LIKE 'Ssl_version'" | cut -f2)
assert_eq "backend leg is plain on loopback" "" "$got"
got=$(gwsql "$A" orders -e "\\s" | grep -i '^SSL:' || true)
assert_contains "client leg uses TLS" "$got" "Cipher in use"

err=$(gwsql "$A" orders -N -B -e "SELECT * FROM nope" 2>&1 || true)
want_err=$(mydirect -N -B -e "SELECT * FROM nope" 2>&1 || true)
assert_eq "server errors come through unchanged" "${want_err##*: }" "${err##*: }"
assert_contains "server error code is 1146" "$err" "ERROR 1146"

# The audit trail.
wait_pg "SELECT count(*) FROM sessions WHERE ended_at IS NOT NULL" 6 >/dev/null
got=$(pgq "SELECT agent_name, count(*) FROM sessions GROUP BY agent_name ORDER BY 1" | tr '\n' ' ')
assert_eq "sessions recorded per agent" "alpha|5 beta|1 " "$got"
got=$(pgq "SELECT DISTINCT subject = '$(sub_of "$A")', issuer, connection, tls_version LIKE 'TLSv1.%', client_addr LIKE '127.0.0.1:%' FROM sessions WHERE agent_name='alpha'")
assert_eq "alpha's sessions carry its identity" "t|$AGENTGATE_IDP_ISSUER|orders|t|t" "$got"
got=$(pgq "SELECT s.agent_name, st.command_name, st.status, st.rows_returned FROM statements st JOIN sessions s ON s.id = st.session_id WHERE st.sql_text = '$q' ORDER BY 1")
assert_eq "statements recorded under each agent" "$(printf 'alpha|COM_QUERY|ok|3\nbeta|COM_QUERY|ok|3')" "$got"
got=$(pgq "SELECT status, error_code FROM statements WHERE sql_text = 'SELECT * FROM nope'")
assert_eq "failed statement recorded with its error" "error|1146" "$got"
got=$(pgq "SELECT count(*) FROM auth_events WHERE success AND session_id IS NOT NULL")
assert_eq "successful logins recorded" "6" "$got"
got=$(pgq "SELECT count(*) FROM sessions WHERE end_reason = 'client quit' AND statements >= 1 AND bytes_from_client > 0 AND bytes_to_client > 0")
assert_eq "sessions end with reason and counters" "6" "$got"

# Writes go through in this foundation slice, and are recorded.
gwsql "$A" orders -e "UPDATE orders SET quantity = quantity + 1 WHERE id = 1"
got=$(pgq "SELECT rows_affected FROM statements WHERE sql_text LIKE 'UPDATE orders%'")
assert_eq "affected rows recorded" "1" "$got"
myroot "UPDATE orders SET quantity = quantity - 1 WHERE id = 1"

assert_not_contains "token absent from the gateway log" "$(cat "$GW_LOG")" "${A:20:40}"
assert_not_contains "backend password absent from the gateway log" "$(cat "$GW_LOG")" "$(cat "$AGENTGATE_MARIADB_RW_PASSWORD_FILE")"

finish
