/*
 * Durable statement records: store_stmt_begin_durable writes a statement's
 * row (status 'running') at once, in a round trip of its own, and tells the
 * caller when PostgreSQL has committed it, so that a write statement is on
 * disk before it is forwarded. The outcome follows later through the
 * ordinary recorder queue, as an update of that row.
 *
 * The writes have a connection of their own, the third of the store. The
 * recorder's may be busy for seconds with a multi-megabyte COPY, and the
 * lookup connection carries logins, policy and approval queries and the
 * LISTEN resync after a reconnect — sitting behind any of those would put
 * their latency in front of every write statement. Alone on its
 * connection, a durable write costs one round trip and one commit. One
 * write is in flight at a time; records begun meanwhile wait and all go
 * together in the next one (one INSERT of several rows: a group commit), so
 * concurrency adds at most one round trip of waiting.
 *
 * The INSERT ends in ON CONFLICT DO NOTHING: a write whose answer was lost
 * may still commit after the record has been written again through the
 * queue, and must then change nothing. Values are literals built by
 * recorder.c, as in batches.
 *
 * Callbacks run from the store's dispatch event, never from inside a store
 * call; store_stmt_done before the callback cancels it. What this file does
 * not do: decide what is written durably (the caller does), retry a failed
 * write (the record goes to the ordinary queue instead, where the caller's
 * refusal of the statement is recorded), or any I/O beyond its connection.
 */
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"

/* The shortest time a durable write may take before it fails: a grace of
 * zero would otherwise fail every write. */
#define DUR_MIN_TIMEOUT_MS 100

/* ------------------------------------------------------------ lists */

static void dur_push(struct dur_list *l, struct store_durable *d)
{
	d->next = NULL;
	d->prev = l->tail;
	if (l->tail)
		l->tail->next = d;
	else
		l->head = d;
	l->tail = d;
	l->n++;
	d->list = l;
}

static void dur_unlink(struct store_durable *d)
{
	struct dur_list *l = d->list;

	if (l == NULL)
		return;
	if (d->prev)
		d->prev->next = d->next;
	else
		l->head = d->next;
	if (d->next)
		d->next->prev = d->prev;
	else
		l->tail = d->prev;
	d->prev = d->next = NULL;
	d->list = NULL;
	l->n--;
}

/* ------------------------------------------------------------ answers */

/* The write of d is over (or will never happen). Its callback is due, from
 * the loop; a cancelled one settles its record now instead. */
static void finish(struct store *st, struct store_durable *d, bool ok,
                   bool uncertain, const char *why)
{
	struct store_stmt *s = d->s;

	dur_unlink(d);
	if (ok)
		st->durable_ok++;
	else
		st->durable_failed++;
	if (d->cb == NULL) {
		store_stmt_settle(st, s, ok, uncertain);
		free(d);
		return;
	}
	d->state = DUR_ANSWERED;
	d->ok = ok;
	d->uncertain = uncertain;
	d->why = ok ? NULL : why;
	dur_push(&st->dur_done, d);
	store_wake_dispatch(st);
}

void store_dur_dispatch(struct store *st)
{
	/* Only those answered before this run (a callback may begin more). */
	size_t n = st->dur_done.n;

	while (n-- > 0 && st->dur_done.head != NULL) {
		struct store_durable *d = st->dur_done.head;
		store_durable_cb cb = d->cb;
		void *arg = d->arg;
		bool ok = d->ok;
		const char *why = d->why;

		dur_unlink(d);
		/* Settled first: the callback may call store_stmt_done. */
		store_stmt_settle(st, d->s, ok, d->uncertain);
		free(d);
		cb(arg, ok, why);
	}
}

bool store_dur_release(struct store *st, struct store_stmt *s)
{
	struct store_durable *d = s->dur;

	switch (d->state) {
	case DUR_WAITING:
		/* Never sent: an ordinary record from now on, its callback
		 * never run. */
		dur_unlink(d);
		store_stmt_settle(st, s, false, false);
		free(d);
		return true;
	case DUR_ANSWERED:
		dur_unlink(d);
		store_stmt_settle(st, s, d->ok, d->uncertain);
		free(d);
		return true;
	case DUR_SENT:
		d->cb = NULL;
		return false;
	}
	abort(); /* our own broken invariant */
}

void store_dur_drain(struct store *st)
{
	struct dur_list *lists[] = {&st->dur_wait, &st->dur_flight,
	                            &st->dur_done};
	size_t i;

	for (i = 0; i < 3; i++) {
		struct store_durable *d;

		while ((d = lists[i]->head) != NULL) {
			bool written = d->state == DUR_ANSWERED && d->ok;
			bool uncertain = d->state == DUR_SENT ||
			                 (d->state == DUR_ANSWERED && d->uncertain);

			dur_unlink(d);
			store_stmt_settle(st, d->s, written, uncertain);
			free(d);
		}
	}
}

/* ------------------------------------------------------------ writes */

static uint64_t dur_timeout(const struct store *st)
{
	return st->cfg.grace > DUR_MIN_TIMEOUT_MS ? st->cfg.grace
	                                          : DUR_MIN_TIMEOUT_MS;
}

/* Sends every waiting record (up to a batch) when nothing is in flight. */
static void dur_send(struct store *st)
{
	struct store_durable *d;
	size_t n = 0;

	if (st->dur.state != PGC_IDLE || st->dur_flight.head != NULL ||
	    st->dur_wait.head == NULL)
		return;
	core_buf_reset(&st->dur_sql);
	while ((d = st->dur_wait.head) != NULL && n < st->rq.batch_size &&
	       st->dur_sql.len < STORE_BATCH_MAX_BYTES) {
		dur_unlink(d);
		store_rq_durable_row(&st->dur_sql, d->s, n);
		d->state = DUR_SENT;
		dur_push(&st->dur_flight, d);
		n++;
	}
	store_rq_durable_end(&st->dur_sql);
	st->dur_failed = false;
	st->dur_state[0] = '\0';
	/* On failure dur_down has already answered them. */
	if (!store_pgc_send(&st->dur, (const char *)st->dur_sql.data, 0, NULL,
	                    dur_timeout(st)))
		return;
}

struct store_stmt *store_stmt_begin_durable(struct store *st,
                                            const struct store_stmt_info *info,
                                            store_durable_cb cb, void *arg)
{
	struct store_stmt *s = store_rq_stmt_new(info);
	struct store_durable *d = NULL;

	if (s == NULL)
		return NULL;
	d = core_xcalloc(1, sizeof(*d));
	d->s = s;
	d->cb = cb;
	d->arg = arg;
	d->state = DUR_WAITING;
	s->dur = d;
	s->h.where = REC_DURABLE;
	dur_push(&st->dur_wait, d);
	if (store_rq_full(&st->rq))
		finish(st, d, false, false, STORE_WHY_QUEUE_FULL);
	else if (!store_pgc_is_up(&st->dur))
		finish(st, d, false, false, STORE_WHY_UNREACHABLE);
	else
		dur_send(st);
	return s;
}

/* ------------------------------------------------------------ connection */

static void dur_up(struct pgconn *pc)
{
	dur_send(pc->owner);
}

static void dur_result(struct pgconn *pc, const PGresult *res)
{
	struct store *st = pc->owner;
	ExecStatusType s = PQresultStatus(res);
	const char *state, *msg;

	if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK || st->dur_failed)
		return;
	state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	snprintf(st->dur_state, sizeof(st->dur_state), "%s",
	         state ? state : "XX000");
	log_error("store: a durable statement write of %zu records failed: "
	          "%s: %.300s",
	          st->dur_flight.n, st->dur_state, msg ? msg : PQresStatus(s));
	st->dur_failed = true;
}

static void dur_done(struct pgconn *pc)
{
	struct store *st = pc->owner;
	struct store_durable *d;

	if (st->dur_sql.cap > STORE_BATCH_KEEP_BYTES)
		core_buf_free(&st->dur_sql);
	/* An error result: the INSERT's transaction rolled back, so none of
	 * them is stored. */
	while ((d = st->dur_flight.head) != NULL)
		finish(st, d, !st->dur_failed, false, STORE_WHY_REFUSED);
	dur_send(st);
}

static void dur_down(struct pgconn *pc)
{
	struct store *st = pc->owner;
	const char *why = pc->timed_out ? STORE_WHY_TIMEOUT : STORE_WHY_LOST;
	struct store_durable *d;

	/* In flight: committed or not, nobody knows. */
	while ((d = st->dur_flight.head) != NULL)
		finish(st, d, false, true, why);
	while ((d = st->dur_wait.head) != NULL)
		finish(st, d, false, false, STORE_WHY_UNREACHABLE);
}

const struct pgconn_ops store_dur_ops = {
	.up = dur_up,
	.result = dur_result,
	.done = dur_done,
	.down = dur_down,
	.notify = NULL,
};
