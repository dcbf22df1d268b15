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
 * The approval workflow (held statements, reviewers' decisions) will live
 * here too; until it exists, `review` refuses with a message that says a
 * review is required.
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

/* One rule: for (scope, subject) on a connection ("*" = all), class ->
 * action. Subject is empty for the default scope. */
struct policy_rule {
	enum policy_scope scope;
	char subject[128];
	char connection[65];
	enum sql_class cls;
	enum policy_action action;
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
};

/* Evaluates rules for an agent with its groups on a connection. For each
 * class the most specific matching rule wins, in this order: agent on the
 * connection, agent on "*", group on the connection, group on "*", default
 * on the connection, default on "*", built-in default. Several groups at
 * the same level: the strictest action wins (deny > review > allow). */
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

#endif
