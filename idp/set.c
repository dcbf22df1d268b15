/*
 * set.c: the identity providers of a running gateway. For each [idp] it
 * finds the JWKS (OpenID discovery unless jwks_uri is configured), fetches
 * and caches it, refreshes it after jwks_max_age, and refetches it when a
 * token names an unknown kid — at most once per jwks_refresh_min_interval.
 * Verification requests pick their provider by the token's unverified iss,
 * wait while a fetch they need is under way, and are answered from the
 * event loop through a per-request event, so a caller is never called back
 * from inside idp_set_verify() and may cancel at any time before.
 *
 * It deliberately keeps serving the last good key set when a refresh fails
 * (an IdP outage must not lock every agent out), never blocks the loop, and
 * never logs tokens. Failed initial fetches are retried with backoff.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <event2/dns.h>
#include <event2/event.h>
#include <jansson.h>

#include "core/core.h"
#include "idp/idp.h"
#include "idp/internal.h"

/* Retry delays after a failed fetch: 1 s, doubling, at most 30 s. */
#define BACKOFF_FIRST_MS 1000
#define BACKOFF_MAX_MS 30000
#define DISCOVERY_PATH "/.well-known/openid-configuration"

struct idp_request;

/* An intrusive list of requests; a request is on at most one. */
struct req_list {
	struct idp_request *head;
	struct idp_request *tail;
};

enum fetch_phase {
	FETCH_IDLE,      /* nothing in flight */
	FETCH_DISCOVERY, /* GET of the discovery document */
	FETCH_JWKS,      /* GET of the JWKS */
};

struct provider {
	struct idp_set *set;
	struct cfg_idp cfg;        /* our own deep copy */
	SSL_CTX *ssl_ctx;
	char *discovery_url;       /* NULL when jwks_uri is configured */
	char *jwks_uri;            /* configured, or learnt from discovery */
	struct idp_keyset *ks;     /* last good key set, NULL before the first */
	uint64_t ks_at_ms;         /* when it was fetched (monotonic) */
	bool kid_refreshed;        /* an unknown kid has triggered a refresh */
	uint64_t kid_refresh_ms;   /* ... at this time (monotonic) */
	enum fetch_phase phase;
	struct idp_http *http;     /* the request in flight, if any */
	struct event *timer;       /* next retry or max-age refresh */
	uint64_t backoff_ms;       /* delay after the next failure */
	unsigned attempts;         /* fetches started */
	bool last_failed;          /* the most recent fetch failed */
	struct req_list waiting;   /* requests waiting for this fetch */
	char last_error[IDP_REASON_LEN];
};

struct idp_set {
	struct event_base *base;
	struct evdns_base *dns;
	struct provider *provs;
	size_t n;
	struct req_list delivering; /* answered, waiting for their event */
};

struct idp_request {
	struct idp_set *set;
	struct provider *prov;
	struct idp_request *prev, *next;
	struct req_list *list;
	char *token;
	size_t len;
	idp_verify_cb cb;
	void *arg;
	struct event *ev;
	enum idp_result res;
	struct idp_principal *p;
	char reason[IDP_REASON_LEN];
};

static void provider_fetch(struct provider *prov);

/* snprintf into a fixed buffer; cutting a long message short is fine. */
static void say(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void say(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!buf || len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* ---------------------------------------------------------------- lists */

static void list_push(struct req_list *l, struct idp_request *r)
{
	r->list = l;
	r->next = NULL;
	r->prev = l->tail;
	if (l->tail)
		l->tail->next = r;
	else
		l->head = r;
	l->tail = r;
}

static void list_unlink(struct idp_request *r)
{
	struct req_list *l = r->list;

	if (!l)
		return;
	if (r->prev)
		r->prev->next = r->next;
	else
		l->head = r->next;
	if (r->next)
		r->next->prev = r->prev;
	else
		l->tail = r->prev;
	r->prev = r->next = NULL;
	r->list = NULL;
}

/* ------------------------------------------------------------- requests */

static void request_free(struct idp_request *r)
{
	list_unlink(r);
	if (r->ev)
		event_free(r->ev);
	idp_principal_free(r->p);
	if (r->token) {
		core_wipe(r->token, r->len);
		free(r->token);
	}
	free(r);
}

static void deliver_cb(evutil_socket_t fd, short what, void *arg)
{
	struct idp_request *r = arg;
	struct idp_principal *p = r->p;

	(void)fd;
	(void)what;
	list_unlink(r);
	r->p = NULL;
	/* The request is off every list, so whatever the callback does to the
	 * set (even freeing it) cannot reach it; we free it afterwards. */
	r->cb(r->arg, r->res, r->reason, p);
	request_free(r);
}

/* Record the answer and schedule its delivery. */
static void finish(struct idp_request *r, enum idp_result res,
                   struct idp_principal *p)
{
	list_unlink(r);
	r->res = res;
	r->p = p;
	if (res == IDP_OK) {
		log_debug("idp %s: token of '%s' verified", r->prov->cfg.name,
		          p->subject);
	} else {
		log_debug("idp %s: token refused: %s (%s)",
		          r->prov ? r->prov->cfg.name : "-", idp_result_name(res),
		          r->reason);
	}
	list_push(&r->set->delivering, r);
	event_active(r->ev, EV_TIMEOUT, 1);
}

static void append_reason(struct idp_request *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void append_reason(struct idp_request *r, const char *fmt, ...)
{
	size_t used = strlen(r->reason);
	va_list ap;

	if (used + 1 >= sizeof r->reason)
		return;
	va_start(ap, fmt);
	vsnprintf(r->reason + used, sizeof r->reason - used, fmt, ap);
	va_end(ap);
}

/* Verify with the provider's current keys. On IDP_OK *p is set. */
static enum idp_result try_verify(struct idp_request *r,
                                  struct idp_principal **p)
{
	struct provider *prov = r->prov;
	int64_t now = core_wall_us() / 1000000;

	*p = NULL;
	r->reason[0] = '\0';
	return idp_verify_jwt(&prov->cfg, prov->ks, r->token, r->len, now, p,
	                      r->reason, sizeof r->reason);
}

static void say_unavailable(struct idp_request *r)
{
	struct provider *prov = r->prov;

	say(r->reason, sizeof r->reason,
	         "keys of identity provider '%s' are not available%s%s",
	         prov->cfg.name, prov->last_error[0] ? ": " : "",
	         prov->last_error);
}

/* Verify now, or wait for a fetch that could change the answer. */
static void process(struct idp_request *r)
{
	struct provider *prov = r->prov;
	struct idp_principal *p = NULL;
	enum idp_result res = try_verify(r, &p);
	uint64_t now, interval = prov->cfg.jwks_refresh_min_interval;

	if (res == IDP_ERR_KEYS_UNAVAILABLE && !prov->ks) {
		if (prov->phase != FETCH_IDLE) {
			list_push(&prov->waiting, r);
			return;
		}
		if (prov->attempts == 0) {
			list_push(&prov->waiting, r);
			provider_fetch(prov);
			return;
		}
		say_unavailable(r);
		finish(r, res, NULL);
		return;
	}
	if (res != IDP_ERR_UNKNOWN_KID) {
		finish(r, res, p);
		return;
	}
	if (prov->phase != FETCH_IDLE) {
		list_push(&prov->waiting, r);
		return;
	}
	now = core_mono_ms();
	if (!prov->kid_refreshed || now - prov->kid_refresh_ms >= interval) {
		prov->kid_refreshed = true;
		prov->kid_refresh_ms = now;
		log_info("idp %s: token names a key we do not have (%s); "
		         "refreshing the key set",
		         prov->cfg.name, r->reason);
		list_push(&prov->waiting, r);
		provider_fetch(prov);
		return;
	}
	append_reason(r, " (key set refreshed %llu s ago, next refresh in %llu s)",
	              (unsigned long long)((now - prov->kid_refresh_ms) / 1000),
	              (unsigned long long)((interval - (now - prov->kid_refresh_ms) +
	                                    999) / 1000));
	finish(r, res, NULL);
}

/* A fetch ended: answer everyone who waited for it, with whatever keys we
 * have now. */
static void resume_waiting(struct provider *prov)
{
	struct req_list l = prov->waiting;

	prov->waiting.head = prov->waiting.tail = NULL;
	for (struct idp_request *r = l.head; r; r = r->next)
		r->list = &l;
	while (l.head) {
		struct idp_request *r = l.head;
		struct idp_principal *p = NULL;
		enum idp_result res;

		list_unlink(r);
		res = try_verify(r, &p);
		if (res == IDP_ERR_KEYS_UNAVAILABLE && !prov->ks)
			say_unavailable(r);
		else if (res == IDP_ERR_UNKNOWN_KID && prov->last_failed)
			append_reason(r, " (key refresh failed: %s)", prov->last_error);
		finish(r, res, p);
	}
}

/* -------------------------------------------------------------- fetches */

static void schedule(struct provider *prov, uint64_t ms)
{
	struct timeval tv;

	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	evtimer_add(prov->timer, &tv);
}

static void fetch_failed(struct provider *prov, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void fetch_failed(struct provider *prov, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(prov->last_error, sizeof prov->last_error, fmt, ap);
	va_end(ap);
	/* A discovered JWKS location that fails is looked up again next time:
	 * the provider may have moved it. */
	if (prov->phase == FETCH_JWKS && prov->discovery_url) {
		free(prov->jwks_uri);
		prov->jwks_uri = NULL;
	}
	prov->phase = FETCH_IDLE;
	prov->last_failed = true;
	if (prov->backoff_ms == 0)
		prov->backoff_ms = BACKOFF_FIRST_MS;
	log_warn("idp %s: %s; %s, retrying in %llu ms", prov->cfg.name,
	         prov->last_error,
	         prov->ks ? "keeping the previous key set" : "no keys yet",
	         (unsigned long long)prov->backoff_ms);
	schedule(prov, prov->backoff_ms);
	prov->backoff_ms *= 2;
	if (prov->backoff_ms > BACKOFF_MAX_MS)
		prov->backoff_ms = BACKOFF_MAX_MS;
	resume_waiting(prov);
}

static void jwks_cb(void *arg, int status, const char *body, size_t len,
                    const char *err)
{
	struct provider *prov = arg;
	struct idp_keyset *ks;
	char why[IDP_REASON_LEN];

	prov->http = NULL;
	if (err) {
		fetch_failed(prov, "JWKS %s: %s", prov->jwks_uri, err);
		return;
	}
	if (status != 200) {
		fetch_failed(prov, "JWKS %s: HTTP %d", prov->jwks_uri, status);
		return;
	}
	ks = idp_keyset_parse(body, len, why, sizeof why);
	if (!ks) {
		fetch_failed(prov, "JWKS %s: HTTP %d, %s", prov->jwks_uri, status,
		             why);
		return;
	}
	idp_keyset_free(prov->ks);
	prov->ks = ks;
	prov->ks_at_ms = core_mono_ms();
	prov->phase = FETCH_IDLE;
	prov->backoff_ms = 0;
	prov->last_failed = false;
	prov->last_error[0] = '\0';
	log_info("idp %s: JWKS %s: HTTP %d, %zu usable keys", prov->cfg.name,
	         prov->jwks_uri, status, idp_keyset_count(ks));
	if (prov->cfg.jwks_max_age > 0)
		schedule(prov, prov->cfg.jwks_max_age);
	resume_waiting(prov);
}

static void fetch_jwks(struct provider *prov)
{
	char err[IDP_REASON_LEN];

	prov->phase = FETCH_JWKS;
	prov->http = idp_http_get(prov->set->base, prov->set->dns, prov->ssl_ctx,
	                          prov->jwks_uri, prov->cfg.fetch_timeout,
	                          IDP_MAX_DOC_SIZE, jwks_cb, prov, err,
	                          sizeof err);
	if (!prov->http)
		fetch_failed(prov, "JWKS %s: %s", prov->jwks_uri, err);
}

static void discovery_cb(void *arg, int status, const char *body, size_t len,
                         const char *err)
{
	struct provider *prov = arg;
	json_t *doc = NULL, *iss, *uri;
	json_error_t jerr;
	char q[80];

	prov->http = NULL;
	if (err) {
		fetch_failed(prov, "discovery %s: %s", prov->discovery_url, err);
		return;
	}
	if (status != 200) {
		fetch_failed(prov, "discovery %s: HTTP %d", prov->discovery_url,
		             status);
		return;
	}
	doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(doc)) {
		fetch_failed(prov, "discovery %s: HTTP %d, not a JSON object",
		             prov->discovery_url, status);
		goto out;
	}
	iss = json_object_get(doc, "issuer");
	if (!json_is_string(iss) ||
	    strcmp(json_string_value(iss), prov->cfg.issuer) != 0) {
		idp_quote(json_is_string(iss) ? json_string_value(iss) : "", q,
		          sizeof q);
		fetch_failed(prov,
		             "discovery %s: document names issuer '%s', not the "
		             "configured one",
		             prov->discovery_url, q);
		goto out;
	}
	uri = json_object_get(doc, "jwks_uri");
	if (!json_is_string(uri) || json_string_length(uri) == 0 ||
	    strlen(json_string_value(uri)) != json_string_length(uri)) {
		fetch_failed(prov, "discovery %s: document has no jwks_uri",
		             prov->discovery_url);
		goto out;
	}
	free(prov->jwks_uri);
	prov->jwks_uri = core_xstrdup(json_string_value(uri));
	log_info("idp %s: discovery %s: HTTP %d, jwks_uri %s", prov->cfg.name,
	         prov->discovery_url, status, prov->jwks_uri);
	fetch_jwks(prov);

out:
	if (doc)
		json_decref(doc);
}

/* Start a fetch unless one is under way. */
static void provider_fetch(struct provider *prov)
{
	char err[IDP_REASON_LEN];

	if (prov->phase != FETCH_IDLE)
		return;
	evtimer_del(prov->timer);
	prov->attempts++;
	if (prov->jwks_uri) {
		fetch_jwks(prov);
		return;
	}
	prov->phase = FETCH_DISCOVERY;
	prov->http = idp_http_get(prov->set->base, prov->set->dns, prov->ssl_ctx,
	                          prov->discovery_url, prov->cfg.fetch_timeout,
	                          IDP_MAX_DOC_SIZE, discovery_cb, prov, err,
	                          sizeof err);
	if (!prov->http)
		fetch_failed(prov, "discovery %s: %s", prov->discovery_url, err);
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	provider_fetch(arg);
}

/* ------------------------------------------------------------------ set */

static char *dup_or_null(const char *s)
{
	return s ? core_xstrdup(s) : NULL;
}

static void cfg_copy(struct cfg_idp *d, const struct cfg_idp *s)
{
	*d = *s;
	d->name = core_xstrdup(s->name ? s->name : "");
	d->type = dup_or_null(s->type);
	d->issuer = dup_or_null(s->issuer);
	d->audience = dup_or_null(s->audience);
	d->jwks_uri = dup_or_null(s->jwks_uri);
	d->ca_file = dup_or_null(s->ca_file);
	d->subject_claim = core_xstrdup(
	    s->subject_claim && s->subject_claim[0] ? s->subject_claim : "sub");
	d->groups_claim = dup_or_null(s->groups_claim);
	d->name_claim = dup_or_null(s->name_claim);
	d->algorithms = core_xstrdup(s->algorithms ? s->algorithms
	                                           : IDP_DEFAULT_ALGORITHMS);
}

static void cfg_copy_free(struct cfg_idp *d)
{
	free(d->name);
	free(d->type);
	free(d->issuer);
	free(d->audience);
	free(d->jwks_uri);
	free(d->ca_file);
	free(d->subject_claim);
	free(d->groups_claim);
	free(d->name_claim);
	free(d->algorithms);
	memset(d, 0, sizeof *d);
}

/* Every entry of the allow-list must be an algorithm we can check; at least
 * one must be there. */
static bool check_algorithms(const char *list, char *bad, size_t badlen)
{
	size_t count = 0;

	while (*list) {
		size_t n = strcspn(list, ",");
		const char *t = list;
		char alg[16];

		list += n;
		if (*list == ',')
			list++;
		while (n && (*t == ' ' || *t == '\t'))
			t++, n--;
		while (n && (t[n - 1] == ' ' || t[n - 1] == '\t'))
			n--;
		if (n == 0)
			continue;
		if (n >= sizeof alg) {
			idp_quote("(too long)", bad, badlen);
			return false;
		}
		memcpy(alg, t, n);
		alg[n] = '\0';
		if (!idp_alg_supported(alg)) {
			idp_quote(alg, bad, badlen);
			return false;
		}
		count++;
	}
	if (count == 0)
		idp_quote("(empty list)", bad, badlen);
	return count > 0;
}

static bool provider_init(struct idp_set *set, struct provider *prov,
                          const struct cfg_idp *c, char *err, size_t errlen)
{
	struct idp_url u;
	char why[IDP_REASON_LEN], bad[80];
	struct core_buf b = {0};
	size_t ilen;

	prov->set = set;
	cfg_copy(&prov->cfg, c);
	if (prov->cfg.type && strcmp(prov->cfg.type, "oidc") != 0) {
		say(err, errlen, "[idp %s] type must be oidc", prov->cfg.name);
		return false;
	}
	if (!prov->cfg.issuer || !prov->cfg.issuer[0]) {
		say(err, errlen, "[idp %s] has no issuer", prov->cfg.name);
		return false;
	}
	if (!prov->cfg.audience || !prov->cfg.audience[0]) {
		say(err, errlen, "[idp %s] has no audience", prov->cfg.name);
		return false;
	}
	if (!check_algorithms(prov->cfg.algorithms, bad, sizeof bad)) {
		say(err, errlen,
		         "[idp %s] algorithms: '%s' is not an accepted algorithm "
		         "(none and HMAC never are)",
		         prov->cfg.name, bad);
		return false;
	}
	if (prov->cfg.jwks_uri) {
		prov->jwks_uri = core_xstrdup(prov->cfg.jwks_uri);
	} else {
		ilen = strlen(prov->cfg.issuer);
		while (ilen > 0 && prov->cfg.issuer[ilen - 1] == '/')
			ilen--;
		core_buf_append(&b, prov->cfg.issuer, ilen);
		core_buf_append_str(&b, DISCOVERY_PATH);
		core_buf_append(&b, "", 1);
		prov->discovery_url = (char *)b.data;
	}
	if (!idp_url_parse(prov->jwks_uri ? prov->jwks_uri : prov->discovery_url,
	                   &u, why, sizeof why)) {
		say(err, errlen, "[idp %s] %s: %s", prov->cfg.name,
		         prov->jwks_uri ? "jwks_uri" : "issuer", why);
		log_error("idp %s: refused: %s", prov->cfg.name, why);
		return false;
	}
	idp_url_free(&u);
	prov->ssl_ctx = idp_http_ssl_ctx_new(prov->cfg.ca_file, why, sizeof why);
	if (!prov->ssl_ctx) {
		say(err, errlen, "[idp %s] %s", prov->cfg.name, why);
		return false;
	}
	prov->timer = evtimer_new(set->base, timer_cb, prov);
	if (!prov->timer) {
		say(err, errlen, "[idp %s] cannot create a timer",
		         prov->cfg.name);
		return false;
	}
	return true;
}

static void provider_free(struct provider *prov)
{
	while (prov->waiting.head)
		request_free(prov->waiting.head);
	if (prov->http)
		idp_http_cancel(prov->http);
	if (prov->timer)
		event_free(prov->timer);
	idp_keyset_free(prov->ks);
	if (prov->ssl_ctx)
		SSL_CTX_free(prov->ssl_ctx);
	free(prov->discovery_url);
	free(prov->jwks_uri);
	cfg_copy_free(&prov->cfg);
}

struct idp_set *idp_set_new(struct event_base *base, const struct cfg *cfg,
                            char *err, size_t errlen)
{
	struct idp_set *set = core_xcalloc(1, sizeof *set);

	set->base = base;
	set->n = cfg ? cfg->n_idps : 0;
	set->provs = core_xcalloc(set->n ? set->n : 1, sizeof *set->provs);
	for (size_t i = 0; i < set->n; i++) {
		if (!provider_init(set, &set->provs[i], &cfg->idps[i], err,
		                   errlen)) {
			/* Only the providers up to i hold anything. */
			set->n = i + 1;
			idp_set_free(set);
			return NULL;
		}
		for (size_t j = 0; j < i; j++) {
			if (strcmp(set->provs[j].cfg.issuer, set->provs[i].cfg.issuer) ==
			    0) {
				say(err, errlen, "[idp %s] has the same issuer as [idp %s]",
				         set->provs[i].cfg.name, set->provs[j].cfg.name);
				set->n = i + 1;
				idp_set_free(set);
				return NULL;
			}
		}
	}
	if (set->n > 0) {
		set->dns = evdns_base_new(base, EVDNS_BASE_INITIALIZE_NAMESERVERS |
		                                    EVDNS_BASE_DISABLE_WHEN_INACTIVE);
		if (!set->dns)
			log_warn("idp: no asynchronous DNS resolver; host names will "
			         "be resolved blocking");
	}
	return set;
}

void idp_set_start(struct idp_set *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < set->n; i++)
		if (!set->provs[i].ks)
			provider_fetch(&set->provs[i]);
}

void idp_set_free(struct idp_set *set)
{
	if (!set)
		return;
	while (set->delivering.head)
		request_free(set->delivering.head);
	for (size_t i = 0; i < set->n; i++)
		provider_free(&set->provs[i]);
	free(set->provs);
	if (set->dns)
		evdns_base_free(set->dns, 0);
	free(set);
}

bool idp_set_ready(const struct idp_set *set)
{
	if (!set)
		return false;
	for (size_t i = 0; i < set->n; i++)
		if (!set->provs[i].ks)
			return false;
	return true;
}

struct idp_request *idp_set_verify(struct idp_set *set, const char *token,
                                   size_t len, idp_verify_cb cb, void *arg)
{
	struct idp_request *r;
	char *iss = NULL, *kid = NULL;
	char q[80];

	if (!set || !cb)
		return NULL;
	r = core_xcalloc(1, sizeof *r);
	r->set = set;
	r->cb = cb;
	r->arg = arg;
	r->ev = event_new(set->base, -1, 0, deliver_cb, r);
	if (!r->ev) {
		free(r);
		return NULL;
	}
	if (!token)
		len = 0;
	if (len > IDP_MAX_TOKEN_LEN) {
		/* Do not even copy what we will not parse. */
		say(r->reason, sizeof r->reason,
		         "token is %zu bytes, more than the limit of %d", len,
		         IDP_MAX_TOKEN_LEN);
		finish(r, IDP_ERR_MALFORMED, NULL);
		return r;
	}
	r->token = core_xmalloc(len + 1);
	if (len)
		memcpy(r->token, token, len);
	r->token[len] = '\0';
	r->len = len;
	if (!idp_peek_reason(r->token, r->len, &iss, &kid, r->reason,
	                     sizeof r->reason)) {
		finish(r, IDP_ERR_MALFORMED, NULL);
		goto out;
	}
	for (size_t i = 0; iss && i < set->n; i++)
		if (strcmp(set->provs[i].cfg.issuer, iss) == 0)
			r->prov = &set->provs[i];
	if (!r->prov) {
		idp_quote(iss, q, sizeof q);
		if (iss)
			say(r->reason, sizeof r->reason,
			         "no identity provider is configured for issuer '%s'", q);
		else
			say(r->reason, sizeof r->reason,
			         "token has no issuer (iss) claim");
		finish(r, IDP_ERR_ISSUER, NULL);
		goto out;
	}
	process(r);

out:
	free(iss);
	free(kid);
	return r;
}

void idp_request_cancel(struct idp_request *req)
{
	if (req)
		request_free(req);
}
