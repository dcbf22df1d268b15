#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a running agentgate:
# installs the dependencies, builds, starts private MariaDB, PostgreSQL and
# a test OpenID provider under ./.dev, writes ./.dev/agentgate.ini, applies
# the store migrations, registers a sample agent `alpha` allowed to use the
# `orders` connection with a sample policy (reads run, writes and DDL wait
# for a reviewer), prints how to connect and where the reviewer page is, and
# runs the gateway in the foreground. Ctrl-C stops the gateway and the
# servers.
#
# Usage: scripts/dev-up.sh
# Environment: AGENTGATE_PORT_BASE (default 24000), BUILD_DIR (default build).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

DEV="$ROOT/.dev"
BUILD="${BUILD_DIR:-build}"
INI="$DEV/agentgate.ini"

step() { printf '\n==> %s\n' "$*" >&2; }

step "installing dependencies"
scripts/install-deps.sh

step "building ($BUILD)"
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD" -j2

case "$BUILD" in /*) BUILD_ABS="$BUILD" ;; *) BUILD_ABS="$ROOT/$BUILD" ;; esac
AGENTGATE="$BUILD_ABS/cmd/agentgate"
CTL="$BUILD_ABS/cmd/agentgatectl"
for bin in "$AGENTGATE" "$CTL"; do
  [ -x "$bin" ] || { echo "dev-up: $bin was not built" >&2; exit 1; }
done

step "starting MariaDB, PostgreSQL and the OpenID provider in .dev"
servers_started=0
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  set +e
  if [ "$servers_started" -eq 1 ]; then
    step "stopping the servers"
    scripts/servers.sh stop "$DEV"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

scripts/servers.sh start "$DEV" >/dev/null
servers_started=1
# shellcheck disable=SC1091
. "$DEV/env.sh"

step "writing $INI"
scripts/gateway-config.sh "$DEV" >/dev/null

step "migrating the store"
"$CTL" -c "$INI" migrate

# The access tokens of the client-credentials client agent-alpha carry
# sub = its client id (see tests/idp/README.md).
step "registering agent alpha (subject $AGENTGATE_AGENT_ALPHA_CLIENT_ID)"
if ! out="$("$CTL" -c "$INI" agent add alpha --idp local \
              --subject "$AGENTGATE_AGENT_ALPHA_CLIENT_ID" 2>&1)"; then
  # A second dev-up keeps .dev's database: alpha is already there.
  echo "$out" >&2
  echo "(continuing: agent alpha is probably registered already)" >&2
fi
if ! out="$("$CTL" -c "$INI" grant alpha orders 2>&1)"; then
  echo "$out" >&2
  echo "(continuing: the grant probably exists already)" >&2
fi

# A sample policy: alpha reads freely; its writes wait for a reviewer (the
# session holds), DDL needs a reviewer too, admin statements are refused.
step "setting alpha's policy"
"$CTL" -c "$INI" policy set --agent alpha read allow
"$CTL" -c "$INI" policy set --agent alpha write review --mode hold
"$CTL" -c "$INI" policy set --agent alpha ddl review --mode hold
"$CTL" -c "$INI" policy set --agent alpha admin deny

cat <<EOF

agentgate is starting on 127.0.0.1:$AGENTGATE_GATEWAY_PORT (TLS) and
127.0.0.1:$AGENTGATE_GATEWAY_PLAIN_PORT (loopback plaintext), its reviewer page on
https://127.0.0.1:$AGENTGATE_WEB_PORT/. In another shell:

  cd $ROOT
  source .dev/env.sh

  # an access token for agent alpha (OIDC client agent-alpha)
  TOKEN=\$(tests/idp/token.sh agent-alpha @.dev/secrets/agent-alpha.secret)

  # connect as alpha; the user name picks the connection, the token is the password
  # (--ssl-ca and --ssl-verify-server-cert check the gateway's certificate against
  #  the test CA; with --ssl alone the client encrypts but does not verify)
  mariadb -h 127.0.0.1 -P $AGENTGATE_GATEWAY_PORT -u orders --ssl \\
    --ssl-ca=.dev/tls/ca.crt --ssl-verify-server-cert --password="\$TOKEN"

  # alpha's policy: reads run, writes and DDL wait for a reviewer. Try
  #   UPDATE customers SET name = 'Ada L.' WHERE id = 1;
  # in that client: it waits. Open the reviewer page
  #   https://127.0.0.1:$AGENTGATE_WEB_PORT/
  # (your browser will warn about the test CA: .dev/tls/ca.crt), log in as
  # reviewer1 with any password, open the request and approve it: the
  # client prints "Query OK, 1 row affected".
  $BUILD/cmd/agentgatectl -c .dev/agentgate.ini policy show --agent alpha
  $BUILD/cmd/agentgatectl -c .dev/agentgate.ini approvals list

  # administration
  $BUILD/cmd/agentgatectl -c .dev/agentgate.ini agent list
  $BUILD/cmd/agentgatectl -c .dev/agentgate.ini agent show alpha
  $BUILD/cmd/agentgatectl -c .dev/agentgate.ini agent revoke alpha --reason "testing"
  $BUILD/cmd/agentgatectl -c .dev/agentgate.ini agent restore alpha

  # the backend directly, as the gateway's own user (for comparison)
  mariadb -h 127.0.0.1 -P $AGENTGATE_MARIADB_PORT -u agentgate_rw \\
    --password="\$(cat .dev/secrets/mysql_rw.pass)" orders

Pass the token with --password= or MYSQL_PWD: the interactive -p prompt cuts
it at 79 characters. Ctrl-C here stops the gateway and the servers.

EOF

step "running agentgate (Ctrl-C to stop)"
"$AGENTGATE" -c "$INI"
