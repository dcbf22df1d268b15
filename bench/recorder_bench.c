/*
 * recorder_bench: how many statement records per second the audit recorder
 * writes to a real PostgreSQL, sustained. It plays a gateway under a point
 * select load: SESSIONS sessions each with one statement in flight, every
 * statement begun with store_stmt_begin and ended with store_stmt_done one
 * round of the producer later, as fast as store_accepting() allows, until
 * RECORDS statements have run; then it waits for the queue to drain. The
 * producer outruns PostgreSQL, so the queue fills and the time measured is
 * the recorder's: records written per second from the first begin to the
 * last row stored. With --rate the producer keeps to that many statements
 * a second instead, as a gateway under a given load would; the interesting
 * figures are then the peak queue and the rows written per statement. It
 * also prints the bench process's CPU time per record (building batches,
 * escaping, libpq) and, when PostgreSQL runs on the same host, the CPU time
 * of all the server's processes per record (and of the recorder's backend
 * alone): what a loaded machine must find for the audit besides the
 * gateway's own work.
 *
 * Each statement is recorded as the gateway records a sysbench point
 * select: an execution of a prepared statement, with its text, its decoded
 * parameter and the verdict of a read under the built-in policy. --bare
 * records a text query without any verdict instead (the record before
 * statements were classified).
 *
 * --insert writes every statement the way the recorder did before COPY:
 * statements through INSERT ... ON CONFLICT, and a statement still running
 * when its batch is built written at once as 'running', its outcome later
 * as an update.
 *
 * It works in a fresh schema of its own (migrated, then dropped) in the
 * database AGENTGATE_TEST_PG_DSN names. It is a measuring tool, not a test:
 * it checks only that every statement arrived.
 *
 * usage: recorder_bench [--records N] [--sessions S] [--batch B]
 *                       [--rate R] [--insert] [--bare]
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <event2/event.h>
#include <libpq-fe.h>

#include "store/internal.h"
#include "store/store.h"

/* Statements begun per session in one run of the producer before the loop
 * gets to do I/O again: enough to outrun PostgreSQL, few enough that the
 * recorder's own events are not starved. */
#define ROUNDS_PER_RUN 20
/* When the queue is full (or --rate is reached), the producer looks again
 * after this long. */
#define FULL_RETRY_US 1000
/* sysbench oltp_point_select's statement: prepared, then executed with an
 * id, as the gateway records it (COM_STMT_EXECUTE, the prepared text, the
 * decoded parameter and the verdict of a read under the built-in policy). */
#define POINT_SELECT "SELECT c FROM sbtest1 WHERE id=?"
#define COM_STMT_EXECUTE 23
/* --bare: the record before classification, a text COM_QUERY. */
#define POINT_SELECT_TEXT "SELECT c FROM sbtest1 WHERE id=%d"
#define COM_QUERY 3

struct bench {
	struct event_base *base;
	struct store *st;
	struct event *produce_ev;
	struct event *check_ev;
	struct store_stmt **inflight; /* one per session, NULL when none */
	char (*session_ids)[37];
	uint64_t *seq;
	long records, sessions, begun;
	long refused_rounds;          /* times the queue was full */
	long rate;                    /* statements a second; 0: no limit */
	size_t max_queue;
	uint64_t start_ms, end_ms;
	bool producing;
	bool bare;                    /* records without a verdict */
};

static const struct store_stmt_result ok_result = {
	.status = STORE_STMT_OK,
	.duration_us = 180,
	.rows_affected = -1,
	.rows_returned = 1,
	.error_code = 0,
	.error_message = NULL,
};

static void finish_inflight(struct bench *b, long i)
{
	if (b->inflight[i] == NULL)
		return;
	store_stmt_done(b->st, b->inflight[i], &ok_result);
	b->inflight[i] = NULL;
}

/* Begins the next statement of session i; NULL when refused. */
static struct store_stmt *begin(struct bench *b, long i)
{
	int id = (int)(b->begun % 100000) + 1;
	char text[64], params[24];
	struct store_stmt_info info = {
		.session_id = b->session_ids[i],
		.seq = ++b->seq[i],
		.started_us = core_wall_us(),
	};

	if (b->bare) {
		int len = snprintf(text, sizeof(text), POINT_SELECT_TEXT, id);

		info.command = COM_QUERY;
		info.command_name = "COM_QUERY";
		info.text = text;
		info.text_len = (size_t)len;
	} else {
		snprintf(params, sizeof(params), "[%d]", id);
		info.command = COM_STMT_EXECUTE;
		info.command_name = "COM_STMT_EXECUTE";
		info.text = POINT_SELECT;
		info.text_len = strlen(POINT_SELECT);
		info.cls = "read";
		info.decision = "allow";
		info.policy = "built-in default";
		info.reason = "SELECT reads rows";
		info.params = params;
	}
	return store_stmt_begin(b->st, &info);
}

/* With --rate: whether the statements begun so far are as many as the
 * rate allows by now. */
static bool ahead_of_rate(const struct bench *b)
{
	uint64_t elapsed_ms = core_mono_ms() - b->start_ms + 1;

	return b->rate > 0 &&
	       (uint64_t)b->begun * 1000 >= elapsed_ms * (uint64_t)b->rate;
}

static void produce_cb(evutil_socket_t fd, short what, void *arg)
{
	struct bench *b = arg;
	struct timeval retry = {0, FULL_RETRY_US}, now = {0, 0};
	struct store_stats stats;
	int round;
	long i;

	for (round = 0; round < ROUNDS_PER_RUN; round++) {
		for (i = 0; i < b->sessions; i++) {
			finish_inflight(b, i);
			if (b->begun == b->records)
				continue;
			if (ahead_of_rate(b)) {
				event_add(b->produce_ev, &retry);
				return;
			}
			if (!store_accepting(b->st, NULL)) {
				b->refused_rounds++;
				event_add(b->produce_ev, &retry);
				return;
			}
			b->inflight[i] = begin(b, i);
			if (b->inflight[i] == NULL) {
				b->refused_rounds++;
				event_add(b->produce_ev, &retry);
				return;
			}
			b->begun++;
		}
		store_get_stats(b->st, &stats);
		if (stats.queue_len > b->max_queue)
			b->max_queue = stats.queue_len;
	}
	for (i = 0; i < b->sessions; i++)
		if (b->inflight[i] != NULL)
			break;
	if (b->begun == b->records && i == b->sessions) {
		b->producing = false;
		return;
	}
	/* A timer, not event_active: the loop polls its sockets first. */
	event_add(b->produce_ev, &now);
}

/* Every 5 ms: done once everything begun is stored. */
static void check_cb(evutil_socket_t fd, short what, void *arg)
{
	struct bench *b = arg;
	struct store_stats stats;

	store_get_stats(b->st, &stats);
	if (!b->producing && stats.queue_len == 0) {
		b->end_ms = core_mono_ms();
		event_base_loopbreak(b->base);
	}
}

static PGresult *exec_ok(PGconn *pg, const char *sql)
{
	PGresult *res = PQexec(pg, sql);

	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK) {
		fprintf(stderr, "recorder_bench: %s: %s", sql, PQerrorMessage(pg));
		exit(1);
	}
	return res;
}

static double cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* Fields 14 to 17 of /proc/PID/stat (utime, stime, cutime, cstime) in
 * seconds, and field 4 (ppid); false when the process is not there. */
static bool proc_times(long pid, double *self, double *children, long *ppid)
{
	double hz = (double)sysconf(_SC_CLK_TCK);
	unsigned long long ut, st;
	long long cut, cst;
	char path[64], buf[1024], *p;
	FILE *f = NULL;
	size_t n;
	int pp;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	f = fopen(path, "r");
	if (f == NULL)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* After "pid (comm) ", which may hold spaces: state ppid ... */
	p = strrchr(buf, ')');
	if (p == NULL ||
	    sscanf(p + 2, "%*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu "
	                  "%lld %lld",
	           &pp, &ut, &st, &cut, &cst) != 5)
		return false;
	*self = (double)(ut + st) / hz;
	*children = (double)(cut + cst) / hz;
	*ppid = pp;
	return true;
}

/* CPU seconds of the PostgreSQL server that runs backend `pid`: its
 * postmaster, every process the postmaster runs now, and what the ones
 * that exited (autovacuum workers, ...) left to it. Negative when the
 * server is not on this host. */
static double pg_cpu_seconds(long pid)
{
	double self, children, total = 0;
	long pm;
	char path[64];
	FILE *f = NULL;
	long child;

	if (pid <= 0 || !proc_times(pid, &self, &children, &pm) ||
	    !proc_times(pm, &self, &children, &child))
		return -1;
	total = self + children;
	snprintf(path, sizeof(path), "/proc/%ld/task/%ld/children", pm, pm);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	while (fscanf(f, "%ld", &child) == 1) {
		long ignored;

		if (proc_times(child, &self, &children, &ignored))
			total += self;
	}
	fclose(f);
	return total;
}

static void usage(void)
{
	fprintf(stderr, "usage: recorder_bench [--records N] [--sessions S] "
	                "[--batch B] [--rate R] [--insert] [--bare]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *dsn = getenv("AGENTGATE_TEST_PG_DSN");
	struct bench b = {.records = 200000, .sessions = 16};
	struct cfg_store cfg = {
	    .queue_size = 100000,
	    .batch_size = 1000,
	    .flush_interval = 50,
	    .grace = 5000,
	    .reconnect_interval = 1000,
	};
	struct timeval tick = {0, 5000};
	struct store_admin *admin = NULL;
	struct store_stats stats;
	struct core_buf sdsn = {0};
	char schema[64], sql[160], err[512];
	bool insert = false;
	double cpu0, cpu, pgcpu0, pgcpu, backend0, backend, ignored;
	long pg_pid, ppid;
	PGconn *pg = NULL;
	PGresult *res = NULL;
	FILE *devnull = NULL;
	int i, ret = 1;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--insert") == 0)
			insert = true;
		else if (strcmp(argv[i], "--bare") == 0)
			b.bare = true;
		else if (strcmp(argv[i], "--records") == 0 && i + 1 < argc)
			b.records = atol(argv[++i]);
		else if (strcmp(argv[i], "--sessions") == 0 && i + 1 < argc)
			b.sessions = atol(argv[++i]);
		else if (strcmp(argv[i], "--batch") == 0 && i + 1 < argc)
			cfg.batch_size = atol(argv[++i]);
		else if (strcmp(argv[i], "--rate") == 0 && i + 1 < argc)
			b.rate = atol(argv[++i]);
		else
			usage();
	}
	if (b.records <= 0 || b.sessions <= 0 || cfg.batch_size <= 0 ||
	    b.rate < 0)
		usage();
	if (dsn == NULL || *dsn == '\0') {
		fprintf(stderr, "recorder_bench: set AGENTGATE_TEST_PG_DSN\n");
		return 2;
	}
	log_set_level(LOG_WARN);

	snprintf(schema, sizeof(schema), "agentgate_bench_%d", (int)getpid());
	pg = PQconnectdb(dsn);
	if (PQstatus(pg) != CONNECTION_OK) {
		fprintf(stderr, "recorder_bench: %s", PQerrorMessage(pg));
		return 1;
	}
	snprintf(sql, sizeof(sql), "CREATE SCHEMA %s", schema);
	PQclear(exec_ok(pg, sql));
	core_buf_printf(&sdsn, "%s options='-csearch_path=%s'", dsn, schema);
	core_buf_append(&sdsn, "", 1);
	admin = store_admin_connect((const char *)sdsn.data, err, sizeof(err));
	devnull = fopen("/dev/null", "w");
	if (admin == NULL || devnull == NULL ||
	    !store_admin_migrate(admin, devnull, err, sizeof(err))) {
		fprintf(stderr, "recorder_bench: %s\n", err);
		goto drop;
	}
	store_admin_close(admin);
	admin = NULL;

	cfg.dsn = (char *)sdsn.data;
	b.base = event_base_new();
	b.st = store_open(b.base, &cfg, "bench", err, sizeof(err));
	if (b.st == NULL) {
		fprintf(stderr, "recorder_bench: %s\n", err);
		goto drop;
	}
	if (insert) {
		b.st->rq.use_copy = false;
		b.st->rq.running_ms = 0;
	}
	b.inflight = core_xcalloc((size_t)b.sessions, sizeof(*b.inflight));
	b.session_ids = core_xcalloc((size_t)b.sessions, sizeof(*b.session_ids));
	b.seq = core_xcalloc((size_t)b.sessions, sizeof(*b.seq));
	for (i = 0; i < b.sessions; i++)
		core_uuid(b.session_ids[i]);
	b.produce_ev = event_new(b.base, -1, 0, produce_cb, &b);
	b.check_ev = event_new(b.base, -1, EV_PERSIST, check_cb, &b);
	event_add(b.check_ev, &tick);
	b.producing = true;
	cpu0 = cpu_seconds();
	pg_pid = PQbackendPID(b.st->rec.pg);
	pgcpu0 = pg_cpu_seconds(pg_pid);
	if (!proc_times(pg_pid, &backend0, &ignored, &ppid))
		backend0 = -1;
	b.start_ms = core_mono_ms();
	event_active(b.produce_ev, EV_TIMEOUT, 0);
	(void)event_base_dispatch(b.base);
	cpu = cpu_seconds() - cpu0;
	pgcpu = pgcpu0 < 0 ? -1 : pg_cpu_seconds(pg_pid) - pgcpu0;
	if (backend0 < 0 || !proc_times(pg_pid, &backend, &ignored, &ppid))
		backend = -1;
	else
		backend -= backend0;

	store_get_stats(b.st, &stats);
	snprintf(sql, sizeof(sql),
	         "SELECT count(*) FROM %s.statements WHERE status = 'ok'", schema);
	res = exec_ok(pg, sql);
	{
		double secs = (double)(b.end_ms - b.start_ms) / 1000.0;
		long rows = atol(PQgetvalue(res, 0, 0));

		printf("%s: %ld statements, %ld sessions, batch %lld, rate %s: "
		       "%.2f s, %.0f records/s; %" PRIu64 " rows written "
		       "(%.3f per statement) in %" PRIu64 " batches (%" PRIu64
		       " failed); peak queue %zu, full %ld times; %.1f us CPU per "
		       "record in the bench process, %.1f in PostgreSQL (%.1f in "
		       "the recorder's backend)%s\n",
		       insert ? "INSERT" : "COPY", b.records, b.sessions,
		       cfg.batch_size, b.rate > 0 ? "limited" : "unlimited",
		       secs, (double)b.records / secs, stats.written,
		       (double)stats.written / (double)b.records, stats.batches,
		       stats.batch_failures, b.max_queue, b.refused_rounds,
		       cpu * 1e6 / (double)b.records,
		       pgcpu < 0 ? 0.0 : pgcpu * 1e6 / (double)b.records,
		       backend < 0 ? 0.0 : backend * 1e6 / (double)b.records,
		       rows == b.records ? "" : " -- ROWS MISSING");
		if (rows != b.records)
			fprintf(stderr, "recorder_bench: %ld rows stored, %ld "
			                "expected\n",
			        rows, b.records);
		else
			ret = 0;
	}
	PQclear(res);
	store_close(b.st);
	event_free(b.produce_ev);
	event_free(b.check_ev);
	event_base_free(b.base);
	free(b.inflight);
	free(b.session_ids);
	free(b.seq);
drop:
	store_admin_close(admin);
	if (devnull != NULL)
		fclose(devnull);
	snprintf(sql, sizeof(sql), "DROP SCHEMA %s CASCADE", schema);
	PQclear(exec_ok(pg, "SET client_min_messages = warning"));
	PQclear(exec_ok(pg, sql));
	PQfinish(pg);
	core_buf_free(&sdsn);
	return ret;
}
