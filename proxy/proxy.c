/*
 * The proxy object: loads what the MySQL side needs at start-up (listener
 * TLS context, backend passwords and TLS contexts, a DNS resolver), binds
 * the listeners and hands each accepted socket to a new session.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

#include <event2/dns.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "proxy/internal.h"

/* A password file holds one short line. */
#define MAX_PASSWORD_FILE 4096

struct listen_ctx {
	struct proxy *proxy;
	const struct cfg_listener *cfg;
};

static void accept_cb(struct evconnlistener *l, evutil_socket_t fd,
                      struct sockaddr *addr, int addrlen, void *arg)
{
	struct listen_ctx *ctx = arg;
	int one = 1;

	(void)l;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	session_accept(ctx->proxy, ctx->cfg, fd, addr, addrlen);
}

static void accept_error_cb(struct evconnlistener *l, void *arg)
{
	struct listen_ctx *ctx = arg;
	int e = EVUTIL_SOCKET_ERROR();

	(void)l;
	/* Out of descriptors and the like: keep listening, say why. */
	log_error("listener %s: accept failed: %s", ctx->cfg->name,
	          evutil_socket_error_to_string(e));
}

struct proxy *proxy_new(struct event_base *base, const struct cfg *cfg,
                        struct idp_set *idps, struct store *store,
                        struct approval_policies *policies,
                        struct approvals *approvals, char *err,
                        size_t errlen)
{
	struct proxy *p = core_xcalloc(1, sizeof *p);
	bool need_tls = false;

	p->base = base;
	p->cfg = cfg;
	p->idps = idps;
	p->store = store;
	p->policies = policies;
	p->approvals = approvals;
	for (size_t i = 0; i < cfg->n_listeners; i++)
		need_tls |= cfg->listeners[i].require_tls;
	if (need_tls || (cfg->gateway.tls_cert && cfg->gateway.tls_key)) {
		p->server_tls = proxy_tls_server_ctx(cfg->gateway.tls_cert,
		                                     cfg->gateway.tls_key, err,
		                                     errlen);
		if (!p->server_tls)
			goto fail;
	}
	p->backends = core_xcalloc(cfg->n_connections, sizeof *p->backends);
	p->n_backends = cfg->n_connections;
	for (size_t i = 0; i < cfg->n_connections; i++) {
		struct backend_conn *b = &p->backends[i];
		char ferr[256];
		b->cfg = &cfg->connections[i];
		b->password = core_read_file(b->cfg->password_file,
		                             MAX_PASSWORD_FILE, ferr, sizeof ferr);
		if (!b->password) {
			snprintf(err, errlen, "[connection %s] password_file: %s",
			         b->cfg->name, ferr);
			goto fail;
		}
		if (b->cfg->readonly_password_file) {
			b->ro_password =
			    core_read_file(b->cfg->readonly_password_file,
			                   MAX_PASSWORD_FILE, ferr, sizeof ferr);
			if (!b->ro_password) {
				snprintf(err, errlen,
				         "[connection %s] readonly_password_file: %s",
				         b->cfg->name, ferr);
				goto fail;
			}
		}
		if (b->cfg->tls) {
			b->tls = proxy_tls_client_ctx(b->cfg->tls_ca, b->cfg->tls_verify,
			                              ferr, sizeof ferr);
			if (!b->tls) {
				snprintf(err, errlen, "[connection %s] %s", b->cfg->name,
				         ferr);
				goto fail;
			}
		}
	}
	p->dns = evdns_base_new(base, EVDNS_BASE_INITIALIZE_NAMESERVERS);
	if (!p->dns)
		p->dns = evdns_base_new(base, 0);
	if (!p->dns) {
		snprintf(err, errlen, "cannot create a DNS resolver");
		goto fail;
	}
	return p;
fail:
	proxy_free(p);
	return NULL;
}

bool proxy_start(struct proxy *p, char *err, size_t errlen)
{
	p->listeners = core_xcalloc(p->cfg->n_listeners, sizeof *p->listeners);
	p->listener_ctx = core_xcalloc(p->cfg->n_listeners,
	                               sizeof *p->listener_ctx);
	for (size_t i = 0; i < p->cfg->n_listeners; i++) {
		const struct cfg_listener *l = &p->cfg->listeners[i];
		struct sockaddr_storage ss;
		int sslen = sizeof ss;
		char addr[300];
		struct listen_ctx *ctx;

		if (strchr(l->address, ':'))
			snprintf(addr, sizeof addr, "[%s]:%lld", l->address, l->port);
		else
			snprintf(addr, sizeof addr, "%s:%lld", l->address, l->port);
		memset(&ss, 0, sizeof ss);
		if (evutil_parse_sockaddr_port(addr, (struct sockaddr *)&ss,
		                               &sslen) != 0) {
			snprintf(err, errlen, "[listener %s] bad address '%s'", l->name,
			         l->address);
			return false;
		}
		ctx = core_xcalloc(1, sizeof *ctx);
		p->listener_ctx[i] = ctx;
		ctx->proxy = p;
		ctx->cfg = l;
		p->listeners[i] = evconnlistener_new_bind(
		    p->base, accept_cb, ctx,
		    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
		    512, (struct sockaddr *)&ss, sslen);
		if (!p->listeners[i]) {
			snprintf(err, errlen, "[listener %s] cannot listen on %s: %s",
			         l->name, addr, strerror(errno));
			return false;
		}
		p->n_listeners = i + 1;
		evconnlistener_set_error_cb(p->listeners[i], accept_error_cb);
		log_info("listening for MySQL clients on %s (%s)", addr,
		         l->require_tls ? "TLS required"
		                        : "plaintext tokens allowed on loopback");
	}
	return true;
}

void proxy_shutdown(struct proxy *p, const char *reason)
{
	struct session *s, *next;

	p->shutting_down = true;
	for (size_t i = 0; i < p->n_listeners; i++)
		if (p->listeners[i])
			evconnlistener_disable(p->listeners[i]);
	for (s = p->sessions; s; s = next) {
		next = s->next;
		session_close(s, reason);
	}
}

void proxy_free(struct proxy *p)
{
	if (!p)
		return;
	for (size_t i = 0; p->listeners && i < p->cfg->n_listeners; i++) {
		if (p->listeners[i])
			evconnlistener_free(p->listeners[i]);
		free(p->listener_ctx[i]);
	}
	free(p->listeners);
	free(p->listener_ctx);
	for (size_t i = 0; i < p->n_backends; i++) {
		if (p->backends[i].password) {
			core_wipe(p->backends[i].password,
			          strlen(p->backends[i].password));
			free(p->backends[i].password);
		}
		if (p->backends[i].ro_password) {
			core_wipe(p->backends[i].ro_password,
			          strlen(p->backends[i].ro_password));
			free(p->backends[i].ro_password);
		}
		SSL_CTX_free(p->backends[i].tls);
	}
	free(p->backends);
	if (p->dns)
		evdns_base_free(p->dns, 0);
	SSL_CTX_free(p->server_tls);
	free(p);
}
