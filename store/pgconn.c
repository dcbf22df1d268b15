/*
 * One PostgreSQL connection driven asynchronously on the libevent loop:
 * connecting with PQconnectStart/PQconnectPoll, sending one query at a time,
 * flushing with PQflush when the socket accepts more, streaming the data of
 * each COPY ... FROM STDIN in the query with PQputCopyData/PQputCopyEnd (in
 * chunks, waiting for the socket whenever libpq holds data it could not
 * send), reading with PQconsumeInput/PQisBusy/PQgetResult, and delivering
 * notifications. When the connection breaks or a query or connection
 * attempt takes too long it is dropped, its owner told (ops->down), and a
 * new attempt is made every reconnect interval.
 *
 * The owner decides what to send and what results mean; this file knows no
 * SQL. For the shutdown flush, store_pgc_drive() runs the same handlers off
 * the loop, waiting on the socket with poll().
 *
 * libpq resolves host names inside PQconnectStart, blocking: a DSN that
 * names its server by hostaddr (or a local socket) keeps reconnection
 * attempts from ever stalling the loop on DNS.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>

#include <event2/event.h>

#include "store/internal.h"

/* During an outage, one warning at the first failed attempt, then one
 * every this many attempts; the others go to the debug log. */
#define RETRY_WARN_EVERY 60
/* COPY data goes to libpq this many bytes at a time, each only once libpq
 * has sent the previous one: its output buffer stays near this size
 * instead of holding a second copy of a multi-megabyte batch, and each call
 * still moves enough to be cheap. */
#define COPY_CHUNK ((size_t)64 << 10)

static void io_cb(evutil_socket_t fd, short what, void *arg);
static void timer_cb(evutil_socket_t fd, short what, void *arg);

void store_pgc_init(struct pgconn *pc, struct event_base *base,
                    const char *name, const char *dsn, uint64_t reconnect_ms,
                    const struct pgconn_ops *ops, void *owner)
{
	memset(pc, 0, sizeof(*pc));
	pc->base = base;
	pc->name = name;
	pc->dsn = dsn;
	pc->reconnect_ms = reconnect_ms;
	pc->ops = ops;
	pc->owner = owner;
	pc->state = PGC_DOWN;
	pc->fd = -1;
	if (base != NULL)
		pc->timer = evtimer_new(base, timer_cb, pc);
}

bool store_pgc_is_up(const struct pgconn *pc)
{
	return pc->state == PGC_IDLE || pc->state == PGC_BUSY ||
	       pc->state == PGC_COPY_IN;
}

/* Forgets the COPY data of the query in flight (the owner's memory). */
static void copy_forget(struct pgconn *pc)
{
	pc->copy_data = NULL;
	pc->copy_ends = NULL;
	pc->copy_parts = 0;
	pc->copy_part = 0;
	pc->copy_off = 0;
}

static void arm_timer(struct pgconn *pc, uint64_t ms)
{
	struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};

	if (pc->timer != NULL)
		evtimer_add(pc->timer, &tv);
}

static void disarm_timer(struct pgconn *pc)
{
	if (pc->timer != NULL)
		evtimer_del(pc->timer);
}

static void free_events(struct pgconn *pc)
{
	if (pc->rd_ev) {
		event_free(pc->rd_ev);
		pc->rd_ev = NULL;
	}
	if (pc->wr_ev) {
		event_free(pc->wr_ev);
		pc->wr_ev = NULL;
	}
	pc->fd = -1;
}

/* Waits for the directions asked on the connection's current socket, which
 * libpq may change while connecting. */
static void watch(struct pgconn *pc, bool rd, bool wr)
{
	int fd = PQsocket(pc->pg);

	if (pc->base == NULL)
		return;
	if (fd != pc->fd || pc->rd_ev == NULL) {
		free_events(pc);
		if (fd < 0)
			return;
		pc->rd_ev = event_new(pc->base, fd, EV_READ | EV_PERSIST, io_cb, pc);
		pc->wr_ev = event_new(pc->base, fd, EV_WRITE | EV_PERSIST, io_cb, pc);
		pc->fd = fd;
	}
	if (rd)
		event_add(pc->rd_ev, NULL);
	else
		event_del(pc->rd_ev);
	if (wr)
		event_add(pc->wr_ev, NULL);
	else
		event_del(pc->wr_ev);
}

/* Drops the connection. Logs once per outage, then quietly while retrying. */
static void fail(struct pgconn *pc, const char *why)
{
	bool was_up = store_pgc_is_up(pc);

	if (was_up) {
		log_warn("store: %s connection to PostgreSQL lost: %s", pc->name,
		         why);
		pc->down_since_ms = core_mono_ms();
		pc->attempts = 0;
	} else if (pc->attempts++ == 0) {
		log_warn("store: %s connection to PostgreSQL failed: %s; retrying "
		         "every %llu ms",
		         pc->name, why, (unsigned long long)pc->reconnect_ms);
	} else if (pc->attempts % RETRY_WARN_EVERY == 0) {
		log_warn("store: %s connection to PostgreSQL still failing after "
		         "%u attempts: %s",
		         pc->name, pc->attempts, why);
	} else {
		log_debug("store: %s connection attempt %u failed: %s", pc->name,
		          pc->attempts, why);
	}
	free_events(pc);
	PQfinish(pc->pg);
	pc->pg = NULL;
	pc->state = PGC_DOWN;
	copy_forget(pc);
	disarm_timer(pc);
	if (!pc->closing)
		arm_timer(pc, pc->reconnect_ms);
	if (was_up && pc->ops->down)
		pc->ops->down(pc);
	pc->timed_out = false;
}

void store_pgc_reset(struct pgconn *pc, const char *why)
{
	if (pc->pg != NULL)
		fail(pc, why);
}

static void fail_pg(struct pgconn *pc, const char *prefix)
{
	char msg[512];
	char why[600];

	store_pg_error(pc->pg, msg, sizeof(msg));
	snprintf(why, sizeof(why), "%s%s", prefix, msg);
	fail(pc, why);
}

/* The gateway's connections log errors without the "LINE 1: ..." excerpt:
 * batches carry statement text, which has no business in the log. */
static void quiet(PGconn *pg)
{
	store_pg_quiet(pg);
	(void)PQsetErrorVerbosity(pg, PQERRORS_TERSE);
}

static void connected(struct pgconn *pc)
{
	free_events(pc);
	if (PQsetnonblocking(pc->pg, 1) != 0) {
		fail_pg(pc, "cannot switch to non-blocking mode: ");
		return;
	}
	quiet(pc->pg);
	disarm_timer(pc);
	pc->state = PGC_IDLE;
	watch(pc, true, false);
	if (pc->down_since_ms != 0)
		log_info("store: %s connection to PostgreSQL restored after %llu "
		         "ms",
		         pc->name,
		         (unsigned long long)(core_mono_ms() - pc->down_since_ms));
	pc->down_since_ms = 0;
	pc->attempts = 0;
	if (pc->ops->up)
		pc->ops->up(pc);
}

/* Acts on what PQconnectPoll last said. While connecting libpq may close
 * its socket and open another that gets the same number (next host, SSL
 * refused): fresh events each step, so the loop never waits on a socket
 * that is gone. */
static void connect_step(struct pgconn *pc)
{
	switch (pc->polling) {
	case PGRES_POLLING_READING:
		free_events(pc);
		watch(pc, true, false);
		return;
	case PGRES_POLLING_WRITING:
		free_events(pc);
		watch(pc, false, true);
		return;
	case PGRES_POLLING_OK:
		connected(pc);
		return;
	case PGRES_POLLING_FAILED:
	case PGRES_POLLING_ACTIVE:
		break;
	}
	fail_pg(pc, "");
}

void store_pgc_connect_async(struct pgconn *pc)
{
	const char *kw[STORE_PG_PARAMS + 1];
	const char *val[STORE_PG_PARAMS + 1];

	if (pc->pg != NULL)
		return;
	if (pc->down_since_ms == 0)
		pc->down_since_ms = core_mono_ms();
	store_pg_params(pc->dsn, "agentgate", kw, val);
	pc->pg = PQconnectStartParams(kw, val, 1);
	if (pc->pg == NULL || PQstatus(pc->pg) == CONNECTION_BAD) {
		fail_pg(pc, "");
		return;
	}
	pc->state = PGC_CONNECTING;
	/* As if PQconnectPoll had asked to write (libpq's documented start). */
	pc->polling = PGRES_POLLING_WRITING;
	disarm_timer(pc);
	arm_timer(pc, STORE_CONNECT_TIMEOUT_MS);
	connect_step(pc);
}

bool store_pgc_connect_blocking(struct pgconn *pc, char *err, size_t errlen)
{
	const char *kw[STORE_PG_PARAMS + 1];
	const char *val[STORE_PG_PARAMS + 1];

	store_pg_params(pc->dsn, "agentgate", kw, val);
	pc->pg = PQconnectdbParams(kw, val, 1);
	if (pc->pg == NULL || PQstatus(pc->pg) != CONNECTION_OK) {
		store_pg_error(pc->pg, err, errlen);
		PQfinish(pc->pg);
		pc->pg = NULL;
		return false;
	}
	quiet(pc->pg);
	return true;
}

bool store_pgc_go_async(struct pgconn *pc, char *err, size_t errlen)
{
	if (PQsetnonblocking(pc->pg, 1) != 0) {
		store_pg_error(pc->pg, err, errlen);
		return false;
	}
	pc->state = PGC_IDLE;
	watch(pc, true, false);
	return true;
}

/* Sends what libpq has buffered. False when the connection failed. */
static CORE_WUR bool flush(struct pgconn *pc)
{
	int r = PQflush(pc->pg);

	if (r < 0) {
		fail_pg(pc, "");
		return false;
	}
	/* Keep reading while writing: the server may need us to drain
	 * before it takes more. */
	watch(pc, true, r == 1);
	return true;
}

static CORE_WUR bool send_query(struct pgconn *pc, const char *sql,
                                bool extended, int nparams,
                                const char *const *params,
                                uint64_t timeout_ms)
{
	int ok;

	if (!extended)
		ok = PQsendQuery(pc->pg, sql);
	else
		ok = PQsendQueryParams(pc->pg, sql, nparams, NULL, params, NULL,
		                       NULL, 0);
	if (!ok) {
		fail_pg(pc, "cannot send: ");
		return false;
	}
	pc->state = PGC_BUSY;
	arm_timer(pc, timeout_ms);
	return flush(pc);
}

bool store_pgc_send(struct pgconn *pc, const char *sql, int nparams,
                    const char *const *params, uint64_t timeout_ms)
{
	if (pc->state != PGC_IDLE)
		return false;
	copy_forget(pc);
	return send_query(pc, sql, nparams != 0, nparams, params, timeout_ms);
}

bool store_pgc_send_params(struct pgconn *pc, const char *sql, int nparams,
                           const char *const *params, uint64_t timeout_ms)
{
	if (pc->state != PGC_IDLE)
		return false;
	copy_forget(pc);
	return send_query(pc, sql, true, nparams, params, timeout_ms);
}

bool store_pgc_send_copy(struct pgconn *pc, const char *sql, const void *data,
                         const size_t *ends, size_t parts,
                         uint64_t timeout_ms)
{
	if (pc->state != PGC_IDLE)
		return false;
	pc->copy_data = data;
	pc->copy_ends = ends;
	pc->copy_parts = parts;
	pc->copy_part = 0;
	pc->copy_off = 0;
	return send_query(pc, sql, false, 0, NULL, timeout_ms);
}

/* In PGC_COPY_IN: hands libpq the next chunks of the current part of the
 * COPY data while it can send them, then ends that COPY and goes back to
 * waiting for results (the next COPY of the query, if any, takes the next
 * part). Returns with the state unchanged (and the socket watched for
 * writing) when libpq holds data the socket did not take yet. A COPY we
 * have no part for (our query held more COPYs than parts) is failed, so
 * that the server answers an error rather than wait. */
static void copy_push(struct pgconn *pc)
{
	bool have = pc->copy_part < pc->copy_parts;
	const char *failure = have ? NULL : "unexpected COPY";
	size_t end = have ? pc->copy_ends[pc->copy_part] : 0;
	int r;

	while (have && pc->copy_off < end) {
		size_t n = end - pc->copy_off;

		r = PQflush(pc->pg);
		if (r < 0) {
			fail_pg(pc, "");
			return;
		}
		if (r == 1) {
			watch(pc, true, true);
			return;
		}
		if (n > COPY_CHUNK)
			n = COPY_CHUNK;
		r = PQputCopyData(pc->pg,
		                  (const char *)pc->copy_data + pc->copy_off,
		                  (int)n);
		if (r < 0) {
			fail_pg(pc, "cannot send COPY data: ");
			return;
		}
		if (r == 0) { /* libpq could not take it: wait, then retry */
			watch(pc, true, true);
			return;
		}
		pc->copy_off += n;
	}
	r = PQputCopyEnd(pc->pg, failure);
	if (r < 0) {
		fail_pg(pc, "cannot end COPY: ");
		return;
	}
	if (r == 0) {
		watch(pc, true, true);
		return;
	}
	if (have)
		pc->copy_part++;
	pc->state = PGC_BUSY;
	/* On failure the connection is down already: nothing more to do. */
	if (!flush(pc))
		return;
}

static void deliver_notifies(struct pgconn *pc)
{
	PGnotify *n;

	while (pc->pg != NULL && (n = PQnotifies(pc->pg)) != NULL) {
		if (pc->ops->notify)
			pc->ops->notify(pc, n);
		PQfreemem(n);
	}
}

static void read_input(struct pgconn *pc)
{
	if (!PQconsumeInput(pc->pg)) {
		fail_pg(pc, "");
		return;
	}
	while (pc->state == PGC_BUSY && !PQisBusy(pc->pg)) {
		PGresult *res = PQgetResult(pc->pg);

		if (res == NULL) {
			if (PQstatus(pc->pg) == CONNECTION_BAD) {
				fail_pg(pc, "");
				return;
			}
			pc->state = PGC_IDLE;
			copy_forget(pc);
			disarm_timer(pc);
			/* May send the next query: the loop then goes on while
			 * its answer is already here. */
			if (pc->ops->done)
				pc->ops->done(pc);
			continue;
		}
		switch (PQresultStatus(res)) {
		case PGRES_COPY_IN:
			/* Not a result for the owner: the server waits for the
			 * data. Until it is all sent, the loop stops here. */
			PQclear(res);
			pc->state = PGC_COPY_IN;
			copy_push(pc);
			continue;
		case PGRES_COPY_OUT:
		case PGRES_COPY_BOTH:
			PQclear(res);
			fail(pc, "unexpected COPY from the server");
			return;
		default:
			break;
		}
		if (pc->ops->result)
			pc->ops->result(pc, res);
		PQclear(res);
	}
	deliver_notifies(pc);
	if (pc->pg != NULL && PQstatus(pc->pg) == CONNECTION_BAD)
		fail_pg(pc, "");
}

/* Everything the socket said, from the loop or from store_pgc_drive. */
static void handle_io(struct pgconn *pc, short what)
{
	switch (pc->state) {
	case PGC_CONNECTING:
		pc->polling = PQconnectPoll(pc->pg);
		connect_step(pc);
		return;
	case PGC_IDLE:
	case PGC_BUSY:
		if ((what & EV_WRITE) && !flush(pc))
			return;
		if (what & EV_READ)
			read_input(pc);
		return;
	case PGC_COPY_IN:
		if (what & EV_WRITE)
			copy_push(pc);
		/* Reading while writing: the server must never be stuck on
		 * a full socket (notices, an early error) while we send. */
		if (pc->pg != NULL && (what & EV_READ))
			read_input(pc);
		return;
	case PGC_DOWN:
		return;
	}
}

static void io_cb(evutil_socket_t fd, short what, void *arg)
{
	handle_io(arg, what);
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pgconn *pc = arg;

	switch (pc->state) {
	case PGC_DOWN:
		store_pgc_connect_async(pc);
		return;
	case PGC_CONNECTING:
		fail(pc, "connection attempt timed out");
		return;
	case PGC_BUSY:
	case PGC_COPY_IN:
		pc->timed_out = true;
		fail(pc, "query timed out");
		return;
	case PGC_IDLE:
		return;
	}
}

bool store_pgc_drive(struct pgconn *pc, uint64_t deadline_ms)
{
	struct pollfd p = {.fd = -1, .events = 0, .revents = 0};
	uint64_t now = core_mono_ms();
	short what = 0;
	int r;

	if (now >= deadline_ms)
		return false;
	switch (pc->state) {
	case PGC_DOWN:
	case PGC_IDLE:
		return false;
	case PGC_CONNECTING:
		p.events = pc->polling == PGRES_POLLING_READING ? POLLIN : POLLOUT;
		break;
	case PGC_BUSY:
		p.events = POLLIN;
		if (PQflush(pc->pg) == 1)
			p.events |= POLLOUT;
		break;
	case PGC_COPY_IN:
		/* It only waits here for the socket to take more. */
		p.events = POLLIN | POLLOUT;
		break;
	}
	p.fd = PQsocket(pc->pg);
	if (p.fd < 0) {
		fail(pc, "no socket");
		return false;
	}
	r = poll(&p, 1, (int)(deadline_ms - now));
	if (r < 0 && errno != EINTR) {
		fail(pc, strerror(errno));
		return false;
	}
	if (r <= 0)
		return r == 0 ? false : true;
	if (p.revents & (POLLIN | POLLERR | POLLHUP))
		what |= EV_READ;
	if (p.revents & (POLLOUT | POLLERR | POLLHUP))
		what |= EV_WRITE;
	if (pc->state == PGC_CONNECTING)
		what = EV_READ | EV_WRITE;
	handle_io(pc, what);
	return true;
}

void store_pgc_close(struct pgconn *pc)
{
	pc->closing = true;
	free_events(pc);
	if (pc->timer != NULL) {
		event_free(pc->timer);
		pc->timer = NULL;
	}
	PQfinish(pc->pg);
	pc->pg = NULL;
	pc->state = PGC_DOWN;
	copy_forget(pc);
}
