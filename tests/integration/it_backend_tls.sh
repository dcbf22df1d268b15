#!/usr/bin/env bash
# The gateway's leg to MariaDB over TLS: verified against the backend's CA
# (certificate and address checked), and refused when the certificate
# cannot be verified.
source "$(dirname "$0")/lib.sh"

GW_CONN_EXTRA="
[connection orders_tls]
host = 127.0.0.1
port = $AGENTGATE_MARIADB_PORT
user = $AGENTGATE_MARIADB_RW_USER
password_file = $AGENTGATE_MARIADB_RW_PASSWORD_FILE
database = $AGENTGATE_MARIADB_DATABASE
tls = true
tls_ca = $AGENTGATE_TEST_CA

[connection orders_badca]
host = 127.0.0.1
port = $AGENTGATE_MARIADB_PORT
user = $AGENTGATE_MARIADB_RW_USER
password_file = $AGENTGATE_MARIADB_RW_PASSWORD_FILE
tls = true
tls_ca = $AGENTGATE_GATEWAY_TLS_CERT
" gw_config
reset_store
ctl grant alpha orders_tls >/dev/null
ctl grant alpha orders_badca >/dev/null
gw_start
A=$(alpha_token)

got=$(gwsql "$A" orders_tls -N -B -e "SHOW SESSION STATUS LIKE 'Ssl_version'" | cut -f2)
assert_contains "backend session runs over TLS" "$got" "TLSv1."
want=$(mydirect -N -B -e "SELECT id, name FROM customers ORDER BY id")
got=$(gwsql "$A" orders_tls -N -B -e "SELECT id, name FROM customers ORDER BY id")
assert_eq "results over a TLS backend match direct MariaDB" "$want" "$got"
out=$(gwsql "$A" orders_badca -N -B -e "SELECT 1" 2>&1 || true)
assert_contains "unverifiable backend certificate refused" "$out" "ERROR 1429"
assert_contains "the refusal says TLS failed" "$out" "TLS failed"

finish
