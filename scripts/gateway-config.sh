#!/usr/bin/env bash
# Writes an agentgate configuration file for the private servers that
# scripts/servers.sh started in DIR: DIR/agentgate.ini for instance gw1, or
# DIR/agentgate-gw2.ini for a second instance (own ports, same store,
# backend and identity provider) when INSTANCE is gw2. Prints the file path.
#
# Usage: gateway-config.sh DIR [gw1|gw2]
set -euo pipefail

if [ "$#" -lt 1 ] || [ "$#" -gt 2 ]; then
  echo "usage: $0 DIR [gw1|gw2]" >&2
  exit 2
fi
DIR="$(cd -- "$1" && pwd -P)"
INSTANCE="${2:-gw1}"
ENV_FILE="$DIR/env.sh"
[ -f "$ENV_FILE" ] || {
  echo "gateway-config.sh: $ENV_FILE missing; run scripts/servers.sh start $DIR first" >&2
  exit 1
}
# shellcheck disable=SC1090
. "$ENV_FILE"

case "$INSTANCE" in
  gw1)
    OUT="$DIR/agentgate.ini"
    TLS_PORT="$AGENTGATE_GATEWAY_PORT"
    PLAIN_PORT="$AGENTGATE_GATEWAY_PLAIN_PORT"
    WEB_PORT="$AGENTGATE_WEB_PORT"
    ;;
  gw2)
    OUT="$DIR/agentgate-gw2.ini"
    TLS_PORT="$AGENTGATE_GATEWAY2_PORT"
    PLAIN_PORT="$AGENTGATE_GATEWAY2_PLAIN_PORT"
    WEB_PORT="$AGENTGATE_WEB2_PORT"
    ;;
  *)
    echo "gateway-config.sh: instance must be gw1 or gw2" >&2
    exit 2
    ;;
esac

tmp="$OUT.tmp"
(umask 077 && cat >"$tmp" <<EOF
; agentgate configuration for the private test servers in this directory
; (written by scripts/gateway-config.sh)

[gateway]
instance = $INSTANCE
tls_cert = $AGENTGATE_GATEWAY_TLS_CERT
tls_key = $AGENTGATE_GATEWAY_TLS_KEY

[store]
dsn = $AGENTGATE_TEST_PG_DSN

[listener main]
address = 127.0.0.1
port = $TLS_PORT
require_tls = true

; loopback plaintext, for benchmarks
[listener plain]
address = 127.0.0.1
port = $PLAIN_PORT
require_tls = false
allow_plaintext_loopback = true

[idp local]
type = oidc
issuer = $AGENTGATE_IDP_ISSUER
audience = $AGENTGATE_IDP_AUDIENCE
ca_file = $AGENTGATE_TEST_CA
subject_claim = sub
groups_claim = groups
clock_skew = 5s

[connection orders]
host = $AGENTGATE_MARIADB_HOST
port = $AGENTGATE_MARIADB_PORT
user = $AGENTGATE_MARIADB_RW_USER
password_file = $AGENTGATE_MARIADB_RW_PASSWORD_FILE
database = $AGENTGATE_MARIADB_DATABASE

; statements that need review wait up to five minutes for a reviewer
[approvals]
review_timeout = 5m

; the reviewer page: log in through the test provider as reviewer1 or
; reviewer2 (any password); "outsider" is not a reviewer
[web]
address = 127.0.0.1
port = $WEB_PORT
idp = local
client_id = $AGENTGATE_REVIEWER_CLIENT_ID
client_secret_file = $AGENTGATE_REVIEWER_SECRET_FILE
reviewer_groups = reviewers
EOF
)
mv -f -- "$tmp" "$OUT"
echo "$OUT"
