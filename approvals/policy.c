/*
 * Policy evaluation: turns the rule list into one session's effective
 * policy. Pure and allocation-free; it runs at login and when the rules
 * change, never per statement. It does not read PostgreSQL (store/ does) and
 * knows nothing of MySQL.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "approvals/approvals.h"

static const char *const class_names[SQL_CLASS_COUNT] = {
	[SQL_READ] = "read",   [SQL_TXN] = "txn",     [SQL_SESSION] = "session",
	[SQL_WRITE] = "write", [SQL_DDL] = "ddl",     [SQL_ADMIN] = "admin",
	[SQL_UNKNOWN] = "unknown",
};

static const char *const action_names[] = {
	[POLICY_ALLOW] = "allow",
	[POLICY_REVIEW] = "review",
	[POLICY_DENY] = "deny",
};

static const char *const scope_names[] = {
	[POLICY_SCOPE_DEFAULT] = "default",
	[POLICY_SCOPE_GROUP] = "group",
	[POLICY_SCOPE_AGENT] = "agent",
};

const char *sql_class_name(enum sql_class c)
{
	return (unsigned)c < SQL_CLASS_COUNT ? class_names[c] : "unknown";
}

bool sql_class_parse(const char *name, enum sql_class *out)
{
	if (!name)
		return false;
	for (int i = 0; i < SQL_CLASS_COUNT; i++) {
		if (!strcasecmp(name, class_names[i])) {
			*out = (enum sql_class)i;
			return true;
		}
	}
	return false;
}

const char *policy_action_name(enum policy_action a)
{
	return (unsigned)a <= POLICY_DENY ? action_names[a] : "deny";
}

bool policy_action_parse(const char *name, enum policy_action *out)
{
	if (!name)
		return false;
	for (int i = POLICY_ALLOW; i <= POLICY_DENY; i++) {
		if (!strcasecmp(name, action_names[i])) {
			*out = (enum policy_action)i;
			return true;
		}
	}
	return false;
}

const char *policy_scope_name(enum policy_scope s)
{
	return (unsigned)s <= POLICY_SCOPE_AGENT ? scope_names[s] : "default";
}

bool policy_scope_parse(const char *name, enum policy_scope *out)
{
	if (!name)
		return false;
	for (int i = POLICY_SCOPE_DEFAULT; i <= POLICY_SCOPE_AGENT; i++) {
		if (!strcasecmp(name, scope_names[i])) {
			*out = (enum policy_scope)i;
			return true;
		}
	}
	return false;
}

static const char *const mode_names[] = {
	[REVIEW_HOLD] = "hold",
	[REVIEW_DEFERRED] = "deferred",
};

const char *review_mode_name(enum review_mode m)
{
	return (unsigned)m <= REVIEW_DEFERRED ? mode_names[m] : "hold";
}

bool review_mode_parse(const char *name, enum review_mode *out)
{
	if (!name)
		return false;
	for (int i = REVIEW_HOLD; i <= REVIEW_DEFERRED; i++) {
		if (!strcasecmp(name, mode_names[i])) {
			*out = (enum review_mode)i;
			return true;
		}
	}
	return false;
}

enum policy_action policy_builtin_default(enum sql_class c)
{
	switch (c) {
	case SQL_READ:
	case SQL_TXN:
	case SQL_SESSION:
		return POLICY_ALLOW;
	case SQL_WRITE:
	case SQL_DDL:
		return POLICY_REVIEW;
	case SQL_ADMIN:
	case SQL_UNKNOWN:
		break;
	}
	return POLICY_DENY;
}

/* Specificity of a matching rule, higher wins; -1 when it does not match. */
static int rank(const struct policy_rule *r, const char *agent,
                const char *const *groups, size_t n_groups,
                const char *connection)
{
	bool exact = strcmp(r->connection, connection) == 0;
	bool any = strcmp(r->connection, POLICY_ANY_CONNECTION) == 0;
	int base;

	if (!exact && !any)
		return -1;
	switch (r->scope) {
	case POLICY_SCOPE_AGENT:
		if (!agent || strcmp(r->subject, agent) != 0)
			return -1;
		base = 4;
		break;
	case POLICY_SCOPE_GROUP: {
		bool member = false;
		for (size_t i = 0; i < n_groups && !member; i++)
			member = groups[i] && strcmp(groups[i], r->subject) == 0;
		if (!member)
			return -1;
		base = 2;
		break;
	}
	case POLICY_SCOPE_DEFAULT:
	default:
		base = 0;
		break;
	}
	return base + (exact ? 1 : 0);
}

void policy_evaluate(const struct policy_rule *rules, size_t n_rules,
                     const char *agent, const char *const *groups,
                     size_t n_groups, const char *connection,
                     struct policy_effective *out)
{
	int best[SQL_CLASS_COUNT];

	for (int c = 0; c < SQL_CLASS_COUNT; c++) {
		best[c] = -1;
		out->action[c] = policy_builtin_default((enum sql_class)c);
		snprintf(out->source[c], sizeof out->source[c], "built-in default");
		out->review[c] = (struct review_spec){.mode = REVIEW_HOLD,
		                                      .quorum = 1};
	}
	for (size_t i = 0; i < n_rules; i++) {
		const struct policy_rule *r = &rules[i];
		int k = rank(r, agent, groups, n_groups, connection);
		int c = (int)r->cls;

		if (k < 0 || c < 0 || c >= SQL_CLASS_COUNT)
			continue;
		/* Same specificity (several groups): the strictest wins; of two
		 * reviews, the one that needs more approvals. */
		if (k < best[c] ||
		    (k == best[c] && r->action < out->action[c]) ||
		    (k == best[c] && r->action == out->action[c] &&
		     (r->action != POLICY_REVIEW ||
		      r->review.quorum <= out->review[c].quorum)))
			continue;
		best[c] = k;
		out->action[c] = r->action;
		out->review[c] = r->review;
		if (out->review[c].quorum < 1)
			out->review[c].quorum = 1;
		if (r->scope == POLICY_SCOPE_DEFAULT)
			snprintf(out->source[c], sizeof out->source[c],
			         "default policy on %s", r->connection);
		else
			snprintf(out->source[c], sizeof out->source[c], "%s %s on %s",
			         policy_scope_name(r->scope), r->subject, r->connection);
	}
}

bool policy_read_only(const struct policy_effective *p)
{
	for (int c = 0; c < SQL_CLASS_COUNT; c++) {
		if (c == SQL_READ || c == SQL_TXN || c == SQL_SESSION)
			continue;
		if (p->action[c] != POLICY_DENY)
			return false;
	}
	return true;
}
