/*
 * The store object on the event loop: opening (blocking connects and the
 * schema check at start-up), the recorder's batch scheduling on its own
 * connection, agent lookups and generic queries on a second connection
 * that also carries every LISTEN subscription (revocations among them),
 * the deferred dispatch of callbacks, and the bounded flush at shutdown.
 * The third connection, for durable statement writes, is durable.c's.
 *
 * Separate connections, so that a large audit batch never delays a login
 * lookup, a policy reload or a revocation, and none of those delays a
 * durable write. Lookups and queries run one at a time in arrival order,
 * after any LISTEN still to be sent; their callbacks are always called from
 * a loop event of our own, never from inside store_lookup_agent() or
 * store_query(), and never after store_op_cancel(). Notifications are
 * handed to subscribers as they are read.
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
/* A generic query (policy rules, approvals) shares the lookup connection:
 * a longer one is a bug, not a load. */
#define QUERY_TIMEOUT_MS 10000
/* A batch may carry megabytes of statement text to a busy server. */
#define BATCH_TIMEOUT_MS 30000
/* LISTEN after a reconnect or a new subscription. */
#define LISTEN_TIMEOUT_MS 30000
/* store_close waits this long for queued records to be written. */
#define CLOSE_FLUSH_MS 2000
/* Intervals below this would spin the loop. */
#define MIN_INTERVAL_MS 10

static const char lookup_sql[] =
    "SELECT a.id, a.name, a.status, coalesce(a.revoke_reason, ''), "
    "EXISTS (SELECT 1 FROM agent_grants g "
    "WHERE g.agent_id = a.id AND g.connection = $3) "
    "FROM agents a WHERE a.idp = $1 AND a.subject = $2";

static const char revoked_sql[] =
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

static void op_free(struct store_op *op)
{
	if (op == NULL)
		return;
	free(op->params);
	free(op->err);
	free(op->cells);
	free(op);
}

void store_wake_dispatch(struct store *st)
{
	if (st->dispatch_ev != NULL)
		event_active(st->dispatch_ev, EV_TIMEOUT, 0);
}

/* The op's answer is known: its callback runs from the loop. */
static void op_finish(struct store_op *op)
{
	op_push(&op->st->lk_done, op);
	store_wake_dispatch(op->st);
}

static void op_fail(struct store_op *op, const char *why)
{
	if (op->kind == OP_AGENT) {
		op->status = STORE_AGENT_STORE_DOWN;
	} else {
		op->ok = false;
		free(op->err);
		op->err = core_xstrdup(why);
	}
	op_finish(op);
}

static void op_call(struct store_op *op)
{
	if (op->kind == OP_AGENT)
		op->agent_cb(op->arg, op->status,
		             op->status == STORE_AGENT_UNKNOWN ? NULL
		                                               : &op->agent);
	else
		op->rows_cb(op->arg, op->ok, op->ok ? NULL : op->err,
		            op->ok ? op->nrows : 0, op->ok ? op->ncols : 0,
		            op->ok ? op->cells : NULL);
}

void store_dispatch(struct store *st)
{
	/* Only what is due when this run starts: a callback that starts an
	 * op which fails at once gets its answer on the next run. */
	size_t n = st->lk_done.n;
	struct store_listener *l;

	while (n-- > 0 && st->lk_done.head != NULL) {
		struct store_op *op = st->lk_done.head;

		op_unlink(op);
		op_call(op);
		op_free(op);
	}
	for (l = st->listeners; l != NULL; l = l->next) {
		if (!l->reload_due)
			continue;
		l->reload_due = false;
		l->cb(l->arg, NULL);
	}
	store_dur_dispatch(st);
}

static void dispatch_cb(evutil_socket_t fd, short what, void *arg)
{
	store_dispatch(arg);
}

/* ---------------------------------------------- lookups, queries, LISTEN */

/* Appends "LISTEN ch;" for every subscription not in effect yet, marking
 * them sent. False when there is none. */
static bool listen_sql(struct store *st, struct core_buf *b)
{
	struct store_listener *l;
	bool any = false;

	for (l = st->listeners; l != NULL; l = l->next) {
		if (l->listening || l->sent)
			continue;
		/* Channel names were validated as identifiers. */
		core_buf_printf(b, "LISTEN %s;", l->channel);
		l->sent = true;
		any = true;
	}
	if (any)
		core_buf_append(b, "", 1);
	return any;
}

static void lk_next(struct store *st)
{
	struct core_buf b = {0};
	struct store_op *op = NULL;

	if (st->lk_job != LK_NONE || st->lk.state != PGC_IDLE)
		return;
	st->lk_failed = false;
	st->lk_err[0] = '\0';
	if (listen_sql(st, &b)) {
		bool sent;

		st->lk_job = LK_LISTEN;
		/* On failure lk_down has already reset the subscriptions. */
		sent = store_pgc_send(&st->lk, (const char *)b.data, 0, NULL,
		                      LISTEN_TIMEOUT_MS);
		core_buf_free(&b);
		(void)sent;
		return;
	}
	op = st->lk_pending.head;
	if (op == NULL)
		return;
	op_unlink(op);
	st->lk_job = LK_OP;
	st->lk_op = op;
	/* On failure lk_down has already answered the op. */
	if (!store_pgc_send_params(&st->lk, op->sql, op->nparams, op->params,
	                           op->kind == OP_AGENT ? LOOKUP_TIMEOUT_MS
	                                                : QUERY_TIMEOUT_MS))
		return;
}

/* Queues an op whose parameters are set, or answers it at once (from the
 * loop) when the connection is down. */
static void op_start(struct store *st, struct store_op *op)
{
	if (!store_pgc_is_up(&st->lk)) {
		op_fail(op, "PostgreSQL unreachable");
		return;
	}
	op_push(&st->lk_pending, op);
	lk_next(st);
}

/* An op with room in its blob for `extra` bytes and its parameter array. */
static struct store_op *op_new(struct store *st, enum op_kind kind,
                               int nparams, size_t extra, void *arg)
{
	struct store_op *op = core_xcalloc(1, sizeof(*op) + extra);

	op->st = st;
	op->kind = kind;
	op->arg = arg;
	op->nparams = nparams;
	if (nparams > 0)
		op->params = core_xcalloc((size_t)nparams, sizeof(*op->params));
	return op;
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
	op = op_new(st, OP_AGENT, 3, total, arg);
	op->agent_cb = cb;
	op->status = STORE_AGENT_STORE_DOWN; /* until answered */
	op->sql = lookup_sql;
	p = op->blob;
	for (i = 0; i < 3; i++) {
		memcpy(p, src[i], len[i]);
		op->params[i] = p;
		p += len[i];
	}
	if (!valid) {
		op->status = STORE_AGENT_UNKNOWN;
		op_finish(op);
	} else {
		op_start(st, op);
	}
	return op;
}

struct store_op *store_query(struct store *st, const char *sql, int nparams,
                             const char *const *params, store_rows_cb cb,
                             void *arg)
{
	size_t total = strlen(sql) + 1, i;
	struct store_op *op = NULL;
	char *p;

	if (nparams < 0 || params == NULL)
		nparams = 0;
	for (i = 0; i < (size_t)nparams; i++)
		if (params[i] != NULL)
			total += strlen(params[i]) + 1;
	op = op_new(st, OP_QUERY, nparams, total, arg);
	op->rows_cb = cb;
	p = op->blob;
	memcpy(p, sql, strlen(sql) + 1);
	op->sql = p;
	p += strlen(sql) + 1;
	for (i = 0; i < (size_t)nparams; i++) {
		size_t len;

		if (params[i] == NULL)
			continue;
		len = strlen(params[i]) + 1;
		memcpy(p, params[i], len);
		op->params[i] = p;
		p += len;
	}
	op_start(st, op);
	return op;
}

void store_op_cancel(struct store_op *op)
{
	if (op == NULL)
		return;
	if (op->list != NULL) {
		op_unlink(op);
		op_free(op);
		return;
	}
	/* In flight: freed when its answer (or the connection's loss)
	 * arrives. */
	op->cancelled = true;
}

bool store_channel_valid(const char *channel)
{
	size_t i, n;

	if (channel == NULL)
		return false;
	n = strlen(channel);
	if (n == 0 || n > STORE_CHANNEL_MAX)
		return false;
	for (i = 0; i < n; i++) {
		char c = channel[i];
		bool letter = (c >= 'a' && c <= 'z') || c == '_';

		if (!letter && !(i > 0 && c >= '0' && c <= '9'))
			return false;
	}
	return true;
}

bool store_listen(struct store *st, const char *channel, store_notify_cb cb,
                  void *arg)
{
	struct store_listener *l = NULL;

	if (!store_channel_valid(channel) || cb == NULL)
		return false;
	l = core_xcalloc(1, sizeof(*l));
	l->cb = cb;
	l->arg = arg;
	snprintf(l->channel, sizeof(l->channel), "%s", channel);
	if (st->listeners_tail)
		st->listeners_tail->next = l;
	else
		st->listeners = l;
	st->listeners_tail = l;
	lk_next(st);
	return true;
}

static void query_result(struct store_op *op, const PGresult *res)
{
	size_t rows = (size_t)PQntuples(res), cols = (size_t)PQnfields(res);
	size_t r, c, bytes = 0;
	char *p;

	free(op->cells);
	op->cells = NULL;
	op->nrows = rows;
	op->ncols = cols;
	op->ok = true;
	if (rows == 0 || cols == 0)
		return;
	for (r = 0; r < rows; r++)
		for (c = 0; c < cols; c++)
			if (!PQgetisnull(res, (int)r, (int)c))
				bytes += (size_t)PQgetlength(res, (int)r, (int)c) + 1;
	op->cells = core_xmalloc(rows * cols * sizeof(*op->cells) + bytes);
	p = (char *)(op->cells + rows * cols);
	for (r = 0; r < rows; r++) {
		for (c = 0; c < cols; c++) {
			size_t len;

			if (PQgetisnull(res, (int)r, (int)c)) {
				op->cells[r * cols + c] = NULL;
				continue;
			}
			len = (size_t)PQgetlength(res, (int)r, (int)c);
			memcpy(p, PQgetvalue(res, (int)r, (int)c), len);
			p[len] = '\0';
			op->cells[r * cols + c] = p;
			p += len + 1;
		}
	}
}

static void lookup_result(struct store_op *op, const PGresult *res)
{
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

static void lk_result(struct pgconn *pc, const PGresult *res)
{
	struct store *st = pc->owner;
	ExecStatusType s = PQresultStatus(res);
	struct store_op *op = st->lk_op;

	if (s != PGRES_TUPLES_OK && s != PGRES_COMMAND_OK) {
		const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);

		if (!st->lk_failed) {
			snprintf(st->lk_err, sizeof(st->lk_err), "%s",
			         msg ? msg : PQresStatus(s));
			/* A failed query is its caller's to report. */
			if (st->lk_job != LK_OP || op->kind == OP_AGENT)
				log_error("store: %s failed: %.300s",
				          st->lk_job == LK_LISTEN ? "LISTEN"
				                                  : "agent lookup",
				          st->lk_err);
		}
		st->lk_failed = true;
		return;
	}
	if (st->lk_failed || st->lk_job != LK_OP || op->cancelled)
		return;
	if (op->kind == OP_QUERY)
		query_result(op, res);
	else if (s == PGRES_TUPLES_OK)
		lookup_result(op, res);
}

static void lk_done(struct pgconn *pc)
{
	struct store *st = pc->owner;
	enum lk_job job = st->lk_job;
	struct store_op *op = st->lk_op;
	struct store_listener *l;

	st->lk_job = LK_NONE;
	st->lk_op = NULL;
	if (job == LK_OP) {
		if (op->cancelled)
			op_free(op);
		else if (st->lk_failed && op->kind == OP_QUERY)
			op_fail(op, st->lk_err);
		else if (st->lk_failed)
			op_fail(op, "");
		else {
			/* A statement answers with exactly one result; none
			 * would mean no rows. */
			if (op->kind == OP_QUERY && !op->ok)
				op->ok = true;
			op_finish(op);
		}
	} else if (job == LK_LISTEN) {
		if (st->lk_failed) {
			/* Without LISTEN notifications would be missed: start
			 * over on a fresh connection. */
			store_pgc_reset(pc, "cannot LISTEN");
			return;
		}
		for (l = st->listeners; l != NULL; l = l->next) {
			if (!l->sent)
				continue;
			l->sent = false;
			l->listening = true;
			l->reload_due = true;
		}
		store_wake_dispatch(st);
	}
	lk_next(st);
}

static void lk_down(struct pgconn *pc)
{
	struct store *st = pc->owner;
	struct store_op *op = st->lk_op;
	struct store_listener *l;

	st->lk_job = LK_NONE;
	st->lk_op = NULL;
	for (l = st->listeners; l != NULL; l = l->next)
		l->listening = l->sent = false;
	if (op != NULL) {
		if (op->cancelled)
			op_free(op);
		else
			op_fail(op, "connection to PostgreSQL lost");
	}
	while ((op = st->lk_pending.head) != NULL) {
		op_unlink(op);
		op_fail(op, "connection to PostgreSQL lost");
	}
}

static void lk_up(struct pgconn *pc)
{
	/* LISTEN first: every subscription is missing on a new connection. */
	lk_next(pc->owner);
}

static void lk_notify(struct pgconn *pc, const PGnotify *n)
{
	struct store *st = pc->owner;
	struct store_listener *l;

	for (l = st->listeners; l != NULL; l = l->next)
		if (strcmp(n->relname, l->channel) == 0)
			l->cb(l->arg, n->extra ? n->extra : "");
}

static const struct pgconn_ops lk_ops = {
	.up = lk_up,
	.result = lk_result,
	.done = lk_done,
	.down = lk_down,
	.notify = lk_notify,
};

/* ------------------------------------------------------------ revocations */

void store_set_revoke_cb(struct store *st, store_revoke_cb cb, void *arg)
{
	st->revoke_cb = cb;
	st->revoke_arg = arg;
}

static void revoked_rows_cb(void *arg, bool ok, const char *err, size_t nrows,
                            size_t ncols, const char *const *cells)
{
	struct store *st = arg;
	size_t i;

	st->revoke_op = NULL;
	if (!ok || ncols != 2) {
		log_error("store: cannot read the revoked agents: %s",
		          err ? err : "unexpected columns");
		/* Revocations may have been missed: start over on a fresh
		 * connection, whose LISTEN asks again. */
		store_pgc_reset(&st->lk, "cannot read the revoked agents");
		return;
	}
	for (i = 0; i < nrows && st->revoke_cb != NULL; i++)
		st->revoke_cb(st->revoke_arg, strtoll(cells[i * 2], NULL, 10),
		              cells[i * 2 + 1] ? cells[i * 2 + 1] : "");
	if (nrows > 0)
		log_info("store: %zu revoked agents re-announced after "
		         "reconnecting",
		         nrows);
}

/* The store's own subscription to revocations. */
static void revoke_notify_cb(void *arg, const char *payload)
{
	struct store *st = arg;
	int64_t id = 0;
	const char *reason = NULL;

	if (payload == NULL) {
		/* Listening again after a reconnect: every revoked agent, in
		 * case a NOTIFY was missed. */
		if (st->revoke_op == NULL)
			st->revoke_op = store_query(st, revoked_sql, 0, NULL,
			                            revoked_rows_cb, st);
		return;
	}
	if (!store_parse_revoke_payload(payload, &id, &reason)) {
		log_warn("store: ignoring a malformed revocation notice");
		return;
	}
	log_info("store: agent %lld revoked", (long long)id);
	if (st->revoke_cb != NULL)
		st->revoke_cb(st->revoke_arg, id, reason);
}

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
	if (st->rq.copy_parts > 0) {
		if (!store_pgc_send_copy(&st->rec, (const char *)st->batch_sql.data,
		                         st->batch_copy.data, st->rq.copy_ends,
		                         st->rq.copy_parts, BATCH_TIMEOUT_MS))
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
	store_pgc_init(&st->dur, NULL, "durable", st->dsn,
	               st->cfg.reconnect_interval, &store_dur_ops, st);
	if (!store_listen(st, STORE_REVOKE_CHANNEL, revoke_notify_cb, st))
		abort(); /* a constant channel name: our own bug */
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

/* LISTEN for the subscriptions that exist at start-up (revocations), so
 * that they are in effect when store_open returns. */
static CORE_WUR bool listen_blocking(struct store *st, char *err,
                                     size_t errlen)
{
	struct core_buf b = {0};
	struct store_listener *l;
	bool ok = true;

	if (listen_sql(st, &b))
		ok = exec_blocking(st->lk.pg, (const char *)b.data, err, errlen);
	core_buf_free(&b);
	for (l = st->listeners; l != NULL; l = l->next) {
		l->sent = false;
		l->listening = ok;
	}
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
	store_pgc_init(&st->dur, base, "durable", st->dsn,
	               st->cfg.reconnect_interval, &store_dur_ops, st);
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
	if (!listen_blocking(st, msg, sizeof(msg))) {
		snprintf(err, errlen, "cannot listen for revocations: %s", msg);
		goto fail;
	}
	if (!store_pgc_connect_blocking(&st->dur, msg, sizeof(msg))) {
		snprintf(err, errlen, "cannot connect to PostgreSQL: %s", msg);
		goto fail;
	}
	for (i = 0; i < 3; i++) {
		struct pgconn *pc = i == 0   ? &st->rec
		                    : i == 1 ? &st->lk
		                             : &st->dur;

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
	struct store_listener *l;

	if (st == NULL)
		return;
	/* Durable records not confirmed yet are written with the rest. */
	store_pgc_close(&st->dur);
	store_dur_drain(st);
	if (st->rq.q.n > 0 && st->dsn[0] != '\0')
		close_flush(st);
	if (st->rq.q.n > 0)
		log_error("store: %zu audit records could not be written before "
		          "shutdown",
		          st->rq.q.n);
	store_pgc_close(&st->rec);
	store_pgc_close(&st->lk);
	op_free(st->lk_op);
	while ((op = st->lk_pending.head) != NULL) {
		op_unlink(op);
		op_free(op);
	}
	while ((op = st->lk_done.head) != NULL) {
		op_unlink(op);
		op_free(op);
	}
	while ((l = st->listeners) != NULL) {
		st->listeners = l->next;
		free(l);
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
	core_buf_free(&st->dur_sql);
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
	out->durable_ok = st->durable_ok;
	out->durable_failed = st->durable_failed;
	out->queue_len = st->rq.q.n;
	out->connected = store_pgc_is_up(&st->rec);
}
