/*
 * agentgate: the gateway daemon. Reads the configuration, opens the audit
 * store (checking the schema), starts the identity providers' key fetches,
 * binds the MySQL listeners and runs one libevent loop until SIGINT or
 * SIGTERM, when it stops accepting, closes sessions (recording why) and
 * flushes the audit queue.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <event2/thread.h>
#include <openssl/ssl.h>

#include "core/core.h"
#include "approvals/approvals.h"
#include "idp/idp.h"
#include "proxy/proxy.h"
#include "store/store.h"
#include "web/web.h"

#define SHUTDOWN_GRACE_MS 500

struct daemon {
	struct event_base *base;
	struct proxy *proxy;
	const struct cfg *cfg;
	bool announced;
	struct event *sig_int, *sig_term, *sig_hup;
	bool stopping;
};

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: agentgate -c FILE [--check]\n"
	        "       agentgate --config-reference\n"
	        "\n"
	        "  -c, --config FILE     configuration file (INI)\n"
	        "      --check           validate the configuration and exit\n"
	        "      --config-reference  print every setting as Markdown\n"
	        "  -h, --help            this help\n"
	        "  -V, --version         print the version\n");
}

static void revoke_cb(void *arg, int64_t agent_id, const char *reason)
{
	struct daemon *d = arg;

	if (d->proxy)
		proxy_close_agent(d->proxy, agent_id, reason);
}

/* Rules (re)loaded: sessions follow them from their next statement. The
 * first load completes start-up. */
static void policies_cb(void *arg)
{
	struct daemon *d = arg;

	if (d->proxy)
		proxy_policies_changed(d->proxy);
	if (!d->announced) {
		d->announced = true;
		log_info("agentgate %s ready (instance %s)", "0.1.0",
		         d->cfg->gateway.instance);
	}
}

static void stop_cb(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;
	struct timeval tv = {0, SHUTDOWN_GRACE_MS * 1000};

	(void)what;
	if (d->stopping) {
		log_warn("second signal: exiting now");
		event_base_loopbreak(d->base);
		return;
	}
	d->stopping = true;
	log_info("signal %d: shutting down", (int)sig);
	proxy_shutdown(d->proxy, "gateway shutting down");
	event_base_loopexit(d->base, &tv);
}

static void hup_cb(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	(void)arg;
	log_warn("SIGHUP: configuration reload is not supported yet; restart "
	         "the gateway to apply changes");
}

static enum log_level parse_level(const char *s)
{
	if (!strcmp(s, "debug"))
		return LOG_DEBUG;
	if (!strcmp(s, "warn"))
		return LOG_WARN;
	if (!strcmp(s, "error"))
		return LOG_ERROR;
	return LOG_INFO;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"check", no_argument, NULL, 'k'},
		{"config-reference", no_argument, NULL, 'r'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	struct daemon d = {0};
	const char *path = NULL;
	bool check = false;
	struct cfg *cfg = NULL;
	struct idp_set *idps = NULL;
	struct store *st = NULL;
	struct approval_policies *policies = NULL;
	struct web *web = NULL;
	struct approvals *approvals = NULL;
	struct webhook *webhook = NULL;
	char err[1024];
	int c, rc = 1;

	while ((c = getopt_long(argc, argv, "c:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 'k':
			check = true;
			break;
		case 'r':
			cfg_write_reference(stdout);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("agentgate 0.1.0\n");
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!path || optind != argc) {
		usage(stderr);
		return 2;
	}
	cfg = cfg_load(path, err, sizeof err);
	if (!cfg) {
		fprintf(stderr, "agentgate: %s\n", err);
		return 2;
	}
	if (check) {
		printf("%s: configuration is valid\n", path);
		cfg_free(cfg);
		return 0;
	}
	log_set_level(parse_level(cfg->gateway.log_level));
	signal(SIGPIPE, SIG_IGN);
	SSL_library_init();

	/* The changelist folds the enable/disable of write interest that every
	 * relayed packet causes into one epoll_ctl per loop iteration. */
	{
		struct event_config *ec = event_config_new();
		if (ec) {
			event_config_set_flag(ec, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
			d.base = event_base_new_with_config(ec);
			event_config_free(ec);
		}
	}
	if (!d.base) {
		log_error("cannot create the event loop");
		goto out;
	}
	idps = idp_set_new(d.base, cfg, err, sizeof err);
	if (!idps) {
		log_error("identity providers: %s", err);
		goto out;
	}
	st = store_open(d.base, &cfg->store, cfg->gateway.instance, err,
	                sizeof err);
	if (!st) {
		log_error("audit store: %s", err);
		goto out;
	}
	d.cfg = cfg;
	policies = approval_policies_new(d.base, st, policies_cb, &d, err,
	                                 sizeof err);
	if (!policies) {
		log_error("policies: %s", err);
		goto out;
	}
	approvals = approvals_new(d.base, st, cfg, err, sizeof err);
	if (!approvals) {
		log_error("approvals: %s", err);
		goto out;
	}
	if (cfg->approvals.webhook_url) {
		webhook = webhook_new(d.base, cfg, st, err, sizeof err);
		if (!webhook) {
			log_error("webhook: %s", err);
			goto out;
		}
	}
	d.proxy = proxy_new(d.base, cfg, idps, st, policies, approvals, err,
	                    sizeof err);
	if (!d.proxy) {
		log_error("%s", err);
		goto out;
	}
	store_set_revoke_cb(st, revoke_cb, &d);
	if (!proxy_start(d.proxy, err, sizeof err)) {
		log_error("%s", err);
		goto out;
	}
	idp_set_start(idps);
	/* The reviewer web page, when [web] is configured. */
	if (cfg->has_web) {
		web = web_new(d.base, cfg, st, err, sizeof err);
		if (!web || !web_start(web, err, sizeof err)) {
			log_error("%s", err);
			goto out;
		}
	}
	d.sig_int = evsignal_new(d.base, SIGINT, stop_cb, &d);
	d.sig_term = evsignal_new(d.base, SIGTERM, stop_cb, &d);
	d.sig_hup = evsignal_new(d.base, SIGHUP, hup_cb, &d);
	evsignal_add(d.sig_int, NULL);
	evsignal_add(d.sig_term, NULL);
	evsignal_add(d.sig_hup, NULL);
	event_base_dispatch(d.base);
	rc = 0;
out:
	if (d.sig_int)
		event_free(d.sig_int);
	if (d.sig_term)
		event_free(d.sig_term);
	if (d.sig_hup)
		event_free(d.sig_hup);
	if (d.proxy) {
		proxy_shutdown(d.proxy, "gateway shutting down");
		/* Let deferred frees run. */
		event_base_loop(d.base, EVLOOP_NONBLOCK);
		proxy_free(d.proxy);
	}
	webhook_free(webhook);
	approvals_free(approvals);
	web_shutdown(web);
	approval_policies_free(policies);
	if (st)
		store_close(st);
	web_free(web);
	idp_set_free(idps);
	if (d.base)
		event_base_free(d.base);
	cfg_free(cfg);
	log_info("agentgate stopped");
	return rc;
}
