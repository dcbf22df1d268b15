/*
 * Client sessions: the state machine from the first byte a MySQL client
 * sends to the last. It sends the greeting, upgrades to TLS on SSLRequest,
 * switches authentication to mysql_clear_password to receive the agent's
 * token, has idp/ verify it and store/ map it to an agent, has backend.c log
 * in, and then relays one command at a time: each command is read whole
 * (bounded by max_packet_size), recorded before it is forwarded, and its
 * answer is streamed back packet by packet under the response tracker, with
 * backpressure from a slow client to the backend.
 *
 * Transport (bufferevents, plain or TLS filter) stays in libevent; this
 * file holds the protocol decisions. A session is never freed inside one of
 * its own callbacks: session_close() marks it CLOSING and a deferred event
 * frees it.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "idp/idp.h"
#include "proxy/internal.h"
#include "store/store.h"

#define SERVER_VERSION "5.5.5-10.11.0-agentgate"
#define CHARSET_UTF8MB4_GENERAL_CI 45
/* Most prepared statements tracked per session (MySQL's default cap). */
#define MAX_PREPARED 16382
/* A closing session gets this long to flush its last packet. */
#define CLOSE_FLUSH_MS 2000
#define CLOSE_POLL_MS 10
/* Unsent bytes below which a TLS filter's socket takes more. */
#define SOCKET_WRITE_HIGH (256 * 1024)
/* A MySQL user name (= connection name) is at most this long. */
#define MAX_USER_LEN 64
/* Command buffers larger than this are released after use. */
#define CMD_BUFFER_KEEP (1024 * 1024)
/* Relayed bytes gathered before one write to the client. */
#define RELAY_CHUNK (64 * 1024)
/* First byte of a TLS record carrying a handshake message. */
#define TLS_HANDSHAKE_RECORD 0x16

enum session_state {
	SESSION_GREETING,  /* greeting sent; waiting for SSLRequest or login */
	SESSION_TLS,       /* TLS accepted after SSLRequest; waiting for login */
	SESSION_TOKEN,     /* asked for the token with an auth switch */
	SESSION_VERIFYING, /* idp/ is verifying the token */
	SESSION_LOOKUP,    /* store/ is looking up the agent */
	SESSION_BACKEND,   /* logging in to the backend */
	SESSION_READY,     /* idle between commands */
	SESSION_RECORDING, /* waiting for a statement's durable record */
	SESSION_COMMAND,   /* a command is forwarded; relaying its answer */
	SESSION_CLOSING,   /* ending: last bytes flushing, then freed */
	SESSION_SUBMITTING, /* a statement under review is being submitted */
	SESSION_HELD,      /* waiting for the reviewers' decision */
};

static const char *const state_names[] = {
	"greeting", "tls",     "token",   "verifying",  "lookup", "backend",
	"ready",    "recording", "command", "closing", "submitting", "held",
};

/* Allowed transitions: from -> bit set of targets. */
#define BIT(s) (1u << (s))
static const unsigned transitions[] = {
	[SESSION_GREETING] = BIT(SESSION_TLS) | BIT(SESSION_TOKEN) |
	                     BIT(SESSION_VERIFYING) | BIT(SESSION_CLOSING),
	[SESSION_TLS] = BIT(SESSION_TOKEN) | BIT(SESSION_VERIFYING) |
	                BIT(SESSION_CLOSING),
	[SESSION_TOKEN] = BIT(SESSION_VERIFYING) | BIT(SESSION_CLOSING),
	[SESSION_VERIFYING] = BIT(SESSION_LOOKUP) | BIT(SESSION_CLOSING),
	[SESSION_LOOKUP] = BIT(SESSION_BACKEND) | BIT(SESSION_CLOSING),
	[SESSION_BACKEND] = BIT(SESSION_READY) | BIT(SESSION_CLOSING),
	[SESSION_READY] = BIT(SESSION_RECORDING) | BIT(SESSION_COMMAND) |
	                  BIT(SESSION_SUBMITTING) | BIT(SESSION_CLOSING),
	[SESSION_RECORDING] = BIT(SESSION_COMMAND) | BIT(SESSION_READY) |
	                      BIT(SESSION_CLOSING),
	[SESSION_COMMAND] = BIT(SESSION_READY) | BIT(SESSION_CLOSING),
	[SESSION_CLOSING] = 0,
	[SESSION_SUBMITTING] = BIT(SESSION_HELD) | BIT(SESSION_RECORDING) |
	                       BIT(SESSION_COMMAND) | BIT(SESSION_READY) |
	                       BIT(SESSION_CLOSING),
	[SESSION_HELD] = BIT(SESSION_RECORDING) | BIT(SESSION_COMMAND) |
	                 BIT(SESSION_READY) | BIT(SESSION_CLOSING),
};

static void set_state(struct session *s, enum session_state to)
{
	if (!(transitions[s->state] & BIT(to))) {
		log_error("session %s: impossible transition %s -> %s", s->id,
		          state_names[s->state], state_names[to]);
		abort();
	}
	log_debug("session %s: %s -> %s", s->id, state_names[s->state],
	          state_names[to]);
	s->state = to;
	/* The command has been forwarded or answered: do not keep a large
	 * command's buffer for the session's life. */
	if ((to == SESSION_READY || to == SESSION_COMMAND) &&
	    s->cmd.cap > CMD_BUFFER_KEEP)
		core_buf_free(&s->cmd);
}

static void client_read_cb(struct bufferevent *bev, void *arg);
static void client_write_cb(struct bufferevent *bev, void *arg);
static void client_event_cb(struct bufferevent *bev, short what, void *arg);
static void server_read_cb(struct bufferevent *bev, void *arg);
static void server_event_cb(struct bufferevent *bev, short what, void *arg);
static void timer_cb(evutil_socket_t fd, short what, void *arg);
static void process_commands(struct session *s);
static void arm_ready_timer(struct session *s);
static void drop_all_prepared(struct session *s);
static void remember(struct session *s, const struct store_stmt_info *i);

/* ------------------------------------------------------------ helpers */

static bool closing(const struct session *s)
{
	return s->state == SESSION_CLOSING;
}

/* Moves `src` to a connection. On a plaintext socket with nothing queued
 * ahead, it writes what the socket takes at once, sparing the loop round
 * trip and the pair of epoll_ctl calls a buffered write costs per packet;
 * the rest (and everything over TLS) goes through the bufferevent, which
 * keeps order and reports errors. */
static void send_buffer(struct bufferevent *bev, struct evbuffer *src)
{
	struct evbuffer *out = bufferevent_get_output(bev);

	if (!bufferevent_get_underlying(bev) && evbuffer_get_length(out) == 0) {
		evutil_socket_t fd = bufferevent_getfd(bev);
		if (fd >= 0)
			(void)evbuffer_write(src, fd); /* errors surface below */
	}
	if (evbuffer_get_length(src) > 0)
		evbuffer_add_buffer(out, src);
}

static void send_payload(struct session *s, const void *payload, size_t len)
{
	struct core_buf b = {0};

	mysql_frame(&b, &s->seq, payload, len);
	bufferevent_write(s->client, b.data, b.len);
	s->bytes_to_client += b.len;
	core_buf_free(&b);
}

static void send_err(struct session *s, uint16_t code, const char *state,
                     const char *msg)
{
	struct core_buf b = {0};

	mysql_build_err(&b, code, state, msg);
	send_payload(s, b.data, b.len);
	core_buf_free(&b);
}

static void arm_timer(struct session *s, uint64_t ms)
{
	struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};

	evtimer_add(s->timer, &tv);
}

static bool is_login_state(const struct session *s)
{
	return s->state < SESSION_READY;
}

static void audit_login(struct session *s, bool ok, const char *reason)
{
	struct store_auth_event a = {0};

	a.at_us = core_wall_us();
	a.success = ok;
	a.reason = reason;
	a.client_addr = s->client_addr;
	a.listener = s->listener->name;
	a.connection = s->connection;
	if (s->principal) {
		a.idp = s->principal->idp;
		a.issuer = s->principal->issuer;
		a.subject = s->principal->subject;
	}
	a.agent_id = s->agent_id;
	a.session_id = ok ? s->id : NULL;
	store_auth_event(s->proxy->store, &a);
}

/* Refuse a login: audit it, tell the client precisely, close. */
static void login_fail(struct session *s, uint16_t code, const char *state,
                       const char *msg)
{
	char reason[600];

	log_info("session %s: login refused for %s: %s", s->id, s->client_addr,
	         msg);
	audit_login(s, false, msg);
	snprintf(reason, sizeof reason, "agentgate: %s", msg);
	send_err(s, code, state, reason);
	session_close(s, "login refused");
}

/* --------------------------------------------------------- lifecycle */

static void free_cb(evutil_socket_t fd, short what, void *arg)
{
	struct session *s = arg;
	struct proxy *p = s->proxy;

	(void)fd;
	(void)what;
	if (s->prev)
		s->prev->next = s->next;
	else
		p->sessions = s->next;
	if (s->next)
		s->next->prev = s->prev;
	p->n_sessions--;
	if (s->client)
		bufferevent_free(s->client);
	if (s->server)
		bufferevent_free(s->server);
	event_free(s->timer);
	event_free(s->free_ev);
	evbuffer_free(s->staging);
	idp_principal_free(s->principal);
	drop_all_prepared(s);
	free(s->prepared);
	free(s->pending_prepare);
	free(s->connection);
	free(s->database);
	core_buf_free(&s->attrs);
	core_buf_free(&s->cmd);
	core_buf_free(&s->params);
	free(s);
}

/* Bytes still on their way to the client, in the TLS layer or below. */
static bool output_pending(struct session *s)
{
	struct bufferevent *under = bufferevent_get_underlying(s->client);

	return evbuffer_get_length(bufferevent_get_output(s->client)) > 0 ||
	       (under && evbuffer_get_length(bufferevent_get_output(under)) > 0);
}

void session_close(struct session *s, const char *reason)
{
	if (closing(s))
		return;
	if (!s->end_reason) {
		snprintf(s->end_reason_buf, sizeof s->end_reason_buf, "%s", reason);
		s->end_reason = s->end_reason_buf;
	}
	if (s->verify) {
		idp_request_cancel(s->verify);
		s->verify = NULL;
	}
	if (s->lookup) {
		store_op_cancel(s->lookup);
		s->lookup = NULL;
	}
	if (s->approval_op) {
		approvals_submit_cancel(s->approval_op);
		s->approval_op = NULL;
	}
	if (s->approval_wait) {
		approvals_wait_abandon(s->approval_wait, s->end_reason);
		s->approval_wait = NULL;
	}
	if (s->stmt) {
		struct store_stmt_result r = {
			.status = STORE_STMT_ABORTED,
			.duration_us = core_wall_us() - (int64_t)s->cmd_started_us,
			.rows_affected = -1,
			.rows_returned = (int64_t)s->resp.rows,
			.error_message = s->end_reason,
		};
		store_stmt_done(s->proxy->store, s->stmt, &r);
		s->stmt = NULL;
	}
	if (s->recorded_start) {
		struct store_session_end e = {
			.ended_us = core_wall_us(),
			.reason = s->end_reason,
			.bytes_from_client = s->bytes_from_client,
			.bytes_to_client = s->bytes_to_client,
			.statements = s->statements,
		};
		store_session_end(s->proxy->store, s->id, &e);
	}
	log_info("session %s: closed (%s)", s->id, s->end_reason);
	set_state(s, SESSION_CLOSING);
	if (s->server) {
		bufferevent_free(s->server);
		s->server = NULL;
	}
	evtimer_del(s->timer);
	/* Let the last packet (an error, usually) reach the client, bounded:
	 * polled, because a TLS filter passes it on to its socket in steps. */
	if (s->client && output_pending(s)) {
		bufferevent_disable(s->client, EV_READ);
		s->close_deadline_ms = core_mono_ms() + CLOSE_FLUSH_MS;
		arm_timer(s, CLOSE_POLL_MS);
		return;
	}
	event_active(s->free_ev, 0, 0);
}

/* -------------------------------------------------------- accepting */

void session_accept(struct proxy *p, const struct cfg_listener *l, int fd,
                    const struct sockaddr *addr, int addrlen)
{
	struct session *s = core_xcalloc(1, sizeof *s);
	struct mysql_greeting g = {0};
	struct core_buf b = {0};
	char host[INET6_ADDRSTRLEN] = "?";
	int port = 0;

	(void)addrlen;
	s->proxy = p;
	s->listener = l;
	s->state = SESSION_GREETING;
	s->pending_set_option = -1;
	s->conn_id = ++p->next_conn_id;
	s->started_ms = core_mono_ms();
	core_uuid(s->id);
	if (addr->sa_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)addr;
		inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
		port = ntohs(a->sin_port);
	} else if (addr->sa_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)addr;
		inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
		port = ntohs(a->sin6_port);
	}
	snprintf(s->client_addr, sizeof s->client_addr, "%s:%d", host, port);
	s->next = p->sessions;
	if (p->sessions)
		p->sessions->prev = s;
	p->sessions = s;
	p->n_sessions++;
	s->timer = evtimer_new(p->base, timer_cb, s);
	s->free_ev = event_new(p->base, -1, 0, free_cb, s);
	s->staging = evbuffer_new();
	s->client = bufferevent_socket_new(
	    p->base, fd, BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (!s->timer || !s->free_ev || !s->client || !s->staging) {
		if (!s->client)
			evutil_closesocket(fd);
		log_error("cannot set up a session for %s", s->client_addr);
		abort();
	}
	bufferevent_setcb(s->client, client_read_cb, client_write_cb,
	                  client_event_cb, s);
	bufferevent_enable(s->client, EV_READ | EV_WRITE);
	log_info("session %s: connection from %s on listener %s", s->id,
	         s->client_addr, l->name);

	if (p->n_sessions > (size_t)p->cfg->gateway.max_sessions ||
	    p->shutting_down) {
		s->seq = 0;
		send_err(s, ER_CON_COUNT_ERROR, "08004",
		         p->shutting_down ? "agentgate: the gateway is shutting down"
		                          : "agentgate: too many connections");
		audit_login(s, false, "too many connections");
		session_close(s, "too many connections");
		return;
	}

	mysql_random_scramble(s->scramble);
	g.server_version = SERVER_VERSION;
	g.connection_id = s->conn_id;
	memcpy(g.scramble, s->scramble, sizeof g.scramble);
	g.capabilities = GATEWAY_CAPABILITIES | (p->server_tls ? CLIENT_SSL : 0);
	g.charset = CHARSET_UTF8MB4_GENERAL_CI;
	g.status = SERVER_STATUS_AUTOCOMMIT;
	/* Never the clear-text plugin here: several clients would send the
	 * token at once, before TLS. */
	g.auth_plugin = "mysql_native_password";
	mysql_build_greeting(&b, &g);
	s->seq = 0;
	send_payload(s, b.data, b.len);
	core_buf_free(&b);
	arm_timer(s, p->cfg->gateway.handshake_timeout);
}

/* ------------------------------------------------- reading from client */

enum take {
	TAKE_NEED_MORE,
	TAKE_OK,
	TAKE_TOO_LARGE,
	TAKE_BAD_SEQ,
};

/* Moves the next packet(s) of one client message into s->cmd, joining
 * 16 MiB continuation packets, without waiting for a whole large packet
 * in the socket buffer. The first packet must carry `first_seq`. */
static enum take take_message(struct session *s, uint64_t max,
                              uint8_t first_seq)
{
	struct evbuffer *in = bufferevent_get_input(s->client);

	for (;;) {
		if (s->pkt_in_left == 0 && !s->pkt_in_header) {
			uint8_t h[MYSQL_HEADER_LEN];
			size_t len;
			uint8_t want = s->msg_started ? s->cmd_seq : first_seq;

			if (evbuffer_get_length(in) < MYSQL_HEADER_LEN)
				return TAKE_NEED_MORE;
			evbuffer_copyout(in, h, sizeof h);
			len = (size_t)h[0] | (size_t)h[1] << 8 | (size_t)h[2] << 16;
			if (h[3] != want)
				return TAKE_BAD_SEQ;
			if (len > max || s->cmd.len > max - len)
				return TAKE_TOO_LARGE;
			evbuffer_drain(in, MYSQL_HEADER_LEN);
			s->bytes_from_client += MYSQL_HEADER_LEN;
			s->msg_started = true;
			s->cmd_seq = (uint8_t)(h[3] + 1);
			s->pkt_in_left = len;
			s->pkt_in_header = true;
			s->pkt_in_full = len == MYSQL_MAX_PAYLOAD;
			core_buf_reserve(&s->cmd, len);
		}
		if (s->pkt_in_left > 0) {
			size_t avail = evbuffer_get_length(in);
			size_t n = avail < s->pkt_in_left ? avail : s->pkt_in_left;
			if (n == 0)
				return TAKE_NEED_MORE;
			evbuffer_remove(in, s->cmd.data + s->cmd.len, n);
			s->cmd.len += n;
			s->pkt_in_left -= n;
			s->bytes_from_client += n;
			if (s->pkt_in_left > 0)
				return TAKE_NEED_MORE;
		}
		/* One packet complete. */
		s->pkt_in_header = false;
		if (!s->pkt_in_full) {
			s->msg_started = false;
			return TAKE_OK;
		}
	}
}

/* ------------------------------------------------------------ login */

static void lookup_cb(void *arg, enum store_agent_status st,
                      const struct store_agent *agent);

static void verify_cb(void *arg, enum idp_result res, const char *reason,
                      struct idp_principal *pr)
{
	struct session *s = arg;
	char msg[512];

	s->verify = NULL;
	if (closing(s)) {
		idp_principal_free(pr);
		return;
	}
	if (res != IDP_OK) {
		snprintf(msg, sizeof msg, "Access denied: token rejected (%s): %s",
		         idp_result_name(res), reason);
		login_fail(s, ER_ACCESS_DENIED, "28000", msg);
		return;
	}
	s->principal = pr;
	set_state(s, SESSION_LOOKUP);
	s->backend = NULL;
	for (size_t i = 0; i < s->proxy->n_backends; i++)
		if (!strcmp(s->proxy->backends[i].cfg->name, s->connection))
			s->backend = &s->proxy->backends[i];
	if (!s->backend) {
		snprintf(msg, sizeof msg,
		         "Access denied: unknown connection '%s' (the MySQL user name "
		         "names the connection)",
		         s->connection);
		login_fail(s, ER_ACCESS_DENIED, "28000", msg);
		return;
	}
	s->lookup = store_lookup_agent(s->proxy->store, pr->idp, pr->subject,
	                               s->connection, lookup_cb, s);
}

void session_evaluate_policy(struct session *s)
{
	approval_policies_evaluate(s->proxy->policies, s->agent_name,
	                           (const char *const *)s->principal->groups,
	                           s->principal->n_groups, s->connection,
	                           &s->policy);
	s->policy_version = approval_policies_version(s->proxy->policies);
}

static size_t agent_sessions(const struct proxy *p, int64_t agent_id)
{
	size_t n = 0;

	for (const struct session *t = p->sessions; t; t = t->next)
		if (t->agent_id == agent_id && t->state != SESSION_CLOSING)
			n++;
	return n;
}

static void lookup_cb(void *arg, enum store_agent_status st,
                      const struct store_agent *agent)
{
	struct session *s = arg;
	char msg[600];
	char err[256];
	const char *why = NULL;

	s->lookup = NULL;
	if (closing(s))
		return;
	if (agent && st != STORE_AGENT_UNKNOWN) {
		s->agent_id = agent->id;
		snprintf(s->agent_name, sizeof s->agent_name, "%s", agent->name);
	}
	switch (st) {
	case STORE_AGENT_OK:
		break;
	case STORE_AGENT_UNKNOWN:
		snprintf(msg, sizeof msg,
		         "Access denied: no agent is registered for subject '%s' of "
		         "identity provider '%s'",
		         s->principal->subject, s->principal->idp);
		login_fail(s, ER_ACCESS_DENIED, "28000", msg);
		return;
	case STORE_AGENT_REVOKED:
		snprintf(msg, sizeof msg, "Access denied: agent '%s' is revoked",
		         s->agent_name);
		login_fail(s, ER_ACCESS_DENIED, "28000", msg);
		return;
	case STORE_AGENT_NOT_GRANTED:
		snprintf(msg, sizeof msg,
		         "Access denied: agent '%s' may not use connection '%s'",
		         s->agent_name, s->connection);
		login_fail(s, ER_ACCESS_DENIED, "28000", msg);
		return;
	case STORE_AGENT_STORE_DOWN:
		login_fail(s, ER_ACCESS_DENIED, "28000",
		           "Access denied: the agent registry is unavailable; try "
		           "again later");
		return;
	}
	if (agent_sessions(s->proxy, s->agent_id) >
	    (size_t)s->proxy->cfg->gateway.max_sessions_per_agent) {
		snprintf(msg, sizeof msg, "agent '%s' has too many sessions",
		         s->agent_name);
		login_fail(s, ER_TOO_MANY_USER_CONNECTIONS, "42000", msg);
		return;
	}
	if (!store_accepting(s->proxy->store, &why)) {
		snprintf(msg, sizeof msg,
		         "sessions are refused: the audit store is unavailable (%s)",
		         why);
		login_fail(s, ER_OPTION_PREVENTS_STATEMENT, "HY000", msg);
		return;
	}
	if (!approval_policies_ready(s->proxy->policies)) {
		login_fail(s, ER_OPTION_PREVENTS_STATEMENT, "HY000",
		           "sessions are refused: the policy rules are not loaded "
		           "yet; try again");
		return;
	}
	session_evaluate_policy(s);
	s->read_only = policy_read_only(&s->policy) &&
	               s->backend->cfg->readonly_user != NULL;
	set_state(s, SESSION_BACKEND);
	if (!backend_start(s, err, sizeof err))
		session_backend_failed(s, ER_BACKEND_UNAVAILABLE, err);
}

void session_backend_failed(struct session *s, uint16_t code, const char *msg)
{
	char m[512];

	if (closing(s))
		return;
	snprintf(m, sizeof m, "backend of connection '%s' is unavailable: %s",
	         s->connection, msg);
	login_fail(s, code, code == ER_ACCESS_DENIED ? "28000" : "HY000", m);
}

void session_backend_ready(struct session *s)
{
	struct store_session_info info = {0};
	struct core_buf b = {0};
	SSL *ssl = s->tls ? bufferevent_openssl_get_ssl(s->client) : NULL;
	const char *why = NULL;

	if (closing(s))
		return;
	memcpy(info.id, s->id, sizeof info.id);
	info.agent_id = s->agent_id;
	info.agent_name = s->agent_name;
	info.idp = s->principal->idp;
	info.issuer = s->principal->issuer;
	info.subject = s->principal->subject;
	info.connection = s->connection;
	info.client_addr = s->client_addr;
	info.tls_version = ssl ? SSL_get_version(ssl) : NULL;
	info.groups = (const char *const *)s->principal->groups;
	info.n_groups = s->principal->n_groups;
	info.read_only = s->read_only;
	info.started_us = core_wall_us();
	if (!store_accepting(s->proxy->store, &why) ||
	    !store_session_start(s->proxy->store, &info)) {
		char msg[300];
		snprintf(msg, sizeof msg,
		         "sessions are refused: the audit store is unavailable (%s)",
		         why ? why : "audit queue full");
		login_fail(s, ER_OPTION_PREVENTS_STATEMENT, "HY000", msg);
		return;
	}
	s->recorded_start = true;
	audit_login(s, true, "ok");
	log_info("session %s: agent %s (%s) connected to %s from %s%s", s->id,
	         s->agent_name, s->principal->subject, s->connection,
	         s->client_addr, ssl ? " over TLS" : "");

	/* From here on the backend's packets are relayed. */
	bufferevent_set_timeouts(s->server, NULL, NULL);
	bufferevent_setcb(s->server, server_read_cb, NULL, server_event_cb, s);
	bufferevent_setwatermark(s->server, EV_READ, 0, SOCKET_WRITE_HIGH);
	evtimer_del(s->timer);
	mysql_build_ok(&b, 0, 0, SERVER_STATUS_AUTOCOMMIT, 0);
	send_payload(s, b.data, b.len);
	core_buf_free(&b);
	set_state(s, SESSION_READY);
	s->last_activity_ms = core_mono_ms();
	arm_ready_timer(s);
	s->msg_started = false;
	core_buf_reset(&s->cmd);
	process_commands(s);
}

static void start_verify(struct session *s, const uint8_t *token, size_t len)
{
	/* Clear-text plugins end the password with NUL. */
	while (len > 0 && token[len - 1] == '\0')
		len--;
	if (len == 0) {
		login_fail(s, ER_ACCESS_DENIED, "28000",
		           "Access denied: no token was sent as the password");
		return;
	}
	set_state(s, SESSION_VERIFYING);
	s->verify = idp_set_verify(s->proxy->idps, (const char *)token, len,
	                           verify_cb, s);
}

static void start_tls(struct session *s)
{
	struct bufferevent *f;
	SSL *ssl;

	struct evbuffer *in = bufferevent_get_input(s->client);
	uint8_t first = 0;

	/* MySQL clients send the TLS ClientHello right behind the SSLRequest,
	 * so bytes may already be here; anything but a TLS handshake record
	 * is plaintext smuggled past the upgrade. */
	if (evbuffer_copyout(in, &first, 1) == 1 && first != TLS_HANDSHAKE_RECORD) {
		log_warn("session %s: plaintext after SSLRequest from %s", s->id,
		         s->client_addr);
		audit_login(s, false, "plaintext data after SSLRequest");
		session_close(s, "protocol violation: plaintext after SSLRequest");
		return;
	}
	ssl = SSL_new(s->proxy->server_tls);
	if (!ssl) {
		session_close(s, "cannot create TLS state");
		return;
	}
	f = bufferevent_openssl_filter_new(s->proxy->base, s->client, ssl,
	                                   BUFFEREVENT_SSL_ACCEPTING,
	                                   BEV_OPT_CLOSE_ON_FREE |
	                                       BEV_OPT_DEFER_CALLBACKS);
	if (!f) {
		SSL_free(ssl);
		session_close(s, "cannot start TLS");
		return;
	}
	/* Bound what the TLS layer queues on the socket (see proxy.c). */
	bufferevent_setwatermark(s->client, EV_WRITE, 0, SOCKET_WRITE_HIGH);
	s->client = f;
	s->tls = true;
	bufferevent_setcb(f, client_read_cb, client_write_cb, client_event_cb, s);
	bufferevent_enable(f, EV_READ | EV_WRITE);
	set_state(s, SESSION_TLS);
}

static bool plaintext_token_allowed(const struct session *s)
{
	return s->tls || s->listener->allow_plaintext_loopback;
}

static void on_login_message(struct session *s)
{
	struct mysql_handshake_response r;
	char err[128], msg[300];
	enum mysql_parse_result pr;

	pr = mysql_parse_handshake_response(s->cmd.data, s->cmd.len, &r, err,
	                                    sizeof err);
	if (pr == MYSQL_PARSE_SSL_REQUEST) {
		if (s->state != SESSION_GREETING || !s->proxy->server_tls) {
			login_fail(s, ER_HANDSHAKE_ERROR, "08S01",
			           "Bad handshake: unexpected SSLRequest");
			return;
		}
		s->seq = s->cmd_seq;
		start_tls(s);
		return;
	}
	if (pr == MYSQL_PARSE_ERROR) {
		snprintf(msg, sizeof msg, "Bad handshake: %s", err);
		login_fail(s, ER_HANDSHAKE_ERROR, "08S01", msg);
		return;
	}
	s->seq = s->cmd_seq;
	s->caps = r.capabilities &
	          (GATEWAY_CAPABILITIES | (s->tls ? CLIENT_SSL : 0));
	s->multi_statements = s->caps & CLIENT_MULTI_STATEMENTS;
	s->charset = r.charset ? r.charset : CHARSET_UTF8MB4_GENERAL_CI;
	if (!sql_charset_id_lexable(s->charset)) {
		/* In these character sets a multi-byte character may end in a
		 * quote or backslash byte: the classifier could be fooled. */
		snprintf(msg, sizeof msg,
		         "character set %u is not supported through agentgate "
		         "(its multi-byte characters can hide quotes); use utf8mb4",
		         s->charset);
		s->connection = core_xstrndup(r.user, r.user_len < MAX_USER_LEN
		                                          ? r.user_len
		                                          : MAX_USER_LEN);
		login_fail(s, ER_UNKNOWN_CHARACTER_SET, "42000", msg);
		return;
	}
	if (r.user_len == 0 || r.user_len > MAX_USER_LEN) {
		s->connection = core_xstrdup("");
		login_fail(s, ER_ACCESS_DENIED, "28000",
		           "Access denied: the MySQL user name must name a "
		           "connection");
		return;
	}
	s->connection = core_xstrndup(r.user, r.user_len);
	if (r.database && r.database_len > 0) {
		if (r.database_len > MAX_USER_LEN) {
			login_fail(s, ER_HANDSHAKE_ERROR, "08S01",
			           "Bad handshake: database name too long");
			return;
		}
		s->database = core_xstrndup(r.database, r.database_len);
	}
	if (r.attrs_len)
		core_buf_append(&s->attrs, r.attrs, r.attrs_len);
	if (!plaintext_token_allowed(s)) {
		login_fail(s, ER_SECURE_TRANSPORT_REQUIRED, "HY000",
		           "TLS is required on this listener before a token is sent; "
		           "connect with TLS (e.g. mariadb --ssl)");
		return;
	}
	/* A client already configured for the clear-text plugin sent the
	 * token; anything else gets switched to it. */
	if (r.auth_plugin && r.auth_plugin_len == 20 &&
	    !memcmp(r.auth_plugin, "mysql_clear_password", 20) && r.auth_len > 0) {
		struct core_buf tok = {0};
		core_buf_append(&tok, r.auth, r.auth_len);
		start_verify(s, tok.data, tok.len);
		core_buf_free(&tok);
		return;
	}
	{
		struct core_buf b = {0};
		mysql_build_auth_switch(&b, "mysql_clear_password", s->scramble,
		                        MYSQL_SCRAMBLE_LEN);
		send_payload(s, b.data, b.len);
		core_buf_free(&b);
		set_state(s, SESSION_TOKEN);
	}
}

/* -------------------------------------------------------- commands */

static void forward_command(struct session *s)
{
	struct evbuffer *out = s->staging;
	const uint8_t *p = s->cmd.data;
	size_t left = s->cmd.len;
	uint8_t seq = 0;

	for (;;) {
		size_t n = left > MYSQL_MAX_PAYLOAD ? MYSQL_MAX_PAYLOAD : left;
		uint8_t h[4] = {(uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16),
		                seq++};
		evbuffer_add(out, h, sizeof h);
		evbuffer_add(out, p, n);
		p += n;
		left -= n;
		if (n < MYSQL_MAX_PAYLOAD)
			break;
	}
	send_buffer(s->server, out);
}

static struct prepared *find_prepared(struct session *s, uint32_t id)
{
	for (size_t i = 0; i < s->n_prepared; i++)
		if (s->prepared[i].id == id)
			return &s->prepared[i];
	return NULL;
}

static void free_prepared(struct prepared *ps)
{
	free(ps->sql);
	free(ps->types);
	free(ps->long_data);
}

static void drop_prepared(struct session *s, uint32_t id)
{
	for (size_t i = 0; i < s->n_prepared; i++) {
		if (s->prepared[i].id == id) {
			free_prepared(&s->prepared[i]);
			s->prepared[i] = s->prepared[--s->n_prepared];
			return;
		}
	}
}

static void drop_all_prepared(struct session *s)
{
	for (size_t i = 0; i < s->n_prepared; i++)
		free_prepared(&s->prepared[i]);
	s->n_prepared = 0;
}

/* Fills the audit fields of a statement's record from its verdict. */
static void verdict_info(const struct session *s, struct store_stmt_info *i)
{
	const struct verdict *v = &s->verdict;

	if (!v->classified)
		return;
	i->cls = sql_class_name(v->cls);
	i->decision = policy_action_name(v->action);
	i->policy = s->grant_id[0] ? s->grant_policy : s->policy.source[v->cls];
	i->reason = v->reason;
	if (s->cmd_byte == COM_STMT_EXECUTE && s->params.len > 0)
		i->params = (const char *)s->params.data;
}

/* Record a command the gateway answers itself with an error. */
static void refuse(struct session *s, uint16_t code, const char *state,
                   const char *msg, const void *text, size_t text_len)
{
	struct store_stmt *st;
	struct store_stmt_result r = {
		.status = STORE_STMT_REFUSED,
		.rows_affected = -1,
		.rows_returned = -1,
		.error_code = code,
		.error_message = msg,
	};
	struct store_stmt_info info = {
		.session_id = s->id,
		.seq = ++s->stmt_seq,
		.started_us = core_wall_us(),
		.command = s->cmd_byte,
		.command_name = mysql_command_name(s->cmd_byte),
		.text = text,
		.text_len = text_len,
	};

	verdict_info(s, &info);
	remember(s, &info);
	st = store_stmt_begin(s->proxy->store, &info);
	if (st)
		store_stmt_done(s->proxy->store, st, &r);
	send_err(s, code, state, msg);
}

/* Ends the session at a statement boundary when its time is up. */
static bool session_expired(struct session *s)
{
	const struct cfg_gateway *g = &s->proxy->cfg->gateway;
	char msg[300];

	if (g->close_on_token_expiry && s->principal &&
	    s->principal->expires_at <= core_wall_us() / 1000000) {
		snprintf(msg, sizeof msg,
		         "agentgate: the session's token has expired; reconnect with "
		         "a fresh token");
		send_err(s, ER_CONNECTION_KILLED, "70100", msg);
		session_close(s, "token expired");
		return true;
	}
	if (g->max_session_lifetime &&
	    core_mono_ms() - s->started_ms >= g->max_session_lifetime) {
		snprintf(msg, sizeof msg,
		         "agentgate: the session reached its maximum lifetime; "
		         "reconnect");
		send_err(s, ER_CONNECTION_KILLED, "70100", msg);
		session_close(s, "maximum session lifetime reached");
		return true;
	}
	return false;
}

/* Next wake-up while idle: idle timeout, token expiry, lifetime. */
static void arm_ready_timer(struct session *s)
{
	const struct cfg_gateway *g = &s->proxy->cfg->gateway;
	uint64_t now = core_mono_ms();
	uint64_t ms = UINT64_MAX;

	if (g->idle_timeout) {
		uint64_t idle = now - s->last_activity_ms;
		ms = idle < g->idle_timeout ? g->idle_timeout - idle : 0;
	}
	if (g->close_on_token_expiry && s->principal) {
		int64_t left = s->principal->expires_at * 1000 -
		               core_wall_us() / 1000;
		/* +1: wake just after the second of expiry, not just before. */
		uint64_t l = left > 0 ? (uint64_t)left + 1 : 0;
		if (l < ms)
			ms = l;
	}
	if (g->max_session_lifetime) {
		uint64_t age = now - s->started_ms;
		uint64_t l = age < g->max_session_lifetime
		                 ? g->max_session_lifetime - age
		                 : 0;
		if (l < ms)
			ms = l;
	}
	if (ms != UINT64_MAX)
		arm_timer(s, ms);
	else
		evtimer_del(s->timer);
}

static void start_answer(struct session *s, enum resp_kind kind, bool execute)
{
	forward_command(s);
	if (kind == RESP_NONE)
		return;
	resp_begin(&s->resp, kind, execute);
	s->cmd_started_us = (uint64_t)core_wall_us();
	set_state(s, SESSION_COMMAND);
}

/* The durable record of a statement that may change data: forward it now,
 * or refuse it when the record could not be written. */
static void durable_cb(void *arg, bool ok, const char *why)
{
	struct session *s = arg;
	char msg[300];

	if (closing(s) || s->state != SESSION_RECORDING)
		return;
	if (ok) {
		start_answer(s, s->pending_kind, s->pending_execute);
		return;
	}
	snprintf(msg, sizeof msg,
	         "agentgate: statement refused: its audit record could not be "
	         "written (%s)",
	         why ? why : "audit store unavailable");
	store_stmt_done(s->proxy->store, s->stmt,
	                &(struct store_stmt_result){
	                    .status = STORE_STMT_REFUSED,
	                    .rows_affected = -1,
	                    .rows_returned = -1,
	                    .error_code = ER_OPTION_PREVENTS_STATEMENT,
	                    .error_message = msg,
	                });
	s->stmt = NULL;
	send_err(s, ER_OPTION_PREVENTS_STATEMENT, "HY000", msg);
	set_state(s, SESSION_READY);
	s->last_activity_ms = core_mono_ms();
	arm_ready_timer(s);
	process_commands(s);
}

/* Refuses the command at hand when no statement may run unrecorded (the
 * audit queue is full or PostgreSQL has been away past its grace). */
static bool store_refuses(struct session *s)
{
	const char *why = NULL;
	char msg[300];

	if (store_accepting(s->proxy->store, &why))
		return false;
	snprintf(msg, sizeof msg,
	         "agentgate: statement refused: the audit store is unavailable "
	         "(%s)",
	         why);
	send_err(s, ER_OPTION_PREVENTS_STATEMENT, "HY000", msg);
	return true;
}

/* Forward the command in s->cmd, recording it first when `record`.
 * Statements that may change data (classified and not read) are recorded
 * durably — committed in PostgreSQL — before they are forwarded. */
static void forward(struct session *s, enum resp_kind kind, bool execute,
                    bool record, const void *text, size_t text_len)
{
	struct store_stmt_info info;
	bool durable = s->verdict.classified && s->verdict.cls != SQL_READ;

	if (record) {
		if (store_refuses(s))
			return;
		s->cmd_started_us = (uint64_t)core_wall_us();
		info = (struct store_stmt_info){
		    .session_id = s->id,
		    .seq = ++s->stmt_seq,
		    .started_us = (int64_t)s->cmd_started_us,
		    .command = s->cmd_byte,
		    .command_name = mysql_command_name(s->cmd_byte),
		    .text = text,
		    .text_len = text_len,
		};
		verdict_info(s, &info);
		remember(s, &info);
		if (durable)
			s->stmt = store_stmt_begin_durable(s->proxy->store, &info,
			                                   durable_cb, s);
		else
			s->stmt = store_stmt_begin(s->proxy->store, &info);
		if (!s->stmt) {
			send_err(s, ER_OPTION_PREVENTS_STATEMENT, "HY000",
			         "agentgate: statement refused: the audit queue is full");
			return;
		}
		s->statements++;
		if (durable) {
			s->pending_kind = kind;
			s->pending_execute = execute;
			set_state(s, SESSION_RECORDING);
			return;
		}
	}
	start_answer(s, kind, execute);
}

/* Classifies SQL text into s->verdict under the session's policy. `single`:
 * the server runs at most one statement of it (a prepare, or multi-
 * statements off). */
static void classify_text(struct session *s, const void *text, size_t len,
                          bool single)
{
	struct classification c;
	struct classify_opts o = {
		.functions_are_reads = s->proxy->cfg->gateway.functions_are_reads,
		.single_statement = single,
	};

	proxy_classify(text, len, &o, &c);
	s->verdict.classified = true;
	s->verdict.cls = c.cls;
	s->verdict.action = s->policy.action[c.cls];
	snprintf(s->verdict.reason, sizeof s->verdict.reason, "%s%s", c.reason,
	         (c.flags & CLASSIFY_SLEEP) ? " (may stall the server)" : "");
}

/* A verdict without text: commands whose class is fixed. */
static void classify_fixed(struct session *s, enum sql_class cls,
                           const char *reason)
{
	s->verdict.classified = true;
	s->verdict.cls = cls;
	s->verdict.action = s->policy.action[cls];
	snprintf(s->verdict.reason, sizeof s->verdict.reason, "%s", reason);
}

/* ------------------------------------------------------------ review */

/* Back to idle after the gateway answered a command itself. */
static void command_answered(struct session *s)
{
	set_state(s, SESSION_READY);
	s->last_activity_ms = core_mono_ms();
	if (session_expired(s))
		return;
	arm_ready_timer(s);
	process_commands(s);
}

/* The last statements of the session as a JSON array, for reviewers. */
static void context_json(const struct session *s, struct core_buf *out)
{
	size_t n = s->n_recent;

	wr_u8(out, '[');
	for (size_t i = 0; i < n; i++) {
		const struct recent *r =
		    &s->recent[(s->recent_next + RECENT_MAX - n + i) % RECENT_MAX];
		if (i)
			wr_u8(out, ',');
		core_buf_printf(out, "{\"seq\":%llu,\"at_us\":%lld,\"class\":\"%s\","
		                     "\"decision\":\"%s\",\"sql\":",
		                (unsigned long long)r->seq, (long long)r->at_us,
		                r->cls, r->decision);
		core_buf_json_string(out, r->text, r->text_len);
		wr_u8(out, '}');
	}
	wr_u8(out, ']');
	wr_u8(out, 0);
}

/* Keeps a statement for the context of later reviews. */
static void remember(struct session *s, const struct store_stmt_info *i)
{
	size_t keep = (size_t)s->proxy->cfg->approvals.context_statements;
	struct recent *r;

	if (keep == 0 || !i->cls)
		return;
	if (keep > RECENT_MAX)
		keep = RECENT_MAX;
	r = &s->recent[s->recent_next];
	s->recent_next = (s->recent_next + 1) % RECENT_MAX;
	if (s->n_recent < keep)
		s->n_recent++;
	r->seq = i->seq;
	r->at_us = i->started_us;
	/* Runs for every recorded statement: keep pointers to the static
	 * names, copy only (the start of) the text. */
	r->cls = i->cls;
	r->decision = i->decision ? i->decision : "";
	r->text_len = i->text_len < RECENT_TEXT_MAX ? i->text_len
	                                            : RECENT_TEXT_MAX;
	if (i->text && r->text_len)
		memcpy(r->text, i->text, r->text_len);
	else
		r->text_len = 0;
}

static void held_done(void *arg, const struct approval_end *e)
{
	struct session *s = arg;
	const struct verdict *v = &s->verdict;
	char msg[900];
	const char *url = approvals_public_url(s->proxy->approvals);

	s->approval_wait = NULL;
	if (closing(s) || s->state != SESSION_HELD)
		return;
	if (e->run) {
		uint8_t sha[32];
		if (!EVP_Digest(s->held_text ? s->held_text : "", s->held_len, sha,
		                NULL, EVP_sha256(), NULL))
			memset(sha, 0, sizeof sha);
		if (!e->sha256 || memcmp(sha, e->sha256, sizeof sha) != 0) {
			/* Never run bytes the reviewer did not see. */
			log_error("session %s: request %s: the approved statement's "
			          "digest does not match the held statement",
			          s->id, s->approval_id);
			refuse(s, ER_TABLEACCESS_DENIED, "42000",
			       "agentgate: the approved statement does not match the "
			       "held one; it did not run",
			       s->held_text, s->held_len);
			command_answered(s);
			return;
		}
		log_info("session %s: request %s approved by %s; running it", s->id,
		         s->approval_id, e->decided_by ? e->decided_by : "?");
		forward(s, s->held_kind, s->held_execute, true, s->held_text,
		        s->held_len);
		return;
	}
	if (!strcmp(e->state, "denied"))
		snprintf(msg, sizeof msg,
		         "agentgate: %s statement denied by reviewer %s%s%s "
		         "(request %s)",
		         sql_class_name(v->cls),
		         e->decided_by ? e->decided_by : "(unknown)",
		         e->comment ? ": " : "", e->comment ? e->comment : "",
		         s->approval_id);
	else if (!strcmp(e->state, "expired"))
		snprintf(msg, sizeof msg,
		         "agentgate: review request %s expired: no reviewer decided "
		         "within %llu s; the statement did not run",
		         s->approval_id,
		         (unsigned long long)(s->proxy->cfg->approvals.review_timeout /
		                              1000));
	else if (!strcmp(e->state, "cancelled"))
		snprintf(msg, sizeof msg,
		         "agentgate: review request %s was cancelled (%s); the "
		         "statement did not run",
		         s->approval_id, e->reason ? e->reason : "no reason given");
	else
		snprintf(msg, sizeof msg,
		         "agentgate: review request %s: %s; the statement did not "
		         "run%s%s",
		         s->approval_id, e->reason ? e->reason : e->state,
		         url ? "; see " : "", url ? url : "");
	log_info("session %s: request %s %s", s->id, s->approval_id, e->state);
	refuse(s, ER_TABLEACCESS_DENIED, "42000", msg, s->held_text, s->held_len);
	command_answered(s);
}

static void submit_done(void *arg, enum approval_outcome o, const char *id,
                        const char *detail)
{
	struct session *s = arg;
	const struct verdict *v = &s->verdict;
	const struct cfg_approvals *c = &s->proxy->cfg->approvals;
	const char *url = approvals_public_url(s->proxy->approvals);
	char msg[900];

	s->approval_op = NULL;
	if (closing(s) || s->state != SESSION_SUBMITTING)
		return;
	if (id)
		snprintf(s->approval_id, sizeof s->approval_id, "%s", id);
	switch (o) {
	case APPROVAL_CREATED:
		if (s->policy.review[v->cls].mode == REVIEW_HOLD) {
			log_info("session %s: %s statement held for review as request "
			         "%s",
			         s->id, sql_class_name(v->cls), id);
			set_state(s, SESSION_HELD);
			s->approval_wait = approvals_wait(s->proxy->approvals, id, s->id,
			                                  c->review_timeout, held_done, s);
			return;
		}
		/* deferred */
		__attribute__((fallthrough));
	case APPROVAL_PENDING: {
		char link[300] = "";
		if (url)
			snprintf(link, sizeof link, " at %s/requests/%s", url, id);
		snprintf(msg, sizeof msg,
		         "agentgate: %s statement needs review: request %s is "
		         "pending%s; once it is approved, send the identical "
		         "statement again within %llu s",
		         sql_class_name(v->cls), id, link,
		         (unsigned long long)(c->deferred_window / 1000));
		break;
	}
	case APPROVAL_RUN:
		log_info("session %s: approved request %s re-sent; running it",
		         s->id, id);
		forward(s, s->held_kind, s->held_execute, true, s->held_text,
		        s->held_len);
		return;
	case APPROVAL_REFUSED:
	case APPROVAL_FAILED:
	default:
		/* A bound was reached, or PostgreSQL did not take the request. */
		snprintf(msg, sizeof msg,
		         o == APPROVAL_REFUSED
		             ? "agentgate: %s statement needs review but cannot be "
		               "submitted: %s"
		             : "agentgate: %s statement needs review but the "
		               "approval store is unavailable (%s); it did not run",
		         sql_class_name(v->cls), detail);
		s->approval_id[0] = '\0';
		refuse(s, ER_OPTION_PREVENTS_STATEMENT, "HY000", msg, s->held_text,
		       s->held_len);
		command_answered(s);
		return;
	}
	refuse(s, ER_TABLEACCESS_DENIED, "42000", msg, s->held_text, s->held_len);
	command_answered(s);
}

/* A statement the policy sends to review: run under a grant, or submit it
 * and hold the session (or answer at once, deferred). */
static void review(struct session *s, enum resp_kind kind, bool execute,
                   const void *text, size_t text_len)
{
	const struct verdict *v = &s->verdict;
	const struct cfg_approvals *c = &s->proxy->cfg->approvals;
	struct core_buf ctx = {0};
	char msg[400];

	if (approvals_grant_find(s->proxy->approvals, s->agent_id,
	                         s->connection, v->cls, s->grant_id)) {
		snprintf(s->grant_policy, sizeof s->grant_policy, "grant %s (%s)",
		         s->grant_id, s->policy.source[v->cls]);
		forward(s, kind, execute, true, text, text_len);
		return;
	}
	if (text_len > c->max_statement_size) {
		snprintf(msg, sizeof msg,
		         "agentgate: %s statement needs review but is too large to "
		         "review (%zu bytes; max_statement_size is %llu)",
		         sql_class_name(v->cls), text_len,
		         (unsigned long long)c->max_statement_size);
		refuse(s, ER_TABLEACCESS_DENIED, "42000", msg, text, text_len);
		return;
	}
	if (store_refuses(s))
		return;
	s->held_kind = kind;
	s->held_execute = execute;
	s->held_text = text;
	s->held_len = text_len;
	context_json(s, &ctx);
	{
		const struct idp_principal *pr = s->principal;
		struct approval_submit req = {
		    .review = &s->policy.review[v->cls],
		    .session_id = s->id,
		    .seq = s->stmt_seq + 1,
		    .agent_id = s->agent_id,
		    .agent_name = s->agent_name,
		    .idp = pr ? pr->idp : NULL,
		    .issuer = pr ? pr->issuer : "",
		    .subject = pr ? pr->subject : "",
		    .connection = s->connection,
		    .client_addr = s->client_addr,
		    .command = s->cmd_byte,
		    .cls = v->cls,
		    .reason = v->reason,
		    .policy = s->policy.source[v->cls],
		    .sql = text ? text : "",
		    .sql_len = text ? text_len : 0,
		    .params = (s->cmd_byte == COM_STMT_EXECUTE && s->params.len)
		                  ? (const char *)s->params.data
		                  : NULL,
		    .context = (const char *)ctx.data,
		};
		set_state(s, SESSION_SUBMITTING);
		s->approval_op =
		    approvals_submit(s->proxy->approvals, &req, submit_done, s);
	}
	core_buf_free(&ctx);
}

/* Applies the verdict: refuses what the policy does not allow, hands what
 * needs review to the approval workflow, else records and forwards. */
static void decide(struct session *s, enum resp_kind kind, bool execute,
                   const void *text, size_t text_len)
{
	const struct verdict *v = &s->verdict;
	char msg[768];

	s->approval_id[0] = '\0';
	s->grant_id[0] = '\0';
	if (v->action == POLICY_ALLOW) {
		forward(s, kind, execute, true, text, text_len);
		return;
	}
	if (v->action == POLICY_REVIEW && s->proxy->approvals) {
		review(s, kind, execute, text, text_len);
		return;
	}
	snprintf(msg, sizeof msg, "agentgate: %s statement denied by %s: %s",
	         sql_class_name(v->cls), s->policy.source[v->cls], v->reason);
	log_info("session %s: refused %s statement (%s)", s->id,
	         sql_class_name(v->cls), policy_action_name(v->action));
	refuse(s, ER_TABLEACCESS_DENIED, "42000", msg, text, text_len);
}

static void dispatch(struct session *s)
{
	const uint8_t *p = s->cmd.data;
	size_t len = s->cmd.len;
	char msg[200];

	s->seq = s->cmd_seq;
	if (len == 0) {
		send_err(s, ER_MALFORMED_PACKET, "HY000",
		         "agentgate: empty command packet");
		session_close(s, "protocol violation: empty command");
		return;
	}
	s->cmd_byte = p[0];
	if (s->cmd_byte == COM_QUIT) {
		session_close(s, "client quit");
		return;
	}
	if (session_expired(s))
		return;
	s->verdict.classified = false;
	core_buf_reset(&s->params);
	switch (s->cmd_byte) {
	case COM_QUERY:
		classify_text(s, p + 1, len - 1, !s->multi_statements);
		decide(s, RESP_RESULT, false, p + 1, len - 1);
		return;
	case COM_STMT_PREPARE:
		/* Preparing runs nothing: only a class the policy denies outright
		 * is refused here; the rest is decided at each execution. */
		classify_text(s, p + 1, len - 1, true);
		if (s->verdict.action == POLICY_DENY) {
			decide(s, RESP_PREPARE, false, p + 1, len - 1);
			return;
		}
		free(s->pending_prepare);
		s->pending_prepare = core_xstrndup((const char *)p + 1, len - 1);
		s->pending_prepare_len = len - 1;
		s->pending_verdict = s->verdict;
		if (s->verdict.action != POLICY_ALLOW) {
			/* The record says why this prepare ran although the class
			 * is not allowed outright. */
			s->verdict.action = POLICY_ALLOW;
			snprintf(s->verdict.reason, sizeof s->verdict.reason,
			         "%.*s; prepare only: each execution needs %s",
			         CLASSIFY_REASON_MAX - 1, s->pending_verdict.reason,
			         policy_action_name(s->pending_verdict.action));
		}
		forward(s, RESP_PREPARE, false, true, p + 1, len - 1);
		return;
	case COM_STMT_EXECUTE: {
		struct cursor c;
		uint8_t h;
		uint32_t id = 0;
		struct prepared *ps;
		cursor_init(&c, p, len);
		if (!rd_u8(&c, &h) || !rd_u32le(&c, &id)) {
			send_err(s, ER_MALFORMED_PACKET, "HY000",
			         "agentgate: malformed COM_STMT_EXECUTE");
			return;
		}
		ps = find_prepared(s, id);
		if (ps) {
			if (!proxy_decode_params(p, len, ps, &s->params)) {
				core_buf_reset(&s->params);
				core_buf_append_str(&s->params, "\"<malformed parameters>\"");
			}
			wr_u8(&s->params, 0);
			proxy_clear_long_data(ps);
			classify_fixed(s, ps->cls, ps->reason);
		} else {
			classify_fixed(s, SQL_UNKNOWN, "unknown prepared statement id");
		}
		decide(s, RESP_RESULT, true, ps ? ps->sql : NULL, ps ? ps->len : 0);
		return;
	}
	case COM_INIT_DB:
		classify_fixed(s, SQL_SESSION, "COM_INIT_DB changes the default database");
		decide(s, RESP_OK, false, p + 1, len - 1);
		return;
	case COM_RESET_CONNECTION:
		classify_fixed(s, SQL_SESSION, "COM_RESET_CONNECTION resets the session");
		if (s->verdict.action == POLICY_ALLOW)
			drop_all_prepared(s);
		decide(s, RESP_OK, false, NULL, 0);
		return;
	case COM_FIELD_LIST:
		classify_fixed(s, SQL_READ, "COM_FIELD_LIST lists columns");
		decide(s, RESP_FIELDS, false, p + 1, len - 1);
		return;
	case COM_STMT_RESET: {
		struct cursor c;
		uint8_t h;
		uint32_t id;
		struct prepared *ps;
		cursor_init(&c, p, len);
		if (rd_u8(&c, &h) && rd_u32le(&c, &id) && (ps = find_prepared(s, id)))
			proxy_clear_long_data(ps);
		forward(s, RESP_OK, false, false, NULL, 0);
		return;
	}
	case COM_PING:
		forward(s, RESP_OK, false, false, NULL, 0);
		return;
	case COM_SET_OPTION: {
		struct cursor c;
		uint8_t h;
		uint16_t opt;
		cursor_init(&c, p, len);
		if (!rd_u8(&c, &h) || !rd_u16le(&c, &opt) || c.len != c.pos ||
		    (opt != MYSQL_OPTION_MULTI_STATEMENTS_ON &&
		     opt != MYSQL_OPTION_MULTI_STATEMENTS_OFF)) {
			send_err(s, ER_UNKNOWN_COM_ERROR, "08S01",
			         "agentgate: malformed COM_SET_OPTION");
			return;
		}
		classify_fixed(s, SQL_SESSION,
		               opt == MYSQL_OPTION_MULTI_STATEMENTS_ON
		                   ? "COM_SET_OPTION turns multi-statements on"
		                   : "COM_SET_OPTION turns multi-statements off");
		s->pending_set_option = opt;
		decide(s, RESP_OK, false, NULL, 0);
		return;
	}
	case COM_STATISTICS:
		forward(s, RESP_RAW, false, false, NULL, 0);
		return;
	case COM_STMT_FETCH:
		forward(s, RESP_ROWS, false, false, NULL, 0);
		return;
	case COM_STMT_SEND_LONG_DATA: {
		struct cursor c;
		uint8_t h;
		uint32_t id;
		uint16_t param;
		struct prepared *ps;
		cursor_init(&c, p, len);
		if (rd_u8(&c, &h) && rd_u32le(&c, &id) && rd_u16le(&c, &param) &&
		    (ps = find_prepared(s, id)))
			proxy_note_long_data(ps, param);
		forward(s, RESP_NONE, false, false, NULL, 0);
		return;
	}
	case COM_STMT_CLOSE: {
		struct cursor c;
		uint8_t h;
		uint32_t id;
		cursor_init(&c, p, len);
		if (rd_u8(&c, &h) && rd_u32le(&c, &id))
			drop_prepared(s, id);
		forward(s, RESP_NONE, false, false, NULL, 0);
		return;
	}
	case COM_CHANGE_USER:
		refuse(s, ER_SPECIFIC_ACCESS_DENIED, "42000",
		       "agentgate: COM_CHANGE_USER is refused: a session's identity "
		       "is fixed at login",
		       NULL, 0);
		return;
	case COM_SLEEP:
	case COM_CREATE_DB:
	case COM_DROP_DB:
	case COM_REFRESH:
	case COM_SHUTDOWN:
	case COM_PROCESS_INFO:
	case COM_CONNECT:
	case COM_PROCESS_KILL:
	case COM_DEBUG:
	case COM_TIME:
	case COM_DELAYED_INSERT:
	case COM_BINLOG_DUMP:
	case COM_TABLE_DUMP:
	case COM_CONNECT_OUT:
	case COM_REGISTER_SLAVE:
	case COM_DAEMON:
	case COM_BINLOG_DUMP_GTID:
		snprintf(msg, sizeof msg,
		         "agentgate: %s is not allowed through the gateway",
		         mysql_command_name(s->cmd_byte));
		refuse(s, ER_SPECIFIC_ACCESS_DENIED, "42000", msg, NULL, 0);
		return;
	default:
		snprintf(msg, sizeof msg, "agentgate: unknown command 0x%02x",
		         s->cmd_byte);
		refuse(s, ER_UNKNOWN_COM_ERROR, "08S01", msg, NULL, 0);
		return;
	}
}

/* Reads and handles whole client messages while the session can. */
static void process_commands(struct session *s)
{
	const struct cfg_gateway *g = &s->proxy->cfg->gateway;

	while (!closing(s) &&
	       (s->state == SESSION_READY || is_login_state(s))) {
		bool login = is_login_state(s);
		enum take t;

		if (s->state == SESSION_VERIFYING || s->state == SESSION_LOOKUP ||
		    s->state == SESSION_BACKEND) {
			/* The client must wait for our answer. */
			if (evbuffer_get_length(bufferevent_get_input(s->client)) >
			    g->max_packet_size_auth) {
				session_close(s, "protocol violation: data during login");
			}
			return;
		}
		if (!s->msg_started)
			core_buf_reset(&s->cmd);
		t = take_message(s, login ? g->max_packet_size_auth
		                          : g->max_packet_size,
		                 login ? s->seq : 0);
		if (t == TAKE_NEED_MORE)
			return;
		if (t == TAKE_BAD_SEQ) {
			s->seq = s->cmd_seq;
			send_err(s, ER_NET_PACKETS_OUT_OF_ORDER, "08S01",
			         "agentgate: got packets out of order");
			if (login)
				audit_login(s, false, "packets out of order");
			session_close(s, "protocol violation: packets out of order");
			return;
		}
		if (t == TAKE_TOO_LARGE) {
			char msg[200];
			snprintf(msg, sizeof msg,
			         "agentgate: packet larger than %s (%llu bytes)",
			         login ? "max_packet_size_auth" : "max_packet_size",
			         (unsigned long long)(login ? g->max_packet_size_auth
			                                    : g->max_packet_size));
			s->seq = login ? s->seq + 1 : 1;
			send_err(s, ER_NET_PACKET_TOO_LARGE, "08S01", msg);
			if (login)
				audit_login(s, false, "packet too large");
			session_close(s, "packet too large");
			return;
		}
		if (login) {
			if (s->state == SESSION_TOKEN) {
				s->seq = s->cmd_seq;
				start_verify(s, s->cmd.data, s->cmd.len);
				core_buf_free(&s->cmd); /* wipes the token */
			} else {
				on_login_message(s);
				/* The first reply may hold a scramble or a token. */
				core_buf_free(&s->cmd);
			}
			continue;
		}
		evtimer_del(s->timer);
		dispatch(s);
		s->last_activity_ms = core_mono_ms();
		/* Refused or answered at once: do not keep a large command's
		 * buffer. A command waiting for its record still needs it. */
		if (s->state == SESSION_READY && s->cmd.cap > CMD_BUFFER_KEEP)
			core_buf_free(&s->cmd);
		if (s->state == SESSION_READY)
			arm_ready_timer(s);
	}
}

/* ------------------------------------------------------------ relay */

static void command_done(struct session *s)
{
	struct resp *r = &s->resp;

	if (s->stmt) {
		struct store_stmt_result res = {
			.status = r->is_error ? STORE_STMT_ERROR : STORE_STMT_OK,
			.duration_us = core_wall_us() - (int64_t)s->cmd_started_us,
			.rows_affected = r->is_error ? -1 : (int64_t)r->affected_rows,
			.rows_returned = (int64_t)r->rows,
			.error_code = r->is_error ? r->err.code : 0,
			.error_message = r->is_error ? r->err.message : NULL,
		};
		store_stmt_done(s->proxy->store, s->stmt, &res);
		s->stmt = NULL;
	}
	if (s->cmd_byte == COM_STMT_PREPARE && !r->is_error &&
	    s->pending_prepare) {
		if (s->n_prepared < MAX_PREPARED) {
			if (s->n_prepared == s->cap_prepared) {
				s->cap_prepared = s->cap_prepared ? s->cap_prepared * 2 : 8;
				s->prepared = reallocarray(s->prepared, s->cap_prepared,
				                           sizeof *s->prepared);
				if (!s->prepared)
					abort();
			}
			drop_prepared(s, r->stmt_id);
			s->prepared[s->n_prepared++] = (struct prepared){
			    .id = r->stmt_id,
			    .sql = s->pending_prepare,
			    .len = s->pending_prepare_len,
			    .n_params = r->prep_params,
			    .cls = s->pending_verdict.cls,
			};
			snprintf(s->prepared[s->n_prepared - 1].reason,
			         sizeof s->prepared[s->n_prepared - 1].reason, "%s",
			         s->pending_verdict.reason);
			s->pending_prepare = NULL;
		}
	}
	if (s->cmd_byte == COM_SET_OPTION && !r->is_error &&
	    s->pending_set_option >= 0)
		s->multi_statements =
		    s->pending_set_option == MYSQL_OPTION_MULTI_STATEMENTS_ON;
	s->pending_set_option = -1;
	free(s->pending_prepare);
	s->pending_prepare = NULL;
	set_state(s, SESSION_READY);
	s->last_activity_ms = core_mono_ms();
	if (session_expired(s))
		return;
	arm_ready_timer(s);
	process_commands(s);
}

static void protocol_error(struct session *s, const char *why)
{
	log_warn("session %s: backend broke the protocol: %s", s->id, why);
	session_close(s, why);
}

static void server_read_cb(struct bufferevent *bev, void *arg)
{
	struct session *s = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer *out;
	uint64_t high = s->proxy->cfg->gateway.client_high_watermark;

	if (closing(s))
		return;
	out = bufferevent_get_output(s->client);
	for (;;) {
		size_t avail = evbuffer_get_length(in);
		uint8_t *p;
		size_t len, have;
		enum resp_step step;

		if (s->pkt_remaining > 0) {
			size_t n = avail < s->pkt_remaining ? avail : s->pkt_remaining;
			if (n == 0)
				break;
			evbuffer_remove_buffer(in, s->staging, n);
			s->pkt_remaining -= n;
			s->bytes_to_client += n;
			if (s->pkt_remaining == 0 && s->resp_done_after_pkt) {
				s->resp_done_after_pkt = false;
				/* The answer reaches the client before anything the
				 * next command may bring. */
				send_buffer(s->client, s->staging);
				command_done(s);
				if (closing(s))
					return;
				continue;
			}
			if (evbuffer_get_length(s->staging) >= RELAY_CHUNK) {
				send_buffer(s->client, s->staging);
				if (evbuffer_get_length(out) > high)
					break; /* paused below, resumed by client_write_cb */
			}
			continue;
		}
		if (avail < MYSQL_HEADER_LEN)
			break;
		if (s->state != SESSION_COMMAND) {
			protocol_error(s, "backend sent data while no command was "
			                  "running");
			return;
		}
		p = evbuffer_pullup(in, MYSQL_HEADER_LEN + (avail > MYSQL_HEADER_LEN));
		len = (size_t)p[0] | (size_t)p[1] << 8 | (size_t)p[2] << 16;
		have = avail - MYSQL_HEADER_LEN < len ? avail - MYSQL_HEADER_LEN : len;
		step = resp_packet(&s->resp, p + MYSQL_HEADER_LEN, have > 0 ? 1 : 0,
		                   len);
		if (step == RESP_STEP_NEED_WHOLE) {
			if (have < len) {
				/* A small control packet (OK, ERR, EOF, column count) is
				 * still arriving. */
				break;
			}
			p = evbuffer_pullup(in, (ssize_t)(MYSQL_HEADER_LEN + len));
			step = resp_packet(&s->resp, p + MYSQL_HEADER_LEN, len, len);
		}
		if (step == RESP_STEP_NEED_WHOLE || step == RESP_STEP_BAD) {
			if (s->resp.local_infile) {
				send_err(s, ER_SPECIFIC_ACCESS_DENIED, "42000",
				         "agentgate: LOAD DATA LOCAL INFILE is not allowed");
				session_close(s, "server requested a local file");
				return;
			}
			protocol_error(s, "malformed answer from the backend");
			return;
		}
		s->pkt_remaining = MYSQL_HEADER_LEN + len;
		s->resp_done_after_pkt = step == RESP_STEP_DONE;
	}
	send_buffer(s->client, s->staging);
	if (evbuffer_get_length(out) > high && !s->backend_paused) {
		/* The client reads slower than the backend writes: stop reading
		 * the backend until the client has taken half. */
		s->backend_paused = true;
		bufferevent_disable(s->server, EV_READ);
	}
}

static void server_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct session *s = arg;

	(void)bev;
	if (closing(s))
		return;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		if (s->state == SESSION_COMMAND && s->pkt_remaining == 0 &&
		    s->resp.state == RS_FIRST && s->resp.rows == 0) {
			s->seq = 1;
			send_err(s, ER_NET_READ_ERROR, "08S01",
			         "agentgate: lost the connection to the backend during "
			         "the statement");
		}
		session_close(s, "backend connection lost");
	}
}

/* ---------------------------------------------------- client events */

static void client_read_cb(struct bufferevent *bev, void *arg)
{
	struct session *s = arg;

	(void)bev;
	if (closing(s)) {
		evbuffer_drain(bufferevent_get_input(bev),
		               evbuffer_get_length(bufferevent_get_input(bev)));
		return;
	}
	/* While a command runs, further input waits (bounded by the read
	 * watermark) until the answer is complete. */
	if (s->state == SESSION_COMMAND)
		return;
	process_commands(s);
}

static void client_write_cb(struct bufferevent *bev, void *arg)
{
	struct session *s = arg;
	uint64_t high = s->proxy->cfg->gateway.client_high_watermark;

	if (closing(s)) {
		if (!output_pending(s))
			event_active(s->free_ev, 0, 0);
		return;
	}
	if (s->backend_paused &&
	    evbuffer_get_length(bufferevent_get_output(bev)) <= high / 2) {
		s->backend_paused = false;
		bufferevent_enable(s->server, EV_READ);
		/* Bytes already read from the backend are waiting. */
		server_read_cb(s->server, s);
	}
}

static void client_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct session *s = arg;

	(void)bev;
	if (closing(s)) {
		if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
			event_active(s->free_ev, 0, 0);
		return;
	}
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		if (is_login_state(s)) {
			unsigned long e = s->tls ? bufferevent_get_openssl_error(bev) : 0;
			char why[200];
			if (e)
				snprintf(why, sizeof why, "TLS handshake failed: %s",
				         ERR_reason_error_string(e)
				             ? ERR_reason_error_string(e)
				             : "unknown");
			else
				snprintf(why, sizeof why,
				         "client disconnected during login");
			audit_login(s, false, why);
			session_close(s, why);
			return;
		}
		session_close(s, s->state == SESSION_COMMAND
		                     ? "client disconnected during a statement"
		                     : "client disconnected");
	}
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct session *s = arg;
	char msg[200];

	(void)fd;
	(void)what;
	if (closing(s)) {
		/* Free once the last packet is out, or when it took too long. */
		if (output_pending(s) && core_mono_ms() < s->close_deadline_ms)
			arm_timer(s, CLOSE_POLL_MS);
		else
			event_active(s->free_ev, 0, 0);
		return;
	}
	if (is_login_state(s)) {
		snprintf(msg, sizeof msg,
		         "agentgate: login did not complete within %llu ms",
		         (unsigned long long)s->proxy->cfg->gateway.handshake_timeout);
		send_err(s, ER_HANDSHAKE_ERROR, "08S01", msg);
		audit_login(s, false, "handshake timeout");
		session_close(s, "handshake timeout");
		return;
	}
	if (s->state == SESSION_READY) {
		const struct cfg_gateway *g = &s->proxy->cfg->gateway;
		s->seq = 1;
		if (session_expired(s))
			return;
		if (g->idle_timeout &&
		    core_mono_ms() - s->last_activity_ms >= g->idle_timeout) {
			send_err(s, ER_CONNECTION_KILLED, "70100",
			         "agentgate: session closed after being idle too long");
			session_close(s, "idle timeout");
			return;
		}
		arm_ready_timer(s);
	}
}

/* ------------------------------------------------------ revocation */

size_t proxy_close_agent(struct proxy *p, int64_t agent_id,
                         const char *reason)
{
	char msg[400], why[400];
	size_t n = 0;

	snprintf(msg, sizeof msg, "agentgate: agent revoked: %s", reason);
	snprintf(why, sizeof why, "agent revoked: %s", reason);
	for (struct session *s = p->sessions; s; s = s->next) {
		if (s->agent_id != agent_id || closing(s))
			continue;
		if (s->state == SESSION_READY || s->state == SESSION_RECORDING ||
		    s->state == SESSION_SUBMITTING || s->state == SESSION_HELD) {
			/* Idle: the answer to the client's next command; waiting for
			 * its record or its review: the answer to the command at
			 * hand. */
			if (s->state == SESSION_READY)
				s->seq = 1;
			send_err(s, ER_CONNECTION_KILLED, "70100", msg);
		} else if (is_login_state(s)) {
			send_err(s, ER_ACCESS_DENIED, "28000", msg);
		}
		session_close(s, why);
		n++;
	}
	if (n)
		log_info("closed %zu session(s) of revoked agent %lld", n,
		         (long long)agent_id);
	return n;
}

size_t proxy_session_count(const struct proxy *p)
{
	return p->n_sessions;
}

void proxy_policies_changed(struct proxy *p)
{
	size_t n = 0;

	for (struct session *s = p->sessions; s; s = s->next) {
		/* Sessions still before the agent lookup evaluate the policy
		 * when they get there. */
		if (closing(s) || s->state < SESSION_BACKEND)
			continue;
		session_evaluate_policy(s);
		n++;
	}
	if (n)
		log_info("policies changed: re-evaluated %zu session(s)", n);
}
