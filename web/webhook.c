/*
 * Webhook delivery: every transition worth announcing (a request created,
 * approved, denied, expired or cancelled) leaves a row in webhook_outbox in
 * the transaction that made it (sql/004_approvals.sql). Every instance with
 * a webhook_url delivers them: it claims due rows with FOR UPDATE SKIP
 * LOCKED, moving their next attempt into the future as it does (a lease, so
 * two instances never post the same row at once), POSTs each as JSON and
 * marks it delivered on a 2xx answer. A failed attempt waits 1 s, 2 s,
 * 4 s, ... up to 10 minutes; after webhook_max_attempts it is given up and
 * logged. Nothing here is on a session's path: a slow or dead receiver
 * delays notifications, never statements.
 *
 * With a webhook_secret_file, each POST carries X-Agentgate-Signature:
 * sha256=<hex HMAC-SHA256 of the body>, so the receiver can tell the
 * gateway's posts from forgeries.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "idp/idp.h"
#include "store/store.h"
#include "web/web.h"

/* Rows claimed per round; a round ends when all of them have answered. */
#define BATCH 16
/* Longest wait between attempts. */
#define MAX_BACKOFF_S 600
#define SECRET_MAX 4096

struct delivery {
	struct webhook *wh;
	size_t slot;               /* in wh->deliveries and wh->marks */
	char id[24];
	struct idp_http *http;
};

struct webhook {
	struct event_base *base;
	struct store *store;
	const struct cfg_approvals *cfg;
	SSL_CTX *ssl_ctx;
	char *secret;
	size_t secret_len;
	struct event *timer;
	struct store_op *claim;
	bool again;                /* a notification came during a round */
	size_t in_flight;          /* posts and their bookkeeping queries */
	struct delivery *deliveries[BATCH];
	struct store_op *marks[BATCH];
	unsigned rounds;
};

static void round_start(struct webhook *wh);

static void round_maybe_done(struct webhook *wh)
{
	if (wh->in_flight > 0 || wh->claim)
		return;
	if (wh->again) {
		wh->again = false;
		round_start(wh);
	}
}

static void mark_cb(void *arg, bool ok, const char *err, size_t nrows,
                    size_t ncols, const char *const *cells)
{
	struct delivery *d = arg;
	struct webhook *wh = d->wh;

	(void)nrows;
	(void)ncols;
	(void)cells;
	if (!ok)
		log_warn("webhook: cannot record delivery %s: %s", d->id, err);
	wh->marks[d->slot] = NULL;
	wh->deliveries[d->slot] = NULL;
	free(d);
	wh->in_flight--;
	round_maybe_done(wh);
}

static void post_cb(void *arg, int status, const char *body, size_t len,
                    const char *err)
{
	struct delivery *d = arg;
	struct webhook *wh = d->wh;
	const char *params[2] = {d->id, NULL};
	char why[300];
	size_t slot = d->slot;

	(void)body;
	(void)len;
	d->http = NULL;
	if (!err && status >= 200 && status < 300) {
		wh->marks[slot] = store_query(
		    wh->store,
		    "UPDATE webhook_outbox SET delivered_at = now(), "
		    "last_error = NULL WHERE id = $1::bigint",
		    1, params, mark_cb, d);
		return;
	}
	if (err)
		snprintf(why, sizeof why, "%s", err);
	else
		snprintf(why, sizeof why, "HTTP %d", status);
	log_warn("webhook: delivery %s failed: %s", d->id, why);
	params[1] = why;
	wh->marks[slot] = store_query(
	    wh->store,
	    "UPDATE webhook_outbox SET last_error = $2 WHERE id = $1::bigint",
	    2, params, mark_cb, d);
}

static void sign(const struct webhook *wh, const char *body, size_t len,
                 char out[8 + 64 + 1])
{
	uint8_t mac[32];
	unsigned mac_len = 0;

	memcpy(out, "sha256=", 7);
	if (!HMAC(EVP_sha256(), wh->secret, (int)wh->secret_len,
	          (const uint8_t *)body, len, mac, &mac_len) ||
	    mac_len != 32) {
		out[7] = '\0';
		return;
	}
	for (size_t i = 0; i < 32; i++)
		snprintf(out + 7 + 2 * i, 3, "%02x", mac[i]);
}

static void claim_cb(void *arg, bool ok, const char *err, size_t nrows,
                     size_t ncols, const char *const *cells)
{
	struct webhook *wh = arg;

	wh->claim = NULL;
	if (!ok || ncols != 4) {
		log_warn("webhook: cannot read the outbox: %s",
		         ok ? "unexpected result" : err);
		round_maybe_done(wh);
		return;
	}
	for (size_t i = 0; i < nrows && i < BATCH; i++) {
		const char *const *row = cells + i * ncols;
		struct delivery *d;
		char sig[8 + 64 + 1] = "";
		char perr[256];
		const char *headers[9];
		size_t h = 0;
		long attempts = row[3] ? strtol(row[3], NULL, 10) : 0;

		if (!row[0] || !row[1] || !row[2])
			continue;
		if (attempts >= wh->cfg->webhook_max_attempts)
			log_error("webhook: delivery %s (%s) gets its last attempt",
			          row[0], row[2]);
		d = core_xcalloc(1, sizeof *d);
		d->wh = wh;
		d->slot = i;
		snprintf(d->id, sizeof d->id, "%s", row[0]);
		headers[h++] = "X-Agentgate-Event";
		headers[h++] = row[2];
		headers[h++] = "X-Agentgate-Delivery";
		headers[h++] = row[0];
		if (wh->secret) {
			sign(wh, row[1], strlen(row[1]), sig);
			headers[h++] = "X-Agentgate-Signature";
			headers[h++] = sig;
		}
		headers[h] = NULL;
		wh->deliveries[i] = d;
		wh->in_flight++;
		d->http = idp_http_post_headers(
		    wh->base, NULL, wh->ssl_ctx, wh->cfg->webhook_url, headers,
		    "application/json", row[1], strlen(row[1]),
		    wh->cfg->webhook_timeout, post_cb, d, perr, sizeof perr);
		if (!d->http) {
			/* The URL was checked at start; report like a failure. */
			post_cb(d, 0, NULL, 0, perr);
		}
	}
	round_maybe_done(wh);
}

static void round_start(struct webhook *wh)
{
	char max[24], batch[8], cap[16];
	const char *params[3] = {max, batch, cap};

	if (wh->claim || wh->in_flight > 0) {
		wh->again = true;
		return;
	}
	snprintf(max, sizeof max, "%lld", wh->cfg->webhook_max_attempts);
	snprintf(batch, sizeof batch, "%d", BATCH);
	snprintf(cap, sizeof cap, "%d", MAX_BACKOFF_S);
	/* Claimed rows get their next attempt pushed back (the lease); the
	 * attempt count says how far. */
	wh->claim = store_query(
	    wh->store,
	    "UPDATE webhook_outbox o SET attempts = o.attempts + 1, "
	    "next_attempt_at = now() + make_interval(secs => least("
	    "power(2, o.attempts)::int, $3::int)) "
	    "FROM (SELECT id FROM webhook_outbox WHERE delivered_at IS NULL "
	    "AND next_attempt_at <= now() AND attempts < $1::int "
	    "ORDER BY id LIMIT $2::int FOR UPDATE SKIP LOCKED) due "
	    "WHERE o.id = due.id "
	    "RETURNING o.id, o.payload::text, o.event, o.attempts",
	    3, params, claim_cb, wh);
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct webhook *wh = arg;
	uint64_t ms = wh->cfg->sweep_interval;
	struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};

	(void)fd;
	(void)what;
	round_start(wh);
	evtimer_add(wh->timer, &tv);
}

static void notify_cb(void *arg, const char *payload)
{
	(void)payload;
	round_start(arg);
}

struct webhook *webhook_new(struct event_base *base, const struct cfg *cfg,
                            struct store *st, char *err, size_t errlen)
{
	const struct cfg_approvals *c = &cfg->approvals;
	struct webhook *wh = core_xcalloc(1, sizeof *wh);
	uint64_t ms = c->sweep_interval;
	struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};

	wh->base = base;
	wh->store = st;
	wh->cfg = c;
	if (strncmp(c->webhook_url, "https://", 8) == 0) {
		wh->ssl_ctx = idp_http_ssl_ctx_new(c->webhook_ca_file, err, errlen);
		if (!wh->ssl_ctx)
			goto fail;
	}
	if (c->webhook_secret_file) {
		wh->secret = core_read_file(c->webhook_secret_file, SECRET_MAX, err,
		                            errlen);
		if (!wh->secret)
			goto fail;
		wh->secret_len = strcspn(wh->secret, "\r\n");
		if (wh->secret_len == 0) {
			snprintf(err, errlen, "%s is empty", c->webhook_secret_file);
			goto fail;
		}
	}
	wh->timer = evtimer_new(base, timer_cb, wh);
	if (!wh->timer ||
	    !store_listen(st, "agentgate_approval", notify_cb, wh)) {
		snprintf(err, errlen, "cannot schedule webhook delivery");
		goto fail;
	}
	evtimer_add(wh->timer, &tv);
	log_info("webhook: delivering approval notifications to %s",
	         c->webhook_url);
	return wh;
fail:
	webhook_free(wh);
	return NULL;
}

void webhook_free(struct webhook *wh)
{
	if (!wh)
		return;
	if (wh->claim)
		store_op_cancel(wh->claim);
	for (size_t i = 0; i < BATCH; i++) {
		if (wh->marks[i])
			store_op_cancel(wh->marks[i]);
		if (wh->deliveries[i]) {
			if (wh->deliveries[i]->http)
				idp_http_cancel(wh->deliveries[i]->http);
			free(wh->deliveries[i]);
		}
	}
	if (wh->timer)
		event_free(wh->timer);
	if (wh->ssl_ctx)
		SSL_CTX_free(wh->ssl_ctx);
	if (wh->secret) {
		OPENSSL_cleanse(wh->secret, strlen(wh->secret));
		free(wh->secret);
	}
	free(wh);
}
