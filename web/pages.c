/*
 * pages.c: the reviewer's pages, rendered on the server — the pending
 * queue (and its fragment for live updates), a request's detail with the
 * approve / deny form, the history with filters, a session's timeline and
 * the active grants — and the form posts that vote and revoke.
 *
 * Every value from PostgreSQL reaches the page through web_html() (or
 * web_html_sql(), which escapes first); every query is parameterised. The
 * decisions themselves are PostgreSQL's (approval_decide,
 * approval_grant_revoke): this file only passes the reviewer's identity,
 * vote and comment on and shows the answer. Showing the approve button to
 * the requester is avoided, but the database refuses it regardless.
 *
 * Stable element ids and classes (browser tests rely on them; keep them):
 *   layout     header#top, nav#nav with a#nav-queue, a#nav-history,
 *              a#nav-grants; span#whoami; form#logout, button#logout-button;
 *              main#main; p.flash (with .ok or .error)
 *   queue      section#queue[data-fragment] (swapped by app.js),
 *              table#queue-table, rows tr.request[data-id] (.own when the
 *              reviewer is the requester) with td.id a, td.agent,
 *              td.connection, td.class, td.sql, td.created,
 *              td.left[data-left], td.votes; p#queue-empty when empty
 *   request    article#request[data-id][data-state], span#state,
 *              pre#statement (spans .kw, .str, .cm), code#sha256, pre#params,
 *              dl#facts, a#session-link, ol#context, p#live-note (filled
 *              by app.js), form#decide with textarea#comment,
 *              input#grant-minutes, button#approve, button#deny;
 *              p#self-note when the approve button is disabled;
 *              p#voted when the reviewer has voted; table#votes,
 *              table#events
 *   history    form#history-filter with #f-agent, #f-connection,
 *              #f-reviewer, #f-state, #f-from, #f-to; table#history-table
 *              with rows tr.request[data-id]; a#prev-page, a#next-page
 *   session    dl#session-facts, table#session-statements with rows
 *              tr.statement[data-seq], table#session-requests
 *   grants     table#grants-table, rows tr.grant[data-id] each with
 *              form.revoke and button.revoke; p#grants-empty when empty
 *   any page   .left[data-left] counts down (app.js)
 */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "store/store.h"
#include "web/internal.h"

/* Timestamps are shown in UTC, and the pages say so. */
#define TS(x) "to_char(" x " AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')"
#define LEFT(x) "greatest(0, floor(extract(epoch FROM " x " - now())))::bigint"
/* Statement text is cut to this many characters in the queue, in other
 * lists and in a session's timeline (SQL text, for the queries). */
#define SQL_QUEUE "160"
#define SQL_LIST "120"
#define SQL_TIMELINE "300"
/* Rows a list shows (WEB_LIST_MAX), and one more to know there are more. */
#define LIST_MAX "200"
#define LIST_MORE "201"
/* Earlier statements of a session shown with a request. */
#define CONTEXT_MAX "100"
/* A history page (WEB_HISTORY_PAGE) and one more row. */
#define HISTORY_MORE "51"
/* Longest text filter or revoke reason taken from a form. */
#define MAX_FILTER 200
#define MAX_REASON 500

_Static_assert(WEB_LIST_MAX == 200, "LIST_MAX and LIST_MORE follow WEB_LIST_MAX");
_Static_assert(WEB_HISTORY_PAGE == 50, "HISTORY_MORE follows WEB_HISTORY_PAGE");

static const char *const request_states[] = {
	"pending", "approved", "denied", "expired", "cancelled",
};

/* -------------------------------------------------------------- layout */

static void hidden_csrf(struct core_buf *b, const struct web_req *r)
{
	core_buf_append_str(b, "<input type=\"hidden\" name=\"csrf\" value=\"");
	web_html(b, r->rv.csrf);
	core_buf_append_str(b, "\">");
}

static void flash(struct core_buf *b, struct web_req *r)
{
	char value[2048];
	char *msg = NULL;
	bool ok = false;

	if (!web_cookie_get(web_header(r, "Cookie"), WEB_COOKIE_FLASH, value,
	                    sizeof value))
		return;
	web_set_cookie(r, WEB_COOKIE_FLASH, "", "Strict", 0);
	if (!web_flash_decode(value, &ok, &msg))
		return;
	core_buf_printf(b, "<p class=\"flash %s\" role=\"status\">",
	                ok ? "ok" : "error");
	web_html(b, msg);
	core_buf_append_str(b, "</p>\n");
	free(msg);
}

void web_page_begin(struct core_buf *b, struct web_req *r, const char *title)
{
	core_buf_append_str(b, "<!doctype html>\n<html lang=\"en\"><head>"
	                       "<meta charset=\"utf-8\">"
	                       "<meta name=\"viewport\" content=\"width=device-"
	                       "width, initial-scale=1\"><title>");
	web_html(b, title);
	core_buf_append_str(b, " · agentgate</title>"
	                       "<link rel=\"stylesheet\" href=\"/static/app.css\">"
	                       "<script src=\"/static/app.js\" defer></script>"
	                       "</head>\n<body><header id=\"top\">"
	                       "<a class=\"brand\" href=\"/\">agentgate</a>");
	if (r->authed) {
		core_buf_append_str(b, "<nav id=\"nav\">"
		                       "<a id=\"nav-queue\" href=\"/\">Queue</a>"
		                       "<a id=\"nav-history\" href=\"/history\">"
		                       "History</a>"
		                       "<a id=\"nav-grants\" href=\"/grants\">Grants</a>"
		                       "</nav><div class=\"who\"><span id=\"whoami\" "
		                       "title=\"");
		web_html(b, r->rv.subject);
		core_buf_append_str(b, " at ");
		web_html(b, r->rv.issuer);
		core_buf_append_str(b, "\">");
		web_html(b, r->rv.name[0] ? r->rv.name : r->rv.subject);
		core_buf_append_str(b, "</span><form id=\"logout\" method=\"post\" "
		                       "action=\"/logout\">");
		hidden_csrf(b, r);
		core_buf_append_str(b, "<button id=\"logout-button\" type=\"submit\">"
		                       "Log out</button></form></div>");
	}
	core_buf_append_str(b, "</header>\n<main id=\"main\">\n");
	flash(b, r);
}

void web_page_end(struct core_buf *b)
{
	core_buf_append_str(b, "</main>\n<footer>agentgate reviewer page · "
	                       "times in UTC</footer>\n</body></html>\n");
}

/* ------------------------------------------------------------- helpers */

static void td(struct core_buf *b, const char *cls, const char *text)
{
	core_buf_printf(b, "<td class=\"%s\">", cls);
	web_html(b, text);
	core_buf_append_str(b, "</td>");
}

/* A statement cut for a list: escaped, with an ellipsis when `more`. */
static void td_sql(struct core_buf *b, const char *text, bool more)
{
	core_buf_append_str(b, "<td class=\"sql\"><code>");
	web_html(b, text);
	if (more)
		core_buf_append_str(b, "…");
	core_buf_append_str(b, "</code></td>");
}

static void td_left(struct core_buf *b, const char *secs_s)
{
	long long secs = 0;
	char left[32];

	if (!web_parse_int(secs_s, 0, INT64_MAX / 2, &secs))
		secs = 0;
	web_fmt_duration(secs, left, sizeof left);
	core_buf_printf(b, "<td class=\"left\" data-left=\"%lld\">%s</td>", secs,
	                left);
}

static bool is_true(const char *s)
{
	return s && strcmp(s, "t") == 0;
}

static void dt_dd(struct core_buf *b, const char *term, const char *id,
                  const char *value)
{
	core_buf_append_str(b, "<dt>");
	web_html(b, term);
	if (id)
		core_buf_printf(b, "</dt><dd id=\"%s\">", id);
	else
		core_buf_append_str(b, "</dt><dd>");
	web_html(b, value);
	core_buf_append_str(b, "</dd>");
}

/* 303 back to a page that shows `msg` once (flash cookie). */
static void flash_redirect(struct web_req *r, bool ok, const char *msg,
                           const char *location)
{
	char *v = web_flash_encode(ok, msg);

	web_set_cookie(r, WEB_COOKIE_FLASH, v, "Strict", 60);
	free(v);
	web_redirect(r, location);
}

/* ---------------------------------------------------------------- queue */

static const char queue_sql[] =
    "SELECT r.id, r.agent_name, r.connection, r.class,"
    " left(r.sql_text, " SQL_QUEUE "), length(r.sql_text) > " SQL_QUEUE ","
    " " TS("r.created_at") ", " LEFT("r.expires_at") ","
    " (SELECT count(*) FROM approval_votes v WHERE v.request_id = r.id"
    "  AND v.vote = 'approve'), r.quorum,"
    " (r.issuer = $1 AND r.subject = $2),"
    " (SELECT v.vote FROM approval_votes v WHERE v.request_id = r.id"
    "  AND v.reviewer_issuer = $1 AND v.reviewer_subject = $2)"
    " FROM approval_requests r"
    " WHERE r.state = 'pending' AND r.expires_at > now()"
    " ORDER BY r.created_at LIMIT " LIST_MAX;

static void render_queue(struct core_buf *b, const struct web_rows *q)
{
	core_buf_append_str(b, "<section id=\"queue\" "
	                       "data-fragment=\"/fragment/queue\">");
	if (q->nrows == 0) {
		core_buf_append_str(b, "<p id=\"queue-empty\" class=\"empty\">"
		                       "Nothing is waiting for review.</p>"
		                       "</section>\n");
		return;
	}
	core_buf_printf(b, "<p class=\"count\">%zu pending</p>", q->nrows);
	core_buf_append_str(b, "<table id=\"queue-table\" class=\"list\"><thead>"
	                       "<tr><th>Request</th><th>Agent</th>"
	                       "<th>Connection</th><th>Class</th>"
	                       "<th>Statement</th><th>Created</th>"
	                       "<th>Time left</th><th>Approvals</th></tr>"
	                       "</thead><tbody>");
	for (size_t i = 0; i < q->nrows; i++) {
		const char *id = web_cells(q, i, 0);
		bool own = is_true(web_cell(q, i, 10));
		const char *voted = web_cell(q, i, 11);

		core_buf_printf(b, "<tr class=\"request%s%s\" data-id=\"",
		                own ? " own" : "", voted ? " voted" : "");
		web_html(b, id);
		core_buf_append_str(b, "\"><td class=\"id\"><a href=\"/requests/");
		web_html(b, id);
		core_buf_append_str(b, "\">");
		web_html_n(b, id, strnlen(id, 8));
		core_buf_append_str(b, "</a>");
		if (own)
			core_buf_append_str(b, " <span class=\"tag\">yours</span>");
		if (voted) {
			core_buf_append_str(b, " <span class=\"tag\">you: ");
			web_html(b, voted);
			core_buf_append_str(b, "</span>");
		}
		core_buf_append_str(b, "</td>");
		td(b, "agent", web_cells(q, i, 1));
		td(b, "connection", web_cells(q, i, 2));
		td(b, "class", web_cells(q, i, 3));
		td_sql(b, web_cells(q, i, 4), is_true(web_cell(q, i, 5)));
		td(b, "created", web_cells(q, i, 6));
		td_left(b, web_cells(q, i, 7));
		core_buf_append_str(b, "<td class=\"votes\">");
		web_html(b, web_cells(q, i, 8));
		core_buf_append_str(b, "/");
		web_html(b, web_cells(q, i, 9));
		core_buf_append_str(b, "</td></tr>");
	}
	core_buf_append_str(b, "</tbody></table></section>\n");
}

static void queue_loaded(struct web_req *r)
{
	struct core_buf b = {0};

	core_buf_append_str(&b, "<h1>Waiting for review</h1>");
	render_queue(&b, &r->res[r->nres - 1]);
	web_send_page(r, 200, "Queue", &b);
}

static void queue_authed(struct web_req *r)
{
	const char *params[2] = {r->rv.issuer, r->rv.subject};

	web_query(r, queue_sql, 2, params, queue_loaded);
}

void web_h_queue(struct web_req *r)
{
	web_require_session(r, queue_authed);
}

static void fragment_loaded(struct web_req *r)
{
	struct core_buf b = {0};

	render_queue(&b, &r->res[r->nres - 1]);
	web_send(r, 200, "text/html; charset=utf-8", &b);
}

static void fragment_authed(struct web_req *r)
{
	const char *params[2] = {r->rv.issuer, r->rv.subject};

	web_query(r, queue_sql, 2, params, fragment_loaded);
}

void web_h_queue_fragment(struct web_req *r)
{
	web_require_session(r, fragment_authed);
}

/* -------------------------------------------------------------- request */

enum {
	RQ_ID, RQ_STATE, RQ_MODE, RQ_AGENT, RQ_CONNECTION, RQ_CLASS, RQ_REASON,
	RQ_POLICY, RQ_ISSUER, RQ_SUBJECT, RQ_CLIENT, RQ_SESSION, RQ_SEQ,
	RQ_SQL, RQ_SHA, RQ_PARAMS, RQ_CREATED, RQ_EXPIRES, RQ_LEFT, RQ_QUORUM,
	RQ_QGROUPS, RQ_APPROVALS, RQ_DECIDED_BY, RQ_DECIDED_AT, RQ_COMMENT,
	RQ_STATE_REASON, RQ_GRANT, RQ_CONSUMED, RQ_INSTANCE, RQ_OWN, RQ_MY_VOTE,
	RQ_COLS
};

static const char request_sql[] =
    "SELECT r.id, r.state, r.mode, r.agent_name, r.connection, r.class,"
    " coalesce(r.reason, ''), coalesce(r.policy, ''), r.issuer, r.subject,"
    " coalesce(r.client_addr, ''), r.session_id, r.stmt_seq, r.sql_text,"
    " encode(r.sql_sha256, 'hex'), r.params,"
    " " TS("r.created_at") ", " TS("r.expires_at") ", " LEFT("r.expires_at") ","
    " r.quorum, array_to_string(r.quorum_groups, ', '),"
    " (SELECT count(*) FROM approval_votes v WHERE v.request_id = r.id"
    "  AND v.vote = 'approve'),"
    " coalesce(r.decided_by, ''), " TS("r.decided_at") ","
    " coalesce(r.decision_comment, ''), coalesce(r.state_reason, ''),"
    " r.grant_id, " TS("r.consumed_at") ", r.instance,"
    " (r.issuer = $2 AND r.subject = $3),"
    " (SELECT v.vote FROM approval_votes v WHERE v.request_id = r.id"
    "  AND v.reviewer_issuer = $2 AND v.reviewer_subject = $3)"
    " FROM approval_requests r WHERE r.id = $1";

static const char votes_sql[] =
    "SELECT coalesce(v.reviewer_name, v.reviewer_subject), v.reviewer_subject,"
    " v.vote, coalesce(v.comment, ''), " TS("v.at") ","
    " array_to_string(v.reviewer_groups, ', ')"
    " FROM approval_votes v WHERE v.request_id = $1 ORDER BY v.at";

static const char events_sql[] =
    "SELECT " TS("e.at") ", e.actor, e.action, e.state, coalesce(e.comment, '')"
    " FROM approval_events e WHERE e.request_id = $1 ORDER BY e.id"
    " LIMIT " LIST_MAX;

/* The session's earlier statements as the gateway captured them: an array
 * of objects (seq, class, decision or status, sql) or of plain strings. */
static const char context_sql[] =
    "SELECT coalesce(e.v->>'seq', ''), coalesce(e.v->>'class', ''),"
    " coalesce(e.v->>'decision', e.v->>'status', ''),"
    " coalesce(e.v->>'sql', e.v->>'sql_text', e.v->>'text',"
    "  CASE WHEN jsonb_typeof(e.v) = 'string' THEN e.v #>> '{}'"
    "  ELSE e.v::text END)"
    " FROM approval_requests r, jsonb_array_elements(CASE"
    " WHEN jsonb_typeof(r.context) = 'array' THEN r.context ELSE '[]' END)"
    " WITH ORDINALITY AS e(v, n)"
    " WHERE r.id = $1 ORDER BY e.n LIMIT " CONTEXT_MAX;

static void render_decide_form(struct core_buf *b, struct web_req *r,
                               const struct web_rows *q)
{
	struct web *w = r->w;
	bool own = is_true(web_cell(q, 0, RQ_OWN));
	const char *id = web_cells(q, 0, RQ_ID);

	core_buf_append_str(b, "<section id=\"decision\"><h2>Your decision</h2>"
	                       "<form id=\"decide\" method=\"post\" action=\""
	                       "/requests/");
	web_html(b, id);
	core_buf_append_str(b, "/deny\">");
	hidden_csrf(b, r);
	core_buf_printf(b, "<label for=\"comment\">Comment (optional)</label>"
	                   "<textarea id=\"comment\" name=\"comment\" rows=\"3\" "
	                   "maxlength=\"%d\"></textarea>",
	                WEB_MAX_COMMENT);
	if (w->max_grant_minutes > 0 && !own) {
		core_buf_append_str(b, "<label for=\"grant-minutes\">Also allow ");
		web_html(b, web_cells(q, 0, RQ_AGENT));
		core_buf_append_str(b, " to run <b>");
		web_html(b, web_cells(q, 0, RQ_CLASS));
		core_buf_append_str(b, "</b> statements on ");
		web_html(b, web_cells(q, 0, RQ_CONNECTION));
		core_buf_printf(b, " without review for this many minutes "
		                   "(optional, at most %llu)</label>"
		                   "<input id=\"grant-minutes\" name=\"grant_minutes\" "
		                   "type=\"number\" min=\"0\" max=\"%llu\" "
		                   "inputmode=\"numeric\">",
		                (unsigned long long)w->max_grant_minutes,
		                (unsigned long long)w->max_grant_minutes);
	}
	core_buf_append_str(b, "<div class=\"buttons\">");
	if (own)
		core_buf_append_str(b, "<button id=\"approve\" type=\"submit\" "
		                       "class=\"approve\" disabled>Approve</button>");
	else {
		core_buf_append_str(b, "<button id=\"approve\" type=\"submit\" "
		                       "class=\"approve\" formaction=\"/requests/");
		web_html(b, id);
		core_buf_append_str(b, "/approve\">Approve</button>");
	}
	core_buf_append_str(b, "<button id=\"deny\" type=\"submit\" "
	                       "class=\"deny\" formaction=\"/requests/");
	web_html(b, id);
	core_buf_append_str(b, "/deny\">Deny</button></div></form>");
	if (own)
		core_buf_append_str(b, "<p id=\"self-note\" class=\"note\">This "
		                       "request was made with your own identity: "
		                       "someone else must approve it. You may deny "
		                       "it.</p>");
	core_buf_append_str(b, "</section>");
}

static void render_request(struct core_buf *b, struct web_req *r)
{
	const struct web_rows *q = &r->res[1], *votes = &r->res[2],
	                      *events = &r->res[3], *ctx = &r->res[4];
	const char *state = web_cells(q, 0, RQ_STATE);
	const char *id = web_cells(q, 0, RQ_ID);
	const char *params = web_cell(q, 0, RQ_PARAMS);
	const char *voted = web_cell(q, 0, RQ_MY_VOTE);
	long long left = 0;
	char left_s[32];

	if (!web_parse_int(web_cells(q, 0, RQ_LEFT), 0, INT64_MAX / 2, &left))
		left = 0;
	web_fmt_duration(left, left_s, sizeof left_s);
	core_buf_append_str(b, "<article id=\"request\" data-id=\"");
	web_html(b, id);
	core_buf_append_str(b, "\" data-state=\"");
	web_html(b, state);
	core_buf_append_str(b, "\"><h1>Request <code>");
	web_html_n(b, id, strnlen(id, 8));
	core_buf_append_str(b, "</code> <span id=\"state\" class=\"state ");
	web_html(b, state);
	core_buf_append_str(b, "\">");
	web_html(b, state);
	core_buf_append_str(b, "</span></h1><p id=\"live-note\" class=\"note\" "
	                       "hidden></p>");

	core_buf_append_str(b, "<section><h2>Statement</h2><pre id=\"statement\" "
	                       "class=\"sql\">");
	web_html_sql(b, web_cells(q, 0, RQ_SQL));
	core_buf_append_str(b, "</pre><p class=\"sha\">SHA-256 of the exact "
	                       "bytes: <code id=\"sha256\">");
	web_html(b, web_cells(q, 0, RQ_SHA));
	core_buf_append_str(b, "</code></p>");
	if (params && params[0]) {
		core_buf_append_str(b, "<h3>Parameters</h3><pre id=\"params\">");
		web_html(b, params);
		core_buf_append_str(b, "</pre>");
	}
	core_buf_append_str(b, "</section>");

	if (strcmp(state, "pending") == 0 && left > 0 && !voted)
		render_decide_form(b, r, q);
	else if (voted) {
		core_buf_append_str(b, "<p id=\"voted\" class=\"note\">You voted: ");
		web_html(b, voted);
		core_buf_append_str(b, ".</p>");
	}

	core_buf_append_str(b, "<section><h2>Context</h2><dl id=\"facts\">");
	dt_dd(b, "Agent", "agent", web_cells(q, 0, RQ_AGENT));
	core_buf_append_str(b, "<dt>Agent identity</dt><dd id=\"identity\">");
	web_html(b, web_cells(q, 0, RQ_SUBJECT));
	core_buf_append_str(b, " at ");
	web_html(b, web_cells(q, 0, RQ_ISSUER));
	core_buf_append_str(b, "</dd>");
	dt_dd(b, "Connection", "connection", web_cells(q, 0, RQ_CONNECTION));
	dt_dd(b, "Class", "class", web_cells(q, 0, RQ_CLASS));
	dt_dd(b, "Why it needs review", "reason", web_cells(q, 0, RQ_REASON));
	dt_dd(b, "Policy", "policy", web_cells(q, 0, RQ_POLICY));
	dt_dd(b, "Client address", "client", web_cells(q, 0, RQ_CLIENT));
	core_buf_append_str(b, "<dt>Session</dt><dd><a id=\"session-link\" "
	                       "href=\"/sessions/");
	web_html(b, web_cells(q, 0, RQ_SESSION));
	core_buf_append_str(b, "\">");
	web_html(b, web_cells(q, 0, RQ_SESSION));
	core_buf_append_str(b, "</a>");
	if (web_cell(q, 0, RQ_SEQ)) {
		core_buf_append_str(b, ", statement #");
		web_html(b, web_cells(q, 0, RQ_SEQ));
	}
	core_buf_append_str(b, "</dd>");
	dt_dd(b, "Gateway instance", NULL, web_cells(q, 0, RQ_INSTANCE));
	dt_dd(b, "Mode", "mode", web_cells(q, 0, RQ_MODE));
	dt_dd(b, "Created", "created", web_cells(q, 0, RQ_CREATED));
	core_buf_append_str(b, "<dt>Expires</dt><dd id=\"expires\">");
	web_html(b, web_cells(q, 0, RQ_EXPIRES));
	if (strcmp(state, "pending") == 0)
		core_buf_printf(b, " (<span class=\"left\" data-left=\"%lld\">%s"
		                   "</span> left)",
		                left, left_s);
	core_buf_append_str(b, "</dd><dt>Approvals</dt><dd id=\"approvals\">");
	web_html(b, web_cells(q, 0, RQ_APPROVALS));
	core_buf_append_str(b, " of ");
	web_html(b, web_cells(q, 0, RQ_QUORUM));
	if (web_cells(q, 0, RQ_QGROUPS)[0]) {
		core_buf_append_str(b, "; one approver must be in ");
		web_html(b, web_cells(q, 0, RQ_QGROUPS));
	}
	core_buf_append_str(b, "</dd>");
	if (web_cells(q, 0, RQ_DECIDED_BY)[0]) {
		dt_dd(b, "Decided by", "decided-by", web_cells(q, 0, RQ_DECIDED_BY));
		dt_dd(b, "Decided at", NULL, web_cells(q, 0, RQ_DECIDED_AT));
		if (web_cells(q, 0, RQ_COMMENT)[0])
			dt_dd(b, "Comment", "decision-comment",
			      web_cells(q, 0, RQ_COMMENT));
	}
	if (web_cells(q, 0, RQ_STATE_REASON)[0])
		dt_dd(b, "Outcome", "state-reason", web_cells(q, 0, RQ_STATE_REASON));
	if (web_cell(q, 0, RQ_GRANT))
		dt_dd(b, "Grant", "grant", web_cells(q, 0, RQ_GRANT));
	if (web_cell(q, 0, RQ_CONSUMED))
		dt_dd(b, "Executed", "executed", web_cells(q, 0, RQ_CONSUMED));
	core_buf_append_str(b, "</dl></section>");

	core_buf_append_str(b, "<section><h2>Earlier statements of the session"
	                       "</h2>");
	if (ctx->nrows == 0) {
		core_buf_append_str(b, "<p class=\"empty\">None recorded.</p>");
	} else {
		core_buf_append_str(b, "<ol id=\"context\">");
		for (size_t i = 0; i < ctx->nrows; i++) {
			core_buf_append_str(b, "<li>");
			if (web_cells(ctx, i, 0)[0]) {
				core_buf_append_str(b, "<span class=\"seq\">#");
				web_html(b, web_cells(ctx, i, 0));
				core_buf_append_str(b, "</span> ");
			}
			if (web_cells(ctx, i, 1)[0]) {
				core_buf_append_str(b, "<span class=\"tag\">");
				web_html(b, web_cells(ctx, i, 1));
				core_buf_append_str(b, "</span> ");
			}
			if (web_cells(ctx, i, 2)[0]) {
				core_buf_append_str(b, "<span class=\"tag\">");
				web_html(b, web_cells(ctx, i, 2));
				core_buf_append_str(b, "</span>");
			}
			core_buf_append_str(b, "<pre class=\"sql\">");
			web_html_sql(b, web_cells(ctx, i, 3));
			core_buf_append_str(b, "</pre></li>");
		}
		core_buf_append_str(b, "</ol>");
	}
	core_buf_append_str(b, "</section>");

	core_buf_append_str(b, "<section><h2>Votes</h2>");
	if (votes->nrows == 0) {
		core_buf_append_str(b, "<p class=\"empty\">No votes yet.</p>");
	} else {
		core_buf_append_str(b, "<table id=\"votes\" class=\"list\"><thead>"
		                       "<tr><th>Reviewer</th><th>Vote</th>"
		                       "<th>Comment</th><th>At</th></tr></thead>"
		                       "<tbody>");
		for (size_t i = 0; i < votes->nrows; i++) {
			core_buf_append_str(b, "<tr class=\"vote\"><td class=\"who\" "
			                       "title=\"");
			web_html(b, web_cells(votes, i, 1));
			core_buf_append_str(b, "\">");
			web_html(b, web_cells(votes, i, 0));
			core_buf_append_str(b, "</td>");
			td(b, "vote", web_cells(votes, i, 2));
			td(b, "comment", web_cells(votes, i, 3));
			td(b, "at", web_cells(votes, i, 4));
			core_buf_append_str(b, "</tr>");
		}
		core_buf_append_str(b, "</tbody></table>");
	}
	core_buf_append_str(b, "</section><section><h2>What happened</h2>"
	                       "<table id=\"events\" class=\"list\"><thead><tr>"
	                       "<th>At</th><th>Who</th><th>What</th>"
	                       "<th>State</th><th>Comment</th></tr></thead>"
	                       "<tbody>");
	for (size_t i = 0; i < events->nrows; i++) {
		core_buf_append_str(b, "<tr class=\"event\">");
		td(b, "at", web_cells(events, i, 0));
		td(b, "actor", web_cells(events, i, 1));
		td(b, "action", web_cells(events, i, 2));
		td(b, "state", web_cells(events, i, 3));
		td(b, "comment", web_cells(events, i, 4));
		core_buf_append_str(b, "</tr>");
	}
	core_buf_append_str(b, "</tbody></table></section></article>\n");
}

static void request_context_loaded(struct web_req *r)
{
	struct core_buf b = {0};

	render_request(&b, r);
	web_send_page(r, 200, "Request", &b);
}

static void request_events_loaded(struct web_req *r)
{
	const char *params[1] = {r->m.id};

	web_query(r, context_sql, 1, params, request_context_loaded);
}

static void request_votes_loaded(struct web_req *r)
{
	const char *params[1] = {r->m.id};

	web_query(r, events_sql, 1, params, request_events_loaded);
}

static void request_loaded(struct web_req *r)
{
	const struct web_rows *q = &r->res[r->nres - 1];
	const char *params[1] = {r->m.id};

	if (q->nrows != 1 || q->ncols != RQ_COLS) {
		web_send_message(r, 404, "No such request",
		                 "There is no approval request with this id.");
		return;
	}
	web_query(r, votes_sql, 1, params, request_votes_loaded);
}

static void request_authed(struct web_req *r)
{
	const char *params[3] = {r->m.id, r->rv.issuer, r->rv.subject};

	web_query(r, request_sql, 3, params, request_loaded);
}

void web_h_request(struct web_req *r)
{
	web_require_session(r, request_authed);
}

/* ------------------------------------------------------------- deciding */

static const char decide_sql[] =
    "SELECT outcome, state, detail FROM approval_decide($1::uuid, $2, $3,"
    " nullif($4, ''), $5::text[], $6, $7, $8::integer, $9::integer)";

static void decided(struct web_req *r)
{
	const struct web_rows *d = &r->res[r->nres - 1];
	const char *outcome = web_cells(d, 0, 0);
	const char *state = web_cells(d, 0, 1);
	const char *detail = web_cells(d, 0, 2);
	const char *vote = r->m.route == WEB_R_APPROVE ? "approve" : "deny";
	char loc[64], msg[512];
	bool ok = true;

	snprintf(loc, sizeof loc, "/requests/%s", r->m.id);
	log_info("web: reviewer %s votes %s on request %s: %s (%s) %s",
	         r->rv.subject, vote, r->m.id, outcome, state, detail);
	if (strcmp(outcome, "decided") == 0)
		snprintf(msg, sizeof msg, "The request is %s.", state);
	else if (strcmp(outcome, "voted") == 0)
		snprintf(msg, sizeof msg,
		         "Your approval is recorded; the request is still pending "
		         "(%s).",
		         detail);
	else {
		ok = false;
		snprintf(msg, sizeof msg, "Your vote was refused: %s.", detail);
	}
	flash_redirect(r, ok, msg, loc);
}

static void decide_authed(struct web_req *r)
{
	struct web *w = r->w;
	const char *comment = web_form_get(&r->form, "comment");
	const char *grant = web_form_get(&r->form, "grant_minutes");
	const char *vote = r->m.route == WEB_R_APPROVE ? "approve" : "deny";
	long long minutes = 0;
	char minutes_s[24], max_s[24], msg[160];
	const char *params[9];

	if (!web_check_csrf(r))
		return;
	if (comment && strlen(comment) > WEB_MAX_COMMENT) {
		snprintf(msg, sizeof msg, "A comment may hold at most %d bytes.",
		         WEB_MAX_COMMENT);
		web_send_message(r, 400, "Comment too long", msg);
		return;
	}
	if (grant && grant[0] && r->m.route == WEB_R_APPROVE) {
		if (!web_parse_int(grant, 0, (long long)w->max_grant_minutes,
		                   &minutes)) {
			snprintf(msg, sizeof msg,
			         "The grant must be a whole number of minutes from 0 to "
			         "%llu.",
			         (unsigned long long)w->max_grant_minutes);
			web_send_message(r, 400, "Bad grant", msg);
			return;
		}
	}
	snprintf(minutes_s, sizeof minutes_s, "%lld", minutes);
	snprintf(max_s, sizeof max_s, "%llu",
	         (unsigned long long)w->max_grant_minutes);
	params[0] = r->m.id;
	params[1] = r->rv.issuer;
	params[2] = r->rv.subject;
	params[3] = r->rv.name;
	params[4] = r->rv.groups_pg;
	params[5] = vote;
	params[6] = comment ? comment : "";
	params[7] = minutes_s;
	params[8] = max_s;
	web_query(r, decide_sql, 9, params, decided);
}

void web_h_decide(struct web_req *r)
{
	web_require_session(r, decide_authed);
}

/* -------------------------------------------------------------- history */

enum { HF_AGENT, HF_CONNECTION, HF_REVIEWER, HF_STATE, HF_FROM, HF_TO,
       HF_COUNT };

static const char *const history_fields[HF_COUNT] = {
	"agent", "connection", "reviewer", "state", "from", "to",
};

static const char history_sql[] =
    "SELECT r.id, " TS("r.created_at") ", r.agent_name, r.connection,"
    " r.class, left(r.sql_text, " SQL_LIST "),"
    " length(r.sql_text) > " SQL_LIST ", r.state,"
    " coalesce(r.decided_by, ''), " TS("r.decided_at")
    " FROM approval_requests r"
    " WHERE ($1::text IS NULL OR r.agent_name = $1)"
    " AND ($2::text IS NULL OR r.connection = $2)"
    " AND ($3::text IS NULL OR r.decided_by = $3 OR EXISTS (SELECT 1"
    "  FROM approval_votes v WHERE v.request_id = r.id"
    "  AND (v.reviewer_subject = $3 OR v.reviewer_name = $3)))"
    " AND ($4::text IS NULL OR r.state = $4)"
    " AND ($5::text IS NULL OR r.created_at >="
    "  ($5::text)::timestamp AT TIME ZONE 'UTC')"
    " AND ($6::text IS NULL OR r.created_at < (CASE WHEN length($6) = 10"
    "  THEN (($6::text)::date + 1)::timestamp ELSE ($6::text)::timestamp END)"
    "  AT TIME ZONE 'UTC')"
    " ORDER BY r.created_at DESC, r.id LIMIT " HISTORY_MORE
    " OFFSET $7::integer";

/* The filters as a query string (for the pager), with page=N. */
static void history_link(struct core_buf *b, char *const *f, long long page)
{
	core_buf_append_str(b, "/history?");
	for (int i = 0; i < HF_COUNT; i++) {
		if (!f[i])
			continue;
		core_buf_printf(b, "%s=", history_fields[i]);
		web_url_encode(b, f[i]);
		core_buf_append_str(b, "&");
	}
	core_buf_printf(b, "page=%lld", page);
}

static void history_loaded(struct web_req *r)
{
	const struct web_rows *h = &r->res[r->nres - 1];
	char *f[HF_COUNT];
	struct core_buf b = {0}, link = {0};
	size_t shown = h->nrows > WEB_HISTORY_PAGE ? WEB_HISTORY_PAGE : h->nrows;

	for (int i = 0; i < HF_COUNT; i++) {
		const char *v = web_form_get(&r->query, history_fields[i]);
		f[i] = v && v[0] ? (char *)v : NULL;
	}
	core_buf_append_str(&b, "<h1>History</h1><form id=\"history-filter\" "
	                        "class=\"filters\" method=\"get\" "
	                        "action=\"/history\">");
	for (int i = 0; i < HF_COUNT; i++) {
		static const char *const labels[HF_COUNT] = {
			"Agent", "Connection", "Reviewer", "State", "From", "To",
		};
		core_buf_printf(&b, "<label for=\"f-%s\">%s</label>",
		                history_fields[i], labels[i]);
		if (i == HF_STATE) {
			core_buf_append_str(&b, "<select id=\"f-state\" name=\"state\">"
			                        "<option value=\"\">any</option>");
			for (size_t k = 0; k < sizeof request_states /
			                           sizeof request_states[0];
			     k++)
				core_buf_printf(&b, "<option%s>%s</option>",
				                f[i] && strcmp(f[i], request_states[k]) == 0
				                    ? " selected"
				                    : "",
				                request_states[k]);
			core_buf_append_str(&b, "</select>");
			continue;
		}
		core_buf_printf(&b, "<input id=\"f-%s\" name=\"%s\" %svalue=\"",
		                history_fields[i], history_fields[i],
		                i >= HF_FROM ? "placeholder=\"YYYY-MM-DD\" " : "");
		web_html(&b, f[i] ? f[i] : "");
		core_buf_append_str(&b, "\">");
	}
	core_buf_append_str(&b, "<button type=\"submit\">Filter</button></form>");
	if (shown == 0) {
		core_buf_append_str(&b, "<p class=\"empty\">No requests match.</p>");
	} else {
		core_buf_append_str(&b, "<table id=\"history-table\" class=\"list\">"
		                        "<thead><tr><th>Request</th><th>Created</th>"
		                        "<th>Agent</th><th>Connection</th>"
		                        "<th>Class</th><th>Statement</th>"
		                        "<th>State</th><th>Decided by</th>"
		                        "<th>Decided</th></tr></thead><tbody>");
		for (size_t i = 0; i < shown; i++) {
			const char *id = web_cells(h, i, 0);

			core_buf_append_str(&b, "<tr class=\"request\" data-id=\"");
			web_html(&b, id);
			core_buf_append_str(&b, "\"><td class=\"id\"><a href=\"/requests/");
			web_html(&b, id);
			core_buf_append_str(&b, "\">");
			web_html_n(&b, id, strnlen(id, 8));
			core_buf_append_str(&b, "</a></td>");
			td(&b, "created", web_cells(h, i, 1));
			td(&b, "agent", web_cells(h, i, 2));
			td(&b, "connection", web_cells(h, i, 3));
			td(&b, "class", web_cells(h, i, 4));
			td_sql(&b, web_cells(h, i, 5), is_true(web_cell(h, i, 6)));
			td(&b, "state", web_cells(h, i, 7));
			td(&b, "decided-by", web_cells(h, i, 8));
			td(&b, "decided", web_cells(h, i, 9));
			core_buf_append_str(&b, "</tr>");
		}
		core_buf_append_str(&b, "</tbody></table>");
	}
	core_buf_append_str(&b, "<p class=\"pager\">");
	if (r->n1 > 1) {
		history_link(&link, f, r->n1 - 1);
		core_buf_append(&link, "", 1);
		core_buf_append_str(&b, "<a id=\"prev-page\" href=\"");
		web_html(&b, (const char *)link.data);
		core_buf_append_str(&b, "\">Newer</a> ");
		core_buf_free(&link);
	}
	if (h->nrows > WEB_HISTORY_PAGE && r->n1 < WEB_HISTORY_MAX_PAGE) {
		history_link(&link, f, r->n1 + 1);
		core_buf_append(&link, "", 1);
		core_buf_append_str(&b, "<a id=\"next-page\" href=\"");
		web_html(&b, (const char *)link.data);
		core_buf_append_str(&b, "\">Older</a>");
		core_buf_free(&link);
	}
	core_buf_append_str(&b, "</p>");
	web_send_page(r, 200, "History", &b);
}

static void history_authed(struct web_req *r)
{
	const char *f[HF_COUNT];
	const char *page_s = web_form_get(&r->query, "page");
	long long page = 1;
	char offset[24];
	const char *params[7];
	bool state_ok = false;

	for (int i = 0; i < HF_COUNT; i++) {
		const char *v = web_form_get(&r->query, history_fields[i]);
		f[i] = v && v[0] ? v : NULL;
		if (f[i] && strlen(f[i]) > MAX_FILTER) {
			web_send_message(r, 400, "Bad filter", "A filter is too long.");
			return;
		}
	}
	for (size_t k = 0; f[HF_STATE] &&
	                   k < sizeof request_states / sizeof request_states[0];
	     k++)
		if (strcmp(f[HF_STATE], request_states[k]) == 0)
			state_ok = true;
	if (f[HF_STATE] && !state_ok) {
		web_send_message(r, 400, "Bad filter",
		                 "State must be pending, approved, denied, expired or "
		                 "cancelled.");
		return;
	}
	if ((f[HF_FROM] && !web_date_ok(f[HF_FROM])) ||
	    (f[HF_TO] && !web_date_ok(f[HF_TO]))) {
		web_send_message(r, 400, "Bad filter",
		                 "Dates are YYYY-MM-DD, optionally with a time "
		                 "HH:MM (UTC).");
		return;
	}
	if (page_s && page_s[0] &&
	    !web_parse_int(page_s, 1, WEB_HISTORY_MAX_PAGE, &page)) {
		web_send_message(r, 400, "Bad page", "No such page of the history.");
		return;
	}
	r->n1 = page;
	snprintf(offset, sizeof offset, "%lld", (page - 1) * WEB_HISTORY_PAGE);
	for (int i = 0; i < HF_COUNT; i++)
		params[i] = f[i];
	params[6] = offset;
	web_query(r, history_sql, 7, params, history_loaded);
}

void web_h_history(struct web_req *r)
{
	web_require_session(r, history_authed);
}

/* -------------------------------------------------------------- session */

static const char session_row_sql[] =
    "SELECT s.id, coalesce(s.agent_name, ''), coalesce(s.connection, ''),"
    " coalesce(s.client_addr, ''), coalesce(s.tls_version, ''),"
    " coalesce(s.subject, '') || ' at ' || coalesce(s.issuer, ''),"
    " " TS("s.started_at") ", " TS("s.ended_at") ","
    " coalesce(s.end_reason, ''), s.statements, coalesce(s.instance, ''),"
    " coalesce(array_to_string(s.groups, ', '), '')"
    " FROM sessions s WHERE s.id = $1";

static const char session_statements_sql[] =
    "SELECT st.seq, " TS("st.started_at") ", coalesce(st.class, ''),"
    " coalesce(st.decision, ''), coalesce(st.status, ''),"
    " left(coalesce(st.sql_text, st.command_name, ''), " SQL_TIMELINE "),"
    " length(coalesce(st.sql_text, '')) > " SQL_TIMELINE ","
    " (SELECT r.id FROM approval_requests r WHERE r.session_id ="
    " st.session_id AND r.stmt_seq = st.seq ORDER BY r.created_at DESC"
    " LIMIT 1),"
    " st.error_code, coalesce(st.error_message, ''), st.duration_us"
    " FROM statements st WHERE st.session_id = $1 AND st.seq > $2::bigint"
    " ORDER BY st.seq LIMIT " LIST_MORE;

static const char session_requests_sql[] =
    "SELECT r.id, r.stmt_seq, r.state, r.class,"
    " left(r.sql_text, " SQL_LIST "), length(r.sql_text) > " SQL_LIST ","
    " " TS("r.created_at")
    " FROM approval_requests r WHERE r.session_id = $1"
    " ORDER BY r.created_at LIMIT " LIST_MAX;

static void session_all_loaded(struct web_req *r)
{
	const struct web_rows *s = &r->res[1], *st = &r->res[2],
	                      *rq = &r->res[3];
	struct core_buf b = {0};
	size_t shown = st->nrows > WEB_LIST_MAX ? WEB_LIST_MAX : st->nrows;

	if (s->nrows == 0 && st->nrows == 0 && rq->nrows == 0) {
		web_send_message(r, 404, "No such session",
		                 "No session with this id has been recorded (yet).");
		return;
	}
	core_buf_append_str(&b, "<h1>Session <code>");
	web_html(&b, r->m.id);
	core_buf_append_str(&b, "</code></h1>");
	if (s->nrows == 1) {
		core_buf_append_str(&b, "<dl id=\"session-facts\">");
		dt_dd(&b, "Agent", "agent", web_cells(s, 0, 1));
		dt_dd(&b, "Identity", NULL, web_cells(s, 0, 5));
		dt_dd(&b, "Groups", NULL, web_cells(s, 0, 11));
		dt_dd(&b, "Connection", "connection", web_cells(s, 0, 2));
		dt_dd(&b, "Client address", NULL, web_cells(s, 0, 3));
		dt_dd(&b, "TLS", NULL, web_cells(s, 0, 4));
		dt_dd(&b, "Gateway instance", NULL, web_cells(s, 0, 10));
		dt_dd(&b, "Started", NULL, web_cells(s, 0, 6));
		dt_dd(&b, "Ended", "ended",
		      web_cell(s, 0, 7) ? web_cells(s, 0, 7) : "still open");
		if (web_cells(s, 0, 8)[0])
			dt_dd(&b, "End reason", NULL, web_cells(s, 0, 8));
		dt_dd(&b, "Statements", NULL, web_cells(s, 0, 9));
		core_buf_append_str(&b, "</dl>");
	} else {
		core_buf_append_str(&b, "<p class=\"note\">The session's own record "
		                        "has not been written yet.</p>");
	}
	core_buf_append_str(&b, "<h2>Statements</h2>");
	if (shown == 0) {
		core_buf_append_str(&b, "<p class=\"empty\">None recorded.</p>");
	} else {
		core_buf_append_str(&b, "<table id=\"session-statements\" "
		                        "class=\"list\"><thead><tr><th>#</th>"
		                        "<th>Started</th><th>Class</th>"
		                        "<th>Decision</th><th>Status</th>"
		                        "<th>Statement</th><th>Approval</th>"
		                        "<th>Error</th></tr></thead><tbody>");
		for (size_t i = 0; i < shown; i++) {
			const char *appr = web_cell(st, i, 7);

			core_buf_append_str(&b, "<tr class=\"statement\" data-seq=\"");
			web_html(&b, web_cells(st, i, 0));
			core_buf_append_str(&b, "\">");
			td(&b, "seq", web_cells(st, i, 0));
			td(&b, "started", web_cells(st, i, 1));
			td(&b, "class", web_cells(st, i, 2));
			td(&b, "decision", web_cells(st, i, 3));
			td(&b, "status", web_cells(st, i, 4));
			td_sql(&b, web_cells(st, i, 5), is_true(web_cell(st, i, 6)));
			core_buf_append_str(&b, "<td class=\"approval\">");
			if (appr) {
				core_buf_append_str(&b, "<a href=\"/requests/");
				web_html(&b, appr);
				core_buf_append_str(&b, "\">");
				web_html_n(&b, appr, strnlen(appr, 8));
				core_buf_append_str(&b, "</a>");
			}
			core_buf_append_str(&b, "</td><td class=\"error\">");
			if (web_cell(st, i, 8)) {
				web_html(&b, web_cells(st, i, 8));
				core_buf_append_str(&b, " ");
				web_html(&b, web_cells(st, i, 9));
			}
			core_buf_append_str(&b, "</td></tr>");
		}
		core_buf_append_str(&b, "</tbody></table>");
		if (st->nrows > WEB_LIST_MAX) {
			core_buf_append_str(&b, "<p class=\"pager\"><a id=\"next-page\" "
			                        "href=\"/sessions/");
			web_html(&b, r->m.id);
			core_buf_append_str(&b, "?after=");
			web_html(&b, web_cells(st, shown - 1, 0));
			core_buf_append_str(&b, "\">Later statements</a></p>");
		}
	}
	if (rq->nrows > 0) {
		core_buf_append_str(&b, "<h2>Approval requests</h2>"
		                        "<table id=\"session-requests\" class=\"list\">"
		                        "<thead><tr><th>Request</th><th>#</th>"
		                        "<th>Created</th><th>Class</th>"
		                        "<th>Statement</th><th>State</th></tr>"
		                        "</thead><tbody>");
		for (size_t i = 0; i < rq->nrows; i++) {
			const char *id = web_cells(rq, i, 0);

			core_buf_append_str(&b, "<tr class=\"request\" data-id=\"");
			web_html(&b, id);
			core_buf_append_str(&b, "\"><td class=\"id\"><a href=\"/requests/");
			web_html(&b, id);
			core_buf_append_str(&b, "\">");
			web_html_n(&b, id, strnlen(id, 8));
			core_buf_append_str(&b, "</a></td>");
			td(&b, "seq", web_cells(rq, i, 1));
			td(&b, "created", web_cells(rq, i, 6));
			td(&b, "class", web_cells(rq, i, 3));
			td_sql(&b, web_cells(rq, i, 4), is_true(web_cell(rq, i, 5)));
			td(&b, "state", web_cells(rq, i, 2));
			core_buf_append_str(&b, "</tr>");
		}
		core_buf_append_str(&b, "</tbody></table>");
	}
	web_send_page(r, 200, "Session", &b);
}

static void session_statements_loaded(struct web_req *r)
{
	const char *params[1] = {r->m.id};

	web_query(r, session_requests_sql, 1, params, session_all_loaded);
}

static void session_row_loaded(struct web_req *r)
{
	char after[24];
	const char *params[2] = {r->m.id, after};

	snprintf(after, sizeof after, "%lld", r->n1);
	web_query(r, session_statements_sql, 2, params,
	          session_statements_loaded);
}

static void session_authed(struct web_req *r)
{
	const char *after = web_form_get(&r->query, "after");
	const char *params[1] = {r->m.id};

	r->n1 = 0;
	if (after && after[0] && !web_parse_int(after, 0, INT64_MAX / 2, &r->n1)) {
		web_send_message(r, 400, "Bad request",
		                 "after must be a statement number.");
		return;
	}
	web_query(r, session_row_sql, 1, params, session_row_loaded);
}

void web_h_session(struct web_req *r)
{
	web_require_session(r, session_authed);
}

/* --------------------------------------------------------------- grants */

static const char grants_sql[] =
    "SELECT g.id, g.agent_name, g.connection, g.class, " TS("g.created_at") ","
    " " TS("g.expires_at") ", " LEFT("g.expires_at") ", g.created_by,"
    " g.request_id, coalesce(g.comment, '')"
    " FROM approval_grants g"
    " WHERE g.revoked_at IS NULL AND g.expires_at > now()"
    " ORDER BY g.expires_at LIMIT " LIST_MAX;

static const char revoke_sql[] =
    "SELECT approval_grant_revoke($1::uuid,"
    " format('reviewer %s <%s %s>', coalesce(nullif($2::text, ''), $4::text),"
    " $3::text, $4::text),"
    " coalesce(nullif($5::text, ''), 'revoked on the reviewer page'))";

static void grants_loaded(struct web_req *r)
{
	const struct web_rows *g = &r->res[r->nres - 1];
	struct core_buf b = {0};

	core_buf_append_str(&b, "<h1>Active grants</h1><p class=\"explain\">"
	                        "A grant lets one agent run one class of "
	                        "statements on one connection without review "
	                        "until it expires.</p>");
	if (g->nrows == 0) {
		core_buf_append_str(&b, "<p id=\"grants-empty\" class=\"empty\">"
		                        "No grant is active.</p>");
		web_send_page(r, 200, "Grants", &b);
		return;
	}
	core_buf_append_str(&b, "<table id=\"grants-table\" class=\"list\">"
	                        "<thead><tr><th>Agent</th><th>Connection</th>"
	                        "<th>Class</th><th>Since</th><th>Until</th>"
	                        "<th>Time left</th><th>Given by</th>"
	                        "<th>Request</th><th>Revoke</th></tr></thead>"
	                        "<tbody>");
	for (size_t i = 0; i < g->nrows; i++) {
		const char *id = web_cells(g, i, 0);
		const char *req = web_cell(g, i, 8);

		core_buf_append_str(&b, "<tr class=\"grant\" data-id=\"");
		web_html(&b, id);
		core_buf_append_str(&b, "\">");
		td(&b, "agent", web_cells(g, i, 1));
		td(&b, "connection", web_cells(g, i, 2));
		td(&b, "class", web_cells(g, i, 3));
		td(&b, "created", web_cells(g, i, 4));
		td(&b, "expires", web_cells(g, i, 5));
		td_left(&b, web_cells(g, i, 6));
		td(&b, "by", web_cells(g, i, 7));
		core_buf_append_str(&b, "<td class=\"request\">");
		if (req) {
			core_buf_append_str(&b, "<a href=\"/requests/");
			web_html(&b, req);
			core_buf_append_str(&b, "\">");
			web_html_n(&b, req, strnlen(req, 8));
			core_buf_append_str(&b, "</a>");
		}
		core_buf_append_str(&b, "</td><td><form class=\"revoke\" "
		                        "method=\"post\" action=\"/grants/");
		web_html(&b, id);
		core_buf_append_str(&b, "/revoke\">");
		hidden_csrf(&b, r);
		core_buf_printf(&b, "<input name=\"reason\" maxlength=\"%d\" "
		                    "placeholder=\"reason (optional)\" "
		                    "aria-label=\"reason\">"
		                    "<button class=\"revoke\" type=\"submit\">"
		                    "Revoke</button></form></td></tr>",
		                MAX_REASON);
	}
	core_buf_append_str(&b, "</tbody></table>");
	web_send_page(r, 200, "Grants", &b);
}

static void grants_authed(struct web_req *r)
{
	web_query(r, grants_sql, 0, NULL, grants_loaded);
}

void web_h_grants(struct web_req *r)
{
	web_require_session(r, grants_authed);
}

static void revoked(struct web_req *r)
{
	const struct web_rows *d = &r->res[r->nres - 1];
	bool ok = is_true(web_cell(d, 0, 0));

	log_info("web: reviewer %s revokes grant %s: %s", r->rv.subject, r->m.id,
	         ok ? "revoked" : "not active");
	flash_redirect(r, ok,
	               ok ? "The grant is revoked."
	                  : "The grant was already revoked or has expired.",
	               "/grants");
}

static void revoke_authed(struct web_req *r)
{
	const char *reason = web_form_get(&r->form, "reason");
	const char *params[5];

	if (!web_check_csrf(r))
		return;
	if (reason && strlen(reason) > MAX_REASON) {
		char msg[80];

		snprintf(msg, sizeof msg, "A reason may hold at most %d bytes.",
		         MAX_REASON);
		web_send_message(r, 400, "Reason too long", msg);
		return;
	}
	params[0] = r->m.id;
	params[1] = r->rv.name;
	params[2] = r->rv.issuer;
	params[3] = r->rv.subject;
	params[4] = reason ? reason : "";
	web_query(r, revoke_sql, 5, params, revoked);
}

void web_h_revoke(struct web_req *r)
{
	web_require_session(r, revoke_authed);
}
