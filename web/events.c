/*
 * events.c: live updates of the queue as server-sent events. A logged-in
 * page opens GET /events; every NOTIFY agentgate_approval (a request
 * created, voted on, decided, expired, cancelled, executed — on any
 * instance) becomes "event: approval / data: <id> <action>" on every open
 * stream of this instance, and app.js fetches the fresh queue fragment.
 * After the store reconnects (notifications may have been missed) the
 * streams get "event: resync".
 *
 * Streams are bounded (half of max_clients), get a keep-alive comment every
 * 15 s, are dropped when the client does not read them, and end when their
 * session ends: expiry is checked at each keep-alive, and one query per
 * keep-alive re-checks every stream's session in PostgreSQL (so a logout
 * elsewhere ends it too). Events carry ids and actions only; the data
 * itself is fetched with the session, by a request of its own.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "core/core.h"
#include "store/store.h"
#include "web/internal.h"

/* How long browsers wait before reconnecting a dropped stream (ms). */
#define SSE_RETRY_MS 3000

struct web_sse {
	struct web *w;
	struct web_sse *prev, *next;
	struct evhttp_request *req;
	struct evhttp_connection *evcon;
	char sid[65];
	int64_t expires_at;
	bool in_check;  /* part of the session re-check in flight */
};

static const char check_sql[] =
    "SELECT encode(id_sha256, 'hex') FROM reviewer_sessions"
    " WHERE id_sha256 = ANY (SELECT decode(x, 'hex') FROM unnest($1::text[]) x)"
    " AND ended_at IS NULL AND expires_at > now()";

static void sse_unlink(struct web_sse *s)
{
	struct web *w = s->w;

	if (s->prev)
		s->prev->next = s->next;
	else if (w->sse == s)
		w->sse = s->next;
	if (s->next)
		s->next->prev = s->prev;
	s->prev = s->next = NULL;
	w->n_sse--;
}

/* The client went away (or libevent is freeing the connection). */
static void sse_close_cb(struct evhttp_connection *evcon, void *arg)
{
	struct web_sse *s = arg;

	(void)evcon;
	log_debug("web: live-update client %.12s... went away", s->sid);
	sse_unlink(s);
	/* A request libevent has detached from its dead connection is ours to
	 * finish; one still attached is freed by libevent right after this. */
	if (evhttp_request_get_connection(s->req) == NULL)
		evhttp_send_reply_end(s->req);
	free(s);
}

/* Ends a stream from our side. */
static void sse_end(struct web_sse *s)
{
	evhttp_connection_set_closecb(s->evcon, NULL, NULL);
	sse_unlink(s);
	evhttp_send_reply_end(s->req);
	free(s);
}

static bool sse_write(struct web_sse *s, struct evbuffer *tmp,
                      const char *text, size_t len)
{
	struct bufferevent *bev = evhttp_connection_get_bufferevent(s->evcon);

	if (bev && evbuffer_get_length(bufferevent_get_output(bev)) >
	               WEB_SSE_MAX_BACKLOG) {
		log_info("web: live-update client %.12s... does not read; dropped",
		         s->sid);
		sse_end(s);
		return false;
	}
	evbuffer_add(tmp, text, len);
	evhttp_send_reply_chunk(s->req, tmp);
	evbuffer_drain(tmp, evbuffer_get_length(tmp));
	return true;
}

static void broadcast(struct web *w, const char *text)
{
	struct evbuffer *tmp = evbuffer_new();
	size_t len = strlen(text);
	struct web_sse *s, *next;

	if (!tmp)
		return;
	for (s = w->sse; s; s = next) {
		next = s->next;
		(void)sse_write(s, tmp, text, len);
	}
	evbuffer_free(tmp);
}

void web_events_notify(struct web *w, const char *payload)
{
	struct core_buf b = {0};

	if (!w->sse)
		return;
	if (!payload) {
		broadcast(w, "event: resync\ndata: \n\n");
		return;
	}
	if (!web_notify_payload_ok(payload)) {
		log_debug("web: ignoring approval notification '%.80s'", payload);
		return;
	}
	core_buf_printf(&b, "event: approval\ndata: %s\n\n", payload);
	core_buf_append(&b, "", 1);
	broadcast(w, (const char *)b.data);
	core_buf_free(&b);
}

static void check_cb(void *arg, bool ok, const char *err, size_t nrows,
                     size_t ncols, const char *const *cells)
{
	struct web *w = arg;
	struct web_sse *s, *next;

	w->sse_check_op = NULL;
	if (!ok) {
		/* Keep the streams: an outage of PostgreSQL is not a logout. */
		log_debug("web: re-checking live-update sessions: %s", err);
		for (s = w->sse; s; s = s->next)
			s->in_check = false;
		return;
	}
	for (s = w->sse; s; s = next) {
		bool live = false;

		next = s->next;
		if (!s->in_check)
			continue;
		s->in_check = false;
		for (size_t i = 0; i < nrows && ncols == 1; i++)
			if (cells[i] && strcmp(cells[i], s->sid) == 0)
				live = true;
		if (!live)
			sse_end(s);
	}
}

void web_events_tick(struct web *w)
{
	struct web_sse *s, *next;
	int64_t now = core_wall_us() / 1000000;
	struct core_buf ids = {0};
	const char *params[1];
	bool first = true;

	for (s = w->sse; s; s = next) {
		next = s->next;
		if (s->expires_at <= now) {
			sse_end(s);
			continue;
		}
	}
	if (!w->sse)
		return;
	broadcast(w, ": keep-alive\n\n");
	if (w->sse_check_op || !w->sse)
		return;
	core_buf_append_str(&ids, "{");
	for (s = w->sse; s; s = s->next) {
		core_buf_printf(&ids, "%s%s", first ? "" : ",", s->sid);
		s->in_check = true;
		first = false;
	}
	core_buf_append_str(&ids, "}");
	core_buf_append(&ids, "", 1);
	params[0] = (const char *)ids.data;
	w->sse_check_op = store_query(w->st, check_sql, 1, params, check_cb, w);
	core_buf_free(&ids);
}

void web_events_close_all(struct web *w)
{
	if (w->sse_check_op) {
		store_op_cancel(w->sse_check_op);
		w->sse_check_op = NULL;
	}
	while (w->sse)
		sse_end(w->sse);
}

static void start_stream(struct web_req *r)
{
	struct web *w = r->w;
	struct web_sse *s;
	struct evkeyvalq *h = evhttp_request_get_output_headers(r->req);
	struct bufferevent *bev;
	struct evbuffer *tmp;
	struct timeval wt = {WEB_TIMEOUT_S, 0};
	char hello[64];

	if (w->n_sse >= w->max_sse) {
		struct core_buf b = {0};
		core_buf_append_str(&b, "too many live-update clients\n");
		web_add_header(r, "Retry-After", "30");
		web_send(r, 503, "text/plain; charset=utf-8", &b);
		return;
	}
	s = core_xcalloc(1, sizeof *s);
	s->w = w;
	s->req = r->req;
	s->evcon = evhttp_request_get_connection(r->req);
	memcpy(s->sid, r->rv.sid, sizeof s->sid);
	s->expires_at = r->rv.expires_at;
	if (!s->evcon) {
		/* The client is already gone. */
		free(s);
		web_send(r, 503, NULL, NULL);
		return;
	}
	web_security_headers(r->req);
	evhttp_add_header(h, "Content-Type", "text/event-stream; charset=utf-8");
	evhttp_add_header(h, "Connection", "close");
	evhttp_send_reply_start(r->req, 200, "OK");
	/* The client sends nothing more on a stream: only writes may time
	 * out (a reader that stalls), never the silence. */
	bev = evhttp_connection_get_bufferevent(s->evcon);
	if (bev)
		bufferevent_set_timeouts(bev, NULL, &wt);
	evhttp_connection_set_closecb(s->evcon, sse_close_cb, s);
	s->next = w->sse;
	if (w->sse)
		w->sse->prev = s;
	w->sse = s;
	w->n_sse++;
	web_req_release(r);
	snprintf(hello, sizeof hello, "retry: %d\n: connected\n\n", SSE_RETRY_MS);
	tmp = evbuffer_new();
	if (tmp) {
		(void)sse_write(s, tmp, hello, strlen(hello));
		evbuffer_free(tmp);
	}
}

void web_h_events(struct web_req *r)
{
	web_require_session(r, start_stream);
}
