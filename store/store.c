/*
 * The store object on the event loop: opening (blocking connects and the
 * schema check at start-up), the recorder's batch scheduling on its own
 * connection, agent lookups on a second connection that also LISTENs for
 * revocations, and the bounded flush at shutdown.
 *
 * Two connections, so that a large audit batch never delays a login lookup
 * or a revocation. Lookups run one at a time in arrival order; their
 * callbacks are always called from a loop event of our own, never from
 * inside store_lookup_agent(), and never after store_op_cancel().
 *
 * What the records look like and how batches are built is recorder.c; the
 * connection mechanics are pgconn.c.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "store/internal.h"

/* A lookup answers a login that is waiting: give up on a silent server
 * sooner than the kernel's keepalives would. */
#define LOOKUP_TIMEOUT_MS 5000
/* A batch may carry megabytes of statement text to a busy server. */
#define BATCH_TIMEOUT_MS 30000
/* LISTEN and the list of revoked agents after a reconnect. */
#define RESYNC_TIMEOUT_MS 30000
/* store_close waits this long for queued records to be written. */
#define CLOSE_FLUSH_MS 2000
/* Intervals below this would spin the loop. */
#define MIN_INTERVAL_MS 10

static const char lookup_sql[] =
    "SELECT a.id, a.name, a.status, coalesce(a.revoke_reason, ''), "
    "EXISTS (SELECT 1 FROM agent_grants g "
    "WHERE g.agent_id = a.id AND g.connection = $3) "
    "FROM agents a WHERE a.idp = $1 AND a.subject = $2";

static const char resync_sql[] =
    "LISTEN " STORE_REVOKE_CHANNEL ";"
    "SELECT id, coalesce(revoke_reason, '') FROM agents "
    "WHERE status = 'revoked' ORDER BY id";

/* ------------------------------------------------------------ op lists */

static void op_push(struct op_list *l, struct store_op *op)
{
	op->next = NULL;
	op->prev = l->tail;
	if (l->tail)
		l->tail->next = op;
	else
		l->head = op;
	l->tail = op;
	l->n++;
	op->list = l;
}

static void op_unlink(struct store_op *op)
{
	struct op_list *l = op->list;

	if (l == NULL)
		return;
	if (op->prev)
		op->prev->next = op->next;
	else
		l->head = op->next;
	if (op->next)
		op->next->prev = op->prev;
	else
		l->tail = op->prev;
	op->prev = op->next = NULL;
	op->list = NULL;
	l->n--;
}

static void op_finish(struct store_op *op, enum store_agent_status status)
{
	struct store *st = op->st;

	op->status = status;
	op_push(&st->lk_done, op);
	if (st->dispatch_ev != NULL)
		event_active(st->dispatch_ev, EV_TIMEOUT, 0);
}

static void dispatch_cb(evutil_socket_t fd, short what, void *arg)
{
	struct store *st = arg;
	/* Only those finished before this run: a callback that starts a
	 * lookup which fails at once gets its answer on the next run. */
	size_t n = st->lk_done.n;

	while (n-- > 0 && st->lk_done.head != NULL) {
		struct store_op *op = st->lk_done.head;

		op_unlink(op);
		op->cb(op->arg, op->status,
		       op->status == STORE_AGENT_UNKNOWN ? NULL : &op->agent);
		free(op);
	}
}

/* ------------------------------------------------------------ lookups */

static void lk_next(struct store *st)
{
	struct store_op *op = st->lk_pending.head;

	if (op == NULL || st->lk_job != LK_NONE || st->lk.state != PGC_IDLE)
		return;
	op_unlink(op);
	st->lk_job = LK_LOOKUP;
	st->lk_op = op;
	st->lk_failed = false;
	/* On failure lk_down has already answered the op. */
	if (!store_pgc_send(&st->lk, lookup_sql, 3, op->params,
	                    LOOKUP_TIMEOUT_MS))
		return;
}

struct store_op *store_lookup_agent(struct store *st, const char *idp,
                                    const char *subject,
                                    const char *connection, store_agent_cb cb,
                                    void *arg)
{
	const char *src[3] = {idp ? idp : "", subject ? subject : "",
	                      connection ? connection : ""};
	size_t len[3], total = 0, i;
	struct store_op *op = NULL;
	char *p;
	bool valid = true;

	for (i = 0; i < 3; i++) {
		bool lossless = false;
		char *clean = NULL;

		len[i] = strlen(src[i]) + 1;
		total += len[i];
		/* Registered names are valid UTF-8; anything else cannot
		 * match and must not reach the server as a parameter. */
		clean = core_utf8_sanitize(src[i], len[i] - 1, &lossless);
		free(clean);
		valid = valid && lossless;
	}
	op = core_xcalloc(1, sizeof(*op) + total);
	op->st = st;
	op->cb = cb;
	op->arg = arg;
	p = op->blob;
	for (i = 0; i < 3; i++) {
		memcpy(p, src[i], len[i]);
		op->params[i] = p;
		p += len[i];
	}
	if (!valid)
		op_finish(op, STORE_AGENT_UNKNOWN);
	else if (!store_pgc_is_up(&st->lk))
		op_finish(op, STORE_AGENT_STORE_DOWN);
	else {
		op_push(&st->lk_pending, op);
		lk_next(st);
	}
	return op;
}

void store_op_cancel(struct store_op *op)
{
	if (op == NULL)
		return;
	if (op->list != NULL) {
		op_unlink(op);
		free(op);
		return;
	}
	/* In flight: freed when its answer (or the connection's loss)
	 * arrives. */
	op->cancelled = true;
}

void store_set_revoke_cb(struct store *st, store_revoke_cb cb, void *arg)
{
	st->revoke_cb = cb;
	st->revoke_arg = arg;
}

static void lookup_result(struct store *st, const PGresult *res)
{
	struct store_op *op = st->lk_op;
	const char *status;

	if (PQntuples(res) == 0) {
		op->status = STORE_AGENT_UNKNOWN;
		return;
	}
	op->agent.id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	snprintf(op->agent.name, sizeof(op->agent.name), "%s",
	         PQgetvalue(res, 0, 1));
	status = PQgetvalue(res, 0, 2);
	snprintf(op->agent.revoke_reason, sizeof(op->agent.revoke_reason), "%s",
	         PQgetvalue(res, 0, 3));
	if (strcmp(status, "active") != 0)
		op->status = STORE_AGENT_REVOKED;
	else if (strcmp(PQgetvalue(res, 0, 4), "t") != 0)
		op->status = STORE_AGENT_NOT_GRANTED;
	else
		op->status = STORE_AGENT_OK;
}

static void resync_result(struct store *st, const PGresult *res)
{
	int i, n = PQntuples(res);

	if (PQnfields(res) != 2)
		return; /* the LISTEN's own result */
	for (i = 0; i < n && st->revoke_cb != NULL; i++)
		st->revoke_cb(st->revoke_arg,
		              strtoll(PQgetvalue(res, i, 0), NULL, 10),
		              PQgetvalue(res, i, 1));
	if (n > 0)
		log_info("store: %d revoked agents re-announced after reconnecting",
		         n);
}

static void lk_result(struct pgconn *pc, const PGresult *res)
{
	struct store *st = pc->owner;
	ExecStatusType s = PQresultStatus(res);

	if (s != PGRES_TUPLES_OK && s != PGRES_COMMAND_OK) {
		const char *msg = PQresultErrorMessage(res);

		if (!st->lk_failed)
			log_error("store: %s failed: %.300s",
			          st->lk_job == LK_RESYNC ? "revocation resync"
			                                  : "agent lookup",
			          msg ? msg : "");
		st->lk_failed = true;
		return;
	}
	if (s != PGRES_TUPLES_OK || st->lk_failed)
		return;
	if (st->lk_job == LK_RESYNC)
		resync_result(st, res);
	else if (st->lk_job == LK_LOOKUP && !st->lk_op->cancelled)
		lookup_result(st, res);
}

static void lk_done(struct pgconn *pc)
{
	struct store *st = pc->owner;
	enum lk_job job = st->lk_job;
	struct store_op *op = st->lk_op;

	st->lk_job = LK_NONE;
	st->lk_op = NULL;
	if (job == LK_LOOKUP) {
		if (op->cancelled)
			free(op);
		else
			op_finish(op, st->lk_failed ? STORE_AGENT_STORE_DOWN
			                            : op->status);
	} else if (job == LK_RESYNC && st->lk_failed) {
		/* Without LISTEN revocations would be missed: start over. */
		store_pgc_reset(pc, "cannot listen for revocations");
		return;
	}
	lk_next(st);
}

static void lk_down(struct pgconn *pc)
{
	struct store *st = pc->owner;
	struct store_op *op = st->lk_op;

	st->lk_job = LK_NONE;
	st->lk_op = NULL;
	if (op != NULL) {
		if (op->cancelled)
			free(op);
		else
			op_finish(op, STORE_AGENT_STORE_DOWN);
	}
	while ((op = st->lk_pending.head) != NULL) {
		op_unlink(op);
		op_finish(op, STORE_AGENT_STORE_DOWN);
	}
}

static void lk_up(struct pgconn *pc)
{
	struct store *st = pc->owner;

	st->lk_job = LK_RESYNC;
	st->lk_failed = false;
	if (!store_pgc_send(pc, resync_sql, 0, NULL, RESYNC_TIMEOUT_MS))
		return;
}

static void lk_notify(struct pgconn *pc, const PGnotify *n)
{
	struct store *st = pc->owner;
	int64_t id = 0;
	const char *reason = NULL;

	if (strcmp(n->relname, STORE_REVOKE_CHANNEL) != 0)
		return;
	if (!store_parse_revoke_payload(n->extra, &id, &reason)) {
		log_warn("store: ignoring a malformed revocation notice");
		return;
	}
	log_info("store: agent %lld revoked", (long long)id);
	if (st->revoke_cb != NULL)
		st->revoke_cb(st->revoke_arg, id, reason);
}

static const struct pgconn_ops lk_ops = {
	.up = lk_up,
	.result = lk_result,
	.done = lk_done,
	.down = lk_down,
	.notify = lk_notify,
};

/* ------------------------------------------------------------ recorder */

static void rec_send(struct store *st)
{
	size_t n;

	if (st->rec.state != PGC_IDLE || st->rq.n_taken != 0)
		return;
	n = store_rq_take(&st->rq, st->instance_lit, &st->batch_sql,
	                  &st->batch_copy);
	if (n == 0)
		return;
	st->batch_state[0] = '\0';
	st->batch_msg[0] = '\0';
	/* On failure rec_down has already put the batch back. */
	if (st->batch_copy.len > 0) {
		if (!store_pgc_send_copy(&st->rec, (const char *)st->batch_sql.data,
		                         st->batch_copy.data, st->batch_copy.len,
		                         BATCH_TIMEOUT_MS))
			return;
	} else if (!store_pgc_send(&st->rec, (const char *)st->batch_sql.data, 0,
	                           NULL, BATCH_TIMEOUT_MS)) {
		return;
	}
}

static void rec_result(struct pgconn *pc, const PGresult *res)
{
	struct store *st = pc->owner;
	ExecStatusType s = PQresultStatus(res);
	const char *state, *msg;

	if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK ||
	    st->batch_state[0] != '\0')
		return;
	state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	snprintf(st->batch_state, sizeof(st->batch_state), "%s",
	         state ? state : "XX000");
	snprintf(st->batch_msg, sizeof(st->batch_msg), "%s",
	         msg ? msg : PQresStatus(s));
}

/* SQLSTATE classes that blame the data rather than the server: 21
 * cardinality (the same key twice in one statement), 22 data exception, 23
 * integrity constraint. Anything else (connection, resources, read-only
 * standby after a failover, our own schema missing) is retried as it is. */
static bool data_error(const char *state)
{
	return strncmp(state, "21", 2) == 0 || strncmp(state, "22", 2) == 0 ||
	       strncmp(state, "23", 2) == 0;
}

static void rec_done(struct pgconn *pc)
{
	struct store *st = pc->owner;
	char why[300];

	/* Do not keep megabytes around after a burst of large statements. */
	if (st->batch_sql.cap > STORE_BATCH_KEEP_BYTES)
		core_buf_free(&st->batch_sql);
	if (st->batch_copy.cap > STORE_BATCH_KEEP_BYTES)
		core_buf_free(&st->batch_copy);
	if (st->batch_state[0] == '\0') {
		store_rq_batch_ok(&st->rq);
		if (store_rq_ready(&st->rq) >= st->rq.batch_size ||
		    st->rq.salvage > 0)
			rec_send(st);
		return;
	}
	snprintf(why, sizeof(why), "%s: %s", st->batch_state, st->batch_msg);
	if (data_error(st->batch_state)) {
		store_rq_batch_rejected(&st->rq, why);
		rec_send(st);
		return;
	}
	log_error("store: writing audit records failed (%s); they stay queued",
	          why);
	store_rq_batch_retry(&st->rq);
	/* A fresh connection, later: the server may have failed over. */
	store_pgc_reset(pc, "batch failed");
}

static void rec_down(struct pgconn *pc)
{
	struct store *st = pc->owner;

	store_rq_batch_retry(&st->rq);
}

static void rec_up(struct pgconn *pc)
{
	rec_send(pc->owner);
}

static const struct pgconn_ops rec_ops = {
	.up = rec_up,
	.result = rec_result,
	.done = rec_done,
	.down = rec_down,
	.notify = NULL,
};

static void flush_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	rec_send(arg);
}

static void kick_cb(evutil_socket_t fd, short what, void *arg)
{
	rec_send(arg);
}

void store_kick(struct store *st)
{
	if (st->kick_ev != NULL && !event_pending(st->kick_ev, EV_TIMEOUT, NULL))
		event_active(st->kick_ev, EV_TIMEOUT, 0);
}

/* ------------------------------------------------------------ lifecycle */

struct store *store_new_detached(const struct cfg_store *cfg,
                                 const char *instance)
{
	struct store *st = core_xcalloc(1, sizeof(*st));
	struct core_buf lit = {0};

	st->cfg = *cfg;
	st->dsn = core_xstrdup(cfg->dsn ? cfg->dsn : "");
	st->cfg.dsn = st->dsn;
	if (st->cfg.flush_interval < MIN_INTERVAL_MS)
		st->cfg.flush_interval = MIN_INTERVAL_MS;
	if (st->cfg.reconnect_interval < MIN_INTERVAL_MS)
		st->cfg.reconnect_interval = MIN_INTERVAL_MS;
	st->instance = core_xstrdup(instance ? instance : "");
	store_sql_str(&lit, st->instance);
	core_buf_append(&lit, "", 1);
	st->instance_lit = (char *)lit.data;
	store_rq_init(&st->rq, &st->cfg);
	store_pgc_init(&st->rec, NULL, "recorder", st->dsn,
	               st->cfg.reconnect_interval, &rec_ops, st);
	store_pgc_init(&st->lk, NULL, "lookup", st->dsn,
	               st->cfg.reconnect_interval, &lk_ops, st);
	return st;
}

static CORE_WUR bool check_schema(PGconn *pg, char *err, size_t errlen)
{
	int have = 0, need = store_migrations_latest();
	char msg[400];

	if (!store_pg_schema_version(pg, &have, msg, sizeof(msg))) {
		snprintf(err, errlen, "cannot read the database schema version: %s",
		         msg);
		return false;
	}
	if (have < need) {
		snprintf(err, errlen,
		         "database schema is at version %d, this binary needs %d: "
		         "run agentgatectl migrate",
		         have, need);
		return false;
	}
	if (have > need) {
		snprintf(err, errlen,
		         "database schema is at version %d, newer than this binary "
		         "(%d): upgrade agentgate",
		         have, need);
		return false;
	}
	return true;
}

static CORE_WUR bool exec_blocking(PGconn *pg, const char *sql, char *err,
                          size_t errlen)
{
	PGresult *res = PQexec(pg, sql);
	bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;

	if (!ok)
		store_pg_error(pg, err, errlen);
	PQclear(res);
	return ok;
}

struct store *store_open(struct event_base *base, const struct cfg_store *cfg,
                         const char *instance, char *err, size_t errlen)
{
	struct store *st = NULL;
	char msg[512];
	struct timeval tv;
	size_t i;

	if (!store_migrations_check(store_migrations, store_migrations_count, msg,
	                            sizeof(msg))) {
		snprintf(err, errlen, "%s", msg);
		return NULL;
	}
	st = store_new_detached(cfg, instance);
	st->base = base;
	store_pgc_init(&st->rec, base, "recorder", st->dsn,
	               st->cfg.reconnect_interval, &rec_ops, st);
	store_pgc_init(&st->lk, base, "lookup", st->dsn,
	               st->cfg.reconnect_interval, &lk_ops, st);
	st->flush_timer = event_new(base, -1, EV_PERSIST, flush_timer_cb, st);
	st->kick_ev = event_new(base, -1, 0, kick_cb, st);
	st->dispatch_ev = event_new(base, -1, 0, dispatch_cb, st);

	if (!store_pgc_connect_blocking(&st->rec, msg, sizeof(msg))) {
		snprintf(err, errlen, "cannot connect to PostgreSQL: %s", msg);
		goto fail;
	}
	if (!check_schema(st->rec.pg, err, errlen))
		goto fail;
	if (!store_pgc_connect_blocking(&st->lk, msg, sizeof(msg))) {
		snprintf(err, errlen, "cannot connect to PostgreSQL: %s", msg);
		goto fail;
	}
	if (!exec_blocking(st->lk.pg, "LISTEN " STORE_REVOKE_CHANNEL, msg,
	                   sizeof(msg))) {
		snprintf(err, errlen, "cannot listen for revocations: %s", msg);
		goto fail;
	}
	for (i = 0; i < 2; i++) {
		struct pgconn *pc = i == 0 ? &st->rec : &st->lk;

		if (!store_pgc_go_async(pc, msg, sizeof(msg))) {
			snprintf(err, errlen, "PostgreSQL connection: %s", msg);
			goto fail;
		}
	}
	tv.tv_sec = (time_t)(st->cfg.flush_interval / 1000);
	tv.tv_usec = (suseconds_t)(st->cfg.flush_interval % 1000) * 1000;
	event_add(st->flush_timer, &tv);
	log_info("store: connected to PostgreSQL (schema version %d)",
	         store_migrations_latest());
	return st;
fail:
	store_close(st);
	return NULL;
}

/* Writes what is queued, off the loop, for at most CLOSE_FLUSH_MS:
 * statements still running too, as 'running'. */
static void close_flush(struct store *st)
{
	uint64_t deadline = core_mono_ms() + CLOSE_FLUSH_MS;
	bool tried_connect = false;

	st->rec.closing = true;
	st->rq.flush_all = true;
	while (st->rq.q.n > 0 && core_mono_ms() < deadline) {
		switch (st->rec.state) {
		case PGC_IDLE:
			rec_send(st);
			if (st->rec.state == PGC_IDLE)
				return; /* nothing could be sent */
			break;
		case PGC_DOWN:
			if (tried_connect)
				return;
			tried_connect = true;
			store_pgc_connect_async(&st->rec);
			break;
		case PGC_CONNECTING:
		case PGC_BUSY:
		case PGC_COPY_IN:
			(void)store_pgc_drive(&st->rec, deadline);
			break;
		}
	}
}

void store_close(struct store *st)
{
	struct store_op *op;

	if (st == NULL)
		return;
	if (st->rq.q.n > 0 && st->dsn[0] != '\0')
		close_flush(st);
	if (st->rq.q.n > 0)
		log_error("store: %zu audit records could not be written before "
		          "shutdown",
		          st->rq.q.n);
	store_pgc_close(&st->rec);
	store_pgc_close(&st->lk);
	if (st->lk_op != NULL)
		free(st->lk_op);
	while ((op = st->lk_pending.head) != NULL) {
		op_unlink(op);
		free(op);
	}
	while ((op = st->lk_done.head) != NULL) {
		op_unlink(op);
		free(op);
	}
	if (st->flush_timer)
		event_free(st->flush_timer);
	if (st->kick_ev)
		event_free(st->kick_ev);
	if (st->dispatch_ev)
		event_free(st->dispatch_ev);
	store_rq_free(&st->rq);
	core_buf_free(&st->batch_sql);
	core_buf_free(&st->batch_copy);
	free(st->instance_lit);
	free(st->instance);
	free(st->dsn);
	free(st);
}

void store_get_stats(const struct store *st, struct store_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->queued = st->rq.queued;
	out->written = st->rq.written;
	out->dropped_auth = st->rq.dropped_auth;
	out->batches = st->rq.batches;
	out->batch_failures = st->rq.batch_failures;
	out->dropped_invalid = st->rq.dropped_invalid;
	out->queue_len = st->rq.q.n;
	out->connected = store_pgc_is_up(&st->rec);
}
