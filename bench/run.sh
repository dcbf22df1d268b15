#!/usr/bin/env bash
# Throughput and latency of agentgate against MariaDB directly, in the same
# run on the same machine: sysbench oltp_point_select and oltp_read_only at
# THREADS threads, straight to MariaDB, through the gateway without TLS
# (loopback plaintext listener) and through the gateway with TLS. Prints the
# throughput ratio and p95 latency of each, then the gateway's peak resident
# memory while it streams a 1 GB result.
#
# For each gateway run it also prints PostgreSQL's CPU time per statement
# (all its processes, until the run's last row is stored: what the audit
# records cost the machine), the statements the gateway refused (error
# 1290: the audit queue was full; sysbench is told to count them rather
# than stop) and the audit lag: statements sysbench ran whose rows were not
# yet in PostgreSQL when the run ended, i.e. how much of the audit queue
# the run left filled (queue_size is 100,000).
#
# Usage: bench/run.sh [--threads N] [--time SECONDS] [--stream-mb MB]
#                     [--tests "oltp_point_select oltp_read_only"]
# --stream-mb 0 skips the streaming measurement.
# Needs the build in ./build (scripts/test.sh or cmake makes it) and starts
# its own private servers under ./build/bench-servers on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."

THREADS=8
TIME=20
STREAM_MB=1024
TABLE_SIZE=100000
TESTS="oltp_point_select oltp_read_only"
while [ $# -gt 0 ]; do
	case "$1" in
	--threads) THREADS=$2; shift 2 ;;
	--time) TIME=$2; shift 2 ;;
	--stream-mb) STREAM_MB=$2; shift 2 ;;
	--tests) TESTS=$2; shift 2 ;;
	*) echo "usage: $0 [--threads N] [--time SECONDS] [--stream-mb MB] [--tests LIST]" >&2; exit 2 ;;
	esac
done

bash scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target agentgate agentgatectl >/dev/null

DIR=$PWD/build/bench-servers
export AGENTGATE_PORT_BASE=${AGENTGATE_PORT_BASE:-27000}
bash scripts/servers.sh start "$DIR" >/dev/null
GW_PID=""
cleanup() {
	[ -n "$GW_PID" ] && kill "$GW_PID" 2>/dev/null && wait "$GW_PID" 2>/dev/null
	bash scripts/servers.sh stop "$DIR" >/dev/null 2>&1 || true
}
trap cleanup EXIT
# shellcheck disable=SC1091
source "$DIR/env.sh"

INI=$DIR/bench.ini
cat >"$INI" <<EOF
[gateway]
instance = bench
tls_cert = $AGENTGATE_GATEWAY_TLS_CERT
tls_key = $AGENTGATE_GATEWAY_TLS_KEY
log_level = warn
[store]
dsn = $AGENTGATE_TEST_PG_DSN
[listener tls]
address = 127.0.0.1
port = $AGENTGATE_GATEWAY_PORT
[listener plain]
address = 127.0.0.1
port = $AGENTGATE_GATEWAY_PLAIN_PORT
require_tls = false
allow_plaintext_loopback = true
[idp local]
issuer = $AGENTGATE_IDP_ISSUER
audience = $AGENTGATE_IDP_AUDIENCE
ca_file = $AGENTGATE_TEST_CA
[connection orders]
host = 127.0.0.1
port = $AGENTGATE_MARIADB_PORT
user = $AGENTGATE_MARIADB_RW_USER
password_file = $AGENTGATE_MARIADB_RW_PASSWORD_FILE
database = $AGENTGATE_MARIADB_DATABASE
EOF
CTL="build/cmd/agentgatectl -c $INI"
$CTL migrate >/dev/null
TOKEN=$(AGENTGATE_TEST_CA=$AGENTGATE_TEST_CA bash "$AGENTGATE_TOKEN_SH" \
	"$AGENTGATE_AGENT_ALPHA_CLIENT_ID" "@$AGENTGATE_AGENT_ALPHA_SECRET_FILE" "$AGENTGATE_IDP_ISSUER")
SUB=$(printf '%s' "$TOKEN" | cut -d. -f2 | tr '_-' '/+' | base64 -d 2>/dev/null | jq -r .sub || true)
$CTL agent add bench --idp local --subject "$SUB" >/dev/null 2>&1 || true
$CTL grant bench orders >/dev/null 2>&1 || true

start_gateway() {
	build/cmd/agentgate -c "$INI" >>"$DIR/gateway.log" 2>&1 &
	GW_PID=$!
	for _ in $(seq 1 100); do
		mariadb --no-defaults -h 127.0.0.1 -P "$AGENTGATE_GATEWAY_PLAIN_PORT" -u orders \
			--skip-ssl --password="$TOKEN" -e "SELECT 1" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "gateway did not start" >&2
	tail "$DIR/gateway.log" >&2
	exit 1
}
stop_gateway() {
	kill "$GW_PID"
	wait "$GW_PID" 2>/dev/null || true
	GW_PID=""
}

DBPASS=$(cat "$AGENTGATE_MARIADB_RW_PASSWORD_FILE")
SB_COMMON=(--db-driver=mysql --mysql-db="$AGENTGATE_MARIADB_DATABASE" --tables=4
	--table-size="$TABLE_SIZE" --rand-type=uniform)
sysbench oltp_read_only "${SB_COMMON[@]}" --mysql-host=127.0.0.1 \
	--mysql-port="$AGENTGATE_MARIADB_PORT" --mysql-user="$AGENTGATE_MARIADB_RW_USER" \
	--mysql-password="$DBPASS" --threads=2 prepare >/dev/null

start_gateway

# sysbench's MySQL driver takes its TLS files from the working directory.
SBDIR=$DIR/sysbench
mkdir -p "$SBDIR"
cp "$AGENTGATE_TEST_CA" "$SBDIR/cacert.pem"
cp "$AGENTGATE_GATEWAY_TLS_CERT" "$SBDIR/client-cert.pem"
cp "$AGENTGATE_GATEWAY_TLS_KEY" "$SBDIR/client-key.pem"

gw_cpu() { # CPU time of the gateway so far, in clock ticks
	awk '{print $14 + $15}' "/proc/$GW_PID/stat"
}
# CPU time of the store's PostgreSQL so far, in clock ticks: the postmaster's
# processes, and what those that exited (autovacuum workers, ...) left to
# it.
pg_cpu() {
	local pm
	pm=$(head -n 1 "$AGENTGATE_SRV_DIR/pg/data/postmaster.pid")
	{
		awk '{print $14 + $15 + $16 + $17}' "/proc/$pm/stat"
		for c in $(cat "/proc/$pm/task/$pm/children"); do
			awk '{print $14 + $15}' "/proc/$c/stat" 2>/dev/null || true
		done
	} | awk '{t += $1} END {print t}'
}

# run_sb TEST PORT USER PASSWORD SSL -> "tps p95 count refused"
run_sb() {
	local out
	# Preload the clear-text plugin: libmariadb loads it lazily and several
	# threads doing so at once race ("it is already loaded"). A statement
	# the gateway refuses (1290) is counted, not fatal, so that a run with
	# refusals still reports how many there were.
	out=$(cd "$SBDIR" && LIBMYSQL_PLUGINS=mysql_clear_password sysbench "$1" "${SB_COMMON[@]}" --mysql-host=127.0.0.1 --mysql-port="$2" \
		--mysql-user="$3" --mysql-password="$4" --mysql-ssl="$5" --mysql-ignore-errors=1290 \
		--threads="$THREADS" --time="$TIME" --report-interval=0 run 2>&1) || true
	local tps p95 refused
	if [ "$1" = oltp_point_select ]; then
		tps=$(echo "$out" | awk '/queries:/ {gsub(/[(]/,"",$3); print $3}')
	else
		tps=$(echo "$out" | awk '/transactions:/ {gsub(/[(]/,"",$3); print $3}')
	fi
	p95=$(echo "$out" | awk '/95th percentile:/ {print $3}')
	n=$(echo "$out" | awk '/queries:/ {print $2}')
	refused=$(echo "$out" | awk '/ignored errors:/ {print $3}')
	if [ -z "$tps" ]; then
		echo "sysbench $1 on port $2 failed:" >&2
		echo "$out" | tail -5 >&2
		return 1
	fi
	echo "$tps $p95 $n ${refused:-0}"
}
# Statement rows in PostgreSQL.
pg_rows() { psql -X -q -t -A -d "$AGENTGATE_TEST_PG_DSN" -c "SELECT count(*) FROM statements"; }
# audit_lag QUERIES REFUSED ROWS_ADDED -> statements without their row yet
audit_lag() { awk -v n="$1" -v f="$2" -v a="$3" 'BEGIN {l = n - f - a; print (l > 0 ? l : 0)}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
# gateway CPU microseconds per query between two gw_cpu readings
per_query() { awk -v t0="$1" -v t1="$2" -v n="$3" -v hz="$(getconf CLK_TCK)" \
	'BEGIN {printf "%.1f", (t1 - t0) / hz * 1e6 / n}'; }

printf '\nagentgate benchmark: %s threads, %s s per run, %s cores, %s\n' \
	"$THREADS" "$TIME" "$(nproc)" "$(date -u +%Y-%m-%d)"
FMT='%-18s %-12s %12s %8s %6s %12s %12s %8s %10s\n'
printf "$FMT" test path "per second" "p95 ms" ratio "gw us/query" "pg us/query" refused "audit lag"
for test in $TESTS; do
	read -r d_tps d_p95 _ < <(run_sb "$test" "$AGENTGATE_MARIADB_PORT" \
		"$AGENTGATE_MARIADB_RW_USER" "$DBPASS" off)
	printf "$FMT" "$test" direct "$d_tps" "$d_p95" 1.00 - - - -
	for mode in off on; do
		port=$AGENTGATE_GATEWAY_PLAIN_PORT path=gateway
		[ "$mode" = on ] && port=$AGENTGATE_GATEWAY_PORT path=gateway+TLS
		# Let the audit queue of the previous run drain first: on a small
		# machine PostgreSQL shares the cores with the load.
		sleep 10
		r0=$(pg_rows)
		c0=$(gw_cpu)
		p0=$(pg_cpu)
		read -r g_tps g_p95 g_n g_refused < <(run_sb "$test" "$port" orders "$TOKEN" "$mode")
		c1=$(gw_cpu)
		r1=$(pg_rows)
		# sysbench's count includes the refused statements, which have
		# no row.
		lag=$(audit_lag "$g_n" "$g_refused" "$((r1 - r0))")
		# PostgreSQL's CPU time counts until the run's last row is in:
		# a run that leaves a lag has not paid for it yet.
		for _ in $(seq 1 120); do
			[ "$(audit_lag "$g_n" "$g_refused" "$(($(pg_rows) - r0))")" -gt 0 ] || break
			sleep 0.5
		done
		p1=$(pg_cpu)
		printf "$FMT" "$test" "$path" "$g_tps" "$g_p95" \
			"$(ratio "$g_tps" "$d_tps")" "$(per_query "$c0" "$c1" "$g_n")" \
			"$(per_query "$p0" "$p1" "$g_n")" "$g_refused" "$lag"
	done
done
echo "(point select: queries per second; read only: transactions per second)"

[ "$STREAM_MB" -gt 0 ] || exit 0

# Peak RSS of a fresh gateway while it streams STREAM_MB through TLS.
stop_gateway
start_gateway
rows=$((STREAM_MB * 1024))
start=$(date +%s.%N)
mariadb --no-defaults -h 127.0.0.1 -P "$AGENTGATE_GATEWAY_PORT" -u orders --ssl \
	--ssl-ca="$AGENTGATE_TEST_CA" --password="$TOKEN" --quick -N -B \
	-e "SELECT seq, REPEAT('x', 1017) FROM seq_1_to_$rows" | wc -c >"$DIR/stream.bytes"
end=$(date +%s.%N)
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$GW_PID/status")
awk -v b="$(cat "$DIR/stream.bytes")" -v t0="$start" -v t1="$end" -v h="$hwm" 'BEGIN {
	printf "\nstreamed %d MB through TLS in %.1f s; gateway peak RSS %d kB (%.1f MB)\n",
		b / 1048576, t1 - t0, h, h / 1024 }'
