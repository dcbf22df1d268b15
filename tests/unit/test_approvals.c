/*
 * Unit tests of policy evaluation: built-in defaults, precedence of agent,
 * group and default rules on a connection and on "*", the strictest group
 * winning at equal specificity, the read-only test, and the name tables.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "approvals/approvals.h"

static struct policy_rule rule(enum policy_scope scope, const char *subject,
                               const char *conn, enum sql_class c,
                               enum policy_action a)
{
	struct policy_rule r;

	memset(&r, 0, sizeof r);
	r.scope = scope;
	strcpy(r.subject, subject);
	strcpy(r.connection, conn);
	r.cls = c;
	r.action = a;
	return r;
}

static void test_builtin_defaults(void **state)
{
	struct policy_effective e;

	(void)state;
	policy_evaluate(NULL, 0, "alpha", NULL, 0, "orders", &e);
	assert_int_equal(e.action[SQL_READ], POLICY_ALLOW);
	assert_int_equal(e.action[SQL_TXN], POLICY_ALLOW);
	assert_int_equal(e.action[SQL_SESSION], POLICY_ALLOW);
	assert_int_equal(e.action[SQL_WRITE], POLICY_REVIEW);
	assert_int_equal(e.action[SQL_DDL], POLICY_REVIEW);
	assert_int_equal(e.action[SQL_ADMIN], POLICY_DENY);
	assert_int_equal(e.action[SQL_UNKNOWN], POLICY_DENY);
	assert_string_equal(e.source[SQL_WRITE], "built-in default");
	assert_false(policy_read_only(&e));
}

static void test_precedence(void **state)
{
	const char *groups[] = {"etl", "analysts"};
	struct policy_rule rules[] = {
		rule(POLICY_SCOPE_DEFAULT, "", "*", SQL_WRITE, POLICY_DENY),
		rule(POLICY_SCOPE_DEFAULT, "", "orders", SQL_WRITE, POLICY_REVIEW),
		rule(POLICY_SCOPE_GROUP, "etl", "*", SQL_WRITE, POLICY_ALLOW),
		rule(POLICY_SCOPE_GROUP, "etl", "orders", SQL_DDL, POLICY_ALLOW),
		rule(POLICY_SCOPE_AGENT, "alpha", "*", SQL_DDL, POLICY_DENY),
		rule(POLICY_SCOPE_AGENT, "alpha", "orders", SQL_READ, POLICY_REVIEW),
		rule(POLICY_SCOPE_AGENT, "beta", "orders", SQL_READ, POLICY_DENY),
	};
	size_t n = sizeof rules / sizeof rules[0];
	struct policy_effective e;

	(void)state;
	/* alpha with group etl on orders */
	policy_evaluate(rules, n, "alpha", groups, 2, "orders", &e);
	assert_int_equal(e.action[SQL_READ], POLICY_REVIEW);
	assert_string_equal(e.source[SQL_READ], "agent alpha on orders");
	assert_int_equal(e.action[SQL_DDL], POLICY_DENY); /* agent * > group conn */
	assert_string_equal(e.source[SQL_DDL], "agent alpha on *");
	assert_int_equal(e.action[SQL_WRITE], POLICY_ALLOW); /* group > default */
	assert_string_equal(e.source[SQL_WRITE], "group etl on *");
	/* gamma without groups: default on the connection beats default on * */
	policy_evaluate(rules, n, "gamma", NULL, 0, "orders", &e);
	assert_int_equal(e.action[SQL_WRITE], POLICY_REVIEW);
	assert_string_equal(e.source[SQL_WRITE], "default policy on orders");
	policy_evaluate(rules, n, "gamma", NULL, 0, "billing", &e);
	assert_int_equal(e.action[SQL_WRITE], POLICY_DENY);
	assert_int_equal(e.action[SQL_READ], POLICY_ALLOW);
	/* beta's rule is for beta only */
	policy_evaluate(rules, n, "gamma", NULL, 0, "orders", &e);
	assert_int_equal(e.action[SQL_READ], POLICY_ALLOW);
}

static void test_strictest_group(void **state)
{
	const char *groups[] = {"a", "b", "c"};
	struct policy_rule rules[] = {
		rule(POLICY_SCOPE_GROUP, "a", "*", SQL_WRITE, POLICY_ALLOW),
		rule(POLICY_SCOPE_GROUP, "b", "*", SQL_WRITE, POLICY_DENY),
		rule(POLICY_SCOPE_GROUP, "c", "*", SQL_WRITE, POLICY_REVIEW),
		rule(POLICY_SCOPE_GROUP, "zzz", "*", SQL_READ, POLICY_DENY),
	};
	struct policy_effective e;

	(void)state;
	policy_evaluate(rules, 4, "x", groups, 3, "orders", &e);
	assert_int_equal(e.action[SQL_WRITE], POLICY_DENY);
	assert_string_equal(e.source[SQL_WRITE], "group b on *");
	assert_int_equal(e.action[SQL_READ], POLICY_ALLOW); /* not a member */
	/* order of rules does not matter */
	struct policy_rule rev[] = {rules[2], rules[1], rules[0]};
	policy_evaluate(rev, 3, "x", groups, 3, "orders", &e);
	assert_int_equal(e.action[SQL_WRITE], POLICY_DENY);
}

static void test_read_only(void **state)
{
	struct policy_rule rules[] = {
		rule(POLICY_SCOPE_AGENT, "r", "*", SQL_WRITE, POLICY_DENY),
		rule(POLICY_SCOPE_AGENT, "r", "*", SQL_DDL, POLICY_DENY),
	};
	struct policy_effective e;

	(void)state;
	policy_evaluate(rules, 2, "r", NULL, 0, "orders", &e);
	assert_true(policy_read_only(&e));
	rules[1].action = POLICY_REVIEW; /* a reviewed DDL may run: not read-only */
	policy_evaluate(rules, 2, "r", NULL, 0, "orders", &e);
	assert_false(policy_read_only(&e));
}

static void test_review_spec(void **state)
{
	const char *groups[] = {"a", "b"};
	struct policy_rule rules[] = {
		rule(POLICY_SCOPE_DEFAULT, "", "*", SQL_WRITE, POLICY_REVIEW),
		rule(POLICY_SCOPE_GROUP, "a", "*", SQL_DDL, POLICY_REVIEW),
		rule(POLICY_SCOPE_GROUP, "b", "*", SQL_DDL, POLICY_REVIEW),
		rule(POLICY_SCOPE_AGENT, "x", "*", SQL_WRITE, POLICY_REVIEW),
	};
	struct policy_effective e;
	enum review_mode m;

	(void)state;
	rules[0].review = (struct review_spec){REVIEW_DEFERRED, 1, ""};
	rules[1].review = (struct review_spec){REVIEW_HOLD, 2, "dba"};
	rules[2].review = (struct review_spec){REVIEW_DEFERRED, 3, ""};
	rules[3].review = (struct review_spec){REVIEW_HOLD, 0, ""};
	/* Without a rule: hold for one approval from anyone. */
	policy_evaluate(NULL, 0, "x", NULL, 0, "orders", &e);
	assert_int_equal(e.review[SQL_WRITE].mode, REVIEW_HOLD);
	assert_int_equal(e.review[SQL_WRITE].quorum, 1);
	assert_string_equal(e.review[SQL_WRITE].groups, "");
	/* The winning rule brings its review; a quorum of 0 means 1. */
	policy_evaluate(rules, 4, "y", NULL, 0, "orders", &e);
	assert_int_equal(e.review[SQL_WRITE].mode, REVIEW_DEFERRED);
	policy_evaluate(rules, 4, "x", NULL, 0, "orders", &e);
	assert_int_equal(e.review[SQL_WRITE].mode, REVIEW_HOLD);
	assert_int_equal(e.review[SQL_WRITE].quorum, 1);
	/* Two groups asking for review: the larger quorum wins, whatever
	 * the order. */
	policy_evaluate(rules, 4, "y", groups, 2, "orders", &e);
	assert_int_equal(e.review[SQL_DDL].quorum, 3);
	assert_string_equal(e.source[SQL_DDL], "group b on *");
	{
		struct policy_rule rev[] = {rules[2], rules[1]};
		policy_evaluate(rev, 2, "y", groups, 2, "orders", &e);
		assert_int_equal(e.review[SQL_DDL].quorum, 3);
	}
	assert_true(review_mode_parse("Deferred", &m));
	assert_int_equal(m, REVIEW_DEFERRED);
	assert_false(review_mode_parse("later", &m));
	assert_string_equal(review_mode_name(REVIEW_HOLD), "hold");
}

static void test_names(void **state)
{
	enum sql_class c;
	enum policy_action a;
	enum policy_scope s;

	(void)state;
	for (int i = 0; i < SQL_CLASS_COUNT; i++) {
		assert_true(sql_class_parse(sql_class_name((enum sql_class)i), &c));
		assert_int_equal(c, i);
	}
	assert_true(sql_class_parse("WRITE", &c));
	assert_int_equal(c, SQL_WRITE);
	assert_false(sql_class_parse("writes", &c));
	assert_true(policy_action_parse("Review", &a));
	assert_int_equal(a, POLICY_REVIEW);
	assert_false(policy_action_parse("maybe", &a));
	assert_true(policy_scope_parse("group", &s));
	assert_int_equal(s, POLICY_SCOPE_GROUP);
	assert_false(policy_scope_parse("team", &s));
	assert_string_equal(policy_action_name(POLICY_DENY), "deny");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builtin_defaults),
		cmocka_unit_test(test_precedence),
		cmocka_unit_test(test_strictest_group),
		cmocka_unit_test(test_read_only),
		cmocka_unit_test(test_review_spec),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
