/*
 * server.c: the reviewer page's HTTPS server on libevent's evhttp. TLS
 * (1.2 or newer) is a bufferevent_openssl under every connection, set up by
 * evhttp's bufferevent callback, so no byte of HTTP is ever read in clear.
 * Connections are counted through the SSL objects themselves (an ex_data
 * slot whose free hook runs when OpenSSL frees the connection), and the
 * listener stops accepting at max_clients until one closes. Headers and
 * bodies are bounded, idle connections time out.
 *
 * Each request gets a context (struct web_req) that lives until its reply
 * is sent: handlers run queries through web_query() — one at a time, on
 * the store's lookup connection — and finish with one of the web_send*
 * helpers, which add the security headers every response carries. A
 * request whose client went away is still answered (libevent then just
 * frees it), so a context never outlives its evhttp request nor the other
 * way round.
 *
 * It deliberately renders nothing itself beyond error pages: pages are
 * pages.c's, logins auth.c's, live updates events.c's.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "core/core.h"
#include "idp/idp.h"
#include "store/store.h"
#include "web/internal.h"

/* Every response carries these. The page loads nothing from elsewhere and
 * runs no inline script or style. */
#define CSP                                                                   \
	"default-src 'none'; script-src 'self'; style-src 'self'; "           \
	"img-src 'self'; connect-src 'self'; form-action 'self'; "            \
	"frame-ancestors 'none'; base-uri 'none'"
#define HSTS "max-age=31536000"
/* Static assets change only with the binary. */
#define STATIC_CACHE "public, max-age=300"
#define APPROVAL_CHANNEL "agentgate_approval"
/* Garbage collection of finished login attempts, every this many ticks. */
#define GC_TICKS 240
/* Longest secret file we read. */
#define MAX_SECRET_FILE 4096

/* ------------------------------------------------- connection counting */

/* Shared by the server and every open connection, so that a connection
 * OpenSSL frees after the server is gone still finds valid memory. */
struct web_conn_count {
	size_t n;
	struct web *w; /* NULL once web_free() has run */
};

static int conn_ex_index = -1;

static void accept_more(struct web *w)
{
	struct evconnlistener *l;

	if (w->accepting || w->stopping || !w->bound ||
	    w->conns->n >= w->max_conns)
		return;
	l = evhttp_bound_socket_get_listener(w->bound);
	if (l && evconnlistener_enable(l) == 0) {
		w->accepting = true;
		log_info("web: accepting connections again (%zu open)", w->conns->n);
	}
}

/* OpenSSL calls this for every SSL it frees (ours carry the counter). */
static void conn_ex_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad,
                         int idx, long argl, void *argp)
{
	struct web_conn_count *cc = ptr;

	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	if (!cc)
		return;
	cc->n--;
	if (!cc->w) {
		if (cc->n == 0)
			free(cc);
		return;
	}
	accept_more(cc->w);
}

/* evhttp asks for the bufferevent of each accepted connection. It must
 * never get NULL: it would then speak plain HTTP on the socket. */
static struct bufferevent *bev_cb(struct event_base *base, void *arg)
{
	struct web *w = arg;
	SSL *ssl = SSL_new(w->ssl_ctx);
	struct bufferevent *bev;

	if (!ssl) {
		log_error("web: cannot create a TLS session: out of memory");
		abort();
	}
	w->conns->n++;
	SSL_set_ex_data(ssl, conn_ex_index, w->conns);
	bev = bufferevent_openssl_socket_new(base, -1, ssl,
	                                     BUFFEREVENT_SSL_ACCEPTING,
	                                     BEV_OPT_CLOSE_ON_FREE);
	if (!bev) {
		log_error("web: cannot create a TLS connection: out of memory");
		abort();
	}
	/* Browsers often close without close_notify; HTTP framing decides. */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	if (w->accepting && w->conns->n >= w->max_conns) {
		struct evconnlistener *l = evhttp_bound_socket_get_listener(w->bound);
		if (l)
			evconnlistener_disable(l);
		w->accepting = false;
		log_warn("web: %zu connections open (max_clients); not accepting "
		         "more until one closes",
		         w->conns->n);
	}
	return bev;
}

/* --------------------------------------------------------------- TLS */

static SSL_CTX *server_ctx(const char *cert, const char *key, char *err,
                           size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	char why[256];
	const char *what = "cannot create a TLS context";

	if (!ctx)
		goto fail;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION |
	                             SSL_OP_CIPHER_SERVER_PREFERENCE);
	what = "cannot load the certificate";
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1)
		goto fail;
	what = "cannot load the private key";
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)
		goto fail;
	what = "the private key does not match the certificate";
	if (SSL_CTX_check_private_key(ctx) != 1)
		goto fail;
	return ctx;

fail:
	ERR_error_string_n(ERR_get_error(), why, sizeof why);
	ERR_clear_error();
	snprintf(err, errlen, "[web] %s (%s, %s): %s", what, cert, key, why);
	SSL_CTX_free(ctx);
	return NULL;
}

/* ------------------------------------------------------------ requests */

static void req_link(struct web *w, struct web_req *r)
{
	r->prev = NULL;
	r->next = w->reqs;
	if (w->reqs)
		w->reqs->prev = r;
	w->reqs = r;
}

static void req_unlink(struct web_req *r)
{
	struct web *w = r->w;

	if (r->prev)
		r->prev->next = r->next;
	else if (w->reqs == r)
		w->reqs = r->next;
	if (r->next)
		r->next->prev = r->prev;
	r->prev = r->next = NULL;
}

static void wipe_free(char *s)
{
	if (s) {
		core_wipe(s, strlen(s));
		free(s);
	}
}

/* Frees the context only; the evhttp request is someone else's now. */
static void req_free(struct web_req *r)
{
	req_unlink(r);
	if (r->op)
		store_op_cancel(r->op);
	if (r->login_op)
		idp_login_cancel(r->login_op);
	web_form_free(&r->query);
	web_form_free(&r->form);
	web_reviewer_clear(&r->rv);
	for (size_t i = 0; i < r->nres; i++)
		free(r->res[i].cells);
	wipe_free(r->s1);
	wipe_free(r->s2);
	wipe_free(r->s3);
	free(r);
}

void web_req_release(struct web_req *r)
{
	req_free(r);
}

void web_reviewer_clear(struct web_reviewer *rv)
{
	free(rv->issuer);
	free(rv->subject);
	free(rv->name);
	free(rv->email);
	free(rv->groups_pg);
	free(rv->groups_text);
	wipe_free(rv->csrf);
	memset(rv, 0, sizeof *rv);
}

const char *web_header(struct web_req *r, const char *name)
{
	return evhttp_find_header(evhttp_request_get_input_headers(r->req), name);
}

void web_add_header(struct web_req *r, const char *name, const char *value)
{
	evhttp_add_header(evhttp_request_get_output_headers(r->req), name, value);
}

void web_set_cookie(struct web_req *r, const char *name, const char *value,
                    const char *same_site, long long max_age)
{
	struct core_buf b = {0};

	core_buf_printf(&b, "%s=%s; Path=/; Secure; HttpOnly; SameSite=%s", name,
	                value, same_site);
	if (max_age >= 0)
		core_buf_printf(&b, "; Max-Age=%lld", max_age);
	core_buf_append(&b, "", 1);
	web_add_header(r, "Set-Cookie", (const char *)b.data);
	core_buf_free(&b);
}

void web_security_headers(struct evhttp_request *req)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	evhttp_add_header(h, "Content-Security-Policy", CSP);
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(h, "Referrer-Policy", "no-referrer");
	evhttp_add_header(h, "Strict-Transport-Security", HSTS);
	evhttp_add_header(h, "X-Frame-Options", "DENY");
	evhttp_add_header(h, "Cross-Origin-Opener-Policy", "same-origin");
	evhttp_add_header(h, "Cross-Origin-Resource-Policy", "same-origin");
	if (!evhttp_find_header(h, "Cache-Control"))
		evhttp_add_header(h, "Cache-Control", "no-store");
}

void web_send(struct web_req *r, int code, const char *content_type,
              struct core_buf *body)
{
	struct evbuffer *out = evbuffer_new();

	web_security_headers(r->req);
	if (content_type)
		web_add_header(r, "Content-Type", content_type);
	if (body) {
		if (out && body->len)
			evbuffer_add(out, body->data, body->len);
		core_buf_free(body);
	}
	log_debug("web: %s %s -> %d", r->method, r->path ? r->path : "?", code);
	evhttp_send_reply(r->req, code, NULL, out);
	if (out)
		evbuffer_free(out);
	req_free(r);
}

void web_send_page(struct web_req *r, int code, const char *title,
                   struct core_buf *main)
{
	struct core_buf b = {0};

	web_page_begin(&b, r, title);
	if (main) {
		core_buf_append(&b, main->data, main->len);
		core_buf_free(main);
	}
	web_page_end(&b);
	web_send(r, code, "text/html; charset=utf-8", &b);
}

void web_send_message(struct web_req *r, int code, const char *title,
                      const char *msg)
{
	struct core_buf b = {0};

	core_buf_append_str(&b, "<section class=\"message\"><h1>");
	web_html(&b, title);
	core_buf_append_str(&b, "</h1><p class=\"explain\">");
	web_html(&b, msg);
	core_buf_append_str(&b, "</p>");
	if (!r->authed && (code == 401 || code == 400))
		core_buf_append_str(&b, "<p><a href=\"/login\">Log in</a></p>");
	else if (code != 200)
		core_buf_append_str(&b, "<p><a href=\"/\">Back to the queue</a></p>");
	core_buf_append_str(&b, "</section>");
	web_send_page(r, code, title, &b);
}

void web_redirect(struct web_req *r, const char *location)
{
	struct core_buf b = {0};

	web_add_header(r, "Location", location);
	core_buf_append_str(&b, "<!doctype html><title>Moved</title><a href=\"");
	web_html(&b, location);
	core_buf_append_str(&b, "\">Continue</a>\n");
	web_send(r, 303, "text/html; charset=utf-8", &b);
}

static void query_cb(void *arg, bool ok, const char *err, size_t nrows,
                     size_t ncols, const char *const *cells)
{
	struct web_req *r = arg;
	struct web_rows *rows;
	size_t bytes = 0, n = nrows * ncols;
	char *p;

	r->op = NULL;
	if (!ok) {
		log_warn("web: %s: PostgreSQL: %s", r->path ? r->path : "?", err);
		web_send_message(r, 503, "Database unavailable",
		                 "The audit database did not answer; nothing was "
		                 "changed. Try again in a moment.");
		return;
	}
	if (r->nres == WEB_MAX_RESULTS) {
		log_error("web: %s gathers more than %d results", r->path,
		          WEB_MAX_RESULTS);
		web_send_message(r, 500, "Internal error",
		                 "The page asked for too much.");
		return;
	}
	rows = &r->res[r->nres++];
	for (size_t i = 0; i < n; i++)
		if (cells[i])
			bytes += strlen(cells[i]) + 1;
	rows->nrows = nrows;
	rows->ncols = ncols;
	rows->cells = core_xmalloc(n * sizeof *rows->cells + bytes);
	p = (char *)(rows->cells + n);
	for (size_t i = 0; i < n; i++) {
		if (!cells[i]) {
			rows->cells[i] = NULL;
			continue;
		}
		size_t len = strlen(cells[i]) + 1;
		memcpy(p, cells[i], len);
		rows->cells[i] = p;
		p += len;
	}
	r->then(r);
}

void web_query(struct web_req *r, const char *sql, int nparams,
               const char *const *params, web_step then)
{
	r->then = then;
	r->op = store_query(r->w->st, sql, nparams, params, query_cb, r);
}

/* ------------------------------------------------------------ dispatch */

static void h_health(struct web_req *r)
{
	struct core_buf b = {0};

	core_buf_printf(&b, "ok\nidentity provider: %s\n",
	                idp_login_ready(r->w->login) ? "ready" : "not reachable");
	web_send(r, 200, "text/plain; charset=utf-8", &b);
}

static void h_static(struct web_req *r)
{
	struct core_buf b = {0};

	/* Browsers ask for it on every page; there is none. */
	if (strcmp(r->path, "/favicon.ico") == 0) {
		web_add_header(r, "Cache-Control", "public, max-age=86400");
		web_send(r, 204, NULL, NULL);
		return;
	}
	for (const struct web_asset *a = web_assets; a->path; a++) {
		if (strcmp(a->path, r->path) != 0)
			continue;
		core_buf_append(&b, a->data, a->len);
		web_add_header(r, "Cache-Control", STATIC_CACHE);
		web_send(r, 200, a->content_type, &b);
		return;
	}
	web_send_message(r, 404, "Not found", "There is no such file.");
}

static bool is_form_content(const char *ct)
{
	static const char form[] = "application/x-www-form-urlencoded";

	return ct && strncasecmp(ct, form, sizeof form - 1) == 0 &&
	       (ct[sizeof form - 1] == '\0' || ct[sizeof form - 1] == ';');
}

/* Reads and decodes a POST body (evhttp has bounded it already). */
static bool read_form(struct web_req *r)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(r->req);
	size_t len = in ? evbuffer_get_length(in) : 0;
	char *body;
	bool ok;

	if (len > WEB_MAX_BODY)
		return false;
	body = core_xmalloc(len + 1);
	if (len && evbuffer_copyout(in, body, len) != (ev_ssize_t)len) {
		free(body);
		return false;
	}
	body[len] = '\0';
	ok = web_form_parse(body, len, &r->form);
	core_wipe(body, len);
	free(body);
	return ok;
}

static void dispatch(struct web_req *r)
{
	switch (r->m.route) {
	case WEB_R_HEALTH:
		h_health(r);
		return;
	case WEB_R_STATIC:
		h_static(r);
		return;
	case WEB_R_LOGIN:
		web_h_login(r);
		return;
	case WEB_R_CALLBACK:
		web_h_callback(r);
		return;
	case WEB_R_LOGOUT:
		web_h_logout(r);
		return;
	case WEB_R_QUEUE:
		web_h_queue(r);
		return;
	case WEB_R_QUEUE_FRAGMENT:
		web_h_queue_fragment(r);
		return;
	case WEB_R_REQUEST:
		web_h_request(r);
		return;
	case WEB_R_APPROVE:
	case WEB_R_DENY:
		web_h_decide(r);
		return;
	case WEB_R_HISTORY:
		web_h_history(r);
		return;
	case WEB_R_SESSION:
		web_h_session(r);
		return;
	case WEB_R_GRANTS:
		web_h_grants(r);
		return;
	case WEB_R_REVOKE:
		web_h_revoke(r);
		return;
	case WEB_R_EVENTS:
		web_h_events(r);
		return;
	case WEB_R_NOT_FOUND:
		break;
	}
	web_send_message(r, 404, "Not found", "There is no such page.");
}

static const char *method_name(enum evhttp_cmd_type cmd)
{
	switch (cmd) {
	case EVHTTP_REQ_GET:
		return "GET";
	case EVHTTP_REQ_POST:
		return "POST";
	case EVHTTP_REQ_HEAD:
		return "HEAD";
	default:
		return "other";
	}
}

static void request_cb(struct evhttp_request *req, void *arg)
{
	struct web *w = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	const char *query;
	struct web_req *r;
	char *addr = NULL;
	ev_uint16_t port = 0;

	/* evhttp calls us without a URI for a request it could not parse
	 * (bad header, too large): it only needs an answer. */
	if (!evhttp_request_get_uri(req) || !uri) {
		web_security_headers(req);
		evhttp_send_error(req, 400, NULL);
		return;
	}
	r = core_xcalloc(1, sizeof *r);
	r->w = w;
	r->req = req;
	req_link(w, r);
	r->method = method_name(cmd);
	r->path = evhttp_uri_get_path(uri);
	if (!r->path || !r->path[0])
		r->path = "/";
	if (evcon) {
		evhttp_connection_get_peer(evcon, &addr, &port);
		snprintf(r->client_addr, sizeof r->client_addr, "%s",
		         addr ? addr : "");
	}
	if (w->stopping) {
		web_send_message(r, 503, "Shutting down",
		                 "The gateway is shutting down.");
		return;
	}
	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD &&
	    cmd != EVHTTP_REQ_POST) {
		web_add_header(r, "Allow", "GET, HEAD, POST");
		web_send_message(r, 405, "Method not allowed",
		                 "This page only answers GET and POST.");
		return;
	}
	r->post = cmd == EVHTTP_REQ_POST;
	query = evhttp_uri_get_query(uri);
	r->raw_query = query;
	if (query && !web_form_parse(query, strlen(query), &r->query)) {
		web_send_message(r, 400, "Bad request",
		                 "The address holds a malformed query string.");
		return;
	}
	web_route_match(r->post, r->path, &r->m);
	/* A stream has no head to show. */
	if (cmd == EVHTTP_REQ_HEAD && r->m.route == WEB_R_EVENTS)
		r->m.method_ok = false;
	if (r->m.route == WEB_R_NOT_FOUND) {
		web_send_message(r, 404, "Not found", "There is no such page.");
		return;
	}
	if (!r->m.method_ok) {
		web_add_header(r, "Allow",
		               r->m.route == WEB_R_EVENTS ? "GET"
		               : r->post                  ? "GET, HEAD"
		                                          : "POST");
		web_send_message(r, 405, "Method not allowed",
		                 r->m.route == WEB_R_EVENTS
		                     ? "This address is a live-update stream."
		                 : r->post ? "This address is only for reading."
		                           : "This address only takes form posts.");
		return;
	}
	if (r->post) {
		if (!is_form_content(web_header(r, "Content-Type"))) {
			web_send_message(r, 415, "Unsupported form",
			                 "Forms must be sent as "
			                 "application/x-www-form-urlencoded.");
			return;
		}
		if (!read_form(r)) {
			web_send_message(r, 400, "Bad request",
			                 "The form is malformed or too large.");
			return;
		}
	}
	dispatch(r);
}

/* ------------------------------------------------------------ lifecycle */

static void notify_cb(void *arg, const char *payload)
{
	struct web *w = arg;

	if (w->stopping)
		return;
	web_events_notify(w, payload);
}

static void gc_cb(void *arg, bool ok, const char *err, size_t nrows,
                  size_t ncols, const char *const *cells)
{
	struct web *w = arg;

	(void)nrows;
	(void)ncols;
	(void)cells;
	w->gc_op = NULL;
	if (!ok)
		log_warn("web: clearing old login attempts: %s", err);
}

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct web *w = arg;

	(void)fd;
	(void)what;
	if (w->stopping)
		return;
	web_events_tick(w);
	if (++w->ticks % GC_TICKS == 0 && !w->gc_op)
		w->gc_op = store_query(w->st,
		                       "DELETE FROM reviewer_logins "
		                       "WHERE expires_at < now() - interval '1 day'",
		                       0, NULL, gc_cb, w);
}

/* The client secret: the first line of its file. */
static char *read_secret(const char *path, char *err, size_t errlen)
{
	char why[512];
	char *s = core_read_file(path, MAX_SECRET_FILE, why, sizeof why);
	size_t n;

	if (!s) {
		snprintf(err, errlen, "[web] client_secret_file: %s", why);
		return NULL;
	}
	n = strcspn(s, "\r\n");
	core_wipe(s + n, strlen(s + n));
	s[n] = '\0';
	if (n == 0) {
		snprintf(err, errlen, "[web] client_secret_file %s is empty", path);
		free(s);
		return NULL;
	}
	return s;
}

struct web *web_new(struct event_base *base, const struct cfg *cfg,
                    struct store *st, char *err, size_t errlen)
{
	struct web *w = NULL;
	const struct cfg_web *wc = &cfg->web;
	const struct cfg_idp *idp;
	char *secret = NULL;
	struct core_buf b = {0};

	if (!cfg->has_web) {
		snprintf(err, errlen, "[web] is not configured");
		return NULL;
	}
	idp = wc->idp ? cfg_find_idp(cfg, wc->idp)
	              : (cfg->n_idps > 0 ? &cfg->idps[0] : NULL);
	if (!idp) {
		snprintf(err, errlen,
		         "[web] needs an [idp NAME] section for reviewer logins");
		return NULL;
	}
	if (conn_ex_index < 0) {
		conn_ex_index = SSL_get_ex_new_index(0, NULL, NULL, NULL,
		                                     conn_ex_free);
		if (conn_ex_index < 0) {
			snprintf(err, errlen, "cannot register TLS connection data");
			return NULL;
		}
	}
	w = core_xcalloc(1, sizeof *w);
	w->base = base;
	w->cfg = cfg;
	w->wc = wc;
	w->st = st;
	w->conns = core_xcalloc(1, sizeof *w->conns);
	w->conns->w = w;
	w->max_conns = (size_t)wc->max_clients;
	/* Live updates may take half the connections; pages keep the rest. */
	w->max_sse = w->max_conns / 2 ? w->max_conns / 2 : 1;
	w->max_grant_minutes = cfg->approvals.max_grant_duration / 60000;
	web_origin_of(wc->public_url, w->origin, sizeof w->origin);
	core_buf_append_str(&b, wc->public_url);
	while (b.len && b.data[b.len - 1] == '/')
		b.len--;
	core_buf_append_str(&b, "/login/callback");
	core_buf_append(&b, "", 1);
	w->redirect_uri = (char *)b.data;

	w->ssl_ctx = server_ctx(wc->tls_cert ? wc->tls_cert : cfg->gateway.tls_cert,
	                        wc->tls_key ? wc->tls_key : cfg->gateway.tls_key,
	                        err, errlen);
	if (!w->ssl_ctx)
		goto fail;
	secret = read_secret(wc->client_secret_file, err, errlen);
	if (!secret)
		goto fail;
	w->login = idp_login_new(base, idp, wc->client_id, secret,
	                         w->redirect_uri, err, errlen);
	core_wipe(secret, strlen(secret));
	free(secret);
	if (!w->login)
		goto fail;
	return w;

fail:
	web_free(w);
	return NULL;
}

bool web_start(struct web *w, char *err, size_t errlen)
{
	const struct cfg_web *wc = w->wc;
	struct timeval tv = {WEB_SSE_KEEPALIVE_MS / 1000,
	                     (WEB_SSE_KEEPALIVE_MS % 1000) * 1000};

	w->http = evhttp_new(w->base);
	if (!w->http) {
		snprintf(err, errlen, "web: cannot create the HTTP server");
		return false;
	}
	evhttp_set_bevcb(w->http, bev_cb, w);
	evhttp_set_gencb(w->http, request_cb, w);
	evhttp_set_max_headers_size(w->http, WEB_MAX_HEADERS);
	evhttp_set_max_body_size(w->http, WEB_MAX_BODY);
	evhttp_set_timeout(w->http, WEB_TIMEOUT_S);
	/* Every method reaches request_cb, so that even a refusal carries the
	 * security headers. */
	evhttp_set_allowed_methods(w->http,
	                           EVHTTP_REQ_GET | EVHTTP_REQ_POST |
	                               EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT |
	                               EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |
	                               EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT |
	                               EVHTTP_REQ_PATCH);
	w->bound = evhttp_bind_socket_with_handle(w->http, wc->address,
	                                          (ev_uint16_t)wc->port);
	if (!w->bound) {
		snprintf(err, errlen, "web: cannot listen on %s:%lld: %s",
		         wc->address, wc->port, strerror(errno));
		return false;
	}
	{
		/* Accepted sockets inherit TCP_NODELAY from the listener on
		 * Linux: a reply written in pieces (headers, body, TLS records)
		 * must not wait for the browser's delayed ACK. */
		int one = 1;
		evutil_socket_t fd = evhttp_bound_socket_get_fd(w->bound);
		if (fd >= 0)
			(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	}
	w->accepting = true;
	if (!store_listen(w->st, APPROVAL_CHANNEL, notify_cb, w)) {
		snprintf(err, errlen, "web: cannot listen for approval changes");
		return false;
	}
	w->tick = event_new(w->base, -1, EV_PERSIST, tick_cb, w);
	if (!w->tick || event_add(w->tick, &tv) != 0) {
		snprintf(err, errlen, "web: cannot create a timer");
		return false;
	}
	idp_login_start(w->login);
	w->started = true;
	log_info("web: reviewer page on https://%s:%lld (public URL %s)",
	         wc->address, wc->port, wc->public_url);
	return true;
}

void web_shutdown(struct web *w)
{
	if (!w || w->stopping)
		return;
	w->stopping = true;
	if (w->tick)
		event_del(w->tick);
	web_events_close_all(w);
	if (w->gc_op) {
		store_op_cancel(w->gc_op);
		w->gc_op = NULL;
	}
	/* Answer whatever still waits for PostgreSQL or the provider. */
	while (w->reqs) {
		struct web_req *r = w->reqs;

		if (r->op) {
			store_op_cancel(r->op);
			r->op = NULL;
		}
		if (r->login_op) {
			idp_login_cancel(r->login_op);
			r->login_op = NULL;
		}
		web_send_message(r, 503, "Shutting down",
		                 "The gateway is shutting down.");
	}
	if (w->http && w->bound) {
		evhttp_del_accept_socket(w->http, w->bound);
		w->bound = NULL;
	}
}

void web_free(struct web *w)
{
	if (!w)
		return;
	w->stopping = true;
	while (w->reqs)
		req_free(w->reqs);
	if (w->http)
		evhttp_free(w->http);
	if (w->conns) {
		w->conns->w = NULL;
		if (w->conns->n == 0)
			free(w->conns);
	}
	if (w->tick)
		event_free(w->tick);
	idp_login_free(w->login);
	if (w->ssl_ctx)
		SSL_CTX_free(w->ssl_ctx);
	free(w->redirect_uri);
	free(w);
}
