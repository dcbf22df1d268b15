/*
 * The policy rules of every instance, cached: loaded from PostgreSQL at
 * start, reloaded whenever agentgatectl announces a change (NOTIFY
 * agentgate_policy) and after the listening connection comes back (a change
 * may have been missed meanwhile). Each successful load replaces the whole
 * snapshot and tells the owner, which re-evaluates its sessions. A load
 * that fails keeps the previous snapshot and is retried.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "approvals/approvals.h"
#include "store/store.h"

#define POLICY_CHANNEL "agentgate_policy"
/* Delay before retrying a failed load. */
#define RELOAD_RETRY_MS 1000

struct approval_policies {
	struct store *store;
	struct event *retry;
	struct store_op *loading;
	bool reload_again;      /* a change arrived during a load */
	bool ready;             /* loaded at least once */
	uint64_t version;       /* bumped on every successful load */
	struct policy_rule *rules;
	size_t n_rules;
	approval_policies_cb changed;
	void *arg;
};

static void load(struct approval_policies *ap);

static void rows_cb(void *arg, bool ok, const char *err, size_t nrows,
                    size_t ncols, const char *const *cells)
{
	struct approval_policies *ap = arg;
	struct policy_rule *rules = NULL;
	size_t n = 0;
	struct timeval tv = {RELOAD_RETRY_MS / 1000,
	                     (RELOAD_RETRY_MS % 1000) * 1000};

	ap->loading = NULL;
	if (!ok || ncols != 8) {
		log_warn("policies: cannot load rules: %s (keeping %zu rules)",
		         err ? err : "unexpected result", ap->n_rules);
		evtimer_add(ap->retry, &tv);
		return;
	}
	rules = core_xcalloc(nrows ? nrows : 1, sizeof *rules);
	for (size_t i = 0; i < nrows; i++) {
		const char *const *row = cells + i * ncols;
		struct policy_rule *r = &rules[n];
		if (!row[0] || !row[3] || !row[4] ||
		    !policy_scope_parse(row[0], &r->scope) ||
		    !sql_class_parse(row[3], &r->cls) ||
		    !policy_action_parse(row[4], &r->action) || !row[5] ||
		    !review_mode_parse(row[5], &r->review.mode) || !row[6]) {
			/* The table's checks make this impossible; skip loudly. */
			log_error("policies: skipping malformed rule %zu", i);
			continue;
		}
		snprintf(r->subject, sizeof r->subject, "%s", row[1] ? row[1] : "");
		snprintf(r->connection, sizeof r->connection, "%s",
		         row[2] ? row[2] : POLICY_ANY_CONNECTION);
		r->review.quorum = atoi(row[6]);
		if (r->review.quorum < 1)
			r->review.quorum = 1;
		snprintf(r->review.groups, sizeof r->review.groups, "%s",
		         row[7] ? row[7] : "");
		n++;
	}
	free(ap->rules);
	ap->rules = rules;
	ap->n_rules = n;
	ap->ready = true;
	ap->version++;
	log_info("policies: %zu rules loaded", n);
	if (ap->reload_again) {
		ap->reload_again = false;
		load(ap);
	}
	if (ap->changed)
		ap->changed(ap->arg);
}

static void load(struct approval_policies *ap)
{
	if (ap->loading) {
		ap->reload_again = true;
		return;
	}
	ap->loading = store_query(
	    ap->store,
	    "SELECT scope, subject, connection, class, action, review_mode, "
	    "quorum, array_to_string(quorum_groups, ',') FROM policies",
	    0, NULL, rows_cb, ap);
}

static void retry_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	load(arg);
}

static void notify_cb(void *arg, const char *payload)
{
	(void)payload; /* NULL after a reconnect: reload as well */
	load(arg);
}

struct approval_policies *approval_policies_new(struct event_base *base,
                                                struct store *st,
                                                approval_policies_cb changed,
                                                void *arg, char *err,
                                                size_t errlen)
{
	struct approval_policies *ap = core_xcalloc(1, sizeof *ap);

	ap->store = st;
	ap->changed = changed;
	ap->arg = arg;
	ap->retry = evtimer_new(base, retry_cb, ap);
	if (!ap->retry || !store_listen(st, POLICY_CHANNEL, notify_cb, ap)) {
		snprintf(err, errlen, "cannot listen for policy changes");
		approval_policies_free(ap);
		return NULL;
	}
	load(ap);
	return ap;
}

void approval_policies_free(struct approval_policies *ap)
{
	if (!ap)
		return;
	if (ap->loading)
		store_op_cancel(ap->loading);
	if (ap->retry)
		event_free(ap->retry);
	free(ap->rules);
	free(ap);
}

bool approval_policies_ready(const struct approval_policies *ap)
{
	return ap->ready;
}

uint64_t approval_policies_version(const struct approval_policies *ap)
{
	return ap->version;
}

void approval_policies_evaluate(const struct approval_policies *ap,
                                const char *agent, const char *const *groups,
                                size_t n_groups, const char *connection,
                                struct policy_effective *out)
{
	policy_evaluate(ap->rules, ap->n_rules, agent, groups, n_groups,
	                connection, out);
}
