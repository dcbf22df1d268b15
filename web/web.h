/*
 * web: the reviewer web page. An HTTPS server (libevent's evhttp over
 * OpenSSL) where people log in with their company's OpenID provider and
 * approve or deny the statements that policy sends to review, see the
 * history of decisions and the sessions behind them, and revoke time-boxed
 * grants. The pending queue updates live (server-sent events driven by
 * NOTIFY agentgate_approval).
 *
 * Every decision is taken in PostgreSQL (approval_decide and friends in
 * sql/004_approvals.sql): web renders requests, authenticates reviewers,
 * checks CSRF and passes their votes on; it never decides who wins. It
 * knows nothing of MySQL and does not include proxy/.
 */
#ifndef AGENTGATE_WEB_H
#define AGENTGATE_WEB_H

#include <stdbool.h>
#include <stddef.h>

#include "core/core.h"

struct event_base;
struct store;
struct web;

/* Prepares the page from cfg->web (which must be present: cfg->has_web):
 * loads the TLS certificate, reads the client secret and sets up the
 * reviewer login with the configured identity provider. Binds nothing yet.
 * `cfg` and `st` must outlive the returned object. NULL with a reason. */
struct web *web_new(struct event_base *base, const struct cfg *cfg,
                    struct store *st, char *err, size_t errlen);

/* Binds the HTTPS listener, subscribes to approval notifications and
 * starts the identity provider's discovery. False with a reason. */
bool web_start(struct web *w, char *err, size_t errlen) CORE_WUR;

/* Stops accepting, ends the live-update streams and drops every request
 * still waiting for PostgreSQL or the identity provider. Call it before
 * store_close(); calling it twice is harmless. */
void web_shutdown(struct web *w);

/* Frees everything. After web_shutdown() and store_close(). */
void web_free(struct web *w);

/* ------------------------------------------------------------ webhook */

struct webhook;

/* Delivers the approval notifications of webhook_outbox to
 * cfg->approvals.webhook_url (which must be set), whether or not this
 * instance serves the page. NULL with a reason (unreadable secret, bad CA
 * file). */
struct webhook *webhook_new(struct event_base *base, const struct cfg *cfg,
                            struct store *st, char *err, size_t errlen);
/* Drops deliveries in flight (they are retried later, by any instance).
 * Before store_close(), with no loop iteration in between. */
void webhook_free(struct webhook *wh);

#endif
