/*
 * approvals: what may run. Statement classes (shared by the classifier in
 * proxy/ and by everything that shows or stores a class), per-agent and
 * per-group policy rules, and their evaluation into the effective policy of
 * one session: an action — allow, review or deny — for every class.
 *
 * Rules come from PostgreSQL (store/); this module only evaluates them, so
 * it is pure and cheap: a session computes its effective policy once at
 * login and again whenever the rules change, never per statement.
 *
 * The approval workflow lives here too (requests.c): a statement under
 * review becomes a request in PostgreSQL, the session waits for its
 * decision (hold) or is told the request id (deferred), and this instance
 * learns of decisions made anywhere through LISTEN/NOTIFY. The transitions
 * themselves are SQL functions (sql/004_approvals.sql) that lock the
 * request, so instances, reviewers and timers cannot race.
 */
#ifndef AGENTGATE_APPROVALS_H
#define AGENTGATE_APPROVALS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"

/* Statement classes, in increasing strictness: a text of several
 * statements takes the strictest class of its parts. */
enum sql_class {
	SQL_READ,
	SQL_TXN,
	SQL_SESSION,
	SQL_WRITE,
	SQL_DDL,
	SQL_ADMIN,
	SQL_UNKNOWN,
};
#define SQL_CLASS_COUNT (SQL_UNKNOWN + 1)

/* "read", "txn", "session", "write", "ddl", "admin", "unknown". */
const char *sql_class_name(enum sql_class c);
bool sql_class_parse(const char *name, enum sql_class *out) CORE_WUR;

enum policy_action {
	POLICY_ALLOW,
	POLICY_REVIEW,
	POLICY_DENY,
};

const char *policy_action_name(enum policy_action a);
bool policy_action_parse(const char *name, enum policy_action *out) CORE_WUR;

/* Who a rule is for. More specific scopes win over less specific ones. */
enum policy_scope {
	POLICY_SCOPE_DEFAULT, /* everyone */
	POLICY_SCOPE_GROUP,   /* principals with this IdP group */
	POLICY_SCOPE_AGENT,   /* one agent */
};

const char *policy_scope_name(enum policy_scope s);
bool policy_scope_parse(const char *name, enum policy_scope *out) CORE_WUR;

#define POLICY_ANY_CONNECTION "*"

/* How a statement under review waits. */
enum review_mode {
	REVIEW_HOLD,     /* the session waits; the statement runs when approved */
	REVIEW_DEFERRED, /* an error with the request id; re-send once approved */
};

const char *review_mode_name(enum review_mode m);
bool review_mode_parse(const char *name, enum review_mode *out) CORE_WUR;

#define REVIEW_MAX_QUORUM 16
#define REVIEW_GROUPS_MAX 256

/* What a review needs: quorum distinct approvals and, when groups is not
 * empty, one approver in one of these groups (comma separated). */
struct review_spec {
	enum review_mode mode;
	int quorum;
	char groups[REVIEW_GROUPS_MAX];
};

/* One rule: for (scope, subject) on a connection ("*" = all), class ->
 * action. Subject is empty for the default scope. */
struct policy_rule {
	enum policy_scope scope;
	char subject[128];
	char connection[65];
	enum sql_class cls;
	enum policy_action action;
	struct review_spec review; /* meaningful when action is review */
};

/* The built-in defaults, used when no rule matches a class: read allow,
 * write and ddl review, admin and unknown deny, txn and session allow. */
enum policy_action policy_builtin_default(enum sql_class c);

/* What one session may do. `source` names the rule that decided each
 * class, for error messages and the record ("agent alpha on orders",
 * "group etl on *", "built-in default"). */
struct policy_effective {
	enum policy_action action[SQL_CLASS_COUNT];
	char source[SQL_CLASS_COUNT][224];
	struct review_spec review[SQL_CLASS_COUNT]; /* for review actions */
};

/* Evaluates rules for an agent with its groups on a connection. For each
 * class the most specific matching rule wins, in this order: agent on the
 * connection, agent on "*", group on the connection, group on "*", default
 * on the connection, default on "*", built-in default. Several groups at
 * the same level: the strictest action wins (deny > review > allow); among
 * review rules, the highest quorum. Without a rule, review holds for one
 * approval from anyone. */
void policy_evaluate(const struct policy_rule *rules, size_t n_rules,
                     const char *agent, const char *const *groups,
                     size_t n_groups, const char *connection,
                     struct policy_effective *out);

/* True when the policy allows nothing that could change data: every
 * class but read, txn and session is denied outright (review counts as
 * possibly allowed). Such sessions may run on a read-only credential. */
bool policy_read_only(const struct policy_effective *p);

/* ------------------------------------------------------- rule cache */

struct event_base;
struct store;
struct approval_policies;

/* Called after every successful (re)load of the rules. */
typedef void (*approval_policies_cb)(void *arg);

/* Loads the rules from the store and keeps them current (LISTEN
 * agentgate_policy). `changed` runs after each load, the first included.
 * Returns NULL with a reason. */
struct approval_policies *approval_policies_new(struct event_base *base,
                                                struct store *st,
                                                approval_policies_cb changed,
                                                void *arg, char *err,
                                                size_t errlen);
void approval_policies_free(struct approval_policies *ap);
/* False until the first load succeeded: sessions must not start before. */
bool approval_policies_ready(const struct approval_policies *ap);
uint64_t approval_policies_version(const struct approval_policies *ap);
/* policy_evaluate() over the cached rules. */
void approval_policies_evaluate(const struct approval_policies *ap,
                                const char *agent, const char *const *groups,
                                size_t n_groups, const char *connection,
                                struct policy_effective *out);

/* ------------------------------------------------- approval requests */

struct cfg;
struct approvals;

/* Starts the workflow of this instance: LISTEN agentgate_approval and
 * agentgate_grant, the grant cache, and the sweeper that expires overdue
 * requests (and, once at start, cancels the held requests this instance
 * left behind when it last stopped). NULL with a reason. */
struct approvals *approvals_new(struct event_base *base, struct store *st,
                                const struct cfg *cfg, char *err,
                                size_t errlen);
/* Pending waits are dropped without callbacks (their sessions are gone). */
void approvals_free(struct approvals *ap);

/* A statement that needs review, as the session sees it. Strings are
 * copied. */
struct approval_submit {
	const struct review_spec *review;
	const char *session_id;
	uint64_t seq;
	int64_t agent_id;
	const char *agent_name;
	const char *idp;
	const char *issuer;
	const char *subject;
	const char *connection;
	const char *client_addr;
	uint8_t command;
	enum sql_class cls;
	const char *reason;  /* the classifier's */
	const char *policy;  /* the rule that asked for review */
	const void *sql;
	size_t sql_len;
	const char *params;  /* decoded execute parameters (JSON), or NULL */
	const char *context; /* earlier statements (JSON array), or NULL */
};

enum approval_outcome {
	APPROVAL_CREATED, /* a new request is pending */
	APPROVAL_PENDING, /* deferred: the identical request is still pending */
	APPROVAL_RUN,     /* deferred: an approved identical request was
	                     consumed just now: run the statement */
	APPROVAL_REFUSED, /* a bound was reached; detail says which */
	APPROVAL_FAILED,  /* PostgreSQL failed; detail says why */
};

/* id is the request's UUID (CREATED, PENDING, RUN), detail a message
 * (REFUSED, FAILED); both only valid during the call. */
typedef void (*approval_submit_cb)(void *arg, enum approval_outcome o,
                                   const char *id, const char *detail);

struct approval_op;

/* Submits a request (or, deferred, finds the approved or pending one). The
 * callback always runs later, from the event loop, unless cancelled. */
struct approval_op *approvals_submit(struct approvals *ap,
                                     const struct approval_submit *req,
                                     approval_submit_cb cb, void *arg);
/* The submitter has gone: no callback; a hold request created meanwhile
 * is cancelled. Only before the callback has run. */
void approvals_submit_cancel(struct approval_op *op);

/* How a held request ended. `run`: it was approved and this session has
 * just consumed it: forward the statement (whose SHA-256 the reviewer saw
 * is sha256, 32 bytes). Otherwise state is denied, expired, cancelled or
 * "error" (the decision could not be read), with who decided, their
 * comment and a reason where known. Strings valid during the call. */
struct approval_end {
	const char *state;
	bool run;
	const uint8_t *sha256;
	const char *decided_by;
	const char *comment;
	const char *reason;
};
typedef void (*approval_wait_cb)(void *arg, const struct approval_end *e);

struct approval_wait;

/* Waits for the decision on request `id` of `session_id` for at most
 * timeout_ms, then expires it. The callback runs once, from the event loop;
 * the wait is freed after it returns. */
struct approval_wait *approvals_wait(struct approvals *ap, const char *id,
                                     const char *session_id,
                                     uint64_t timeout_ms, approval_wait_cb cb,
                                     void *arg);
/* The session goes away before the decision: the request is cancelled with
 * `reason` (unless already decided) and the callback never runs. */
void approvals_wait_abandon(struct approval_wait *w, const char *reason);

/* An active time-boxed grant lets this agent run this class on this
 * connection without review: true with the grant's id. */
bool approvals_grant_find(const struct approvals *ap, int64_t agent_id,
                          const char *connection, enum sql_class cls,
                          char id[37]);

/* Where reviewers find a request: public_url/requests/ID, or NULL when
 * this instance has no [web] section. */
const char *approvals_public_url(const struct approvals *ap);

#endif
