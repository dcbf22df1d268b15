/*
 * proxy: the MySQL side of agentgate. Listens for MySQL clients, performs
 * the handshake (TLS, token via mysql_clear_password), asks idp/ who the
 * token belongs to and store/ which agent that is, logs in to the backend
 * with the gateway-held credential, then relays commands and streams
 * results while recording every statement.
 *
 * proxy never includes web/; the two meet in store/ (and approvals/).
 */
#ifndef AGENTGATE_PROXY_H
#define AGENTGATE_PROXY_H

#include <stdbool.h>
#include <stdint.h>

#include "core/core.h"

struct event_base;
struct idp_set;
struct store;
struct approval_policies;
struct approvals;
struct proxy;

/* Builds the listeners' TLS context and loads backend passwords. Listeners
 * are bound by proxy_start(). Returns NULL with a reason. The cfg, idps,
 * store and policies must outlive the proxy. */
struct proxy *proxy_new(struct event_base *base, const struct cfg *cfg,
                        struct idp_set *idps, struct store *store,
                        struct approval_policies *policies,
                        struct approvals *approvals, char *err,
                        size_t errlen);
/* Binds and starts every listener. */
bool proxy_start(struct proxy *p, char *err, size_t errlen) CORE_WUR;
/* Stops accepting; live sessions are closed with `reason`. */
void proxy_shutdown(struct proxy *p, const char *reason);
void proxy_free(struct proxy *p);

/* Closes every live session of an agent (revocation). Returns how many. */
size_t proxy_close_agent(struct proxy *p, int64_t agent_id,
                         const char *reason);

size_t proxy_session_count(const struct proxy *p);

/* The policy rules changed: every session's next statement is decided by
 * the new rules. */
void proxy_policies_changed(struct proxy *p);

#endif
