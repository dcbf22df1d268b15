/*
 * login.c: the protocol steps of a reviewer's OpenID Connect login
 * (authorization code flow with PKCE), for the web page.
 *
 * For one provider and one client it learns the authorization and token
 * endpoints and the JWKS location through discovery, keeps the provider's
 * key set, builds the authorization URL for a login (state, nonce, S256
 * challenge), exchanges the code at the token endpoint with
 * client_secret_basic and the PKCE verifier, and verifies the ID token it
 * gets back (jwt.c: signature, iss, aud = client id, exp, nbf, iat, nonce,
 * azp). An unknown kid triggers one key refresh per
 * jwks_refresh_min_interval; keys older than jwks_max_age are refetched
 * before use.
 *
 * It deliberately keeps no login state of its own — the caller stores
 * state, nonce and verifier (in PostgreSQL, so that any gateway instance can
 * finish a login) — and knows nothing of cookies, sessions or the HTTP
 * server. The access token the provider returns is never kept; secrets are
 * wiped when done.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <event2/dns.h>
#include <event2/event.h>
#include <jansson.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "core/core.h"
#include "idp/idp.h"
#include "idp/internal.h"

#define DISCOVERY_PATH "/.well-known/openid-configuration"
/* Retry delays of a failed discovery: 1 s, doubling, at most 30 s. */
#define BACKOFF_FIRST_MS 1000
#define BACKOFF_MAX_MS 30000
/* A token response holds an ID token, an access token and maybe a refresh
 * token: a few kilobytes. */
#define MAX_TOKEN_RESPONSE (64 * 1024)
/* Longest authorization code we pass on; real ones are under 100 bytes. */
#define MAX_CODE_LEN 2048

enum login_phase {
	PHASE_IDLE,      /* nothing in flight */
	PHASE_DISCOVERY, /* GET of the discovery document */
	PHASE_JWKS,      /* GET of the JWKS */
};

enum op_state {
	OP_WAIT_PROVIDER, /* endpoints or keys are being fetched */
	OP_TOKEN,         /* POST to the token endpoint in flight */
	OP_DONE,          /* answered; delivery event pending */
};

struct op_list {
	struct idp_login_op *head, *tail;
};

struct idp_login {
	struct event_base *base;
	struct evdns_base *dns;
	SSL_CTX *ssl_ctx;
	struct cfg_idp cfg;          /* the settings we use, strings owned */
	char *client_id;
	char *client_secret;
	char *basic_auth;            /* "Basic base64(id:secret)", wiped */
	char *redirect_uri;
	char *discovery_url;
	char *authorization_endpoint;
	char *token_endpoint;
	char *jwks_uri;              /* configured or discovered */
	struct idp_keyset *ks;
	uint64_t ks_at_ms;
	bool refreshed_once;         /* an unknown kid has caused a refresh */
	uint64_t kid_refresh_ms;
	enum login_phase phase;
	struct idp_http *http;
	struct event *timer;
	uint64_t backoff_ms;
	struct op_list waiting;      /* exchanges waiting for a fetch */
	struct op_list active;       /* token requests in flight, answers due */
	char last_error[IDP_REASON_LEN];
};

struct idp_login_op {
	struct idp_login *l;
	struct idp_login_op *prev, *next;
	struct op_list *list;
	enum op_state state;
	char *code;
	char *verifier;
	char *nonce;
	char *id_token;              /* once the token endpoint answered */
	bool key_refresh_tried;
	struct idp_http *http;
	struct event *ev;
	idp_login_cb cb;
	void *arg;
	enum idp_result res;
	struct idp_principal *p;
	char reason[IDP_REASON_LEN];
};

static void fetch(struct idp_login *l);
static void verify_or_wait(struct idp_login_op *op);

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

static void wipe_free(char *s)
{
	if (s) {
		core_wipe(s, strlen(s));
		free(s);
	}
}

/* ------------------------------------------------------------- secrets */

void idp_login_secret(char out[IDP_LOGIN_SECRET_LEN + 1])
{
	uint8_t r[32];
	char *b;

	if (RAND_bytes(r, sizeof r) != 1)
		abort(); /* no randomness: nothing safe can be done */
	b = core_base64_encode(r, sizeof r, true);
	snprintf(out, IDP_LOGIN_SECRET_LEN + 1, "%s", b);
	core_wipe(r, sizeof r);
	core_wipe(b, strlen(b));
	free(b);
}

void idp_pkce_challenge(const char *verifier,
                        char out[IDP_LOGIN_SECRET_LEN + 1])
{
	uint8_t d[SHA256_DIGEST_LENGTH];
	char *b;

	SHA256((const unsigned char *)verifier, strlen(verifier), d);
	b = core_base64_encode(d, sizeof d, true);
	snprintf(out, IDP_LOGIN_SECRET_LEN + 1, "%s", b);
	free(b);
}

/* --------------------------------------------------------- pure helpers */

/* RFC 3986 unreserved characters pass; everything else is %XX. */
static void url_encode(struct core_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
		    c == '~') {
			core_buf_append(b, &c, 1);
		} else {
			char e[3] = {'%', hex[c >> 4], hex[c & 15]};
			core_buf_append(b, e, 3);
		}
	}
}

static void add_param(struct core_buf *b, bool first, const char *name,
                      const char *value)
{
	if (!first)
		core_buf_append_str(b, "&");
	core_buf_append_str(b, name);
	core_buf_append_str(b, "=");
	url_encode(b, value);
}

static char *buf_string(struct core_buf *b)
{
	char *s;

	core_buf_append(b, "", 1);
	s = (char *)b->data;
	b->data = NULL;
	b->len = b->cap = 0;
	return s;
}

char *idp_login_build_url(const char *endpoint, const char *client_id,
                          const char *redirect_uri, const char *scope,
                          const char *state, const char *nonce,
                          const char *challenge)
{
	struct core_buf b = {0};

	core_buf_append_str(&b, endpoint);
	core_buf_append_str(&b, strchr(endpoint, '?') ? "&" : "?");
	add_param(&b, true, "response_type", "code");
	add_param(&b, false, "client_id", client_id);
	add_param(&b, false, "redirect_uri", redirect_uri);
	add_param(&b, false, "scope", scope);
	add_param(&b, false, "state", state);
	add_param(&b, false, "nonce", nonce);
	add_param(&b, false, "code_challenge", challenge);
	add_param(&b, false, "code_challenge_method", "S256");
	return buf_string(&b);
}

char *idp_login_token_body(const char *code, const char *verifier,
                           const char *redirect_uri)
{
	struct core_buf b = {0};

	add_param(&b, true, "grant_type", "authorization_code");
	add_param(&b, false, "code", code);
	add_param(&b, false, "redirect_uri", redirect_uri);
	add_param(&b, false, "code_verifier", verifier);
	return buf_string(&b);
}

char *idp_login_basic_auth(const char *client_id, const char *secret)
{
	struct core_buf raw = {0}, out = {0};
	char *b64, *s;

	/* RFC 6749 2.3.1: both parts form-encoded before base64. */
	url_encode(&raw, client_id);
	core_buf_append_str(&raw, ":");
	url_encode(&raw, secret);
	b64 = core_base64_encode(raw.data, raw.len, false);
	core_buf_free(&raw);
	core_buf_append_str(&out, "Basic ");
	core_buf_append_str(&out, b64);
	core_wipe(b64, strlen(b64));
	free(b64);
	s = buf_string(&out);
	return s;
}

/* A string member without NUL, or NULL. */
static const char *json_text(json_t *obj, const char *name)
{
	json_t *v = json_object_get(obj, name);

	if (!json_is_string(v) ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return NULL;
	return json_string_value(v);
}

bool idp_login_parse_token_response(int status, const char *body, size_t len,
                                    char **id_token, char *reason,
                                    size_t reasonlen)
{
	json_t *doc = NULL;
	json_error_t jerr;
	const char *tok, *e, *d;
	char qe[80], qd[160];
	bool ok = false;

	*id_token = NULL;
	doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(doc)) {
		say(reason, reasonlen,
		    "token endpoint answered HTTP %d without a JSON object", status);
		goto out;
	}
	if (status != 200) {
		e = json_text(doc, "error");
		d = json_text(doc, "error_description");
		idp_quote(e ? e : "unknown", qe, sizeof qe);
		idp_quote(d ? d : "", qd, sizeof qd);
		say(reason, reasonlen, "token endpoint refused the code (HTTP %d): %s%s%s",
		    status, qe, d ? ": " : "", qd);
		goto out;
	}
	tok = json_text(doc, "id_token");
	if (!tok || !tok[0]) {
		say(reason, reasonlen,
		    "token endpoint answered without an ID token (is the openid "
		    "scope allowed for this client?)");
		goto out;
	}
	if (strlen(tok) > IDP_MAX_TOKEN_LEN) {
		say(reason, reasonlen, "ID token is larger than %d bytes",
		    IDP_MAX_TOKEN_LEN);
		goto out;
	}
	*id_token = core_xstrdup(tok);
	ok = true;

out:
	if (doc) {
		/* The access token is in there; jansson frees without wiping,
		 * which is the best we can do short of parsing it ourselves. */
		json_decref(doc);
	}
	return ok;
}

/* ----------------------------------------------------------------- ops */

static void list_push(struct op_list *l, struct idp_login_op *op)
{
	op->list = l;
	op->next = NULL;
	op->prev = l->tail;
	if (l->tail)
		l->tail->next = op;
	else
		l->head = op;
	l->tail = op;
}

static void list_unlink(struct idp_login_op *op)
{
	struct op_list *l = op->list;

	if (!l)
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
}

static void op_free(struct idp_login_op *op)
{
	list_unlink(op);
	if (op->http)
		idp_http_cancel(op->http);
	if (op->ev)
		event_free(op->ev);
	idp_principal_free(op->p);
	wipe_free(op->code);
	wipe_free(op->verifier);
	wipe_free(op->nonce);
	wipe_free(op->id_token);
	free(op);
}

static void deliver_cb(evutil_socket_t fd, short what, void *arg)
{
	struct idp_login_op *op = arg;
	struct idp_principal *p = op->p;

	(void)fd;
	(void)what;
	list_unlink(op);
	op->p = NULL;
	op->cb(op->arg, op->res, op->reason, p);
	op_free(op);
}

/* Record the answer and schedule its delivery from the loop. */
static void op_finish(struct idp_login_op *op, enum idp_result res,
                      struct idp_principal *p)
{
	struct idp_login *l = op->l;

	list_unlink(op);
	op->state = OP_DONE;
	op->res = res;
	op->p = p;
	if (res == IDP_OK)
		log_info("idp %s: reviewer login of '%s' verified", l->cfg.name,
		         p->subject);
	else
		log_info("idp %s: reviewer login refused: %s (%s)", l->cfg.name,
		         idp_result_name(res), op->reason);
	list_push(&l->active, op);
	event_active(op->ev, EV_TIMEOUT, 1);
}

static void token_cb(void *arg, int status, const char *body, size_t len,
                     const char *err)
{
	struct idp_login_op *op = arg;

	op->http = NULL;
	if (err) {
		say(op->reason, sizeof op->reason, "token endpoint %s: %s",
		    op->l->token_endpoint, err);
		op_finish(op, IDP_ERR_KEYS_UNAVAILABLE, NULL);
		return;
	}
	if (!idp_login_parse_token_response(status, body, len, &op->id_token,
	                                    op->reason, sizeof op->reason)) {
		op_finish(op, IDP_ERR_MALFORMED, NULL);
		return;
	}
	/* The code has done its work. */
	wipe_free(op->code);
	op->code = NULL;
	wipe_free(op->verifier);
	op->verifier = NULL;
	verify_or_wait(op);
}

static void send_token_request(struct idp_login_op *op)
{
	struct idp_login *l = op->l;
	char *body = idp_login_token_body(op->code, op->verifier, l->redirect_uri);

	op->state = OP_TOKEN;
	list_push(&l->active, op);
	op->http = idp_http_post(l->base, l->dns, l->ssl_ctx, l->token_endpoint,
	                         l->basic_auth,
	                         "application/x-www-form-urlencoded", body,
	                         strlen(body), l->cfg.fetch_timeout,
	                         MAX_TOKEN_RESPONSE, token_cb, op, op->reason,
	                         sizeof op->reason);
	wipe_free(body);
	if (!op->http)
		op_finish(op, IDP_ERR_KEYS_UNAVAILABLE, NULL);
}

static bool keys_stale(const struct idp_login *l)
{
	return !l->ks || (l->cfg.jwks_max_age > 0 &&
	                  core_mono_ms() - l->ks_at_ms >= l->cfg.jwks_max_age);
}

/* With an ID token in hand: verify it now, or wait for the keys. */
static void verify_or_wait(struct idp_login_op *op)
{
	struct idp_login *l = op->l;
	struct idp_principal *p = NULL;
	enum idp_result res;
	uint64_t now_ms = core_mono_ms();

	if (keys_stale(l) && !op->key_refresh_tried) {
		op->key_refresh_tried = true;
		op->state = OP_WAIT_PROVIDER;
		list_unlink(op);
		list_push(&l->waiting, op);
		fetch(l);
		return;
	}
	res = idp_verify_id_token(&l->cfg, l->ks, op->id_token,
	                          strlen(op->id_token),
	                          core_wall_us() / 1000000, l->client_id,
	                          op->nonce, &p, op->reason, sizeof op->reason);
	if (res == IDP_ERR_UNKNOWN_KID && !op->key_refresh_tried &&
	    (!l->refreshed_once ||
	     now_ms - l->kid_refresh_ms >= l->cfg.jwks_refresh_min_interval)) {
		l->refreshed_once = true;
		l->kid_refresh_ms = now_ms;
		op->key_refresh_tried = true;
		op->state = OP_WAIT_PROVIDER;
		list_unlink(op);
		list_push(&l->waiting, op);
		fetch(l);
		return;
	}
	if (res == IDP_ERR_KEYS_UNAVAILABLE && !l->ks)
		say(op->reason, sizeof op->reason,
		    "keys of identity provider '%s' are not available%s%s",
		    l->cfg.name, l->last_error[0] ? ": " : "", l->last_error);
	op_finish(op, res, p);
}

/* A fetch ended: move every waiting exchange on. */
static void resume_waiting(struct idp_login *l)
{
	struct op_list w = l->waiting;

	l->waiting.head = l->waiting.tail = NULL;
	for (struct idp_login_op *op = w.head; op; op = op->next)
		op->list = &w;
	while (w.head) {
		struct idp_login_op *op = w.head;

		list_unlink(op);
		if (op->id_token) {
			verify_or_wait(op);
		} else if (l->token_endpoint) {
			send_token_request(op);
		} else {
			say(op->reason, sizeof op->reason,
			    "identity provider '%s' is not reachable: %s", l->cfg.name,
			    l->last_error[0] ? l->last_error : "discovery failed");
			op_finish(op, IDP_ERR_KEYS_UNAVAILABLE, NULL);
		}
	}
}

/* ------------------------------------------------------------- fetches */

static void schedule_retry(struct idp_login *l)
{
	struct timeval tv;

	if (l->backoff_ms == 0)
		l->backoff_ms = BACKOFF_FIRST_MS;
	tv.tv_sec = (time_t)(l->backoff_ms / 1000);
	tv.tv_usec = (suseconds_t)(l->backoff_ms % 1000) * 1000;
	evtimer_add(l->timer, &tv);
	l->backoff_ms *= 2;
	if (l->backoff_ms > BACKOFF_MAX_MS)
		l->backoff_ms = BACKOFF_MAX_MS;
}

static void fetch_failed(struct idp_login *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void fetch_failed(struct idp_login *l, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(l->last_error, sizeof l->last_error, fmt, ap);
	va_end(ap);
	l->phase = PHASE_IDLE;
	log_warn("idp %s: reviewer login: %s", l->cfg.name, l->last_error);
	/* Discovery is retried until it works; a failed key refresh is left
	 * to the next login that needs it. */
	if (!l->token_endpoint)
		schedule_retry(l);
	resume_waiting(l);
}

static void jwks_cb(void *arg, int status, const char *body, size_t len,
                    const char *err)
{
	struct idp_login *l = arg;
	struct idp_keyset *ks;
	char why[IDP_REASON_LEN];

	l->http = NULL;
	if (err) {
		fetch_failed(l, "JWKS %s: %s", l->jwks_uri, err);
		return;
	}
	if (status != 200) {
		fetch_failed(l, "JWKS %s: HTTP %d", l->jwks_uri, status);
		return;
	}
	ks = idp_keyset_parse(body, len, why, sizeof why);
	if (!ks) {
		fetch_failed(l, "JWKS %s: %s", l->jwks_uri, why);
		return;
	}
	idp_keyset_free(l->ks);
	l->ks = ks;
	l->ks_at_ms = core_mono_ms();
	l->phase = PHASE_IDLE;
	l->last_error[0] = '\0';
	resume_waiting(l);
}

static void fetch_jwks(struct idp_login *l)
{
	char err[IDP_REASON_LEN];

	l->phase = PHASE_JWKS;
	l->http = idp_http_get(l->base, l->dns, l->ssl_ctx, l->jwks_uri,
	                       l->cfg.fetch_timeout, IDP_MAX_DOC_SIZE, jwks_cb, l,
	                       err, sizeof err);
	if (!l->http)
		fetch_failed(l, "JWKS %s: %s", l->jwks_uri, err);
}

/* An endpoint from the discovery document, under the transport policy. */
static bool take_endpoint(struct idp_login *l, json_t *doc, const char *name,
                          char **out)
{
	const char *v = json_text(doc, name);
	struct idp_url u;
	char why[IDP_REASON_LEN];

	if (!v || !v[0]) {
		fetch_failed(l, "discovery %s: document has no %s", l->discovery_url,
		             name);
		return false;
	}
	if (!idp_url_parse(v, &u, why, sizeof why)) {
		fetch_failed(l, "discovery %s: %s: %s", l->discovery_url, name, why);
		return false;
	}
	idp_url_free(&u);
	free(*out);
	*out = core_xstrdup(v);
	return true;
}

static void discovery_cb(void *arg, int status, const char *body, size_t len,
                         const char *err)
{
	struct idp_login *l = arg;
	json_t *doc = NULL;
	json_error_t jerr;
	const char *iss;
	char q[80];
	char *authz = NULL, *token = NULL, *jwks = NULL;

	l->http = NULL;
	if (err) {
		fetch_failed(l, "discovery %s: %s", l->discovery_url, err);
		return;
	}
	if (status != 200) {
		fetch_failed(l, "discovery %s: HTTP %d", l->discovery_url, status);
		return;
	}
	doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(doc)) {
		fetch_failed(l, "discovery %s: not a JSON object", l->discovery_url);
		goto out;
	}
	iss = json_text(doc, "issuer");
	if (!iss || strcmp(iss, l->cfg.issuer) != 0) {
		idp_quote(iss, q, sizeof q);
		fetch_failed(l,
		             "discovery %s: document names issuer '%s', not the "
		             "configured one",
		             l->discovery_url, q);
		goto out;
	}
	if (!take_endpoint(l, doc, "authorization_endpoint", &authz) ||
	    !take_endpoint(l, doc, "token_endpoint", &token))
		goto out;
	if (!l->cfg.jwks_uri && !take_endpoint(l, doc, "jwks_uri", &jwks))
		goto out;
	free(l->authorization_endpoint);
	l->authorization_endpoint = authz;
	free(l->token_endpoint);
	l->token_endpoint = token;
	authz = token = NULL;
	if (jwks) {
		free(l->jwks_uri);
		l->jwks_uri = jwks;
		jwks = NULL;
	}
	l->backoff_ms = 0;
	log_info("idp %s: reviewer login: authorization %s, token %s",
	         l->cfg.name, l->authorization_endpoint, l->token_endpoint);
	/* Warm the key cache now rather than during a login. */
	fetch_jwks(l);

out:
	free(authz);
	free(token);
	free(jwks);
	if (doc)
		json_decref(doc);
}

/* Start a fetch unless one is under way: discovery while the endpoints
 * are unknown, the key set once they are. */
static void fetch(struct idp_login *l)
{
	char err[IDP_REASON_LEN];

	if (l->phase != PHASE_IDLE)
		return;
	evtimer_del(l->timer);
	if (l->token_endpoint && l->jwks_uri) {
		fetch_jwks(l);
		return;
	}
	l->phase = PHASE_DISCOVERY;
	l->http = idp_http_get(l->base, l->dns, l->ssl_ctx, l->discovery_url,
	                       l->cfg.fetch_timeout, IDP_MAX_DOC_SIZE,
	                       discovery_cb, l, err, sizeof err);
	if (!l->http)
		fetch_failed(l, "discovery %s: %s", l->discovery_url, err);
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	fetch(arg);
}

/* ---------------------------------------------------------------- API */

static char *dup_or_null(const char *s)
{
	return s ? core_xstrdup(s) : NULL;
}

struct idp_login *idp_login_new(struct event_base *base,
                                const struct cfg_idp *idp,
                                const char *client_id,
                                const char *client_secret,
                                const char *redirect_uri, char *err,
                                size_t errlen)
{
	struct idp_login *l = core_xcalloc(1, sizeof *l);
	struct core_buf b = {0};
	struct idp_url u;
	char why[IDP_REASON_LEN];
	size_t ilen;

	l->base = base;
	l->cfg = *idp;
	l->cfg.name = core_xstrdup(idp->name ? idp->name : "");
	l->cfg.type = NULL;
	l->cfg.issuer = dup_or_null(idp->issuer);
	l->cfg.audience = NULL;
	l->cfg.jwks_uri = dup_or_null(idp->jwks_uri);
	l->cfg.ca_file = dup_or_null(idp->ca_file);
	l->cfg.subject_claim = NULL;
	l->cfg.groups_claim = core_xstrdup(
	    idp->groups_claim && idp->groups_claim[0] ? idp->groups_claim
	                                              : "groups");
	l->cfg.name_claim = core_xstrdup(
	    idp->name_claim && idp->name_claim[0] ? idp->name_claim : "name");
	l->cfg.algorithms = core_xstrdup(idp->algorithms ? idp->algorithms
	                                                 : IDP_DEFAULT_ALGORITHMS);
	l->client_id = core_xstrdup(client_id);
	l->client_secret = core_xstrdup(client_secret);
	l->basic_auth = idp_login_basic_auth(client_id, client_secret);
	l->redirect_uri = core_xstrdup(redirect_uri);
	if (!l->cfg.issuer || !l->cfg.issuer[0]) {
		say(err, errlen, "[idp %s] has no issuer", l->cfg.name);
		goto fail;
	}
	ilen = strlen(l->cfg.issuer);
	while (ilen > 0 && l->cfg.issuer[ilen - 1] == '/')
		ilen--;
	core_buf_append(&b, l->cfg.issuer, ilen);
	core_buf_append_str(&b, DISCOVERY_PATH);
	l->discovery_url = buf_string(&b);
	if (!idp_url_parse(l->discovery_url, &u, why, sizeof why)) {
		say(err, errlen, "[idp %s] issuer: %s", l->cfg.name, why);
		goto fail;
	}
	idp_url_free(&u);
	if (l->cfg.jwks_uri) {
		if (!idp_url_parse(l->cfg.jwks_uri, &u, why, sizeof why)) {
			say(err, errlen, "[idp %s] jwks_uri: %s", l->cfg.name, why);
			goto fail;
		}
		idp_url_free(&u);
		l->jwks_uri = core_xstrdup(l->cfg.jwks_uri);
	}
	l->ssl_ctx = idp_http_ssl_ctx_new(l->cfg.ca_file, why, sizeof why);
	if (!l->ssl_ctx) {
		say(err, errlen, "[idp %s] %s", l->cfg.name, why);
		goto fail;
	}
	l->timer = evtimer_new(base, timer_cb, l);
	if (!l->timer) {
		say(err, errlen, "cannot create a timer");
		goto fail;
	}
	l->dns = evdns_base_new(base, EVDNS_BASE_INITIALIZE_NAMESERVERS |
	                                  EVDNS_BASE_DISABLE_WHEN_INACTIVE);
	if (!l->dns)
		log_warn("idp %s: no asynchronous DNS resolver for reviewer logins; "
		         "host names will be resolved blocking",
		         l->cfg.name);
	return l;

fail:
	idp_login_free(l);
	return NULL;
}

void idp_login_start(struct idp_login *l)
{
	if (l && !l->token_endpoint)
		fetch(l);
}

void idp_login_free(struct idp_login *l)
{
	if (!l)
		return;
	while (l->waiting.head)
		op_free(l->waiting.head);
	while (l->active.head)
		op_free(l->active.head);
	if (l->http)
		idp_http_cancel(l->http);
	if (l->timer)
		event_free(l->timer);
	if (l->dns)
		evdns_base_free(l->dns, 0);
	if (l->ssl_ctx)
		SSL_CTX_free(l->ssl_ctx);
	idp_keyset_free(l->ks);
	free(l->cfg.name);
	free(l->cfg.issuer);
	free(l->cfg.jwks_uri);
	free(l->cfg.ca_file);
	free(l->cfg.groups_claim);
	free(l->cfg.name_claim);
	free(l->cfg.algorithms);
	free(l->client_id);
	wipe_free(l->client_secret);
	wipe_free(l->basic_auth);
	free(l->redirect_uri);
	free(l->discovery_url);
	free(l->authorization_endpoint);
	free(l->token_endpoint);
	free(l->jwks_uri);
	free(l);
}

bool idp_login_ready(const struct idp_login *l)
{
	return l && l->authorization_endpoint && l->token_endpoint;
}

const char *idp_login_last_error(const struct idp_login *l)
{
	return l ? l->last_error : "";
}

const char *idp_login_issuer(const struct idp_login *l)
{
	return l ? l->cfg.issuer : "";
}

char *idp_login_authorize_url(const struct idp_login *l, const char *scope,
                              const char *state, const char *nonce,
                              const char *verifier)
{
	char challenge[IDP_LOGIN_SECRET_LEN + 1];

	if (!idp_login_ready(l))
		return NULL;
	idp_pkce_challenge(verifier, challenge);
	return idp_login_build_url(l->authorization_endpoint, l->client_id,
	                           l->redirect_uri, scope, state, nonce,
	                           challenge);
}

struct idp_login_op *idp_login_exchange(struct idp_login *l, const char *code,
                                        const char *verifier,
                                        const char *nonce, idp_login_cb cb,
                                        void *arg)
{
	struct idp_login_op *op = core_xcalloc(1, sizeof *op);

	op->l = l;
	op->cb = cb;
	op->arg = arg;
	op->code = core_xstrdup(code ? code : "");
	op->verifier = core_xstrdup(verifier ? verifier : "");
	op->nonce = core_xstrdup(nonce ? nonce : "");
	op->ev = event_new(l->base, -1, 0, deliver_cb, op);
	if (!op->ev)
		abort(); /* an event is a small allocation */
	if (!op->code[0] || strlen(op->code) > MAX_CODE_LEN || !op->verifier[0] ||
	    !op->nonce[0]) {
		say(op->reason, sizeof op->reason,
		    "missing or oversized authorization code, verifier or nonce");
		op_finish(op, IDP_ERR_MALFORMED, NULL);
		return op;
	}
	if (!l->token_endpoint) {
		op->state = OP_WAIT_PROVIDER;
		list_push(&l->waiting, op);
		fetch(l);
		return op;
	}
	send_token_request(op);
	return op;
}

void idp_login_cancel(struct idp_login_op *op)
{
	if (op)
		op_free(op);
}
