/*
 * The audit recorder's queue: session, statement and auth records wait here
 * in arrival order until a batch takes them, and the batch's SQL and COPY
 * data are built here. This file does no I/O; store.c sends the batches on
 * the recorder connection and reports back with store_rq_batch_ok / _retry
 * / _rejected.
 *
 * A batch is one simple-protocol query. Statements whose outcome is known
 * when the batch is built (begin and done merged in memory: nearly all of
 * them) go as rows of COPY statements FROM STDIN at its head, which
 * PostgreSQL loads far more cheaply than it parses a long VALUES list. The
 * rows are in COPY's binary format, so that the server parses no
 * timestamps, UUIDs or numbers and unescapes no text and building a row
 * here is mostly copying, and go STORE_COPY_PART_ROWS to a COPY, the size
 * that costs PostgreSQL least (see internal.h). The other records follow as
 * INSERT statements, one per record kind, each with a multi-row VALUES
 * list. PostgreSQL runs the statements of one simple query, COPY included,
 * as a single implicit transaction, so a batch is all-or-nothing, costs one
 * round trip (plus one per COPY for its data), and needs no BEGIN/COMMIT of
 * ours (an explicit BEGIN would leave the session in an aborted transaction
 * after an error). Values are written as literals and COPY fields built
 * here (see sql.c) rather than as parameters, because the simple protocol
 * takes no parameters and the extended one takes a single statement per
 * query.
 *
 * A statement still running when a batch is built stays queued (it was
 * queued before it was forwarded, which is what the gateway promises) until
 * it ends, and is then written once, through COPY; only one running longer
 * than STORE_RUNNING_AFTER_MS is written as 'running', its outcome later as
 * an update.
 *
 * A durable statement (store_stmt_begin_durable) is not queued at first:
 * durable.c writes its row at once, with the SQL built here, and hands the
 * record back with store_stmt_settle — parked when written, as a running
 * statement written by a batch would be, or queued as an upsert when its
 * fate is unknown.
 *
 * Every INSERT is an upsert keyed by the record's identity, so a batch
 * retried after a connection was lost before COMMIT's answer writes the
 * same rows again instead of failing, and a statement's outcome (or a
 * session's end) is correct whether its first row is already written or is
 * in the same batch: groups go in the order starts, ends, statements,
 * outcomes, auth events, and no batch is sent before the previous one is
 * answered. COPY cannot upsert, so a record that was in a batch whose
 * answer was lost is sent again through the INSERT path, and so is every
 * record of a batch PostgreSQL refused (a duplicate key included) while it
 * is resent one at a time. Records that are not statements are never held
 * back, so they are taken in arrival order: a session's end never goes
 * before its start.
 *
 * Per record the hot path costs one allocation, a copy of the caller's
 * strings and a clock read; escaping happens once, when the batch is built.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"

struct rec_session_start {
	struct rec h;
	bool read_only;
	int64_t agent_id;
	int64_t started_us;
	const char *agent_name, *idp, *issuer, *subject, *connection;
	const char *client_addr, *tls_version;
	/* groups: NULL, or n_groups pointers at the start of blob. */
	const char **groups;
	size_t n_groups;
	char blob[];
};

/* The groups' pointer array starts blob. */
_Static_assert(offsetof(struct rec_session_start, blob) %
                       _Alignof(const char *) ==
                   0,
               "rec_session_start.blob must be aligned for pointers");

struct rec_session_end {
	struct rec h;
	int64_t ended_us;
	uint64_t bytes_from_client, bytes_to_client, statements;
	const char *reason;
	char blob[];
};

struct rec_stmt_update {
	struct rec h;
	uint64_t seq;
	struct rec_outcome out;
};

struct rec_auth {
	struct rec h;          /* h.session_id is empty when there is none */
	char event_id[37];
	int64_t at_us;
	int64_t agent_id;
	bool success;
	const char *reason, *client_addr, *listener, *connection;
	const char *idp, *issuer, *subject;
	char blob[];
};

static const char *const kind_name[REC_KIND_COUNT] = {
	[REC_SESSION_START] = "session start",
	[REC_SESSION_END] = "session end",
	[REC_STMT] = "statement",
	[REC_STMT_UPDATE] = "statement outcome",
	[REC_AUTH] = "auth event",
};

/* REC_STMT's columns are STORE_COPY_STATEMENTS' in the same order:
 * row_stmt and copy_row write the same values, as literals or COPY
 * fields. What is known before the statement runs comes first, its outcome
 * last. */
static const char *const group_head[REC_KIND_COUNT] = {
	[REC_SESSION_START] =
	    "INSERT INTO sessions (id, instance, agent_id, agent_name, idp, "
	    "issuer, subject, connection, client_addr, tls_version, started_at, "
	    "groups, read_only) VALUES ",
	[REC_SESSION_END] =
	    "INSERT INTO sessions (id, instance, ended_at, end_reason, "
	    "bytes_from_client, bytes_to_client, statements) VALUES ",
	[REC_STMT] =
	    "INSERT INTO statements (session_id, seq, started_at, command, "
	    "command_name, sql_text, sql_bytes, class, decision, policy, "
	    "reason, params, status, duration_us, rows_affected, "
	    "rows_returned, error_code, error_message) VALUES ",
	[REC_STMT_UPDATE] =
	    "INSERT INTO statements (session_id, seq, status, duration_us, "
	    "rows_affected, rows_returned, error_code, error_message) VALUES ",
	[REC_AUTH] =
	    "INSERT INTO auth_events (event_id, at, instance, success, reason, "
	    "client_addr, listener, connection, idp, issuer, subject, agent_id, "
	    "session_id) VALUES ",
};

static const char *const group_tail[REC_KIND_COUNT] = {
	[REC_SESSION_START] =
	    " ON CONFLICT (id) DO UPDATE SET instance = EXCLUDED.instance, "
	    "agent_id = EXCLUDED.agent_id, agent_name = EXCLUDED.agent_name, "
	    "idp = EXCLUDED.idp, issuer = EXCLUDED.issuer, "
	    "subject = EXCLUDED.subject, connection = EXCLUDED.connection, "
	    "client_addr = EXCLUDED.client_addr, "
	    "tls_version = EXCLUDED.tls_version, "
	    "started_at = EXCLUDED.started_at, groups = EXCLUDED.groups, "
	    "read_only = EXCLUDED.read_only;\n",
	[REC_SESSION_END] =
	    " ON CONFLICT (id) DO UPDATE SET ended_at = EXCLUDED.ended_at, "
	    "end_reason = EXCLUDED.end_reason, "
	    "bytes_from_client = EXCLUDED.bytes_from_client, "
	    "bytes_to_client = EXCLUDED.bytes_to_client, "
	    "statements = EXCLUDED.statements;\n",
	[REC_STMT] =
	    " ON CONFLICT (session_id, seq) DO UPDATE SET "
	    "started_at = EXCLUDED.started_at, command = EXCLUDED.command, "
	    "command_name = EXCLUDED.command_name, sql_text = EXCLUDED.sql_text, "
	    "sql_bytes = EXCLUDED.sql_bytes, class = EXCLUDED.class, "
	    "decision = EXCLUDED.decision, policy = EXCLUDED.policy, "
	    "reason = EXCLUDED.reason, params = EXCLUDED.params, "
	    "status = EXCLUDED.status, "
	    "duration_us = EXCLUDED.duration_us, "
	    "rows_affected = EXCLUDED.rows_affected, "
	    "rows_returned = EXCLUDED.rows_returned, "
	    "error_code = EXCLUDED.error_code, "
	    "error_message = EXCLUDED.error_message;\n",
	[REC_STMT_UPDATE] =
	    " ON CONFLICT (session_id, seq) DO UPDATE SET "
	    "status = EXCLUDED.status, duration_us = EXCLUDED.duration_us, "
	    "rows_affected = EXCLUDED.rows_affected, "
	    "rows_returned = EXCLUDED.rows_returned, "
	    "error_code = EXCLUDED.error_code, "
	    "error_message = EXCLUDED.error_message;\n",
	[REC_AUTH] = " ON CONFLICT (event_id) DO NOTHING;\n",
};

/* ------------------------------------------------------------ lists */

static void list_push(struct rec_list *l, struct rec *r)
{
	r->next = NULL;
	r->prev = l->tail;
	if (l->tail)
		l->tail->next = r;
	else
		l->head = r;
	l->tail = r;
	l->n++;
}

static void list_remove(struct rec_list *l, struct rec *r)
{
	if (r->prev)
		r->prev->next = r->next;
	else
		l->head = r->next;
	if (r->next)
		r->next->prev = r->prev;
	else
		l->tail = r->prev;
	r->prev = r->next = NULL;
	l->n--;
}

/* ------------------------------------------------------------ records */

static void rec_free(struct rec *r)
{
	if (r == NULL)
		return;
	if (r->kind == REC_STMT) {
		struct store_stmt *s = (struct store_stmt *)r;

		free(s->out.error_message);
		free(s->text_heap);
	} else if (r->kind == REC_STMT_UPDATE) {
		free(((struct rec_stmt_update *)r)->out.error_message);
	}
	free(r);
}

/* Bytes needed to copy n optional strings. */
static size_t strs_size(const char *const *src, size_t n)
{
	size_t i, total = 0;

	for (i = 0; i < n; i++)
		if (src[i] != NULL)
			total += strlen(src[i]) + 1;
	return total;
}

/* Copies the strings into blob and points *dst[i] at the copies. */
static void strs_pack(char *blob, const char *const *src, const char **dst[],
                      size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		size_t len;

		if (src[i] == NULL) {
			*dst[i] = NULL;
			continue;
		}
		len = strlen(src[i]) + 1;
		memcpy(blob, src[i], len);
		*dst[i] = blob;
		blob += len;
	}
}

void store_rq_init(struct store_rq *rq, const struct cfg_store *cfg)
{
	memset(rq, 0, sizeof(*rq));
	rq->limit = cfg->queue_size > 0 ? (size_t)cfg->queue_size : 1;
	rq->batch_size = cfg->batch_size > 0 ? (size_t)cfg->batch_size : 1;
	rq->grace_ms = cfg->grace;
	/* A held statement counts against the grace by its age: with a
	 * short grace it must go (as running) after half of it at most. */
	rq->running_ms = cfg->grace / 2 < STORE_RUNNING_AFTER_MS
	                     ? cfg->grace / 2
	                     : STORE_RUNNING_AFTER_MS;
	rq->use_copy = true;
	rq->now_ms = core_mono_ms;
}

void store_rq_free(struct store_rq *rq)
{
	struct rec *r, *next;
	size_t i;

	for (r = rq->q.head; r; r = next) {
		next = r->next;
		rec_free(r);
	}
	for (r = rq->parked.head; r; r = next) {
		next = r->next;
		rec_free(r);
	}
	memset(&rq->q, 0, sizeof(rq->q));
	memset(&rq->parked, 0, sizeof(rq->parked));
	rq->n_taken = 0;
	rq->n_open = 0;
	rq->bytes = 0;
	for (i = 0; i < REC_KIND_COUNT; i++)
		core_buf_free(&rq->group[i]);
	free(rq->copy_ends);
	rq->copy_ends = NULL;
	rq->copy_parts = rq->copy_ends_cap = 0;
}

size_t store_rq_waiting(const struct store_rq *rq)
{
	return rq->q.n - rq->n_taken;
}

size_t store_rq_ready(const struct store_rq *rq)
{
	return store_rq_waiting(rq) - rq->n_open;
}

/* A queued statement, not taken, still running, whose caller holds its
 * handle: what store_rq.n_open counts. */
static bool rec_open(const struct rec *r)
{
	const struct store_stmt *s = (const struct store_stmt *)r;

	return r->kind == REC_STMT && r->where == REC_QUEUED && !r->taken &&
	       s->handle_live && !s->has_outcome;
}

bool store_rq_full(const struct store_rq *rq)
{
	return rq->q.n >= rq->limit || rq->bytes >= STORE_QUEUE_MAX_BYTES;
}

static void rq_push(struct store_rq *rq, struct rec *r)
{
	r->queued_ms = rq->now_ms();
	r->where = REC_QUEUED;
	r->taken = false;
	list_push(&rq->q, r);
	rq->bytes += r->bytes;
	rq->queued++;
	if (rec_open(r))
		rq->n_open++;
}

/* A written statement whose handle the caller still holds waits for
 * store_stmt_done without what it no longer needs: the text and
 * parameters when they have their own allocation. */
static void park_stmt(struct store_rq *rq, struct store_stmt *s)
{
	if (s->text_heap != NULL) {
		free(s->text_heap);
		s->text_heap = NULL;
		s->text = NULL;
		s->params = NULL;
	}
	s->h.where = REC_PARKED;
	list_push(&rq->parked, &s->h);
}

/* A record leaves the queue after being written (or dropped): statements
 * whose handle the caller still holds wait, parked, for store_stmt_done. */
static void rq_retire(struct store_rq *rq, struct rec *r)
{
	list_remove(&rq->q, r);
	rq->bytes -= r->bytes;
	r->taken = false;
	if (r->kind == REC_STMT && ((struct store_stmt *)r)->handle_live) {
		struct store_stmt *s = (struct store_stmt *)r;

		park_stmt(rq, s);
		return;
	}
	rec_free(r);
}

/* ------------------------------------------------------------ batches */

/* The statements.status value, as SQL needs no quoting for it. */
static const char *status_word(enum store_stmt_status s)
{
	switch (s) {
	case STORE_STMT_OK:
		return "ok";
	case STORE_STMT_ERROR:
		return "error";
	case STORE_STMT_REFUSED:
		return "refused";
	case STORE_STMT_ABORTED:
		return "aborted";
	}
	return "error";
}

static void sql_sep(struct core_buf *b)
{
	core_buf_append(b, ", ", 2);
}

/* An id we validated as a UUID: no escaping needed. */
static void sql_uuid(struct core_buf *b, const char *id)
{
	if (id[0] == '\0') {
		core_buf_append(b, "NULL", 4);
		return;
	}
	core_buf_append(b, "'", 1);
	core_buf_append(b, id, 36);
	core_buf_append(b, "'", 1);
}

static void sql_u64(struct core_buf *b, uint64_t v)
{
	/* bigint columns: clamp rather than fail a whole batch. */
	store_sql_i64(b, v > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)v);
}

/* -1 means "not applicable" for row counts. */
static void sql_count(struct core_buf *b, int64_t v)
{
	if (v < 0)
		core_buf_append(b, "NULL", 4);
	else
		store_sql_i64(b, v);
}

static void sql_outcome(struct core_buf *b, const struct rec_outcome *o)
{
	core_buf_append(b, "'", 1);
	core_buf_append_str(b, status_word(o->status));
	core_buf_append(b, "'", 1);
	sql_sep(b);
	sql_count(b, o->duration_us);
	sql_sep(b);
	sql_count(b, o->rows_affected);
	sql_sep(b);
	sql_count(b, o->rows_returned);
	sql_sep(b);
	if (o->error_code != 0)
		store_sql_i64(b, o->error_code);
	else
		core_buf_append(b, "NULL", 4);
	sql_sep(b);
	store_sql_str(b, o->error_message);
}

static void row_session_start(struct core_buf *b, const char *inst,
                              const struct rec_session_start *r)
{
	sql_uuid(b, r->h.session_id);
	sql_sep(b);
	core_buf_append_str(b, inst);
	sql_sep(b);
	store_sql_i64(b, r->agent_id);
	sql_sep(b);
	store_sql_str(b, r->agent_name);
	sql_sep(b);
	store_sql_str(b, r->idp);
	sql_sep(b);
	store_sql_str(b, r->issuer);
	sql_sep(b);
	store_sql_str(b, r->subject);
	sql_sep(b);
	store_sql_str(b, r->connection);
	sql_sep(b);
	store_sql_str(b, r->client_addr);
	sql_sep(b);
	store_sql_str(b, r->tls_version);
	sql_sep(b);
	store_sql_ts(b, r->started_us);
	sql_sep(b);
	if (r->groups == NULL) {
		core_buf_append(b, "NULL", 4);
	} else if (r->n_groups == 0) {
		core_buf_append_str(b, "'{}'::text[]");
	} else {
		size_t i;

		core_buf_append_str(b, "ARRAY[");
		for (i = 0; i < r->n_groups; i++) {
			if (i > 0)
				sql_sep(b);
			store_sql_str(b, r->groups[i]);
		}
		core_buf_append_str(b, "]::text[]");
	}
	sql_sep(b);
	core_buf_append_str(b, r->read_only ? "true" : "false");
}

static void row_session_end(struct core_buf *b, const char *inst,
                            const struct rec_session_end *r)
{
	sql_uuid(b, r->h.session_id);
	sql_sep(b);
	core_buf_append_str(b, inst);
	sql_sep(b);
	store_sql_ts(b, r->ended_us);
	sql_sep(b);
	store_sql_str(b, r->reason);
	sql_sep(b);
	sql_u64(b, r->bytes_from_client);
	sql_sep(b);
	sql_u64(b, r->bytes_to_client);
	sql_sep(b);
	sql_u64(b, r->statements);
}

static void row_stmt(struct core_buf *b, const struct store_stmt *s)
{
	sql_uuid(b, s->h.session_id);
	sql_sep(b);
	sql_u64(b, s->seq);
	sql_sep(b);
	store_sql_ts(b, s->started_us);
	sql_sep(b);
	store_sql_i64(b, s->command);
	sql_sep(b);
	store_sql_str(b, s->command_name);
	sql_sep(b);
	if (s->has_text) {
		bool lossless = store_sql_text(b, s->text, s->text_len);

		sql_sep(b);
		if (lossless)
			core_buf_append(b, "NULL", 4);
		else
			store_sql_bytea(b, s->text, s->text_len);
	} else {
		core_buf_append_str(b, "NULL, NULL");
	}
	sql_sep(b);
	store_sql_str(b, s->cls);
	sql_sep(b);
	store_sql_str(b, s->decision);
	sql_sep(b);
	store_sql_str(b, s->policy);
	sql_sep(b);
	store_sql_str(b, s->reason);
	sql_sep(b);
	store_sql_str(b, s->params);
	sql_sep(b);
	if (s->has_outcome)
		sql_outcome(b, &s->out);
	else
		core_buf_append_str(b, "'running', NULL, NULL, NULL, NULL, NULL");
}

static void row_stmt_update(struct core_buf *b, const struct rec_stmt_update *u)
{
	sql_uuid(b, u->h.session_id);
	sql_sep(b);
	sql_u64(b, u->seq);
	sql_sep(b);
	sql_outcome(b, &u->out);
}

static void row_auth(struct core_buf *b, const char *inst,
                     const struct rec_auth *a)
{
	sql_uuid(b, a->event_id);
	sql_sep(b);
	store_sql_ts(b, a->at_us);
	sql_sep(b);
	core_buf_append_str(b, inst);
	sql_sep(b);
	core_buf_append_str(b, a->success ? "true" : "false");
	sql_sep(b);
	store_sql_str(b, a->reason);
	sql_sep(b);
	store_sql_str(b, a->client_addr);
	sql_sep(b);
	store_sql_str(b, a->listener);
	sql_sep(b);
	store_sql_str(b, a->connection);
	sql_sep(b);
	store_sql_str(b, a->idp);
	sql_sep(b);
	store_sql_str(b, a->issuer);
	sql_sep(b);
	store_sql_str(b, a->subject);
	sql_sep(b);
	if (a->agent_id > 0)
		store_sql_i64(b, a->agent_id);
	else
		core_buf_append(b, "NULL", 4);
	sql_sep(b);
	sql_uuid(b, a->h.session_id);
}

static void append_row(struct core_buf *g, const char *inst,
                       const struct rec *r)
{
	if (g->len == 0)
		core_buf_append_str(g, group_head[r->kind]);
	else
		core_buf_append(g, ",\n", 2);
	core_buf_append(g, "(", 1);
	switch ((enum rec_kind)r->kind) {
	case REC_SESSION_START:
		row_session_start(g, inst, (const struct rec_session_start *)r);
		break;
	case REC_SESSION_END:
		row_session_end(g, inst, (const struct rec_session_end *)r);
		break;
	case REC_STMT:
		row_stmt(g, (const struct store_stmt *)r);
		break;
	case REC_STMT_UPDATE:
		row_stmt_update(g, (const struct rec_stmt_update *)r);
		break;
	case REC_AUTH:
		row_auth(g, inst, (const struct rec_auth *)r);
		break;
	case REC_KIND_COUNT:
		abort(); /* our own broken invariant */
	}
	core_buf_append(g, ")", 1);
}

/* ------------------------------------------------------------ COPY rows */

/* The columns of STORE_COPY_STATEMENTS. */
#define COPY_STMT_FIELDS 18

/* -1 means "not applicable" for row counts. */
static void copy_count(struct core_buf *b, int64_t v)
{
	if (v < 0)
		store_copy_null(b);
	else
		store_copy_i64(b, v);
}

/* One complete statement as a row of binary COPY, the same values row_stmt
 * writes as literals. */
static void copy_row(struct core_buf *b, const struct store_stmt *s)
{
	const struct rec_outcome *o = &s->out;

	store_copy_row(b, COPY_STMT_FIELDS);
	/* A statement's session id was validated as a UUID. */
	store_copy_uuid(b, s->h.session_id);
	/* At most INT64_MAX: store_rq_stmt_new refuses more. */
	store_copy_i64(b, (int64_t)s->seq);
	store_copy_ts(b, s->started_us);
	store_copy_i16(b, s->command);
	store_copy_str(b, s->command_name);
	if (s->has_text) {
		if (store_copy_text(b, s->text, s->text_len))
			store_copy_null(b);
		else
			store_copy_bytea(b, s->text, s->text_len);
	} else {
		store_copy_null(b);
		store_copy_null(b);
	}
	store_copy_str(b, s->cls);
	store_copy_str(b, s->decision);
	store_copy_str(b, s->policy);
	store_copy_str(b, s->reason);
	store_copy_str(b, s->params);
	store_copy_str(b, status_word(o->status));
	copy_count(b, o->duration_us);
	copy_count(b, o->rows_affected);
	copy_count(b, o->rows_returned);
	if (o->error_code != 0)
		store_copy_i32(b, o->error_code);
	else
		store_copy_null(b);
	store_copy_str(b, o->error_message);
}

enum rec_route store_rq_route(const struct store_rq *rq, const struct rec *r,
                              uint64_t now_ms)
{
	const struct store_stmt *s = (const struct store_stmt *)r;
	uint64_t age;

	if (r->kind != REC_STMT)
		return REC_ROUTE_SQL;
	if (s->has_outcome)
		return rq->use_copy && rq->salvage == 0 && !r->uncertain
		           ? REC_ROUTE_COPY
		           : REC_ROUTE_SQL;
	/* Without its outcome and with its handle gone, the outcome is an
	 * update queued behind it: the row must go now. */
	if (!s->handle_live || rq->flush_all)
		return REC_ROUTE_SQL;
	age = now_ms > r->queued_ms ? now_ms - r->queued_ms : 0;
	return age < rq->running_ms ? REC_ROUTE_HOLD : REC_ROUTE_SQL;
}

/* Ends the current part of the COPY data. */
static void copy_part_end(struct store_rq *rq, struct core_buf *copy)
{
	store_copy_end(copy);
	if (rq->copy_parts == rq->copy_ends_cap) {
		size_t cap = rq->copy_ends_cap ? 2 * rq->copy_ends_cap : 8;

		rq->copy_ends = reallocarray(rq->copy_ends, cap,
		                             sizeof(*rq->copy_ends));
		if (rq->copy_ends == NULL)
			abort(); /* out of memory, as core_buf */
		rq->copy_ends_cap = cap;
	}
	rq->copy_ends[rq->copy_parts++] = copy->len;
}

size_t store_rq_take(struct store_rq *rq, const char *instance_lit,
                     struct core_buf *sql, struct core_buf *copy)
{
	size_t max = rq->salvage ? 1 : rq->batch_size;
	size_t n = 0, total = 0, part_rows = 0, i;
	uint64_t now;
	struct rec *r;

	core_buf_reset(sql);
	core_buf_reset(copy);
	rq->copy_parts = 0;
	if (rq->n_taken != 0 || rq->q.head == NULL)
		return 0;
	now = rq->now_ms();
	for (i = 0; i < REC_KIND_COUNT; i++)
		core_buf_reset(&rq->group[i]);
	for (r = rq->q.head; r != NULL && n < max && total < STORE_BATCH_MAX_BYTES;
	     r = r->next) {
		enum rec_route route = store_rq_route(rq, r, now);
		struct core_buf *g = NULL;
		size_t before;

		if (route == REC_ROUTE_HOLD)
			continue;
		if (route == REC_ROUTE_COPY) {
			g = copy;
			before = g->len;
			if (part_rows == STORE_COPY_PART_ROWS) {
				copy_part_end(rq, g);
				part_rows = 0;
			}
			if (part_rows == 0)
				store_copy_begin(g);
			copy_row(g, (const struct store_stmt *)r);
			part_rows++;
		} else {
			g = &rq->group[r->kind];
			before = g->len;
			append_row(g, instance_lit, r);
		}
		total += g->len - before;
		if (rec_open(r))
			rq->n_open--;
		r->taken = true;
		n++;
	}
	if (n == 0)
		return 0;
	if (part_rows > 0) {
		copy_part_end(rq, copy);
		for (i = 0; i < rq->copy_parts; i++)
			core_buf_append_str(sql, STORE_COPY_STATEMENTS);
	}
	for (i = 0; i < REC_KIND_COUNT; i++) {
		if (rq->group[i].len == 0)
			continue;
		core_buf_append(sql, rq->group[i].data, rq->group[i].len);
		core_buf_append_str(sql, group_tail[i]);
	}
	/* NUL-terminate for PQsendQuery without counting it. */
	core_buf_append(sql, "", 1);
	sql->len--;
	rq->n_taken = n;
	return n;
}

/* The first record of the batch in flight; NULL when there is none. Only
 * held statements can come before it. */
static struct rec *first_taken(const struct store_rq *rq)
{
	struct rec *r;

	if (rq->n_taken == 0)
		return NULL;
	for (r = rq->q.head; r != NULL && !r->taken; r = r->next)
		;
	return r;
}

void store_rq_batch_ok(struct store_rq *rq)
{
	struct rec *r = first_taken(rq), *next;
	size_t n = rq->n_taken;

	for (; r != NULL && n > 0; r = next) {
		next = r->next; /* retiring may park r */
		if (r->taken) {
			rq_retire(rq, r);
			n--;
		}
	}
	rq->written += rq->n_taken;
	rq->n_taken = 0;
	rq->batches++;
	for (n = 0; n < REC_KIND_COUNT; n++)
		if (rq->group[n].cap > STORE_BATCH_KEEP_BYTES)
			core_buf_free(&rq->group[n]);
	if (rq->salvage > 0)
		rq->salvage--;
}

/* Puts the batch in flight back among the waiting records. */
static void untake(struct store_rq *rq, bool uncertain)
{
	struct rec *r = first_taken(rq);
	size_t n = rq->n_taken;

	for (; r != NULL && n > 0; r = r->next) {
		if (!r->taken)
			continue;
		r->taken = false;
		r->uncertain = r->uncertain || uncertain;
		if (rec_open(r))
			rq->n_open++;
		n--;
	}
	rq->n_taken = 0;
}

void store_rq_batch_retry(struct store_rq *rq)
{
	if (rq->n_taken == 0)
		return;
	untake(rq, true);
	rq->batch_failures++;
}

void store_rq_batch_rejected(struct store_rq *rq, const char *why)
{
	struct rec *r = first_taken(rq);

	if (rq->n_taken == 0)
		return;
	rq->batch_failures++;
	if (rq->n_taken > 1) {
		log_warn("store: PostgreSQL refused a batch of %zu audit records "
		         "(%s); sending them one at a time",
		         rq->n_taken, why);
		rq->salvage = rq->n_taken;
		untake(rq, false);
		return;
	}
	log_error("store: PostgreSQL refused an audit record (%s of session "
	          "%s): %s; the record is dropped",
	          kind_name[r->kind], r->session_id[0] ? r->session_id : "-",
	          why);
	rq->dropped_invalid++;
	rq->n_taken = 0;
	rq_retire(rq, r);
	if (rq->salvage > 0)
		rq->salvage--;
}

/* ------------------------------------------------------------ public API */

/* A full batch is ready: send it without waiting for the flush timer.
 * Statements still running do not count, or a few thousand of them would
 * have every push build a batch of nothing. */
static void after_push(struct store *st)
{
	if (store_rq_ready(&st->rq) >= st->rq.batch_size)
		store_kick(st);
}

bool store_accepting(struct store *st, const char **why)
{
	struct store_rq *rq = &st->rq;

	if (store_rq_full(rq)) {
		if (why)
			*why = "audit queue full";
		return false;
	}
	if (rq->q.head != NULL) {
		uint64_t now = rq->now_ms();
		uint64_t age = now > rq->q.head->queued_ms
		                   ? now - rq->q.head->queued_ms
		                   : 0;

		if (age > rq->grace_ms) {
			snprintf(rq->why, sizeof(rq->why),
			         "audit store unreachable for %llu s",
			         (unsigned long long)(age / 1000));
			if (why)
				*why = rq->why;
			return false;
		}
	}
	if (why)
		*why = NULL;
	return true;
}

bool store_session_start(struct store *st, const struct store_session_info *s)
{
	struct rec_session_start *r = NULL;
	const char *src[] = {s->agent_name, s->idp,        s->issuer,
	                     s->subject,    s->connection, s->client_addr,
	                     s->tls_version};
	size_t n_groups = s->groups != NULL ? s->n_groups : 0;
	size_t extra, ptrs = n_groups * sizeof(const char *), i;
	char *p;

	if (!store_uuid_valid(s->id)) {
		log_error("store: refusing a session with an invalid id");
		return false;
	}
	if (store_rq_full(&st->rq))
		return false;
	extra = ptrs + strs_size(src, 7);
	for (i = 0; i < n_groups; i++)
		extra += strlen(s->groups[i] ? s->groups[i] : "") + 1;
	r = core_xcalloc(1, sizeof(*r) + extra);
	{
		const char **dst[] = {&r->agent_name, &r->idp,
		                      &r->issuer,     &r->subject,
		                      &r->connection, &r->client_addr,
		                      &r->tls_version};

		strs_pack(r->blob + ptrs, src, dst, 7);
	}
	if (s->groups != NULL) {
		r->groups = (const char **)(void *)r->blob;
		r->n_groups = n_groups;
		p = r->blob + ptrs + strs_size(src, 7);
		for (i = 0; i < n_groups; i++) {
			const char *g = s->groups[i] ? s->groups[i] : "";
			size_t len = strlen(g) + 1;

			memcpy(p, g, len);
			r->groups[i] = p;
			p += len;
		}
	}
	r->read_only = s->read_only;
	r->h.kind = REC_SESSION_START;
	r->h.bytes = sizeof(*r) + extra;
	memcpy(r->h.session_id, s->id, 37);
	r->agent_id = s->agent_id;
	r->started_us = s->started_us;
	rq_push(&st->rq, &r->h);
	after_push(st);
	return true;
}

void store_session_end(struct store *st, const char *session_id,
                       const struct store_session_end *e)
{
	struct rec_session_end *r = NULL;
	size_t extra;

	if (!store_uuid_valid(session_id)) {
		log_error("store: dropping the end of a session with an invalid "
		          "id");
		return;
	}
	extra = e->reason ? strlen(e->reason) + 1 : 0;
	r = core_xcalloc(1, sizeof(*r) + extra);
	if (e->reason) {
		memcpy(r->blob, e->reason, extra);
		r->reason = r->blob;
	}
	r->h.kind = REC_SESSION_END;
	r->h.bytes = sizeof(*r) + extra;
	memcpy(r->h.session_id, session_id, 37);
	r->ended_us = e->ended_us;
	r->bytes_from_client = e->bytes_from_client;
	r->bytes_to_client = e->bytes_to_client;
	r->statements = e->statements;
	rq_push(&st->rq, &r->h);
	after_push(st);
}

struct store_stmt *store_rq_stmt_new(const struct store_stmt_info *info)
{
	struct store_stmt *s = NULL;
	const char *src[] = {info->command_name, info->cls, info->decision,
	                     info->policy, info->reason};
	size_t params_len = info->params ? strlen(info->params) + 1 : 0;
	size_t text_len = info->text != NULL ? info->text_len : 0;
	/* Compared without a sum that could wrap; the sum itself cannot,
	 * both being sizes of objects in memory. */
	bool inline_big = text_len <= STORE_INLINE_TEXT_MAX &&
	                  params_len <= STORE_INLINE_TEXT_MAX - text_len;
	size_t small = strs_size(src, 5);
	size_t big = text_len + params_len;
	size_t extra = small + (inline_big ? big : 0);
	uint8_t *bp = NULL;

	if (info->session_id == NULL || !store_uuid_valid(info->session_id) ||
	    info->seq > (uint64_t)INT64_MAX) {
		log_error("store: refusing a statement with an invalid session "
		          "id or sequence number");
		return NULL;
	}
	s = core_xmalloc(sizeof(*s) + extra);
	memset(s, 0, sizeof(*s));
	{
		const char **dst[] = {&s->command_name, &s->cls, &s->decision,
		                      &s->policy, &s->reason};

		strs_pack(s->blob, src, dst, 5);
	}
	s->h.kind = REC_STMT;
	s->h.bytes = sizeof(*s) + extra;
	memcpy(s->h.session_id, info->session_id, 37);
	s->seq = info->seq;
	s->started_us = info->started_us;
	s->command = info->command;
	s->handle_live = true;
	if (big > 0) {
		if (inline_big) {
			bp = (uint8_t *)s->blob + small;
		} else {
			s->text_heap = core_xmalloc(big);
			bp = s->text_heap;
			s->h.bytes += big;
		}
		if (text_len > 0)
			memcpy(bp, info->text, text_len);
		if (params_len > 0) {
			memcpy(bp + text_len, info->params, params_len);
			s->params = (const char *)bp + text_len;
		}
	}
	if (info->text != NULL) {
		s->has_text = true;
		s->text_len = text_len;
		/* Empty text: any valid pointer will do. */
		s->text = text_len > 0 ? bp : (const uint8_t *)s->blob;
	}
	return s;
}

struct store_stmt *store_stmt_begin(struct store *st,
                                    const struct store_stmt_info *info)
{
	struct store_stmt *s = NULL;

	if (store_rq_full(&st->rq))
		return NULL;
	s = store_rq_stmt_new(info);
	if (s == NULL)
		return NULL;
	rq_push(&st->rq, &s->h);
	after_push(st);
	return s;
}

void store_rq_durable_row(struct core_buf *sql, const struct store_stmt *s,
                          size_t n)
{
	if (n == 0)
		core_buf_append_str(sql, group_head[REC_STMT]);
	else
		core_buf_append(sql, ",\n", 2);
	core_buf_append(sql, "(", 1);
	row_stmt(sql, s);
	core_buf_append(sql, ")", 1);
}

void store_rq_durable_end(struct core_buf *sql)
{
	core_buf_append_str(sql, " ON CONFLICT (session_id, seq) DO NOTHING");
	core_buf_append(sql, "", 1);
	sql->len--;
}

void store_stmt_settle(struct store *st, struct store_stmt *s, bool written,
                       bool uncertain)
{
	s->dur = NULL;
	if (written && s->handle_live) {
		park_stmt(&st->rq, s);
		return;
	}
	/* Without its handle and written, its outcome is not: an upsert of
	 * the whole row. */
	s->h.uncertain = uncertain || written;
	rq_push(&st->rq, &s->h);
	after_push(st);
}

static void outcome_copy(struct rec_outcome *o, const struct store_stmt_result *r)
{
	o->status = r->status;
	o->duration_us = r->duration_us;
	o->rows_affected = r->rows_affected;
	o->rows_returned = r->rows_returned;
	o->error_code = r->error_code;
	o->error_message =
	    r->error_message ? core_xstrdup(r->error_message) : NULL;
}

void store_stmt_done(struct store *st, struct store_stmt *s,
                     const struct store_stmt_result *r)
{
	struct store_rq *rq = &st->rq;
	struct rec_stmt_update *u = NULL;

	if (s == NULL || r == NULL)
		return;
	if (s->h.where == REC_DURABLE && !store_dur_release(st, s)) {
		/* Its write is in flight: the outcome waits in the record
		 * until the answer settles it (store_stmt_settle). */
		s->handle_live = false;
		outcome_copy(&s->out, r);
		s->has_outcome = true;
		if (s->out.error_message)
			s->h.bytes += strlen(s->out.error_message) + 1;
		return;
	}
	if (rec_open(&s->h))
		rq->n_open--;
	s->handle_live = false;
	if (s->h.where == REC_QUEUED && !s->h.taken) {
		/* Not written yet: the outcome travels with the record. */
		outcome_copy(&s->out, r);
		s->has_outcome = true;
		if (s->out.error_message) {
			size_t n = strlen(s->out.error_message) + 1;

			s->h.bytes += n;
			rq->bytes += n;
		}
		after_push(st);
		return;
	}
	u = core_xcalloc(1, sizeof(*u));
	u->h.kind = REC_STMT_UPDATE;
	u->h.bytes = sizeof(*u);
	memcpy(u->h.session_id, s->h.session_id, 37);
	u->seq = s->seq;
	outcome_copy(&u->out, r);
	if (u->out.error_message)
		u->h.bytes += strlen(u->out.error_message) + 1;
	if (s->h.where == REC_PARKED) {
		list_remove(&rq->parked, &s->h);
		rec_free(&s->h);
	}
	/* A taken record is freed when its batch is answered. */
	rq_push(rq, &u->h);
	after_push(st);
}

void store_auth_event(struct store *st, const struct store_auth_event *a)
{
	struct rec_auth *r = NULL;
	const char *src[] = {a->reason, a->client_addr, a->listener,
	                     a->connection, a->idp, a->issuer, a->subject};
	size_t extra;

	if (store_rq_full(&st->rq)) {
		st->rq.dropped_auth++;
		return;
	}
	extra = strs_size(src, 7);
	r = core_xcalloc(1, sizeof(*r) + extra);
	{
		const char **dst[] = {&r->reason,     &r->client_addr,
		                      &r->listener,   &r->connection,
		                      &r->idp,        &r->issuer,
		                      &r->subject};

		strs_pack(r->blob, src, dst, 7);
	}
	r->h.kind = REC_AUTH;
	r->h.bytes = sizeof(*r) + extra;
	if (a->session_id != NULL && store_uuid_valid(a->session_id))
		memcpy(r->h.session_id, a->session_id, 37);
	core_uuid(r->event_id);
	r->at_us = a->at_us;
	r->agent_id = a->agent_id;
	r->success = a->success;
	rq_push(&st->rq, &r->h);
	after_push(st);
}
