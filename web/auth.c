/*
 * auth.c: who is looking at the page. Reviewer login with OpenID Connect
 * (authorization code flow, PKCE S256, state and nonce; the protocol steps
 * are idp/login.c's), the reviewer session behind the cookie, logout, and
 * the CSRF check of every form.
 *
 * A login in flight lives in reviewer_logins (state -> nonce, verifier,
 * where to return), so any gateway instance can finish it; the state is
 * also bound to the browser that started it by a short-lived SameSite=Lax
 * cookie, so nobody can finish their login in someone else's browser. A
 * session lives in reviewer_sessions under the SHA-256 of its cookie (the
 * cookie value itself is never stored) with its CSRF token. Who may review
 * is decided at login and again on every request against reviewer_groups
 * and reviewer_subjects.
 *
 * It deliberately keeps no session state in memory: PostgreSQL is asked on
 * every request, so logouts and expiry apply on every instance at once.
 */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "idp/idp.h"
#include "store/store.h"
#include "web/internal.h"

#define LOGIN_SCOPE "openid profile email groups"
/* The largest Cookie header value we copy one cookie out of. */
#define COOKIE_MAX 128

static const char session_sql[] =
    "WITH s AS ("
    " SELECT id_sha256, issuer, subject, coalesce(name, '') AS name,"
    " coalesce(email, '') AS email, groups::text AS gpg,"
    " array_to_string(groups, chr(10)) AS glist, csrf,"
    " extract(epoch FROM expires_at)::bigint AS exp, last_seen_at"
    " FROM reviewer_sessions WHERE id_sha256 = decode($1, 'hex')"
    " AND ended_at IS NULL AND expires_at > now()),"
    " u AS (UPDATE reviewer_sessions t SET last_seen_at = now() FROM s"
    " WHERE t.id_sha256 = s.id_sha256"
    " AND s.last_seen_at < now() - interval '1 minute')"
    " SELECT issuer, subject, name, email, gpg, glist, csrf, exp FROM s";

static const char login_insert_sql[] =
    "INSERT INTO reviewer_logins (state, nonce, code_verifier, return_to,"
    " expires_at) VALUES ($1, $2, $3, $4,"
    " now() + make_interval(secs => $5::double precision / 1000))";

/* Consumes a login attempt once; says why when it cannot. */
static const char login_take_sql[] =
    "WITH c AS (UPDATE reviewer_logins SET used_at = now()"
    " WHERE state = $1 AND used_at IS NULL AND expires_at > now()"
    " RETURNING nonce, code_verifier, return_to)"
    " SELECT 'ok', nonce, code_verifier, return_to FROM c"
    " UNION ALL"
    " SELECT CASE WHEN used_at IS NOT NULL THEN 'used' ELSE 'expired' END,"
    " NULL, NULL, NULL FROM reviewer_logins"
    " WHERE state = $1 AND NOT EXISTS (SELECT 1 FROM c)";

static const char session_insert_sql[] =
    "INSERT INTO reviewer_sessions (id_sha256, issuer, subject, name, email,"
    " groups, csrf, expires_at, client_addr, user_agent)"
    " VALUES (decode($1, 'hex'), $2, $3, $4, $5, $6::text[], $7,"
    " now() + make_interval(secs => $8::double precision / 1000), $9,"
    " left($10, 300))";

static const char logout_sql[] =
    "UPDATE reviewer_sessions SET ended_at = now()"
    " WHERE id_sha256 = decode($1, 'hex') AND ended_at IS NULL";

/* ------------------------------------------------------------ reviewers */

bool web_may_review(const struct cfg_web *wc, const char *subject,
                    char *const *groups, size_t n_groups)
{
	if (wc->reviewer_subjects && subject &&
	    cfg_list_contains(wc->reviewer_subjects, subject))
		return true;
	for (size_t i = 0; wc->reviewer_groups && i < n_groups; i++)
		if (cfg_list_contains(wc->reviewer_groups, groups[i]))
			return true;
	return false;
}

/* web_may_review with groups one per line. */
static bool may_review_lines(const struct cfg_web *wc, const char *subject,
                             const char *lines)
{
	char *copy = core_xstrdup(lines ? lines : ""), *save = NULL, *g;
	char *groups[256];
	size_t n = 0;
	bool ok;

	for (g = strtok_r(copy, "\n", &save); g && n < 256;
	     g = strtok_r(NULL, "\n", &save))
		groups[n++] = g;
	ok = web_may_review(wc, subject, groups, n);
	free(copy);
	return ok;
}

/* ------------------------------------------------------------- sessions */

static bool is_page(enum web_route rt)
{
	return rt == WEB_R_QUEUE || rt == WEB_R_REQUEST || rt == WEB_R_HISTORY ||
	       rt == WEB_R_SESSION || rt == WEB_R_GRANTS;
}

/* No valid session: pages go to the login, the rest get 401. */
static void unauthenticated(struct web_req *r, bool had_cookie)
{
	struct core_buf next = {0}, loc = {0};
	const char *q = r->raw_query;

	if (had_cookie)
		web_set_cookie(r, WEB_COOKIE_SESSION, "", "Strict", 0);
	if (!r->post && is_page(r->m.route)) {
		/* Back to this very page (and query) once logged in. */
		core_buf_append_str(&next, r->path);
		if (q && q[0]) {
			core_buf_append_str(&next, "?");
			core_buf_append_str(&next, q);
		}
		core_buf_append(&next, "", 1);
		core_buf_append_str(&loc, "/login?next=");
		web_url_encode(&loc, (const char *)next.data);
		core_buf_append(&loc, "", 1);
		web_redirect(r, (const char *)loc.data);
		core_buf_free(&next);
		core_buf_free(&loc);
		return;
	}
	web_add_header(r, "WWW-Authenticate", "Cookie realm=\"agentgate\"");
	if (r->m.route == WEB_R_QUEUE_FRAGMENT || r->m.route == WEB_R_EVENTS) {
		struct core_buf b = {0};
		core_buf_append_str(&b, "not logged in\n");
		web_send(r, 401, "text/plain; charset=utf-8", &b);
		return;
	}
	web_send_message(r, 401, "Not logged in",
	                 "Your session has ended or expired. Log in again; "
	                 "nothing was changed.");
}

static void session_found(struct web_req *r)
{
	const struct web_rows *s = &r->res[r->nres - 1];
	long long exp = 0;
	web_step then = r->after_auth;

	r->after_auth = NULL;
	if (s->nrows != 1 || s->ncols != 8) {
		unauthenticated(r, true);
		return;
	}
	r->rv.issuer = core_xstrdup(web_cells(s, 0, 0));
	r->rv.subject = core_xstrdup(web_cells(s, 0, 1));
	r->rv.name = core_xstrdup(web_cells(s, 0, 2));
	r->rv.email = core_xstrdup(web_cells(s, 0, 3));
	r->rv.groups_pg = core_xstrdup(web_cells(s, 0, 4)[0] ? web_cells(s, 0, 4)
	                                                      : "{}");
	r->rv.groups_text = core_xstrdup(web_cells(s, 0, 5));
	for (char *p = r->rv.groups_text; *p; p++)
		if (*p == '\n')
			*p = ',';
	r->rv.csrf = core_xstrdup(web_cells(s, 0, 6));
	if (web_parse_int(web_cells(s, 0, 7), 0, INT64_MAX / 2, &exp))
		r->rv.expires_at = exp;
	if (!may_review_lines(r->w->wc, r->rv.subject, web_cells(s, 0, 5))) {
		web_send_message(r, 403, "Not a reviewer",
		                 "You are logged in, but the gateway's configuration "
		                 "no longer lets you review (reviewer_groups, "
		                 "reviewer_subjects).");
		return;
	}
	r->authed = true;
	then(r);
}

void web_require_session(struct web_req *r, web_step then)
{
	char cookie[COOKIE_MAX];
	const char *params[1];

	if (!web_cookie_get(web_header(r, "Cookie"), WEB_COOKIE_SESSION, cookie,
	                    sizeof cookie) ||
	    !web_token_valid(cookie)) {
		unauthenticated(r, false);
		return;
	}
	web_sha256_hex(cookie, r->rv.sid);
	core_wipe(cookie, sizeof cookie);
	r->after_auth = then;
	params[0] = r->rv.sid;
	web_query(r, session_sql, 1, params, session_found);
}

bool web_check_csrf(struct web_req *r)
{
	const char *site = web_header(r, "Sec-Fetch-Site");
	const char *origin = web_header(r, "Origin");

	if (site && strcmp(site, "same-origin") != 0) {
		web_send_message(r, 403, "Refused",
		                 "This form was sent from another site. Nothing was "
		                 "changed.");
		return false;
	}
	/* "null" says nothing: with Referrer-Policy no-referrer browsers send
	 * it on their own same-origin form posts. The token decides then. */
	if (origin && strcmp(origin, "null") != 0 &&
	    !web_origin_matches(origin, r->w->origin)) {
		web_send_message(r, 403, "Refused",
		                 "This form was sent from another origin than the "
		                 "page's public URL. Nothing was changed.");
		return false;
	}
	if (!web_ct_equal(web_form_get(&r->form, "csrf"), r->rv.csrf)) {
		log_info("web: CSRF token missing or wrong for %s on %s",
		         r->rv.subject, r->path);
		web_send_message(r, 403, "Refused",
		                 "The form's CSRF token is missing or does not match "
		                 "your session. Reload the page and try again; "
		                 "nothing was changed.");
		return false;
	}
	return true;
}

/* ---------------------------------------------------------------- login */

static void login_stored(struct web_req *r)
{
	struct web *w = r->w;
	char *url = idp_login_authorize_url(w->login, LOGIN_SCOPE, r->s1, r->s2,
	                                    r->s3);

	if (!url) {
		web_send_message(r, 503, "Identity provider unavailable",
		                 "The identity provider cannot be reached right now. "
		                 "Try again in a moment.");
		return;
	}
	web_set_cookie(r, WEB_COOKIE_LOGIN, r->s1, "Lax",
	               (long long)(w->wc->login_timeout / 1000));
	web_redirect(r, url);
	free(url);
}

void web_h_login(struct web_req *r)
{
	struct web *w = r->w;
	const char *next = web_form_get(&r->query, "next");
	char state[IDP_LOGIN_SECRET_LEN + 1], nonce[IDP_LOGIN_SECRET_LEN + 1];
	char verifier[IDP_LOGIN_SECRET_LEN + 1], timeout[32];
	const char *params[5];

	if (!idp_login_ready(w->login)) {
		struct core_buf msg = {0};
		const char *why = idp_login_last_error(w->login);

		idp_login_start(w->login);
		core_buf_printf(&msg,
		                "The identity provider %s cannot be reached right "
		                "now%s%s. Try again in a moment.",
		                idp_login_issuer(w->login), why[0] ? ": " : "", why);
		core_buf_append(&msg, "", 1);
		web_add_header(r, "Retry-After", "2");
		web_send_message(r, 503, "Identity provider unavailable",
		                 (const char *)msg.data);
		core_buf_free(&msg);
		return;
	}
	if (!web_return_to_ok(next))
		next = "/";
	idp_login_secret(state);
	idp_login_secret(nonce);
	idp_login_secret(verifier);
	r->s1 = core_xstrdup(state);
	r->s2 = core_xstrdup(nonce);
	r->s3 = core_xstrdup(verifier);
	core_wipe(nonce, sizeof nonce);
	core_wipe(verifier, sizeof verifier);
	snprintf(timeout, sizeof timeout, "%llu",
	         (unsigned long long)w->wc->login_timeout);
	params[0] = r->s1;
	params[1] = r->s2;
	params[2] = r->s3;
	params[3] = next;
	params[4] = timeout;
	web_query(r, login_insert_sql, 5, params, login_stored);
}

/* Logged in: the cookie is set by a page of our own origin, which moves
 * on with a meta refresh. The callback itself is the end of a cross-site
 * redirect chain, where browsers would not send a SameSite=Strict cookie
 * along with an HTTP redirect. */
static void session_created(struct web_req *r)
{
	struct web *w = r->w;
	struct core_buf b = {0};
	const char *to = r->s2 && web_return_to_ok(r->s2) ? r->s2 : "/";

	web_set_cookie(r, WEB_COOKIE_SESSION, r->s1, "Strict",
	               (long long)(w->wc->session_lifetime / 1000));
	web_set_cookie(r, WEB_COOKIE_LOGIN, "", "Lax", 0);
	core_buf_append_str(&b, "<!doctype html>\n<html lang=\"en\"><head>"
	                        "<meta charset=\"utf-8\">"
	                        "<meta http-equiv=\"refresh\" content=\"0;url=");
	web_html(&b, to);
	core_buf_append_str(&b, "\"><title>Logged in</title>"
	                        "<link rel=\"stylesheet\" href=\"/static/app.css\">"
	                        "</head><body><main><p id=\"logged-in\">"
	                        "Logged in. <a href=\"");
	web_html(&b, to);
	core_buf_append_str(&b, "\">Continue</a></p></main></body></html>\n");
	web_send(r, 200, "text/html; charset=utf-8", &b);
}

static void exchange_cb(void *arg, enum idp_result res, const char *reason,
                        struct idp_principal *p)
{
	struct web_req *r = arg;
	struct web *w = r->w;
	struct core_buf msg = {0}, groups = {0};
	char cookie[IDP_LOGIN_SECRET_LEN + 1], csrf[IDP_LOGIN_SECRET_LEN + 1];
	char sid[65], lifetime[32];
	const char *params[10];

	r->login_op = NULL;
	if (res != IDP_OK) {
		log_warn("web: login from %s failed: %s: %s", r->client_addr,
		         idp_result_name(res), reason);
		core_buf_printf(&msg, "The login could not be completed: %s.",
		                reason);
		core_buf_append(&msg, "", 1);
		web_send_message(r, res == IDP_ERR_KEYS_UNAVAILABLE ? 502 : 403,
		                 "Login failed", (const char *)msg.data);
		core_buf_free(&msg);
		return;
	}
	if (!web_may_review(w->wc, p->subject, p->groups, p->n_groups)) {
		log_info("web: %s (%s) logged in at %s but may not review "
		         "(reviewer_groups, reviewer_subjects)",
		         p->subject, p->name ? p->name : "-", p->issuer);
		web_set_cookie(r, WEB_COOKIE_LOGIN, "", "Lax", 0);
		core_buf_printf(&msg,
		                "You are %s (%s at %s), but you are not a reviewer "
		                "of this gateway: neither your groups nor your "
		                "subject are allowed to review. Ask its operator.",
		                p->name ? p->name : p->subject, p->subject,
		                p->issuer);
		core_buf_append(&msg, "", 1);
		web_send_message(r, 403, "You are not a reviewer",
		                 (const char *)msg.data);
		core_buf_free(&msg);
		idp_principal_free(p);
		return;
	}
	idp_login_secret(cookie);
	idp_login_secret(csrf);
	web_sha256_hex(cookie, sid);
	r->s1 = core_xstrdup(cookie);
	core_wipe(cookie, sizeof cookie);
	web_pg_array(&groups, p->groups, p->n_groups);
	core_buf_append(&groups, "", 1);
	snprintf(lifetime, sizeof lifetime, "%llu",
	         (unsigned long long)w->wc->session_lifetime);
	params[0] = sid;
	params[1] = p->issuer;
	params[2] = p->subject;
	params[3] = p->name;
	params[4] = p->email;
	params[5] = (const char *)groups.data;
	params[6] = csrf;
	params[7] = lifetime;
	params[8] = r->client_addr;
	params[9] = web_header(r, "User-Agent");
	log_info("web: reviewer %s (%s) logged in from %s", p->subject,
	         p->name ? p->name : "-", r->client_addr);
	web_query(r, session_insert_sql, 10, params, session_created);
	core_wipe(csrf, sizeof csrf);
	core_buf_free(&groups);
	idp_principal_free(p);
}

static void login_taken(struct web_req *r)
{
	struct web *w = r->w;
	const struct web_rows *t = &r->res[r->nres - 1];
	const char *kind = web_cell(t, 0, 0);
	const char *code = web_form_get(&r->query, "code");
	char msg[256];

	if (!kind) {
		web_send_message(r, 400, "Unknown login",
		                 "This login is unknown here. Start again.");
		return;
	}
	if (strcmp(kind, "used") == 0) {
		web_send_message(r, 400, "Login already used",
		                 "This login link has already been used. Start "
		                 "again.");
		return;
	}
	if (strcmp(kind, "ok") != 0) {
		snprintf(msg, sizeof msg,
		         "This login took longer than %llu s to finish and has "
		         "expired. Start again.",
		         (unsigned long long)(w->wc->login_timeout / 1000));
		web_send_message(r, 400, "Login expired", msg);
		return;
	}
	/* s2: where to return once logged in (s1 will hold the cookie). */
	r->s2 = core_xstrdup(web_cells(t, 0, 3));
	r->login_op = idp_login_exchange(w->login, code, web_cells(t, 0, 2),
	                                 web_cells(t, 0, 1), exchange_cb, r);
}

void web_h_callback(struct web_req *r)
{
	struct web *w = r->w;
	const char *state = web_form_get(&r->query, "state");
	const char *code = web_form_get(&r->query, "code");
	const char *error = web_form_get(&r->query, "error");
	const char *iss = web_form_get(&r->query, "iss");
	char bound[COOKIE_MAX];
	const char *params[1];

	if (error) {
		struct core_buf msg = {0};
		const char *desc = web_form_get(&r->query, "error_description");

		core_buf_printf(&msg, "The identity provider did not log you in: %s%s%s",
		                error, desc ? ": " : "", desc ? desc : "");
		core_buf_append(&msg, "", 1);
		web_set_cookie(r, WEB_COOKIE_LOGIN, "", "Lax", 0);
		web_send_message(r, 400, "Login refused", (const char *)msg.data);
		core_buf_free(&msg);
		return;
	}
	if (!state || !code || !web_token_valid(state) || !code[0]) {
		web_send_message(r, 400, "Bad login",
		                 "This login link is incomplete or malformed. Start "
		                 "again.");
		return;
	}
	if (iss && strcmp(iss, idp_login_issuer(w->login)) != 0) {
		web_send_message(r, 400, "Bad login",
		                 "This login comes from another identity provider "
		                 "than the one the page uses.");
		return;
	}
	if (!web_cookie_get(web_header(r, "Cookie"), WEB_COOKIE_LOGIN, bound,
	                    sizeof bound) ||
	    !web_ct_equal(bound, state)) {
		web_send_message(r, 400, "Login not started here",
		                 "This login was not started in this browser, or "
		                 "another login was started since. Start again.");
		return;
	}
	params[0] = state;
	web_query(r, login_take_sql, 1, params, login_taken);
}

/* --------------------------------------------------------------- logout */

static void logged_out(struct web_req *r)
{
	log_info("web: reviewer %s logged out", r->rv.subject);
	web_set_cookie(r, WEB_COOKIE_SESSION, "", "Strict", 0);
	r->authed = false;
	web_send_message(r, 200, "Logged out",
	                 "You are logged out of the reviewer page.");
}

static void logout_authed(struct web_req *r)
{
	const char *params[1];

	if (!web_check_csrf(r))
		return;
	params[0] = r->rv.sid;
	web_query(r, logout_sql, 1, params, logged_out);
}

void web_h_logout(struct web_req *r)
{
	web_require_session(r, logout_authed);
}
