/*
 * The approval workflow of one gateway instance.
 *
 * Requests live in PostgreSQL; every transition is one of the SQL functions
 * of sql/004_approvals.sql, which lock the request row, so this file only
 * calls them and reacts:
 *   - approvals_submit() calls approval_submit(): a new request, or in
 *     deferred mode the approved (consumed now) or pending identical one;
 *   - a held session waits in approvals_wait(). Any instance may decide; the
 *     decision arrives as NOTIFY agentgate_approval '<id> <action>', and the
 *     waiting instance then calls approval_take(), which hands out an
 *     approved request exactly once. The wait also asks once as it starts,
 *     for a decision announced before it was registered. Its own timer expires the request the
 *     same way, so an approval racing the timer still runs. After the
 *     listening connection comes back every wait asks again: a decision may
 *     have been announced while it was down;
 *   - a sweeper expires overdue requests every sweep_interval (deferred
 *     ones have no session timer) and, once at start, before any request
 *     of its own, cancels the held requests this instance name left
 *     pending when it last stopped (instance names must be unique);
 *   - active grants are cached and reloaded on NOTIFY agentgate_grant.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "approvals/approvals.h"
#include "store/store.h"

#define APPROVAL_CHANNEL "agentgate_approval"
#define GRANT_CHANNEL "agentgate_grant"
/* Delay before asking again when PostgreSQL did not answer. */
#define RETRY_MS 1000

struct grant {
	char id[37];
	int64_t agent_id;
	char connection[65];
	enum sql_class cls;
	int64_t expires_ms; /* wall clock */
};

struct approval_wait {
	struct approvals *ap;
	struct approval_wait *prev, *next;
	char id[37];
	char session_id[37];
	struct event *timer;   /* the request's deadline, then retries */
	struct store_op *op;   /* approval_take in flight */
	bool again;            /* a notification came during that take */
	bool expiring;         /* the deadline has passed */
	int failures;
	approval_wait_cb cb;
	void *arg;
};

struct approvals {
	struct event_base *base;
	struct store *store;
	const struct cfg *cfg;
	char actor[160];                 /* "gateway INSTANCE" */
	struct approval_wait *waits;
	struct approval_op *ops;         /* submissions and cancellations */
	struct grant *grants;
	size_t n_grants;
	struct store_op *grants_op;
	bool grants_again;
	struct event *sweep;
	struct store_op *sweep_op;
	bool swept_orphans;
};

/* ------------------------------------------------------------ grants */

static void load_grants(struct approvals *ap);

static void grants_cb(void *arg, bool ok, const char *err, size_t nrows,
                      size_t ncols, const char *const *cells)
{
	struct approvals *ap = arg;
	struct grant *g;
	size_t n = 0;

	ap->grants_op = NULL;
	if (!ok || ncols != 5) {
		log_warn("approvals: cannot load grants: %s (keeping %zu)",
		         err ? err : "unexpected result", ap->n_grants);
		ap->grants_again = true; /* retried by the sweeper */
		return;
	}
	g = core_xcalloc(nrows ? nrows : 1, sizeof *g);
	for (size_t i = 0; i < nrows; i++) {
		const char *const *row = cells + i * ncols;
		struct grant *x = &g[n];
		if (!row[0] || !row[1] || !row[2] || !row[3] || !row[4] ||
		    !sql_class_parse(row[3], &x->cls))
			continue;
		snprintf(x->id, sizeof x->id, "%s", row[0]);
		x->agent_id = strtoll(row[1], NULL, 10);
		snprintf(x->connection, sizeof x->connection, "%s", row[2]);
		x->expires_ms = strtoll(row[4], NULL, 10);
		n++;
	}
	free(ap->grants);
	ap->grants = g;
	ap->n_grants = n;
	log_info("approvals: %zu active grants", n);
	if (ap->grants_again) {
		ap->grants_again = false;
		load_grants(ap);
	}
}

static void load_grants(struct approvals *ap)
{
	if (ap->grants_op) {
		ap->grants_again = true;
		return;
	}
	ap->grants_op = store_query(
	    ap->store,
	    "SELECT id, agent_id, connection, class, "
	    "(extract(epoch FROM expires_at) * 1000)::bigint "
	    "FROM approval_grants WHERE revoked_at IS NULL AND expires_at > now()",
	    0, NULL, grants_cb, ap);
}

static void grant_notify_cb(void *arg, const char *payload)
{
	(void)payload;
	load_grants(arg);
}

bool approvals_grant_find(const struct approvals *ap, int64_t agent_id,
                          const char *connection, enum sql_class cls,
                          char id[37])
{
	int64_t now_ms = core_wall_us() / 1000;

	for (size_t i = 0; i < ap->n_grants; i++) {
		const struct grant *g = &ap->grants[i];
		if (g->agent_id == agent_id && g->cls == cls &&
		    g->expires_ms > now_ms && strcmp(g->connection, connection) == 0) {
			memcpy(id, g->id, 37);
			return true;
		}
	}
	return false;
}

/* ------------------------------------------------------------ submit */

/* A query this file sent on someone's behalf: a submission (cb set until
 * the submitter loses interest) or a cancellation nobody waits for. */
struct approval_op {
	struct approvals *ap;
	struct approval_op *prev, *next;
	struct store_op *op;
	approval_submit_cb cb;
	void *arg;
	bool hold;
	char session_id[37];
};

static struct approval_op *op_new(struct approvals *ap)
{
	struct approval_op *o = core_xcalloc(1, sizeof *o);

	o->ap = ap;
	o->next = ap->ops;
	if (ap->ops)
		ap->ops->prev = o;
	ap->ops = o;
	return o;
}

static void op_unlink_free(struct approval_op *o)
{
	if (o->prev)
		o->prev->next = o->next;
	else
		o->ap->ops = o->next;
	if (o->next)
		o->next->prev = o->prev;
	free(o);
}

static void cancel_request(struct approvals *ap, const char *id,
                           const char *session_id, const char *reason);

static void submit_cb(void *arg, bool ok, const char *err, size_t nrows,
                      size_t ncols, const char *const *cells)
{
	struct approval_op *o = arg;
	enum approval_outcome out = APPROVAL_FAILED;
	const char *id = NULL, *detail = err;

	o->op = NULL;
	if (ok && nrows == 1 && ncols == 3 && cells[0]) {
		id = cells[1];
		detail = cells[2];
		if (!strcmp(cells[0], "created"))
			out = APPROVAL_CREATED;
		else if (!strcmp(cells[0], "pending"))
			out = APPROVAL_PENDING;
		else if (!strcmp(cells[0], "run"))
			out = APPROVAL_RUN;
		else if (!strcmp(cells[0], "refused"))
			out = APPROVAL_REFUSED;
		else
			detail = "unexpected answer from approval_submit";
		if (out != APPROVAL_REFUSED && out != APPROVAL_FAILED && !id) {
			out = APPROVAL_FAILED;
			detail = "approval_submit returned no request id";
		}
	} else if (ok) {
		detail = "unexpected answer from approval_submit";
	}
	if (o->cb) {
		o->cb(o->arg, out, id, detail ? detail : "unknown error");
	} else if (out == APPROVAL_CREATED && o->hold) {
		/* The session went away while its request was being made. */
		cancel_request(o->ap, id, o->session_id,
		               "the agent disconnected while the request was made");
	}
	op_unlink_free(o);
}

struct approval_op *approvals_submit(struct approvals *ap,
                                     const struct approval_submit *req,
                                     approval_submit_cb cb, void *arg)
{
	const struct cfg_approvals *c = &ap->cfg->approvals;
	struct approval_op *o = op_new(ap);
	char id[37], seq[24], agent[24], command[8], quorum[16], ttl[24],
	    window[24], max_agent[24], max_total[24];
	char *text, *hex, *bytes;
	bool lossless;
	const char *params[26];

	o->cb = cb;
	o->arg = arg;
	o->hold = req->review->mode == REVIEW_HOLD;
	snprintf(o->session_id, sizeof o->session_id, "%s", req->session_id);
	core_uuid(id);
	snprintf(seq, sizeof seq, "%llu", (unsigned long long)req->seq);
	snprintf(agent, sizeof agent, "%lld", (long long)req->agent_id);
	snprintf(command, sizeof command, "%u", req->command);
	snprintf(quorum, sizeof quorum, "%d",
	         req->review->quorum > 0 ? req->review->quorum : 1);
	snprintf(ttl, sizeof ttl, "%llu",
	         (unsigned long long)((c->review_timeout + 999) / 1000));
	snprintf(window, sizeof window, "%llu",
	         (unsigned long long)((c->deferred_window + 999) / 1000));
	snprintf(max_agent, sizeof max_agent, "%lld", c->max_pending_per_agent);
	snprintf(max_total, sizeof max_total, "%lld", c->max_pending);
	text = core_utf8_sanitize(req->sql, req->sql_len, &lossless);
	hex = core_hex(req->sql, req->sql_len);
	bytes = core_xcalloc(strlen(hex) + 3, 1);
	memcpy(bytes, "\\x", 2);
	memcpy(bytes + 2, hex, strlen(hex));
	free(hex);
	params[0] = id;
	params[1] = review_mode_name(req->review->mode);
	params[2] = ap->cfg->gateway.instance;
	params[3] = req->session_id;
	params[4] = seq;
	params[5] = agent;
	params[6] = req->agent_name;
	params[7] = req->idp;
	params[8] = req->issuer;
	params[9] = req->subject;
	params[10] = req->connection;
	params[11] = req->client_addr;
	params[12] = command;
	params[13] = sql_class_name(req->cls);
	params[14] = req->reason;
	params[15] = req->policy;
	params[16] = text;
	params[17] = bytes;
	params[18] = req->params;
	params[19] = req->context ? req->context : "[]";
	params[20] = quorum;
	params[21] = req->review->groups;
	params[22] = ttl;
	params[23] = window;
	params[24] = max_agent;
	params[25] = max_total;
	o->op = store_query(ap->store,
	                    "SELECT outcome, request_id, detail FROM approval_submit("
	                    "$1::uuid, $2, $3, $4::uuid, $5::bigint, $6::bigint, "
	                    "$7, $8, $9, $10, $11, $12, $13::smallint, $14, $15, "
	                    "$16, $17, $18::bytea, $19, $20::jsonb, $21::int, "
	                    "coalesce(string_to_array(nullif($22, ''), ','), "
	                    "'{}'), $23::int, $24::int, $25::int, $26::int)",
	                    26, params, submit_cb, o);
	free(text);
	free(bytes);
	return o;
}

void approvals_submit_cancel(struct approval_op *o)
{
	o->cb = NULL;
	o->arg = NULL;
}

/* -------------------------------------------------------------- waits */

static void wait_unlink_free(struct approval_wait *w)
{
	struct approvals *ap = w->ap;

	if (w->prev)
		w->prev->next = w->next;
	else
		ap->waits = w->next;
	if (w->next)
		w->next->prev = w->prev;
	if (w->op)
		store_op_cancel(w->op);
	if (w->timer)
		event_free(w->timer);
	free(w);
}

static void take(struct approval_wait *w);

static void arm(struct approval_wait *w, uint64_t ms)
{
	struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};

	evtimer_add(w->timer, &tv);
}

static void end_wait(struct approval_wait *w, const struct approval_end *e)
{
	approval_wait_cb cb = w->cb;
	void *arg = w->arg;

	w->cb = NULL;
	wait_unlink_free(w);
	cb(arg, e);
}

static void take_cb(void *arg, bool ok, const char *err, size_t nrows,
                    size_t ncols, const char *const *cells)
{
	struct approval_wait *w = arg;
	uint8_t sha[32];
	const uint8_t *shap = NULL;

	w->op = NULL;
	if (!ok || nrows != 1 || ncols != 6 || !cells[0]) {
		log_warn("approvals: request %s: cannot read its state: %s", w->id,
		         ok ? "unexpected result" : err);
		if (w->expiring && ++w->failures >= 3) {
			/* Past its deadline and PostgreSQL does not answer: the
			 * session stops waiting; the sweeper expires the request. */
			end_wait(w, &(struct approval_end){
			                .state = "error",
			                .reason = "the approval store did not answer",
			            });
			return;
		}
		arm(w, RETRY_MS);
		return;
	}
	w->failures = 0;
	if (!strcmp(cells[0], "pending")) {
		if (w->again) {
			w->again = false;
			take(w);
		}
		return; /* keep waiting: the deadline timer is still armed */
	}
	if (cells[2] && strlen(cells[2]) == 64) {
		for (int i = 0; i < 32; i++) {
			unsigned v;
			if (sscanf(cells[2] + 2 * i, "%2x", &v) != 1)
				break;
			sha[i] = (uint8_t)v;
			if (i == 31)
				shap = sha;
		}
	}
	end_wait(w, &(struct approval_end){
	                .state = cells[0],
	                .run = cells[1] && !strcmp(cells[1], "t"),
	                .sha256 = shap,
	                .decided_by = cells[3],
	                .comment = cells[4],
	                .reason = cells[5],
	            });
}

static void take(struct approval_wait *w)
{
	const char *params[5];

	if (w->op) {
		w->again = true;
		return;
	}
	params[0] = w->id;
	params[1] = w->session_id;
	params[2] = w->ap->actor;
	params[3] = w->expiring ? "expired" : NULL;
	params[4] = w->expiring ? "no decision within the review timeout" : NULL;
	w->op = store_query(w->ap->store,
	                    "SELECT state, consumed, encode(sql_sha256, 'hex'), "
	                    "decided_by, comment, reason FROM approval_take("
	                    "$1::uuid, $2::uuid, $3, $4, $5)",
	                    5, params, take_cb, w);
}

static void wait_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct approval_wait *w = arg;

	(void)fd;
	(void)what;
	w->expiring = true;
	take(w);
}

struct approval_wait *approvals_wait(struct approvals *ap, const char *id,
                                     const char *session_id,
                                     uint64_t timeout_ms, approval_wait_cb cb,
                                     void *arg)
{
	struct approval_wait *w = core_xcalloc(1, sizeof *w);

	w->ap = ap;
	snprintf(w->id, sizeof w->id, "%s", id);
	snprintf(w->session_id, sizeof w->session_id, "%s", session_id);
	w->cb = cb;
	w->arg = arg;
	w->timer = evtimer_new(ap->base, wait_timer_cb, w);
	if (!w->timer)
		abort();
	w->next = ap->waits;
	if (ap->waits)
		ap->waits->prev = w;
	ap->waits = w;
	arm(w, timeout_ms);
	/* A decision may already have been announced: the store hands out
	 * notifications as it reads them, but the submission's answer, read in
	 * the same batch, only later. Ask once now; notifications do the
	 * rest. */
	take(w);
	return w;
}

static void cancel_cb(void *arg, bool ok, const char *err, size_t nrows,
                      size_t ncols, const char *const *cells)
{
	struct approval_op *o = arg;

	if (!ok)
		log_warn("approvals: cannot cancel a request of session %s: %s "
		         "(the sweeper will expire it)",
		         o->session_id, err);
	else if (nrows == 1 && ncols == 1 && cells[0])
		log_info("approvals: request of session %s is %s", o->session_id,
		         cells[0]);
	op_unlink_free(o);
}

/* Cancels a pending request; nobody waits for the answer. */
static void cancel_request(struct approvals *ap, const char *id,
                           const char *session_id, const char *reason)
{
	struct approval_op *o = op_new(ap);
	const char *params[5] = {id, session_id, ap->actor, "cancelled", reason};

	snprintf(o->session_id, sizeof o->session_id, "%s", session_id);
	o->op = store_query(ap->store,
	                    "SELECT state FROM approval_take($1::uuid, $2::uuid, "
	                    "$3, $4, $5)",
	                    5, params, cancel_cb, o);
}

void approvals_wait_abandon(struct approval_wait *w, const char *reason)
{
	struct approvals *ap = w->ap;
	char id[37], session_id[37];

	memcpy(id, w->id, sizeof id);
	memcpy(session_id, w->session_id, sizeof session_id);
	wait_unlink_free(w);
	cancel_request(ap, id, session_id, reason);
}

/* NOTIFY agentgate_approval '<id> <action>'; NULL after a reconnect. */
static void approval_notify_cb(void *arg, const char *payload)
{
	struct approvals *ap = arg;
	const char *sp;

	if (payload == NULL) {
		for (struct approval_wait *w = ap->waits; w; w = w->next)
			take(w);
		return;
	}
	sp = strchr(payload, ' ');
	if (!sp || sp - payload != 36)
		return;
	if (strcmp(sp + 1, "approved") && strcmp(sp + 1, "denied") &&
	    strcmp(sp + 1, "expired") && strcmp(sp + 1, "cancelled"))
		return;
	for (struct approval_wait *w = ap->waits; w; w = w->next) {
		if (strncmp(w->id, payload, 36) == 0) {
			take(w);
			return;
		}
	}
}

/* ------------------------------------------------------------ sweeper */

static void sweep_done_cb(void *arg, bool ok, const char *err, size_t nrows,
                          size_t ncols, const char *const *cells)
{
	struct approvals *ap = arg;

	ap->sweep_op = NULL;
	if (!ok) {
		log_warn("approvals: sweep failed: %s", err);
		return;
	}
	if (!ap->swept_orphans) {
		ap->swept_orphans = true;
		if (nrows == 1 && ncols == 1 && cells[0] && strcmp(cells[0], "0"))
			log_info("approvals: %s requests expired or left behind by an "
			         "earlier run of instance %s were closed",
			         cells[0], ap->cfg->gateway.instance);
	}
}

static void sweep_now(struct approvals *ap)
{
	const char *params[1] = {ap->swept_orphans ? NULL
	                                           : ap->cfg->gateway.instance};

	if (!ap->sweep_op)
		ap->sweep_op = store_query(ap->store,
		                           "SELECT approval_sweep($1)", 1, params,
		                           sweep_done_cb, ap);
}

static void sweep_cb(evutil_socket_t fd, short what, void *arg)
{
	struct approvals *ap = arg;
	uint64_t ms = ap->cfg->approvals.sweep_interval;
	struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};

	(void)fd;
	(void)what;
	sweep_now(ap);
	if (ap->grants_again && !ap->grants_op) {
		ap->grants_again = false;
		load_grants(ap);
	}
	evtimer_add(ap->sweep, &tv);
}

/* ------------------------------------------------------------ life */

struct approvals *approvals_new(struct event_base *base, struct store *st,
                                const struct cfg *cfg, char *err,
                                size_t errlen)
{
	struct approvals *ap = core_xcalloc(1, sizeof *ap);

	ap->base = base;
	ap->store = st;
	ap->cfg = cfg;
	snprintf(ap->actor, sizeof ap->actor, "gateway %s",
	         cfg->gateway.instance);
	ap->sweep = evtimer_new(base, sweep_cb, ap);
	if (!ap->sweep ||
	    !store_listen(st, APPROVAL_CHANNEL, approval_notify_cb, ap) ||
	    !store_listen(st, GRANT_CHANNEL, grant_notify_cb, ap)) {
		snprintf(err, errlen, "cannot listen for approval decisions");
		approvals_free(ap);
		return NULL;
	}
	/* Queries run in order on one connection: sent now, the sweep of
	 * this instance's orphans runs before any request it makes. */
	sweep_now(ap);
	{
		uint64_t ms = cfg->approvals.sweep_interval;
		struct timeval tv = {(time_t)(ms / 1000),
		                     (suseconds_t)(ms % 1000) * 1000};
		evtimer_add(ap->sweep, &tv);
	}
	return ap;
}

void approvals_free(struct approvals *ap)
{
	if (!ap)
		return;
	while (ap->waits)
		wait_unlink_free(ap->waits);
	while (ap->ops) {
		if (ap->ops->op)
			store_op_cancel(ap->ops->op);
		op_unlink_free(ap->ops);
	}
	if (ap->grants_op)
		store_op_cancel(ap->grants_op);
	if (ap->sweep_op)
		store_op_cancel(ap->sweep_op);
	if (ap->sweep)
		event_free(ap->sweep);
	free(ap->grants);
	free(ap);
}

const char *approvals_public_url(const struct approvals *ap)
{
	return ap->cfg->has_web ? ap->cfg->web.public_url : NULL;
}
