#!/usr/bin/env bash
# Starts and stops the private servers that agentgate's tests and the
# development setup need, all on 127.0.0.1, all state under one scratch dir:
#   - MariaDB (the backend), with database `orders`, sample rows, a
#     read-write user agentgate_rw and a read-only user agentgate_ro;
#   - PostgreSQL (the gateway's store), database `agentgate`;
#   - a test CA with server certificates for the gateway, the IdP and
#     MariaDB (which offers TLS as well);
#   - the test OpenID provider (tests/idp/server.mjs) over HTTPS.
# `start` writes DIR/env.sh, which exports everything tests need.
#
# Usage: servers.sh start|stop|status|env|restart-idp DIR
# Environment:
#   AGENTGATE_PORT_BASE      first port to try (default 24000); ten ports are
#                            used, the first free block of ten at or above it
#   AGENTGATE_START_TIMEOUT  seconds to wait for each server (default 90: a
#                            loaded machine has been seen to take over 30 s to
#                            load the identity provider's modules)
#   AGENTGATE_PG_DURABLE     1 keeps PostgreSQL's fsync defaults (default: off,
#                            fast and not crash-safe)
#   AGENTGATE_REVIEWER_REDIRECT_URIS  redirect URIs registered for reviewer-web
#                            (default: https://127.0.0.1:WEBPORT/login/callback
#                            for both gateway web ports)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PROG="servers.sh"

usage() {
  echo "usage: $PROG start|stop|status|env|restart-idp DIR" >&2
  exit 2
}
[ "$#" -eq 2 ] || usage
CMD="$1"
case "$CMD" in start|stop|status|env|restart-idp) ;; *) usage ;; esac

mkdir -p -- "$2"
DIR="$(cd -- "$2" && pwd -P)"

TIMEOUT="${AGENTGATE_START_TIMEOUT:-90}"
ENV_FILE="$DIR/env.sh"
TLS="$DIR/tls"
SECRETS="$DIR/secrets"
LOGS="$DIR/logs"
RUN="$DIR/run"
IDP_DIR="$ROOT/tests/idp"

log() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# ---- helpers ---------------------------------------------------------------

need_cmd() {
  command -v "$1" >/dev/null 2>&1 || die "'$1' not found; run scripts/install-deps.sh"
}

pg_bindir() {
  local d
  if [ -x /usr/lib/postgresql/15/bin/initdb ]; then
    echo /usr/lib/postgresql/15/bin
    return
  fi
  d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  [ -n "$d" ] && [ -x "$d/initdb" ] || die "PostgreSQL server binaries not found; run scripts/install-deps.sh"
  echo "$d"
}

# Runs a command as a service user, from a directory that user can enter.
as_user() {
  local user="$1"
  shift
  (cd / && runuser -u "$user" -- "$@")
}

# Closes every descriptor above stderr in the current (sub)shell, so that a
# server started from it holds none of its starter's pipes or locks (a test
# runner waiting for end-of-file on a pipe would wait for the server).
close_extra_fds() {
  local f fd
  for f in "/proc/$BASHPID/fd/"*; do
    fd="${f##*/}"
    if [ "$fd" -gt 2 ] && [ "$fd" -ne 255 ]; then
      eval "exec $fd>&-" 2>/dev/null || true
    fi
  done
}

user_can_enter() {
  as_user "$1" sh -c 'cd "$1"' _ "$2" 2>/dev/null
}

port_free() {
  [ -z "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]
}

# True when PID is alive and its command line contains TEXT (so a stale pid
# file never gets an unrelated process killed).
pid_is() {
  local pid="$1" text="$2"
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$text"
}

read_pid() {
  [ -f "$1" ] && head -n 1 "$1" 2>/dev/null | tr -dc '0-9' || true
}

# True when PID no longer runs (a zombie waiting to be reaped counts as gone).
pid_gone() {
  local state
  state="$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null || true)"
  [ -z "$state" ] || [ "$state" = Z ]
}

wait_pid_gone() {
  local pid="$1" secs="$2" i
  for ((i = 0; i < secs * 10; i++)); do
    pid_gone "$pid" && return 0
    sleep 0.1
  done
  return 1
}

log_tail() {
  local file="$1"
  if [ -f "$file" ]; then
    log "---- last lines of $file ----"
    tail -n 30 -- "$file" >&2 || true
    log "----"
  else
    log "(no log file $file)"
  fi
}

random_secret() { openssl rand -hex 24; }

ensure_secret() {
  local file="$1"
  if [ ! -s "$file" ]; then
    (umask 077 && random_secret >"$file")
  fi
  chmod 600 "$file"
}

# Server data lives under DIR/srv when the service users can reach it and
# socket paths stay short; otherwise under a per-DIR folder in /tmp.
srv_root() {
  if [ -f "$DIR/srv.path" ]; then
    cat "$DIR/srv.path"
    return
  fi
  local s="$DIR/srv"
  if [ "${#s}" -gt 70 ] || ! user_can_enter mysql "$DIR" || ! user_can_enter postgres "$DIR"; then
    s="/tmp/agentgate-srv-$(printf '%s' "$DIR" | sha256sum | cut -c1-12)"
  fi
  printf '%s\n' "$s" >"$DIR/srv.path"
  echo "$s"
}

SRV="$(srv_root)"
MY_DIR="$SRV/mariadb"
MY_DATA="$MY_DIR/data"
MY_SOCK="$MY_DIR/mariadb.sock"
MY_PID="$MY_DIR/mariadb.pid"
MY_LOG="$MY_DIR/mariadb.err"
PG_DIR="$SRV/pg"
PG_DATA="$PG_DIR/data"
PG_LOG="$PG_DIR/postgres.log"
IDP_PID="$RUN/idp.pid"
IDP_LOG="$LOGS/idp.log"
IDP_JWKS="$DIR/idp/jwks.json"
IDP_CLIENTS="$DIR/idp/clients.json"
PORTS_FILE="$RUN/ports"

# ---- ports -----------------------------------------------------------------
# Block layout (offsets from the block's base):
#   0 MariaDB  1 PostgreSQL  2 IdP  3 gateway TLS  4 gateway plaintext
#   5 reviewer web  6 gateway #2 TLS  7 gateway #2 plaintext  8 web #2  9 spare

pick_ports() {
  local base="${AGENTGATE_PORT_BASE:-24000}" b p ok
  [[ "$base" =~ ^[0-9]+$ ]] && [ "$base" -ge 1024 ] && [ "$base" -le 65000 ] \
    || die "AGENTGATE_PORT_BASE must be a number between 1024 and 65000"
  for ((b = base; b + 9 <= 65535 && b < base + 400; b += 10)); do
    ok=1
    for ((p = b; p < b + 10; p++)); do
      if ! port_free "$p"; then ok=0; break; fi
    done
    if [ "$ok" -eq 1 ]; then
      PORT_BASE="$b"
      MY_PORT=$((b + 0))
      PG_PORT=$((b + 1))
      IDP_PORT=$((b + 2))
      GW_PORT=$((b + 3))
      GW_PLAIN_PORT=$((b + 4))
      WEB_PORT=$((b + 5))
      GW2_PORT=$((b + 6))
      GW2_PLAIN_PORT=$((b + 7))
      WEB2_PORT=$((b + 8))
      SPARE_PORT=$((b + 9))
      return 0
    fi
  done
  die "no block of 10 free ports in $base..$((base + 399)); set AGENTGATE_PORT_BASE"
}

save_ports() {
  cat >"$PORTS_FILE" <<EOF
PORT_BASE=$PORT_BASE
MY_PORT=$MY_PORT
PG_PORT=$PG_PORT
IDP_PORT=$IDP_PORT
GW_PORT=$GW_PORT
GW_PLAIN_PORT=$GW_PLAIN_PORT
WEB_PORT=$WEB_PORT
GW2_PORT=$GW2_PORT
GW2_PLAIN_PORT=$GW2_PLAIN_PORT
WEB2_PORT=$WEB2_PORT
SPARE_PORT=$SPARE_PORT
EOF
}

load_ports() {
  [ -f "$PORTS_FILE" ] || die "$PORTS_FILE missing: servers were not started in $DIR"
  # shellcheck disable=SC1090
  . "$PORTS_FILE"
}

# ---- TLS -------------------------------------------------------------------

make_leaf() {
  local name="$1" cn="$2"
  [ -s "$TLS/$name.crt" ] && [ -s "$TLS/$name.key" ] && return 0
  local ext="$TLS/$name.ext"
  cat >"$ext" <<EOF
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
  openssl req -new -newkey rsa:2048 -nodes -keyout "$TLS/$name.key" \
    -subj "/O=agentgate test/CN=$cn" -out "$TLS/$name.csr" 2>/dev/null
  openssl x509 -req -in "$TLS/$name.csr" -CA "$TLS/ca.crt" -CAkey "$TLS/ca.key" \
    -CAcreateserial -days 825 -sha256 -extfile "$ext" -out "$TLS/$name.crt" 2>/dev/null
  rm -f -- "$TLS/$name.csr" "$ext"
  chmod 600 "$TLS/$name.key"
  chmod 644 "$TLS/$name.crt"
}

make_tls() {
  mkdir -p "$TLS"
  if [ ! -s "$TLS/ca.crt" ] || [ ! -s "$TLS/ca.key" ]; then
    rm -f -- "$TLS"/*.crt "$TLS"/*.key "$TLS"/*.srl
    openssl req -x509 -new -newkey rsa:2048 -nodes -keyout "$TLS/ca.key" \
      -subj "/O=agentgate test/CN=agentgate test CA" -days 3650 -sha256 \
      -addext "basicConstraints=critical,CA:TRUE" \
      -addext "keyUsage=critical,keyCertSign,cRLSign" \
      -out "$TLS/ca.crt" 2>/dev/null
    chmod 600 "$TLS/ca.key"
  fi
  make_leaf gateway localhost
  make_leaf idp localhost
  make_leaf mariadb localhost
}

# ---- MariaDB ---------------------------------------------------------------

my_root() {
  mariadb --no-defaults --protocol=socket -S "$MY_SOCK" -uroot --connect-timeout=2 "$@"
}

mariadb_launch() {
  mkdir -p "$MY_DIR"
  chown mysql:mysql "$MY_DIR"
  chmod 750 "$MY_DIR"
  if [ ! -d "$MY_DATA/mysql" ]; then
    rm -rf -- "$MY_DATA"
    mkdir -p "$MY_DATA"
    chown mysql:mysql "$MY_DATA"
    if ! (cd / && mariadb-install-db --no-defaults --datadir="$MY_DATA" --user=mysql \
          --auth-root-authentication-method=normal --skip-test-db \
          >"$MY_DIR/install-db.log" 2>&1); then
      log_tail "$MY_DIR/install-db.log"
      die "mariadb-install-db failed"
    fi
    chown -R mysql:mysql "$MY_DATA"
  fi
  touch "$MY_LOG"
  chown mysql:mysql "$MY_LOG"
  # MariaDB offers TLS too (certificate from the test CA), for tests of the
  # gateway's backend TLS. The server reads its key as user mysql.
  mkdir -p "$MY_DIR/tls"
  cp -f -- "$TLS/ca.crt" "$TLS/mariadb.crt" "$TLS/mariadb.key" "$MY_DIR/tls/"
  chown -R mysql:mysql "$MY_DIR/tls"
  chmod 700 "$MY_DIR/tls"
  rm -f -- "$MY_SOCK" "$MY_SOCK.lock" "$MY_PID"
  (cd / && close_extra_fds && exec setsid mariadbd --no-defaults --user=mysql \
      --datadir="$MY_DATA" --socket="$MY_SOCK" --pid-file="$MY_PID" \
      --port="$MY_PORT" --bind-address=127.0.0.1 --skip-name-resolve \
      --max-allowed-packet=1G --log-bin=mariadb-bin --server-id=1 \
      --log-error="$MY_LOG" --max-connections=500 \
      --ssl-ca="$MY_DIR/tls/ca.crt" --ssl-cert="$MY_DIR/tls/mariadb.crt" \
      --ssl-key="$MY_DIR/tls/mariadb.key" \
      --innodb-buffer-pool-size=256M --innodb-flush-log-at-trx-commit=2 \
      --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci \
      </dev/null >>"$MY_LOG" 2>&1) &
  MY_LAUNCH_PID=$!
}

mariadb_wait() {
  local i
  for ((i = 0; i < TIMEOUT * 10; i++)); do
    if my_root -e 'SELECT 1' >/dev/null 2>&1; then
      return 0
    fi
    if pid_gone "$MY_LAUNCH_PID"; then
      log_tail "$MY_LOG"
      die "MariaDB exited during start-up"
    fi
    sleep 0.1
  done
  log_tail "$MY_LOG"
  die "MariaDB did not answer on $MY_SOCK within ${TIMEOUT}s"
}

mariadb_provision() {
  local rw ro
  rw="$(cat "$SECRETS/mysql_rw.pass")"
  ro="$(cat "$SECRETS/mysql_ro.pass")"
  my_root <<SQL
-- root only over the private socket; no anonymous accounts.
DELETE FROM mysql.global_priv WHERE User = '' OR (User = 'root' AND Host <> 'localhost');
FLUSH PRIVILEGES;
CREATE DATABASE IF NOT EXISTS orders CHARACTER SET utf8mb4;
USE orders;
CREATE TABLE IF NOT EXISTS customers (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(100) NOT NULL,
  email VARCHAR(200) NOT NULL UNIQUE,
  created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
) ENGINE=InnoDB;
CREATE TABLE IF NOT EXISTS orders (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  customer_id INT NOT NULL,
  item VARCHAR(100) NOT NULL,
  quantity INT NOT NULL DEFAULT 1,
  amount DECIMAL(10,2) NOT NULL,
  status ENUM('new','paid','shipped','cancelled') NOT NULL DEFAULT 'new',
  created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
  KEY idx_customer (customer_id),
  CONSTRAINT fk_orders_customer FOREIGN KEY (customer_id) REFERENCES customers (id)
) ENGINE=InnoDB;
INSERT IGNORE INTO customers (id, name, email, created_at) VALUES
  (1, 'Ada Lovelace', 'ada@example.test', '2024-01-02 10:00:00'),
  (2, 'Grace Hopper', 'grace@example.test', '2024-01-03 11:30:00'),
  (3, 'Alan Turing', 'alan@example.test', '2024-01-04 09:15:00');
INSERT IGNORE INTO orders (id, customer_id, item, quantity, amount, status, created_at) VALUES
  (1, 1, 'analytical engine', 1, 1999.00, 'paid', '2024-02-01 08:00:00'),
  (2, 1, 'punch cards', 500, 25.50, 'shipped', '2024-02-02 08:30:00'),
  (3, 2, 'compiler manual', 2, 49.90, 'new', '2024-02-03 12:00:00'),
  (4, 3, 'enigma rotor', 3, 300.00, 'paid', '2024-02-04 14:45:00'),
  (5, 2, 'moth specimen', 1, 5.00, 'cancelled', '2024-02-05 16:20:00');
CREATE USER IF NOT EXISTS 'agentgate_rw'@'%';
ALTER USER 'agentgate_rw'@'%' IDENTIFIED VIA mysql_native_password USING PASSWORD('$rw');
GRANT ALL PRIVILEGES ON orders.* TO 'agentgate_rw'@'%';
CREATE USER IF NOT EXISTS 'agentgate_ro'@'%';
ALTER USER 'agentgate_ro'@'%' IDENTIFIED VIA mysql_native_password USING PASSWORD('$ro');
GRANT SELECT ON orders.* TO 'agentgate_ro'@'%';
FLUSH PRIVILEGES;
SQL
  # End-to-end check: the backend user logs in over TCP.
  if ! MYSQL_PWD="$rw" mariadb --no-defaults -h 127.0.0.1 -P "$MY_PORT" -u agentgate_rw \
       --connect-timeout=5 -N -e 'SELECT COUNT(*) FROM orders.orders' >/dev/null; then
    log_tail "$MY_LOG"
    die "agentgate_rw cannot log in to MariaDB over TCP"
  fi
}

mariadb_stop() {
  local pid
  pid="$(read_pid "$MY_PID")"
  # Stopping right after a failed start: the pid file may not be written yet.
  if [ -z "$pid" ] && [ -n "${MY_LAUNCH_PID:-}" ]; then
    pid="$MY_LAUNCH_PID"
  fi
  if [ -S "$MY_SOCK" ] && pid_is "$pid" "--datadir=$MY_DATA"; then
    mariadb-admin --no-defaults --protocol=socket -S "$MY_SOCK" -uroot \
      --connect-timeout=2 --shutdown-timeout=20 shutdown >/dev/null 2>&1 || true
  fi
  if pid_is "$pid" "--datadir=$MY_DATA"; then
    kill -TERM "$pid" 2>/dev/null || true
    if ! wait_pid_gone "$pid" 30; then
      log "MariaDB (pid $pid) did not stop; killing it"
      kill -KILL "$pid" 2>/dev/null || true
      wait_pid_gone "$pid" 5 || true
    fi
  fi
  rm -f -- "$MY_PID" "$MY_SOCK" "$MY_SOCK.lock"
}

mariadb_alive() {
  pid_is "$(read_pid "$MY_PID")" "--datadir=$MY_DATA"
}

# ---- PostgreSQL ------------------------------------------------------------

pg_launch() {
  local bindir
  bindir="$(pg_bindir)"
  mkdir -p "$PG_DIR"
  chown postgres:postgres "$PG_DIR"
  chmod 700 "$PG_DIR"
  if [ ! -f "$PG_DATA/PG_VERSION" ]; then
    rm -rf -- "$PG_DATA"
    if ! as_user postgres "$bindir/initdb" -D "$PG_DATA" -U postgres -E UTF8 --locale=C \
         --auth-local=trust --auth-host=scram-sha-256 --no-sync \
         >"$PG_DIR/initdb.log" 2>&1; then
      log_tail "$PG_DIR/initdb.log"
      die "initdb failed"
    fi
    printf "\ninclude_if_exists = 'agentgate.conf'\n" >>"$PG_DATA/postgresql.conf"
  fi
  {
    echo "# written by servers.sh at each start"
    echo "port = $PG_PORT"
    echo "listen_addresses = '127.0.0.1'"
    echo "unix_socket_directories = '${PG_DIR//\'/\'\'}'"
    echo "unix_socket_permissions = 0700"
    echo "max_connections = 200"
    echo "password_encryption = scram-sha-256"
    echo "log_min_messages = warning"
    echo "log_connections = off"
    if [ "${AGENTGATE_PG_DURABLE:-0}" != "1" ]; then
      echo "fsync = off"
      echo "synchronous_commit = off"
      echo "full_page_writes = off"
    fi
  } >"$PG_DATA/agentgate.conf"
  chown postgres:postgres "$PG_DATA/agentgate.conf"
  # A postmaster.pid left by a crash would block the start; pg_ctl status
  # tells a live one from a stale one.
  if [ -f "$PG_DATA/postmaster.pid" ] && \
     ! as_user postgres "$bindir/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; then
    rm -f -- "$PG_DATA/postmaster.pid"
  fi
  touch "$PG_LOG"
  chown postgres:postgres "$PG_LOG"
  if ! (close_extra_fds && as_user postgres "$bindir/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -s start) \
       </dev/null >>"$PG_DIR/pg_ctl.log" 2>&1; then
    log_tail "$PG_DIR/pg_ctl.log"
    log_tail "$PG_LOG"
    die "pg_ctl start failed"
  fi
  PG_LAUNCHED=1
}

pg_wait() {
  local bindir i
  bindir="$(pg_bindir)"
  for ((i = 0; i < TIMEOUT * 10; i++)); do
    if "$bindir/pg_isready" -q -h "$PG_DIR" -p "$PG_PORT" -t 1 >/dev/null 2>&1; then
      return 0
    fi
    if [ "$i" -gt 20 ] && ! pg_alive; then
      log_tail "$PG_LOG"
      die "PostgreSQL exited during start-up"
    fi
    sleep 0.1
  done
  log_tail "$PG_LOG"
  die "PostgreSQL did not answer on port $PG_PORT within ${TIMEOUT}s"
}

pg_admin_psql() {
  psql -X -q -v ON_ERROR_STOP=1 -h "$PG_DIR" -p "$PG_PORT" -U postgres "$@"
}

pg_provision() {
  local pw
  pw="$(cat "$SECRETS/pg.pass")"
  pg_admin_psql -d postgres -v pw="$pw" >/dev/null <<'SQL'
SELECT 'CREATE ROLE agentgate LOGIN CREATEDB'
  WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'agentgate') \gexec
ALTER ROLE agentgate LOGIN CREATEDB PASSWORD :'pw';
SELECT 'CREATE DATABASE agentgate OWNER agentgate'
  WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'agentgate') \gexec
SQL
  if ! PGCONNECT_TIMEOUT=5 psql -X -q -d "$PG_DSN" -c 'SELECT 1' >/dev/null; then
    log_tail "$PG_LOG"
    die "role agentgate cannot log in to PostgreSQL over TCP"
  fi
}

pg_alive() {
  local pid
  pid="$(read_pid "$PG_DATA/postmaster.pid")"
  pid_is "$pid" "$PG_DATA"
}

pg_stop() {
  local bindir pid i
  [ -d "$PG_DATA" ] || return 0
  bindir="$(pg_bindir)"
  if [ "${PG_LAUNCHED:-0}" = 1 ]; then
    # Stopping right after a failed start: give the postmaster a moment to
    # write its pid file, else it would be left running.
    for ((i = 0; i < 100; i++)); do
      [ -f "$PG_DATA/postmaster.pid" ] && break
      sleep 0.1
    done
  fi
  pid="$(read_pid "$PG_DATA/postmaster.pid")"
  if pid_is "$pid" "$PG_DATA"; then
    as_user postgres "$bindir/pg_ctl" -D "$PG_DATA" -m fast -w -t 30 -s stop \
      >/dev/null 2>&1 || true
    if pid_is "$pid" "$PG_DATA"; then
      log "PostgreSQL (pid $pid) did not stop; killing it"
      kill -QUIT "$pid" 2>/dev/null || true
      wait_pid_gone "$pid" 5 || kill -KILL "$pid" 2>/dev/null || true
      wait_pid_gone "$pid" 5 || true
    fi
  fi
  rm -f -- "$PG_DATA/postmaster.pid"
}

# ---- identity provider -----------------------------------------------------

idp_write_clients() {
  local uris json_redirects
  read -r -a uris <<<"${AGENTGATE_REVIEWER_REDIRECT_URIS:-https://127.0.0.1:$WEB_PORT/login/callback https://127.0.0.1:$WEB2_PORT/login/callback}"
  json_redirects="$(printf '%s\n' "${uris[@]}" | jq -R . | jq -s -c .)"
  mkdir -p "$DIR/idp"
  jq -n \
    --arg alpha "$(cat "$SECRETS/agent-alpha.secret")" \
    --arg beta "$(cat "$SECRETS/agent-beta.secret")" \
    --arg short "$(cat "$SECRETS/agent-short.secret")" \
    --arg web "$(cat "$SECRETS/reviewer-web.secret")" \
    --argjson redirects "$json_redirects" '
{
  clients: [
    { client_id: "agent-alpha", client_secret: $alpha,
      token_endpoint_auth_method: "client_secret_basic",
      groups: ["agents", "etl"] },
    { client_id: "agent-beta", client_secret: $beta,
      token_endpoint_auth_method: "client_secret_basic",
      groups: ["agents"] },
    { client_id: "agent-short", client_secret: $short,
      token_endpoint_auth_method: "client_secret_basic",
      groups: ["agents"], accessTokenTTL: 2 },
    { client_id: "reviewer-web", client_secret: $web,
      client_name: "agentgate reviewer console",
      token_endpoint_auth_method: "client_secret_basic",
      grant_types: ["authorization_code"], response_types: ["code"],
      redirect_uris: $redirects }
  ],
  accounts: {
    reviewer1: { name: "Rita Reviewer", email: "rita@example.test", groups: ["reviewers"] },
    reviewer2: { name: "Ravi Reviewer", email: "ravi@example.test", groups: ["reviewers"] },
    outsider: { name: "Otto Outsider", email: "otto@example.test", groups: [] }
  }
}' >"$IDP_CLIENTS.tmp"
  chmod 600 "$IDP_CLIENTS.tmp"
  mv -f -- "$IDP_CLIENTS.tmp" "$IDP_CLIENTS"
}

idp_launch() {
  [ -d "$IDP_DIR/node_modules/oidc-provider" ] \
    || die "tests/idp/node_modules missing; run scripts/install-deps.sh"
  idp_write_clients
  rm -f -- "$IDP_PID"
  (cd "$IDP_DIR" && close_extra_fds && exec setsid node server.mjs \
      --host 127.0.0.1 --port "$IDP_PORT" \
      --issuer "https://127.0.0.1:$IDP_PORT" \
      --cert "$TLS/idp.crt" --key "$TLS/idp.key" \
      --clients "$IDP_CLIENTS" --jwks "$IDP_JWKS" \
      --audience urn:agentgate:mysql --extra-audience urn:example:other-service \
      --pid-file "$IDP_PID" \
      </dev/null >>"$IDP_LOG" 2>&1) &
  IDP_LAUNCH_PID=$!
}

idp_wait() {
  local i
  for ((i = 0; i < TIMEOUT * 10; i++)); do
    if curl -s -f -o /dev/null --max-time 2 --cacert "$TLS/ca.crt" \
         "https://127.0.0.1:$IDP_PORT/.well-known/openid-configuration"; then
      return 0
    fi
    if pid_gone "$IDP_LAUNCH_PID"; then
      log_tail "$IDP_LOG"
      die "the identity provider exited during start-up"
    fi
    sleep 0.1
  done
  log_tail "$IDP_LOG"
  die "the identity provider did not answer on port $IDP_PORT within ${TIMEOUT}s"
}

idp_alive() {
  pid_is "$(read_pid "$IDP_PID")" "--pid-file $IDP_PID"
}

idp_stop() {
  local pid
  pid="$(read_pid "$IDP_PID")"
  # Stopping right after a failed start: the pid file may not be written yet.
  if [ -z "$pid" ] && [ -n "${IDP_LAUNCH_PID:-}" ]; then
    pid="$IDP_LAUNCH_PID"
  fi
  if pid_is "$pid" "--pid-file $IDP_PID"; then
    kill -TERM "$pid" 2>/dev/null || true
    if ! wait_pid_gone "$pid" 10; then
      kill -KILL "$pid" 2>/dev/null || true
      wait_pid_gone "$pid" 5 || true
    fi
  fi
  rm -f -- "$IDP_PID"
}

# ---- env file --------------------------------------------------------------

write_env() {
  local tmp="$ENV_FILE.tmp"
  {
    echo "# agentgate test servers; written by scripts/servers.sh start"
    emit() { printf 'export %s=%q\n' "$1" "$2"; }
    emit AGENTGATE_TEST_DIR "$DIR"
    emit AGENTGATE_SRV_DIR "$SRV"
    emit AGENTGATE_PORT_BASE "$PORT_BASE"
    emit AGENTGATE_MARIADB_HOST 127.0.0.1
    emit AGENTGATE_MARIADB_PORT "$MY_PORT"
    emit AGENTGATE_MARIADB_SOCKET "$MY_SOCK"
    emit AGENTGATE_MARIADB_ROOT_USER root
    emit AGENTGATE_MARIADB_DATADIR "$MY_DATA"
    emit AGENTGATE_MARIADB_LOG "$MY_LOG"
    emit AGENTGATE_MARIADB_TLS 1
    emit AGENTGATE_MARIADB_DATABASE orders
    emit AGENTGATE_MARIADB_RW_USER agentgate_rw
    emit AGENTGATE_MARIADB_RW_PASSWORD_FILE "$SECRETS/mysql_rw.pass"
    emit AGENTGATE_MARIADB_RO_USER agentgate_ro
    emit AGENTGATE_MARIADB_RO_PASSWORD_FILE "$SECRETS/mysql_ro.pass"
    emit AGENTGATE_PG_BINDIR "$(pg_bindir)"
    emit AGENTGATE_PG_HOST 127.0.0.1
    emit AGENTGATE_PG_PORT "$PG_PORT"
    emit AGENTGATE_PG_SOCKET_DIR "$PG_DIR"
    emit AGENTGATE_PG_DATABASE agentgate
    emit AGENTGATE_PG_USER agentgate
    emit AGENTGATE_PG_PASSWORD_FILE "$SECRETS/pg.pass"
    emit AGENTGATE_PG_LOG "$PG_LOG"
    emit AGENTGATE_TEST_PG_DSN "$PG_DSN"
    emit AGENTGATE_TEST_PG_ADMIN_DSN "host=$PG_DIR port=$PG_PORT dbname=postgres user=postgres"
    emit AGENTGATE_TLS_DIR "$TLS"
    emit AGENTGATE_TEST_CA "$TLS/ca.crt"
    emit AGENTGATE_TEST_CA_KEY "$TLS/ca.key"
    emit AGENTGATE_GATEWAY_TLS_CERT "$TLS/gateway.crt"
    emit AGENTGATE_GATEWAY_TLS_KEY "$TLS/gateway.key"
    emit AGENTGATE_IDP_TLS_CERT "$TLS/idp.crt"
    emit AGENTGATE_IDP_TLS_KEY "$TLS/idp.key"
    emit AGENTGATE_IDP_PORT "$IDP_PORT"
    emit AGENTGATE_IDP_ISSUER "https://127.0.0.1:$IDP_PORT"
    emit AGENTGATE_IDP_JWKS_URI "https://127.0.0.1:$IDP_PORT/jwks"
    emit AGENTGATE_IDP_AUDIENCE urn:agentgate:mysql
    emit AGENTGATE_IDP_OTHER_AUDIENCE urn:example:other-service
    emit AGENTGATE_IDP_SCOPE mysql:connect
    emit AGENTGATE_IDP_PRIVATE_JWKS "$IDP_JWKS"
    emit AGENTGATE_IDP_CLIENTS_FILE "$IDP_CLIENTS"
    emit AGENTGATE_IDP_LOG "$IDP_LOG"
    emit AGENTGATE_TOKEN_SH "$IDP_DIR/token.sh"
    emit AGENTGATE_AGENT_ALPHA_CLIENT_ID agent-alpha
    emit AGENTGATE_AGENT_ALPHA_SECRET_FILE "$SECRETS/agent-alpha.secret"
    emit AGENTGATE_AGENT_BETA_CLIENT_ID agent-beta
    emit AGENTGATE_AGENT_BETA_SECRET_FILE "$SECRETS/agent-beta.secret"
    emit AGENTGATE_AGENT_SHORT_CLIENT_ID agent-short
    emit AGENTGATE_AGENT_SHORT_SECRET_FILE "$SECRETS/agent-short.secret"
    emit AGENTGATE_AGENT_SHORT_TTL 2
    emit AGENTGATE_REVIEWER_CLIENT_ID reviewer-web
    emit AGENTGATE_REVIEWER_SECRET_FILE "$SECRETS/reviewer-web.secret"
    emit AGENTGATE_REVIEWER_REDIRECT_URI \
      "$(jq -r '.clients[] | select(.client_id == "reviewer-web") | .redirect_uris[0]' "$IDP_CLIENTS")"
    emit AGENTGATE_REVIEWER2_REDIRECT_URI \
      "$(jq -r '.clients[] | select(.client_id == "reviewer-web") | .redirect_uris[1] // .redirect_uris[0]' "$IDP_CLIENTS")"
    emit AGENTGATE_GATEWAY_PORT "$GW_PORT"
    emit AGENTGATE_GATEWAY_PLAIN_PORT "$GW_PLAIN_PORT"
    emit AGENTGATE_WEB_PORT "$WEB_PORT"
    emit AGENTGATE_GATEWAY2_PORT "$GW2_PORT"
    emit AGENTGATE_GATEWAY2_PLAIN_PORT "$GW2_PLAIN_PORT"
    emit AGENTGATE_WEB2_PORT "$WEB2_PORT"
    emit AGENTGATE_SPARE_PORT "$SPARE_PORT"
  } >"$tmp"
  chmod 600 "$tmp"
  mv -f -- "$tmp" "$ENV_FILE"
}

# ---- commands --------------------------------------------------------------

all_alive() {
  mariadb_alive && pg_alive && idp_alive
}

stop_all() {
  idp_stop
  pg_stop
  mariadb_stop
}

start_cleanup() {
  local rc=$?
  trap - EXIT
  # errexit inside an EXIT trap makes bash quit at the first command
  # substitution; the clean-up must run to its end.
  set +e
  if [ "$rc" -ne 0 ]; then
    log "start failed; stopping what was started"
    stop_all
  fi
  exit "$rc"
}

cmd_start() {
  local t0 ms
  t0="$(date +%s%N)"
  for c in mariadbd mariadb-install-db mariadb mariadb-admin psql openssl curl jq node ss runuser setsid; do
    need_cmd "$c"
  done
  id mysql >/dev/null 2>&1 || die "user mysql missing; run scripts/install-deps.sh"
  id postgres >/dev/null 2>&1 || die "user postgres missing; run scripts/install-deps.sh"

  if [ -f "$ENV_FILE" ] && [ -f "$PORTS_FILE" ]; then
    load_ports
    if all_alive; then
      log "already running in $DIR"
      echo "$ENV_FILE"
      return 0
    fi
  fi
  # Leftovers of an earlier, partly dead start.
  stop_all

  mkdir -p "$TLS" "$SECRETS" "$LOGS" "$RUN" "$DIR/idp" "$SRV"
  chmod 700 "$SECRETS" "$DIR/idp"
  chmod 755 "$SRV"
  rm -f -- "$ENV_FILE"
  pick_ports
  save_ports

  make_tls
  local s
  for s in mysql_rw.pass mysql_ro.pass pg.pass agent-alpha.secret agent-beta.secret \
           agent-short.secret reviewer-web.secret; do
    ensure_secret "$SECRETS/$s"
  done
  PG_DSN="host=127.0.0.1 port=$PG_PORT dbname=agentgate user=agentgate password=$(cat "$SECRETS/pg.pass")"

  trap start_cleanup EXIT
  # Launch all three, then wait for each: they start in parallel.
  mariadb_launch
  pg_launch
  idp_launch
  mariadb_wait
  mariadb_provision
  pg_wait
  pg_provision
  idp_wait
  write_env
  trap - EXIT

  ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  log "MariaDB 127.0.0.1:$MY_PORT, PostgreSQL 127.0.0.1:$PG_PORT," \
      "IdP https://127.0.0.1:$IDP_PORT ready in $((ms / 1000)).$(printf '%03d' $((ms % 1000)))s"
  echo "$ENV_FILE"
}

cmd_stop() {
  stop_all
  log "stopped servers in $DIR"
}

cmd_status() {
  local rc=0
  if [ -f "$PORTS_FILE" ]; then load_ports; fi
  if mariadb_alive; then echo "mariadb: running (pid $(read_pid "$MY_PID"))"; else echo "mariadb: stopped"; rc=1; fi
  if pg_alive; then echo "postgres: running (pid $(read_pid "$PG_DATA/postmaster.pid"))"; else echo "postgres: stopped"; rc=1; fi
  if idp_alive; then echo "idp: running (pid $(read_pid "$IDP_PID"))"; else echo "idp: stopped"; rc=1; fi
  return "$rc"
}

cmd_restart_idp() {
  # Restarts only the identity provider (same port, same keys file), e.g.
  # after a test edited the keys file to rotate the signing key.
  load_ports
  idp_stop
  idp_launch
  idp_wait
  log "identity provider restarted on port $IDP_PORT"
}

# One command at a time per DIR (the servers are started without this
# descriptor, so they do not keep holding the lock).
exec 9>"$DIR/.servers.lock"
flock -w 120 9 || die "another $PROG holds $DIR/.servers.lock"

case "$CMD" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  env) echo "$ENV_FILE" ;;
  restart-idp) cmd_restart_idp ;;
esac
