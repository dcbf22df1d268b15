/*
 * web internals: the pure text helpers (text.c: HTML escaping, URL and
 * form decoding, cookies, routes, formatting), the server's request
 * context and reply helpers (server.c), and the handlers of auth.c,
 * pages.c and events.c. Shared with the unit tests; other modules use
 * web/web.h only.
 */
#ifndef AGENTGATE_WEB_INTERNAL_H
#define AGENTGATE_WEB_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"
#include "web/web.h"

struct evhttp_request;
struct evhttp;
struct evhttp_bound_socket;
struct event;
struct event_base;
struct idp_login;
struct idp_login_op;
struct store;
struct store_op;

/* ------------------------------------------------------------- limits */

/* Largest request header block and body we read. Our forms carry a CSRF
 * token, a comment and a number. */
#define WEB_MAX_HEADERS (16 * 1024)
#define WEB_MAX_BODY (16 * 1024)
/* Longest reviewer comment kept (bytes). */
#define WEB_MAX_COMMENT 2000
/* Most fields in one form or query string. */
#define WEB_MAX_FIELDS 32
/* Idle or slow connections are closed after this long (seconds). */
#define WEB_TIMEOUT_S 30
/* Rows per history page, and the deepest page. */
#define WEB_HISTORY_PAGE 50
#define WEB_HISTORY_MAX_PAGE 1000
/* Most rows the queue, a session timeline or the grants page show. */
#define WEB_LIST_MAX 200
/* Live-update keep-alive comment and session re-check interval. */
#define WEB_SSE_KEEPALIVE_MS 15000
/* A live-update client that has this much unsent is too slow: dropped. */
#define WEB_SSE_MAX_BACKLOG (64 * 1024)
/* Results one page may gather from PostgreSQL. */
#define WEB_MAX_RESULTS 6

/* Cookie names. __Host- makes browsers insist on Secure, Path=/ and no
 * Domain, so no other host can plant one. */
#define WEB_COOKIE_SESSION "__Host-agentgate"
#define WEB_COOKIE_LOGIN "__Host-agentgate-login"
#define WEB_COOKIE_FLASH "__Host-agentgate-flash"

/* --------------------------------------------------------------- text */

/* Appends s HTML-escaped: & < > " ' become entities; valid UTF-8 passes;
 * an invalid byte, NUL and C0 controls other than tab, CR and LF become
 * U+FFFD. The only way values reach a page. */
void web_html(struct core_buf *b, const char *s);
void web_html_n(struct core_buf *b, const char *s, size_t len);
/* Like web_html(), with SQL keywords wrapped in <span class="kw">, string
 * literals in <span class="str"> and comments in <span class="cm"> — the
 * wrapping only ever goes around text that is already escaped. */
void web_html_sql(struct core_buf *b, const char *s);

/* Percent-decoding ("+" is a space when plus_space). False on a bad
 * escape or a decoded NUL. Caller frees *out. */
bool web_url_decode(const char *s, size_t len, bool plus_space,
                    char **out) CORE_WUR;
/* Percent-encodes everything but RFC 3986 unreserved characters. */
void web_url_encode(struct core_buf *b, const char *s);

/* Decoded application/x-www-form-urlencoded fields (also query strings). */
struct web_field {
	char *name;
	char *value;
};
struct web_form {
	struct web_field f[WEB_MAX_FIELDS];
	size_t n;
};
/* False on a malformed encoding or more than WEB_MAX_FIELDS fields; the
 * form is then empty. Free with web_form_free() either way. */
bool web_form_parse(const char *s, size_t len, struct web_form *f) CORE_WUR;
/* The first value of `name`, or NULL. */
const char *web_form_get(const struct web_form *f, const char *name);
void web_form_free(struct web_form *f);

/* The value of cookie `name` in a Cookie header (the first one if it
 * repeats) copied into out; false when absent, empty or too long. */
bool web_cookie_get(const char *header, const char *name, char *out,
                    size_t outlen) CORE_WUR;

/* Constant-time equality of two secrets (the length is not secret). */
bool web_ct_equal(const char *a, const char *b);

/* A 36-character UUID in canonical form (any case) copied lowercase into
 * out[37]. */
bool web_uuid_parse(const char *s, size_t len, char out[37]) CORE_WUR;

/* A login secret or cookie value: exactly 43 base64url characters. */
bool web_token_valid(const char *s);

/* SHA-256 of s in lowercase hex, into out[65]. */
void web_sha256_hex(const char *s, char out[65]);

enum web_route {
	WEB_R_NOT_FOUND,
	WEB_R_HEALTH,         /* GET /healthz */
	WEB_R_STATIC,         /* GET /static/app.js, /static/app.css */
	WEB_R_LOGIN,          /* GET /login */
	WEB_R_CALLBACK,       /* GET /login/callback */
	WEB_R_LOGOUT,         /* POST /logout */
	WEB_R_QUEUE,          /* GET / */
	WEB_R_QUEUE_FRAGMENT, /* GET /fragment/queue */
	WEB_R_REQUEST,        /* GET /requests/UUID */
	WEB_R_APPROVE,        /* POST /requests/UUID/approve */
	WEB_R_DENY,           /* POST /requests/UUID/deny */
	WEB_R_HISTORY,        /* GET /history */
	WEB_R_SESSION,        /* GET /sessions/UUID */
	WEB_R_GRANTS,         /* GET /grants */
	WEB_R_REVOKE,         /* POST /grants/UUID/revoke */
	WEB_R_EVENTS,         /* GET /events */
};

struct web_match {
	enum web_route route;
	bool method_ok;       /* false: the path exists for the other method */
	char id[37];          /* the UUID of the path, lowercase, or "" */
};

/* Routes a request path (without query). GET stands for HEAD too. */
void web_route_match(bool post, const char *path, struct web_match *m);

/* "3h 12m", "4m 05s", "12s"; "expired" for <= 0. */
void web_fmt_duration(int64_t secs, char *out, size_t outlen);

/* A local path to return to after login: starts with one "/", and holds
 * only printable ASCII without backslash, at most 512 bytes. */
bool web_return_to_ok(const char *s);

/* A date filter: YYYY-MM-DD, optionally followed by T or a space and
 * HH:MM or HH:MM:SS. */
bool web_date_ok(const char *s);

/* A decimal integer in [min, max], nothing else. */
bool web_parse_int(const char *s, long long min, long long max,
                   long long *out) CORE_WUR;

/* A PostgreSQL array literal of text values: {"a","b\"c"}. */
void web_pg_array(struct core_buf *b, char *const *items, size_t n);

/* Origin of a public URL for comparison with an Origin header: scheme,
 * host and port, lowercase, default port 443 dropped. */
void web_origin_of(const char *public_url, char *out, size_t outlen);
/* An Origin header value equals that origin (after the same
 * normalisation). */
bool web_origin_matches(const char *origin, const char *expected);

/* A NOTIFY agentgate_approval payload we relay: "UUID action" with a
 * lowercase action word. */
bool web_notify_payload_ok(const char *payload);

/* The flash message cookie: "o" or "e" (ok, error) then the message, in
 * base64url. Decoding refuses anything else. */
char *web_flash_encode(bool ok, const char *msg);
bool web_flash_decode(const char *value, bool *ok, char **msg) CORE_WUR;

/* ------------------------------------------------------------ assets */

struct web_asset {
	const char *path;         /* "/static/app.js" */
	const char *content_type;
	const unsigned char *data;
	size_t len;
};
/* NULL-path terminated; generated by web/embed_assets.cmake. */
extern const struct web_asset web_assets[];

/* ------------------------------------------------------------ server */

/* Copied rows of one query: nrows x ncols cells, NULL for SQL NULL. */
struct web_rows {
	size_t nrows, ncols;
	char **cells;
};

static inline const char *web_cell(const struct web_rows *r, size_t row,
                                   size_t col)
{
	if (row >= r->nrows || col >= r->ncols)
		return NULL;
	return r->cells[row * r->ncols + col];
}

/* A cell or "" for NULL. */
static inline const char *web_cells(const struct web_rows *r, size_t row,
                                    size_t col)
{
	const char *s = web_cell(r, row, col);
	return s ? s : "";
}

/* The logged-in reviewer of a request. */
struct web_reviewer {
	char sid[65];       /* SHA-256 of the cookie, hex: the session's key */
	char *issuer;
	char *subject;
	char *name;         /* display name, may be "" */
	char *email;
	char *groups_pg;    /* groups as a PostgreSQL array literal */
	char *groups_text;  /* groups, comma separated, for display */
	char *csrf;
	int64_t expires_at; /* seconds since the epoch */
};

struct web_conn_count;
struct web_sse;

struct web {
	struct event_base *base;
	const struct cfg *cfg;
	const struct cfg_web *wc;
	struct store *st;
	struct idp_login *login;
	void *ssl_ctx;                 /* SSL_CTX * */
	struct evhttp *http;
	struct evhttp_bound_socket *bound;
	struct web_conn_count *conns;  /* open connections, see server.c */
	size_t max_conns;
	bool accepting;
	bool started;
	bool stopping;
	char origin[300];              /* of public_url, for Origin checks */
	char *redirect_uri;
	uint64_t max_grant_minutes;    /* 0: grants disabled */
	struct web_req *reqs;          /* requests being worked on */
	struct web_sse *sse;           /* live-update streams */
	size_t n_sse, max_sse;
	struct store_op *sse_check_op; /* the streams' session re-check */
	struct store_op *gc_op;        /* clearing old login attempts */
	struct event *tick;
	unsigned ticks;
};

typedef void (*web_step)(struct web_req *r);

/* One request being answered. Freed when its reply is sent. */
struct web_req {
	struct web *w;
	struct evhttp_request *req;
	struct web_req *prev, *next;
	struct web_match m;
	bool post;
	const char *method;     /* for logs */
	const char *path;
	const char *raw_query;  /* as sent, NULL when none */
	struct web_form query;
	struct web_form form;
	char client_addr[64];
	bool authed;
	struct web_reviewer rv;
	struct store_op *op;
	struct idp_login_op *login_op;
	web_step then;          /* after the query in flight */
	web_step after_auth;    /* after the session lookup */
	struct web_rows res[WEB_MAX_RESULTS];
	size_t nres;
	/* Handler scratch (freed with the request). */
	char *s1, *s2, *s3;
	long long n1;
};

/* Runs one query; on success its rows are appended to r->res and
 * `then` runs; on failure a 503 page is sent (and r freed). */
void web_query(struct web_req *r, const char *sql, int nparams,
               const char *const *params, web_step then);

/* Frees the context without answering: the evhttp request has been
 * handed over (a live-update stream). */
void web_req_release(struct web_req *r);

/* The headers every response carries (CSP, nosniff, no referrer, HSTS,
 * no framing, Cache-Control no-store unless one is set already). */
void web_security_headers(struct evhttp_request *req);

/* Request headers, NULL when absent. */
const char *web_header(struct web_req *r, const char *name);
/* Adds a response header. */
void web_add_header(struct web_req *r, const char *name, const char *value);
/* Sets a cookie with our fixed attributes (__Host-: Secure, Path=/,
 * HttpOnly) and SameSite; max_age < 0 leaves it a session cookie, 0
 * deletes it. */
void web_set_cookie(struct web_req *r, const char *name, const char *value,
                    const char *same_site, long long max_age);

/* Replies and frees r. body may be NULL; it is consumed (freed). */
void web_send(struct web_req *r, int code, const char *content_type,
              struct core_buf *body);
/* A full HTML page around `main` (consumed): header with navigation when
 * r is authenticated, the flash message if one is given. */
void web_send_page(struct web_req *r, int code, const char *title,
                   struct core_buf *main);
/* A page with a heading and one message, escaped. */
void web_send_message(struct web_req *r, int code, const char *title,
                      const char *msg);
/* 303 to a local path (or absolute URL for the provider). */
void web_redirect(struct web_req *r, const char *location);

/* Pages (pages.c): the layout around every page. */
void web_page_begin(struct core_buf *b, struct web_req *r, const char *title);
void web_page_end(struct core_buf *b);

/* ------------------------------------------------------------ handlers */

/* auth.c */
void web_h_login(struct web_req *r);
void web_h_callback(struct web_req *r);
void web_h_logout(struct web_req *r);
/* Looks up the session cookie; when valid (and the reviewer still may
 * review) fills r->rv and runs `then`; otherwise answers: a redirect to
 * /login for pages, 401 for fragments, streams and forms. */
void web_require_session(struct web_req *r, web_step then);
/* The CSRF token of a POST matches the session's, and Origin (when sent
 * and not "null") and Sec-Fetch-Site (when sent) say same origin.
 * Otherwise answers 403 and returns false. */
bool web_check_csrf(struct web_req *r) CORE_WUR;
/* Whether the configuration lets this subject with these groups review. */
bool web_may_review(const struct cfg_web *wc, const char *subject,
                    char *const *groups, size_t n_groups);
void web_reviewer_clear(struct web_reviewer *rv);

/* pages.c */
void web_h_queue(struct web_req *r);
void web_h_queue_fragment(struct web_req *r);
void web_h_request(struct web_req *r);
void web_h_decide(struct web_req *r);
void web_h_history(struct web_req *r);
void web_h_session(struct web_req *r);
void web_h_grants(struct web_req *r);
void web_h_revoke(struct web_req *r);

/* events.c */
void web_h_events(struct web_req *r);
void web_events_notify(struct web *w, const char *payload);
void web_events_tick(struct web *w);
void web_events_close_all(struct web *w);

#endif
