#!/usr/bin/env bash
# The npm mysql2 driver (Node) through the gateway gets what it gets from
# MariaDB directly, for plain and prepared queries and errors.
source "$(dirname "$0")/lib.sh"

gw_config
reset_store
gw_start
alpha_token >"$T/alpha.token"
if node "$(dirname "$0")/mysql2_check.mjs" "$AGENTGATE_GATEWAY_PORT" "$T/alpha.token" \
	"$AGENTGATE_TEST_CA" "$AGENTGATE_MARIADB_PORT" "$AGENTGATE_MARIADB_RW_USER" \
	"$AGENTGATE_MARIADB_RW_PASSWORD_FILE" "$AGENTGATE_MARIADB_DATABASE" >"$T/out" 2>&1; then
	pass "mysql2 checks"
else
	fail "mysql2 checks"
fi
sed 's/^/  mysql2: /' "$T/out"
got=$(wait_pg "SELECT count(*) FROM statements WHERE command_name = 'COM_STMT_EXECUTE'" 1)
assert_eq "mysql2's prepared execution recorded" "1" "$got"
finish
