/*
 * http.c: the one-shot HTTP requests idp needs, on libevent's HTTP client:
 * GET for OpenID discovery documents and JWKS, and a form POST for the
 * token endpoint of a reviewer login. HTTPS verifies the server's chain
 * (configured CA file or the system store) and its host name or IP address,
 * with TLS 1.2 or newer; plain HTTP is only spoken to loopback hosts. Every
 * response is bounded in size and every request in time.
 *
 * It deliberately does not follow redirects, keep connections alive or
 * cache anything, and sends a credential only when the caller hands one
 * over (the token endpoint's client authentication). Our copy of a response
 * body is wiped once delivered; libevent's own buffers are freed without
 * wiping. Results are always delivered from the event loop, never from
 * inside idp_http_get() or idp_http_post().
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "core/core.h"
#include "idp/internal.h"

/* Response headers beyond this are a misbehaving server. */
#define MAX_HEADERS_SIZE (64 * 1024)
/* Used when a caller passes a zero timeout. */
#define DEFAULT_TIMEOUT_MS 10000
#define USER_AGENT "agentgate"

struct idp_http {
	struct event_base *base;
	struct evhttp_connection *conn; /* owns bev, which owns ssl */
	struct bufferevent *bev;
	SSL *ssl;
	struct event *deadline;
	struct event *finish;
	char *url;
	uint64_t timeout_ms;
	size_t max_body;
	idp_http_cb cb;
	void *arg;
	bool completed;  /* a result is recorded; finish is pending */
	int status;
	struct core_buf body;
	char err[IDP_REASON_LEN];
};

static void say(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void say(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* ----------------------------------------------------------------- URL */

void idp_url_free(struct idp_url *u)
{
	if (!u)
		return;
	free(u->host);
	free(u->path);
	free(u->host_header);
	memset(u, 0, sizeof *u);
}

bool idp_url_parse(const char *url, struct idp_url *u, char *err,
                   size_t errlen)
{
	struct evhttp_uri *uri = NULL;
	const char *scheme, *host, *path, *query;
	struct core_buf b = {0};
	char q[80];
	bool ok = false;
	int port;
	size_t hlen;

	memset(u, 0, sizeof *u);
	idp_quote(url, q, sizeof q);
	if (!url || !*url) {
		say(err, errlen, "URL is empty");
		return false;
	}
	uri = evhttp_uri_parse_with_flags(url, 0);
	if (!uri) {
		say(err, errlen, "'%s' is not a valid URL", q);
		return false;
	}
	scheme = evhttp_uri_get_scheme(uri);
	host = evhttp_uri_get_host(uri);
	port = evhttp_uri_get_port(uri);
	path = evhttp_uri_get_path(uri);
	query = evhttp_uri_get_query(uri);
	if (!scheme || (strcasecmp(scheme, "https") != 0 &&
	                strcasecmp(scheme, "http") != 0)) {
		say(err, errlen, "'%s' is not an http or https URL", q);
		goto out;
	}
	if (!host || !*host) {
		say(err, errlen, "'%s' has no host", q);
		goto out;
	}
	if (evhttp_uri_get_userinfo(uri)) {
		say(err, errlen, "'%s' carries credentials, which are not allowed",
		    q);
		goto out;
	}
	u->https = strcasecmp(scheme, "https") == 0;
	hlen = strlen(host);
	if (host[0] == '[' && hlen > 2 && host[hlen - 1] == ']')
		u->host = core_xstrndup(host + 1, hlen - 2);
	else
		u->host = core_xstrdup(host);
	if (!u->https && !core_is_loopback_host(u->host)) {
		say(err, errlen,
		    "'%s' uses plain http, which is only allowed to a loopback "
		    "host",
		    q);
		goto out;
	}
	if (port == 0 || port > 65535) {
		say(err, errlen, "'%s' has an invalid port", q);
		goto out;
	}
	u->port = port > 0 ? port : (u->https ? 443 : 80);
	core_buf_append_str(&b, host);
	if (port > 0)
		core_buf_printf(&b, ":%d", port);
	core_buf_append(&b, "", 1);
	u->host_header = (char *)b.data;
	b.data = NULL;
	core_buf_free(&b);
	core_buf_append_str(&b, path && *path ? path : "/");
	if (query) {
		core_buf_append_str(&b, "?");
		core_buf_append_str(&b, query);
	}
	core_buf_append(&b, "", 1);
	u->path = (char *)b.data;
	b.data = NULL;
	ok = true;

out:
	core_buf_free(&b);
	evhttp_uri_free(uri);
	if (!ok)
		idp_url_free(u);
	return ok;
}

/* ----------------------------------------------------------------- TLS */

/* The first queued OpenSSL error as text, or `fallback`. */
static void openssl_reason(unsigned long e, char *out, size_t outlen,
                           const char *fallback)
{
	if (e == 0) {
		say(out, outlen, "%s", fallback);
		return;
	}
	ERR_error_string_n(e, out, outlen);
}

SSL_CTX *idp_http_ssl_ctx_new(const char *ca_file, char *err, size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	const char *step = "cannot create a TLS context";
	char why[160];

	if (!ctx)
		goto fail;
	step = "cannot require TLS 1.2";
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1)
		goto fail;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	step = ca_file ? "cannot load the CA file" : "cannot load the system CAs";
	if (ca_file ? SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1
	            : SSL_CTX_set_default_verify_paths(ctx) != 1)
		goto fail;
	ERR_clear_error();
	return ctx;

fail:
	openssl_reason(ERR_get_error(), why, sizeof why, "unknown error");
	if (ca_file)
		say(err, errlen, "%s '%s': %s", step, ca_file, why);
	else
		say(err, errlen, "%s: %s", step, why);
	ERR_clear_error();
	SSL_CTX_free(ctx);
	return NULL;
}

static bool is_ip_literal(const char *host)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, host, buf) == 1 ||
	       inet_pton(AF_INET6, host, buf) == 1;
}

/* An SSL for one connection: SNI and host name check for names, an IP
 * check for address literals. */
static SSL *ssl_for_host(SSL_CTX *ctx, const char *host, char *err,
                         size_t errlen)
{
	SSL *ssl = SSL_new(ctx);
	bool ok;

	if (!ssl) {
		say(err, errlen, "cannot create a TLS session");
		return NULL;
	}
	if (is_ip_literal(host))
		ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host) == 1;
	else
		ok = SSL_set_tlsext_host_name(ssl, host) == 1 &&
		     SSL_set1_host(ssl, host) == 1;
	if (!ok) {
		say(err, errlen, "cannot set the expected TLS peer name");
		SSL_free(ssl);
		ERR_clear_error();
		return NULL;
	}
	return ssl;
}

/* ------------------------------------------------------------- request */

static void free_handle(struct idp_http *h)
{
	if (h->deadline)
		event_free(h->deadline);
	if (h->finish)
		event_free(h->finish);
	if (h->conn)
		evhttp_connection_free(h->conn);
	else if (h->bev)
		bufferevent_free(h->bev);
	core_buf_free(&h->body);
	free(h->url);
	free(h);
}

/* Explain a failed exchange, preferring what TLS knows. */
static void describe_failure(struct idp_http *h, const char *what)
{
	char why[160];
	unsigned long e = 0;

	if (h->err[0])
		return;
	if (h->ssl) {
		long vr = SSL_get_verify_result(h->ssl);
		if (vr != X509_V_OK) {
			say(h->err, sizeof h->err,
			    "TLS certificate verification failed: %s",
			    X509_verify_cert_error_string(vr));
			return;
		}
	}
	if (h->bev && h->ssl)
		e = bufferevent_get_openssl_error(h->bev);
	if (e) {
		openssl_reason(e, why, sizeof why, "");
		say(h->err, sizeof h->err, "%s (TLS: %s)", what, why);
		while (bufferevent_get_openssl_error(h->bev))
			;
		return;
	}
	say(h->err, sizeof h->err, "%s", what);
}

static void complete(struct idp_http *h)
{
	if (h->completed)
		return;
	h->completed = true;
	event_active(h->finish, EV_TIMEOUT, 1);
}

static void finish_cb(evutil_socket_t fd, short what, void *arg)
{
	struct idp_http *h = arg;

	(void)fd;
	(void)what;
	if (h->conn) {
		evhttp_connection_free(h->conn);
		h->conn = NULL;
		h->bev = NULL;
		h->ssl = NULL;
	}
	if (h->err[0]) {
		h->cb(h->arg, h->status, "", 0, h->err);
	} else {
		size_t len = h->body.len;
		core_buf_append(&h->body, "", 1);
		h->cb(h->arg, h->status, (const char *)h->body.data, len, NULL);
	}
	free_handle(h);
}

static void deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct idp_http *h = arg;

	(void)fd;
	(void)what;
	if (h->completed)
		return;
	say(h->err, sizeof h->err, "no complete response within %llu ms",
	    (unsigned long long)h->timeout_ms);
	h->status = 0;
	complete(h);
}

static const char *request_error_name(enum evhttp_request_error e)
{
	switch (e) {
	case EVREQ_HTTP_TIMEOUT:
		return "timed out";
	case EVREQ_HTTP_EOF:
		return "connection closed before a complete response";
	case EVREQ_HTTP_INVALID_HEADER:
		return "invalid response header";
	case EVREQ_HTTP_BUFFER_ERROR:
		return "connection error";
	case EVREQ_HTTP_REQUEST_CANCEL:
		return "request cancelled";
	case EVREQ_HTTP_DATA_TOO_LONG:
		return "response too large";
	}
	return "request failed";
}

static void error_cb(enum evhttp_request_error e, void *arg)
{
	struct idp_http *h = arg;

	if (h->completed)
		return;
	if (e == EVREQ_HTTP_DATA_TOO_LONG)
		say(h->err, sizeof h->err,
		    "response is larger than the limit of %zu bytes", h->max_body);
	else
		describe_failure(h, request_error_name(e));
}

static void done_cb(struct evhttp_request *req, void *arg)
{
	struct idp_http *h = arg;
	struct evbuffer *in;
	size_t len;

	if (h->completed)
		return;
	if (!req || evhttp_request_get_response_code(req) == 0) {
		describe_failure(h, "no response (connection refused, host "
		                    "unreachable, name not resolved or TLS failed)");
		complete(h);
		return;
	}
	h->status = evhttp_request_get_response_code(req);
	in = evhttp_request_get_input_buffer(req);
	len = in ? evbuffer_get_length(in) : 0;
	if (len > h->max_body) {
		say(h->err, sizeof h->err,
		    "response is larger than the limit of %zu bytes", h->max_body);
	} else if (len > 0) {
		core_buf_reserve(&h->body, len + 1);
		if (evbuffer_copyout(in, h->body.data, len) != (ev_ssize_t)len)
			say(h->err, sizeof h->err, "cannot read the response body");
		else
			h->body.len = len;
	}
	complete(h);
}

/* One request: GET without a body, or POST with `body`. `headers` (may be
 * NULL) are extra name, value pairs, NULL-terminated. */
static struct idp_http *start_request(struct event_base *base,
                                      struct evdns_base *dns, SSL_CTX *ssl_ctx,
                                      const char *url,
                                      enum evhttp_cmd_type method,
                                      const char *const *headers,
                                      const char *content_type,
                                      const void *body, size_t body_len,
                                      uint64_t timeout_ms, size_t max_body,
                                      idp_http_cb cb, void *arg, char *err,
                                      size_t errlen)
{
	struct idp_url u;
	struct idp_http *h = NULL;
	struct evhttp_request *req = NULL;
	struct evkeyvalq *hdrs;
	struct timeval tv;
	char len_s[24];

	if (!idp_url_parse(url, &u, err, errlen))
		return NULL;
	if (u.https && !ssl_ctx) {
		say(err, errlen, "no TLS context for an https URL");
		goto fail;
	}
	if (timeout_ms == 0)
		timeout_ms = DEFAULT_TIMEOUT_MS;
	h = core_xcalloc(1, sizeof *h);
	h->base = base;
	h->url = core_xstrdup(url);
	h->timeout_ms = timeout_ms;
	h->max_body = max_body;
	h->cb = cb;
	h->arg = arg;
	h->deadline = evtimer_new(base, deadline_cb, h);
	h->finish = event_new(base, -1, 0, finish_cb, h);
	if (!h->deadline || !h->finish) {
		say(err, errlen, "cannot create events");
		goto fail;
	}
	if (u.https) {
		h->ssl = ssl_for_host(ssl_ctx, u.host, err, errlen);
		if (!h->ssl)
			goto fail;
		h->bev = bufferevent_openssl_socket_new(
		    base, -1, h->ssl, BUFFEREVENT_SSL_CONNECTING,
		    BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
		if (!h->bev) {
			SSL_free(h->ssl);
			h->ssl = NULL;
		} else {
			/* Many servers close without close_notify; HTTP framing
			 * (Content-Length or chunked) still tells us whether the
			 * body is complete, and the JSON parser rejects a cut one. */
			bufferevent_openssl_set_allow_dirty_shutdown(h->bev, 1);
		}
	} else {
		h->bev = bufferevent_socket_new(
		    base, -1, BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	}
	if (!h->bev) {
		say(err, errlen, "cannot create a connection buffer");
		goto fail;
	}
	h->conn = evhttp_connection_base_bufferevent_new(base, dns, h->bev, u.host,
	                                                 (uint16_t)u.port);
	if (!h->conn) {
		say(err, errlen, "cannot create an HTTP connection");
		goto fail;
	}
	tv.tv_sec = (time_t)(timeout_ms / 1000);
	tv.tv_usec = (suseconds_t)(timeout_ms % 1000) * 1000;
	evhttp_connection_set_timeout_tv(h->conn, &tv);
	evhttp_connection_set_retries(h->conn, 0);
	evhttp_connection_set_max_body_size(h->conn, (ev_ssize_t)max_body);
	evhttp_connection_set_max_headers_size(h->conn, MAX_HEADERS_SIZE);

	req = evhttp_request_new(done_cb, h);
	if (!req) {
		say(err, errlen, "cannot create an HTTP request");
		goto fail;
	}
	evhttp_request_set_error_cb(req, error_cb);
	hdrs = evhttp_request_get_output_headers(req);
	evhttp_add_header(hdrs, "Host", u.host_header);
	evhttp_add_header(hdrs, "Accept", "application/json");
	evhttp_add_header(hdrs, "User-Agent", USER_AGENT);
	evhttp_add_header(hdrs, "Connection", "close");
	for (size_t i = 0; headers && headers[i] && headers[i + 1]; i += 2)
		evhttp_add_header(hdrs, headers[i], headers[i + 1]);
	if (method == EVHTTP_REQ_POST) {
		struct evbuffer *out = evhttp_request_get_output_buffer(req);

		evhttp_add_header(hdrs, "Content-Type", content_type);
		snprintf(len_s, sizeof len_s, "%zu", body_len);
		evhttp_add_header(hdrs, "Content-Length", len_s);
		/* A reference to the caller's bytes would outlive them; a copy
		 * in the request's buffer is drained as it is written. */
		if (body_len > 0 && evbuffer_add(out, body, body_len) != 0) {
			evhttp_request_free(req);
			say(err, errlen, "cannot queue the request body");
			goto fail;
		}
	}
	evtimer_add(h->deadline, &tv);
	/* From here on the request belongs to libevent, and any failure, even
	 * one reported synchronously, reaches done_cb or is recorded below and
	 * delivered through the finish event. */
	if (evhttp_make_request(h->conn, req, method, u.path) != 0) {
		if (!h->err[0])
			say(h->err, sizeof h->err, "cannot send the request");
		complete(h);
	}
	idp_url_free(&u);
	return h;

fail:
	if (h)
		free_handle(h);
	idp_url_free(&u);
	return NULL;
}

struct idp_http *idp_http_get(struct event_base *base, struct evdns_base *dns,
                              SSL_CTX *ssl_ctx, const char *url,
                              uint64_t timeout_ms, size_t max_body,
                              idp_http_cb cb, void *arg, char *err,
                              size_t errlen)
{
	return start_request(base, dns, ssl_ctx, url, EVHTTP_REQ_GET, NULL, NULL,
	                     NULL, 0, timeout_ms, max_body, cb, arg, err, errlen);
}

struct idp_http *idp_http_post(struct event_base *base, struct evdns_base *dns,
                               SSL_CTX *ssl_ctx, const char *url,
                               const char *authorization,
                               const char *content_type, const void *body,
                               size_t body_len, uint64_t timeout_ms,
                               size_t max_body, idp_http_cb cb, void *arg,
                               char *err, size_t errlen)
{
	if (!content_type || !content_type[0]) {
		say(err, errlen, "a POST needs a content type");
		return NULL;
	}
	{
		const char *headers[] = {"Authorization", authorization, NULL};
		return start_request(base, dns, ssl_ctx, url, EVHTTP_REQ_POST,
		                     authorization ? headers : NULL, content_type,
		                     body, body_len, timeout_ms, max_body, cb, arg,
		                     err, errlen);
	}
}

struct idp_http *idp_http_post_headers(struct event_base *base,
                                       struct evdns_base *dns,
                                       SSL_CTX *ssl_ctx, const char *url,
                                       const char *const *headers,
                                       const char *content_type,
                                       const void *body, size_t body_len,
                                       uint64_t timeout_ms, idp_http_cb cb,
                                       void *arg, char *err, size_t errlen)
{
	if (!content_type || !content_type[0]) {
		say(err, errlen, "a POST needs a content type");
		return NULL;
	}
	/* A receiver's answer is not read beyond its status. */
	return start_request(base, dns, ssl_ctx, url, EVHTTP_REQ_POST, headers,
	                     content_type, body, body_len, timeout_ms, 64 * 1024,
	                     cb, arg, err, errlen);
}

void idp_http_cancel(struct idp_http *h)
{
	if (h)
		free_handle(h);
}
