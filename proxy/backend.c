/*
 * Backend login: connects to the MySQL server of a connection, optionally
 * upgrades to TLS, and logs in with the gateway-held credential using
 * mysql_native_password or caching_sha2_password (fast path, and full
 * authentication over TLS or with the server's RSA key), following auth
 * switches. The capabilities it asks for are those agreed with the client,
 * so that every later packet can be relayed unchanged.
 *
 * It reports to the session through session_backend_ready() or
 * session_backend_failed(); the password never leaves this file except
 * scrambled, and error details stay in the gateway log.
 */
#include <arpa/inet.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "idp/idp.h"
#include "proxy/internal.h"

/* Login packets from a server are small. */
#define BACKEND_MAX_LOGIN_PACKET 65536

/* Client flags forwarded from the client's agreement to the backend. */
#define BACKEND_PASS_CAPS                                                   \
	(CLIENT_FOUND_ROWS | CLIENT_LONG_FLAG | CLIENT_ODBC |                   \
	 CLIENT_IGNORE_SPACE | CLIENT_INTERACTIVE | CLIENT_IGNORE_SIGPIPE |     \
	 CLIENT_MULTI_STATEMENTS | CLIENT_MULTI_RESULTS |                       \
	 CLIENT_PS_MULTI_RESULTS | CLIENT_TRANSACTIONS | CLIENT_LONG_PASSWORD)

static void backend_read_cb(struct bufferevent *bev, void *arg);
static void backend_event_cb(struct bufferevent *bev, short what, void *arg);

static void fail(struct session *s, const char *why)
{
	log_warn("session %s: backend %s: %s", s->id, s->backend->cfg->name, why);
	session_backend_failed(s, ER_BACKEND_UNAVAILABLE, why);
}

static void send_packet(struct session *s, const void *payload, size_t len)
{
	struct core_buf b = {0};

	mysql_frame(&b, &s->bseq, payload, len);
	bufferevent_write(s->server, b.data, b.len);
	core_buf_free(&b);
}

/* Takes one whole packet from the backend, if there is one. */
static int take_packet(struct session *s, struct core_buf *out)
{
	struct evbuffer *in = bufferevent_get_input(s->server);
	uint8_t h[MYSQL_HEADER_LEN];
	size_t len;

	if (evbuffer_get_length(in) < MYSQL_HEADER_LEN)
		return 0;
	evbuffer_copyout(in, h, sizeof h);
	len = (size_t)h[0] | (size_t)h[1] << 8 | (size_t)h[2] << 16;
	if (len > BACKEND_MAX_LOGIN_PACKET)
		return -1;
	if (evbuffer_get_length(in) < MYSQL_HEADER_LEN + len)
		return 0;
	evbuffer_drain(in, MYSQL_HEADER_LEN);
	core_buf_reset(out);
	core_buf_reserve(out, len);
	evbuffer_remove(in, out->data, len);
	out->len = len;
	s->bseq = (uint8_t)(h[3] + 1);
	return 1;
}

/* The credential of this session: the read-only one when its policy
 * allows nothing that could change data and the connection has one. */
static const char *backend_password(const struct session *s)
{
	return s->read_only ? s->backend->ro_password : s->backend->password;
}

/* Auth data for a plugin; false when the plugin is not supported. */
static bool auth_data(struct session *s, const char *plugin,
                      struct core_buf *out)
{
	const char *pw = backend_password(s);

	core_buf_reset(out);
	if (!strcmp(plugin, "mysql_native_password")) {
		uint8_t r[20];
		if (!*pw)
			return true;
		mysql_native_scramble(pw, s->bscramble, MYSQL_SCRAMBLE_LEN, r);
		wr_bytes(out, r, sizeof r);
		explicit_bzero(r, sizeof r);
		return true;
	}
	if (!strcmp(plugin, "caching_sha2_password")) {
		uint8_t r[32];
		if (!*pw)
			return true;
		mysql_sha2_scramble(pw, s->bscramble, MYSQL_SCRAMBLE_LEN, r);
		wr_bytes(out, r, sizeof r);
		explicit_bzero(r, sizeof r);
		return true;
	}
	if (!strcmp(plugin, "mysql_clear_password") && s->backend->cfg->tls) {
		wr_bytes(out, pw, strlen(pw) + 1);
		return true;
	}
	return false;
}

static bool host_is_ip(const char *host)
{
	struct in6_addr a;

	return inet_pton(AF_INET, host, &a) == 1 || inet_pton(AF_INET6, host, &a) == 1;
}

static void attr(struct core_buf *b, const char *k, const char *v)
{
	wr_lenenc_str(b, k, strlen(k));
	wr_lenenc_str(b, v, strlen(v));
}

static void send_login(struct session *s)
{
	const struct cfg_connection *c = s->backend->cfg;
	struct core_buf auth = {0}, pkt = {0}, attrs = {0};
	struct mysql_login l = {0};
	const char *plugin = s->bplugin;

	if (!auth_data(s, plugin, &auth)) {
		/* Start with native; the server switches us if it wants. */
		plugin = "mysql_native_password";
		if (!auth_data(s, plugin, &auth))
			abort();
	}
	/* The client's attributes, then ours, so the DBA sees who it is. */
	wr_bytes(&attrs, s->attrs.data, s->attrs.len);
	attr(&attrs, "agentgate_agent", s->agent_name);
	attr(&attrs, "agentgate_session", s->id);
	l.capabilities = s->bcaps;
	l.charset = s->charset;
	l.user = s->read_only ? c->readonly_user : c->user;
	l.auth = auth.data;
	l.auth_len = auth.len;
	l.database = s->database ? s->database : c->database;
	l.auth_plugin = plugin;
	l.attrs = attrs.data;
	l.attrs_len = attrs.len;
	mysql_build_login(&pkt, &l);
	send_packet(s, pkt.data, pkt.len);
	core_buf_free(&pkt);
	core_buf_free(&auth);
	core_buf_free(&attrs);
	s->bstate = BACKEND_AUTH;
}

static void on_greeting(struct session *s, const uint8_t *p, size_t len)
{
	const struct cfg_connection *c = s->backend->cfg;
	struct mysql_server_greeting g;
	char err[256];
	uint32_t want;

	if (!mysql_parse_greeting(p, len, &g, err, sizeof err)) {
		fail(s, err);
		return;
	}
	memcpy(s->bscramble, g.scramble, MYSQL_SCRAMBLE_LEN);
	snprintf(s->bplugin, sizeof s->bplugin, "%s", g.auth_plugin);
	want = (s->caps & BACKEND_PASS_CAPS) | CLIENT_PROTOCOL_41 |
	       CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH |
	       CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA | CLIENT_CONNECT_ATTRS;
	if (s->database || c->database)
		want |= CLIENT_CONNECT_WITH_DB;
	s->bcaps = want & g.capabilities;
	if (!(s->bcaps & CLIENT_PLUGIN_AUTH)) {
		fail(s, "server does not support pluggable authentication");
		return;
	}
	if (c->tls) {
		SSL *ssl;
		struct bufferevent *f;
		struct core_buf b = {0};

		if (!(g.capabilities & CLIENT_SSL)) {
			fail(s, "server does not offer TLS but the connection requires it");
			return;
		}
		s->bcaps |= CLIENT_SSL;
		mysql_build_ssl_request(&b, s->bcaps, s->charset);
		send_packet(s, b.data, b.len);
		core_buf_free(&b);
		ssl = SSL_new(s->backend->tls);
		if (!ssl) {
			fail(s, "cannot create TLS state");
			return;
		}
		if (host_is_ip(c->host)) {
			/* Names go in SNI; addresses are matched as IP SANs. */
			if (c->tls_verify)
				X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), c->host);
		} else {
			SSL_set_tlsext_host_name(ssl, c->host);
			if (c->tls_verify)
				SSL_set1_host(ssl, c->host);
		}
		f = bufferevent_openssl_filter_new(
		    s->proxy->base, s->server, ssl, BUFFEREVENT_SSL_CONNECTING,
		    BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
		if (!f) {
			SSL_free(ssl);
			fail(s, "cannot start TLS");
			return;
		}
		s->server = f;
		s->bstate = BACKEND_TLS;
		bufferevent_setcb(f, backend_read_cb, NULL, backend_event_cb, s);
		bufferevent_enable(f, EV_READ | EV_WRITE);
		return;
	}
	send_login(s);
}

static void on_auth_packet(struct session *s, const uint8_t *p, size_t len)
{
	struct core_buf auth = {0};
	struct cursor c;

	if (len == 0) {
		fail(s, "empty authentication packet");
		return;
	}
	switch (p[0]) {
	case 0x00:
		s->bstate = BACKEND_READY;
		session_backend_ready(s);
		return;
	case 0xFF: {
		struct mysql_err e;
		char why[600];
		if (mysql_parse_err(p, len, &e))
			snprintf(why, sizeof why, "login refused: %u (%s) %s", e.code,
			         e.state, e.message);
		else
			snprintf(why, sizeof why, "login refused (malformed error)");
		/* The agent learns that, not the server's words about our user. */
		log_warn("session %s: backend %s: %s", s->id, s->backend->cfg->name,
		         why);
		session_backend_failed(s, ER_ACCESS_DENIED,
		                       "the backend refused the gateway's login "
		                       "(details in the gateway log)");
		return;
	}
	case 0xFE: { /* auth switch */
		const char *plugin;
		const uint8_t *data;
		size_t n, dn;
		uint8_t h;
		cursor_init(&c, p, len);
		if (!rd_u8(&c, &h) || !rd_nulstr(&c, &plugin, &n) ||
		    n >= sizeof s->bplugin) {
			fail(s, "malformed auth switch request");
			return;
		}
		memcpy(s->bplugin, plugin, n);
		s->bplugin[n] = '\0';
		rd_rest(&c, &data, &dn);
		if (dn > 0 && data[dn - 1] == 0)
			dn--;
		if (dn >= MYSQL_SCRAMBLE_LEN)
			memcpy(s->bscramble, data, MYSQL_SCRAMBLE_LEN);
		if (!auth_data(s, s->bplugin, &auth)) {
			char why[128];
			snprintf(why, sizeof why,
			         "server asks for unsupported auth plugin %s", s->bplugin);
			fail(s, why);
			return;
		}
		send_packet(s, auth.data, auth.len);
		core_buf_free(&auth);
		return;
	}
	case 0x01: { /* more data: caching_sha2_password */
		const char *pw = backend_password(s);
		if (len == 2 && p[1] == 0x03)
			return; /* fast auth succeeded; OK follows */
		if (len == 2 && p[1] == 0x04) {
			if (s->backend->cfg->tls) {
				send_packet(s, pw, strlen(pw) + 1);
			} else {
				uint8_t req = 0x02; /* ask for the public key */
				send_packet(s, &req, 1);
			}
			s->bsent_full_auth = true;
			return;
		}
		if (s->bsent_full_auth && len > 1) {
			uint8_t *enc = NULL;
			size_t enclen = 0;
			if (!mysql_sha2_rsa_encrypt(pw, s->bscramble, MYSQL_SCRAMBLE_LEN,
			                            (const char *)p + 1, len - 1, &enc,
			                            &enclen)) {
				fail(s, "cannot encrypt the password with the server's key");
				return;
			}
			send_packet(s, enc, enclen);
			free(enc);
			return;
		}
		fail(s, "unexpected authentication data");
		return;
	}
	default:
		fail(s, "unexpected packet during login");
		return;
	}
}

static void backend_read_cb(struct bufferevent *bev, void *arg)
{
	struct session *s = arg;
	struct core_buf pkt = {0};
	int r;

	(void)bev;
	while (s->bstate != BACKEND_READY &&
	       (r = take_packet(s, &pkt)) != 0) {
		if (r < 0) {
			fail(s, "oversized packet during login");
			break;
		}
		if (s->bstate == BACKEND_GREETING) {
			on_greeting(s, pkt.data, pkt.len);
			if (s->bstate != BACKEND_AUTH)
				break; /* TLS starting, or failed */
		} else if (s->bstate == BACKEND_AUTH) {
			on_auth_packet(s, pkt.data, pkt.len);
		} else {
			fail(s, "unexpected data during TLS start");
			break;
		}
		/* A failure closed the session; it is freed later, but stop. */
		if (s->server == NULL || s->end_reason)
			break;
	}
	core_buf_free(&pkt);
}

static void backend_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct session *s = arg;
	char why[256];

	(void)bev;
	if (what & BEV_EVENT_CONNECTED) {
		if (s->bstate == BACKEND_CONNECTING) {
			s->bstate = BACKEND_GREETING;
		} else if (s->bstate == BACKEND_TLS) {
			send_login(s);
		}
		return;
	}
	if (what & BEV_EVENT_TIMEOUT) {
		fail(s, "timed out");
		return;
	}
	if (what & BEV_EVENT_ERROR) {
		int dnserr = bufferevent_socket_get_dns_error(bev);
		unsigned long sslerr = bufferevent_get_openssl_error(bev);
		if (dnserr)
			snprintf(why, sizeof why, "cannot resolve %s: %s",
			         s->backend->cfg->host, evutil_gai_strerror(dnserr));
		else if (sslerr)
			snprintf(why, sizeof why, "TLS failed: %s",
			         ERR_reason_error_string(sslerr)
			             ? ERR_reason_error_string(sslerr)
			             : "unknown");
		else
			snprintf(why, sizeof why, "cannot connect to %s:%lld: %s",
			         s->backend->cfg->host, s->backend->cfg->port,
			         evutil_socket_error_to_string(
			             EVUTIL_SOCKET_ERROR()));
		fail(s, why);
		return;
	}
	if (what & BEV_EVENT_EOF) {
		fail(s, "server closed the connection during login");
		return;
	}
}

bool backend_start(struct session *s, char *err, size_t errlen)
{
	const struct cfg_connection *c = s->backend->cfg;
	struct timeval tv;
	uint64_t ms = s->proxy->cfg->gateway.backend_connect_timeout;

	s->server = bufferevent_socket_new(
	    s->proxy->base, -1, BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (!s->server) {
		snprintf(err, errlen, "cannot create a socket");
		return false;
	}
	s->bstate = BACKEND_CONNECTING;
	bufferevent_setcb(s->server, backend_read_cb, NULL, backend_event_cb, s);
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	bufferevent_set_timeouts(s->server, &tv, &tv);
	bufferevent_enable(s->server, EV_READ | EV_WRITE);
	if (bufferevent_socket_connect_hostname(s->server, s->proxy->dns,
	                                        AF_UNSPEC, c->host,
	                                        (int)c->port) != 0) {
		snprintf(err, errlen, "cannot connect to %s:%lld", c->host, c->port);
		return false;
	}
	return true;
}
