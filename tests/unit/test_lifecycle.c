/*
 * The approval lifecycle against a real PostgreSQL: the transitions of
 * sql/004_approvals.sql (submit, decide, take, sweep, grants, revocation)
 * scenario by scenario, and the gateway side (approvals/requests.c) on an
 * event loop: a held request that is approved, denied, expires or is
 * abandoned. Skips without AGENTGATE_TEST_PG_DSN.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "approvals/approvals.h"
#include "pg_fixture.h"

#define ISS "https://idp.test"
#define SESSION "00000000-0000-4000-8000-000000000001"

static int setup(void **state)
{
	struct pg_fixture *f;

	if (pg_fixture_setup(state, true) != 0)
		return -1;
	f = *state;
	if (f)
		pg_exec_or_fail(f->pg,
		                "INSERT INTO agents (id, name, idp, subject) VALUES "
		                "(1, 'alpha', 'local', 'agent-alpha'), "
		                "(2, 'beta', 'local', 'agent-beta')");
	return 0;
}

/* approval_submit for agent 1 (or 2) with the test's usual bounds. */
static char *submit(struct pg_fixture *f, const char *id, const char *mode,
                    int agent, const char *sql, const char *params,
                    int quorum, const char *groups, int ttl_s, int window_s)
{
	char q[2048];

	snprintf(q, sizeof q,
	         "SELECT outcome, coalesce(request_id::text, ''), "
	         "coalesce(detail, '') FROM approval_submit('%s', '%s', 'gw-a', "
	         "'" SESSION "', 1, %d, '%s', 'local', '" ISS "', '%s', "
	         "'orders', '127.0.0.1', 3::smallint, 'write', 'reason', "
	         "'built-in default', '%s', convert_to('%s', 'UTF8'), %s, '[]', "
	         "%d, '%s', %d, %d, 3, 5)",
	         id, mode, agent, agent == 1 ? "alpha" : "beta",
	         agent == 1 ? "agent-alpha" : "agent-beta", sql, sql,
	         params ? params : "NULL", quorum, groups, ttl_s, window_s);
	return pg_row(f->pg, q);
}

static void expect_submit(struct pg_fixture *f, const char *id,
                          const char *mode, int agent, const char *sql,
                          const char *params, const char *want)
{
	char *got = submit(f, id, mode, agent, sql, params, 1, "{}", 300, 900);

	if (strcmp(got, want) != 0) {
		fprintf(stderr, "submit %s: got %s, want %s\n", sql, got, want);
		free(got);
		fail();
	}
	free(got);
}

/* approval_decide by reviewer `who` (subject; groups as an array text). */
static void expect_decide(struct pg_fixture *f, const char *id,
                          const char *who, const char *groups,
                          const char *vote, int grant_minutes,
                          const char *want)
{
	char q[1024];

	snprintf(q, sizeof q,
	         "SELECT outcome, coalesce(state, ''), coalesce(detail, '') FROM "
	         "approval_decide('%s', '" ISS "', '%s', 'R %s', '%s', '%s', "
	         "'note', %d, 30)",
	         id, who, who, groups, vote, grant_minutes);
	pg_expect(f->pg, q, want);
}

static void expect_take(struct pg_fixture *f, const char *id,
                        const char *end_state, const char *want)
{
	char q[512];

	snprintf(q, sizeof q,
	         "SELECT state, consumed, coalesce(decided_by, ''), "
	         "coalesce(comment, ''), coalesce(reason, '') FROM "
	         "approval_take('%s', '" SESSION "', 'gateway gw-a', %s%s%s, "
	         "'the agent disconnected')",
	         id, end_state ? "'" : "", end_state ? end_state : "NULL",
	         end_state ? "'" : "");
	pg_expect(f->pg, q, want);
}

static void expect_events(struct pg_fixture *f, const char *id,
                          const char *want)
{
	char q[256];

	snprintf(q, sizeof q,
	         "SELECT string_agg(action || ':' || state, ',' ORDER BY id) "
	         "FROM approval_events WHERE request_id = '%s'",
	         id);
	pg_expect(f->pg, q, want);
}

#define R1 "10000000-0000-4000-8000-000000000001"
#define R2 "10000000-0000-4000-8000-000000000002"
#define R3 "10000000-0000-4000-8000-000000000003"
#define R4 "10000000-0000-4000-8000-000000000004"
#define R5 "10000000-0000-4000-8000-000000000005"

static void test_hold_approve_once(void **state)
{
	struct pg_fixture *f = *state;

	NEED_PG(f);
	expect_submit(f, R1, "hold", 1, "UPDATE t SET a = 1", NULL,
	              "created|" R1 "|");
	expect_take(f, R1, NULL, "pending|f|||");
	expect_decide(f, R1, "rita", "{reviewers}", "approve", 0,
	              "decided|approved|approved");
	expect_take(f, R1, NULL, "approved|t|R rita|note|");
	/* Consumed: a second take (a retry, another instance) runs nothing. */
	expect_take(f, R1, NULL, "approved|f|R rita|note|");
	expect_decide(f, R1, "ravi", "{reviewers}", "deny", 0,
	              "refused|approved|the request is already approved");
	expect_events(f, R1,
	              "created:pending,approve:pending,approved:approved,"
	              "executed:approved");
	pg_expect(f->pg,
	          "SELECT count(*) FROM webhook_outbox WHERE request_id = '" R1
	          "'",
	          "2");
}

static void test_deny_and_self(void **state)
{
	struct pg_fixture *f = *state;

	NEED_PG(f);
	expect_submit(f, R1, "hold", 1, "DELETE FROM t", NULL,
	              "created|" R1 "|");
	/* The agent's own identity may not approve, but may deny. */
	expect_decide(f, R1, "agent-alpha", "{reviewers}", "approve", 0,
	              "refused|pending|you cannot approve a request made with "
	              "your own identity");
	expect_decide(f, R1, "agent-alpha", "{reviewers}", "deny", 0,
	              "decided|denied|denied");
	expect_take(f, R1, NULL, "denied|f|R agent-alpha|note|");
	expect_decide(f, R1, "rita", "{reviewers}", "approve", 0,
	              "refused|denied|the request is already denied");
	expect_decide(f, R1, "rita", "{reviewers}", "maybe", 0,
	              "refused||unknown vote");
	expect_decide(f, R5, "rita", "{reviewers}", "approve", 0,
	              "refused||no such request");
}

static void test_expire_and_cancel(void **state)
{
	struct pg_fixture *f = *state;
	char *got;

	NEED_PG(f);
	/* The session's timer ends it. */
	expect_submit(f, R1, "hold", 1, "UPDATE t SET a = 2", NULL,
	              "created|" R1 "|");
	expect_take(f, R1, "expired", "expired|f|||the agent disconnected");
	expect_decide(f, R1, "rita", "{}", "approve", 0,
	              "refused|expired|the request is already expired");
	/* The agent goes away. */
	expect_submit(f, R2, "hold", 1, "UPDATE t SET a = 3", NULL,
	              "created|" R2 "|");
	expect_take(f, R2, "cancelled", "cancelled|f|||the agent disconnected");
	expect_events(f, R2, "created:pending,cancelled:cancelled");
	/* Past its expiry, a decision expires it instead. */
	got = submit(f, R3, "hold", 1, "UPDATE t SET a = 4", NULL, 1, "{}", 0,
	             900);
	assert_string_equal(got, "created|" R3 "|");
	free(got);
	expect_decide(f, R3, "rita", "{}", "approve", 0,
	              "refused|expired|the request is already expired");
	/* A decision that beat the timer wins: the take hands it out. */
	expect_submit(f, R4, "hold", 1, "UPDATE t SET a = 5", NULL,
	              "created|" R4 "|");
	expect_decide(f, R4, "rita", "{}", "approve", 0,
	              "decided|approved|approved");
	expect_take(f, R4, "expired", "approved|t|R rita|note|");
}

static void test_quorum(void **state)
{
	struct pg_fixture *f = *state;
	char *got;

	NEED_PG(f);
	got = submit(f, R1, "hold", 1, "DROP TABLE t", NULL, 2, "{dba}", 300,
	             900);
	assert_string_equal(got, "created|" R1 "|");
	free(got);
	expect_decide(f, R1, "rita", "{reviewers}", "approve", 0,
	              "voted|pending|1 of 2 approvals; one approver must be in "
	              "dba");
	expect_decide(f, R1, "rita", "{reviewers}", "approve", 0,
	              "refused|pending|you have already voted on this request");
	expect_decide(f, R1, "ravi", "{reviewers}", "approve", 0,
	              "voted|pending|2 of 2 approvals; one approver must be in "
	              "dba");
	expect_decide(f, R1, "dora", "{dba}", "approve", 0,
	              "decided|approved|approved");
	/* A single deny ends a request however many approvals it has. */
	got = submit(f, R2, "hold", 1, "DROP TABLE u", NULL, 3, "{}", 300, 900);
	free(got);
	expect_decide(f, R2, "rita", "{}", "approve", 0,
	              "voted|pending|1 of 3 approvals");
	expect_decide(f, R2, "ravi", "{}", "deny", 0, "decided|denied|denied");
	pg_expect(f->pg,
	          "SELECT count(*) FROM approval_votes WHERE request_id = '" R2
	          "'",
	          "2");
}

static void test_deferred(void **state)
{
	struct pg_fixture *f = *state;
	char *got;

	NEED_PG(f);
	expect_submit(f, R1, "deferred", 1, "UPDATE t SET a = 9", NULL,
	              "created|" R1 "|");
	/* Sent again while pending: the same request. */
	expect_submit(f, R2, "deferred", 1, "UPDATE t SET a = 9", NULL,
	              "pending|" R1 "|");
	/* Another agent's identical statement is its own request. */
	expect_submit(f, R3, "deferred", 2, "UPDATE t SET a = 9", NULL,
	              "created|" R3 "|");
	expect_decide(f, R1, "rita", "{}", "approve", 0,
	              "decided|approved|approved");
	/* Different parameters are a different statement. */
	expect_submit(f, R4, "deferred", 1, "UPDATE t SET a = 9", "'[1]'",
	              "created|" R4 "|");
	/* Re-sent after approval: it runs, once. */
	expect_submit(f, R5, "deferred", 1, "UPDATE t SET a = 9", NULL,
	              "run|" R1 "|");
	got = submit(f, "20000000-0000-4000-8000-000000000001", "deferred", 1,
	             "UPDATE t SET a = 9", NULL, 1, "{}", 300, 900);
	assert_string_equal(got, "created|20000000-0000-4000-8000-"
	                         "000000000001|");
	free(got);
	expect_events(f, R1,
	              "created:pending,approve:pending,approved:approved,"
	              "executed:approved");
	/* An approval older than the window is not honoured. */
	expect_decide(f, R4, "rita", "{}", "approve", 0,
	              "decided|approved|approved");
	pg_exec_or_fail(f->pg, "UPDATE approval_requests SET decided_at = "
	                       "now() - interval '1 hour' WHERE id = '" R4 "'");
	got = submit(f, "20000000-0000-4000-8000-000000000002", "deferred", 1,
	             "UPDATE t SET a = 9", "'[1]'", 1, "{}", 300, 900);
	assert_string_equal(got, "created|20000000-0000-4000-8000-"
	                         "000000000002|");
	free(got);
}

static void test_bounds(void **state)
{
	struct pg_fixture *f = *state;
	char id[48], sql[64];

	NEED_PG(f);
	/* Three per agent, five in total (see submit()). */
	for (int i = 0; i < 3; i++) {
		char *got;
		snprintf(id, sizeof id, "30000000-0000-4000-8000-00000000000%d", i);
		snprintf(sql, sizeof sql, "UPDATE t SET a = %d", i);
		got = submit(f, id, "hold", 1, sql, NULL, 1, "{}", 300, 900);
		assert_string_equal(got + strlen(got) - 1, "|");
		free(got);
	}
	expect_submit(f, R1, "hold", 1, "UPDATE t SET a = 99", NULL,
	              "refused||agent alpha already has 3 pending requests "
	              "(max_pending_per_agent)");
	expect_submit(f, R2, "hold", 2, "UPDATE t SET a = 1", NULL,
	              "created|" R2 "|");
	expect_submit(f, R3, "hold", 2, "UPDATE t SET a = 2", NULL,
	              "created|" R3 "|");
	expect_submit(f, R4, "hold", 2, "UPDATE t SET a = 3", NULL,
	              "refused||5 requests are already pending (max_pending)");
}

static void test_sweep_and_orphans(void **state)
{
	struct pg_fixture *f = *state;
	char *got;

	NEED_PG(f);
	got = submit(f, R1, "deferred", 1, "UPDATE t SET a = 1", NULL, 1, "{}",
	             0, 900);
	free(got);
	expect_submit(f, R2, "hold", 1, "UPDATE t SET a = 2", NULL,
	              "created|" R2 "|");
	expect_submit(f, R3, "deferred", 1, "UPDATE t SET a = 3", NULL,
	              "created|" R3 "|");
	pg_expect(f->pg, "SELECT approval_sweep(NULL)", "1");
	pg_expect(f->pg, "SELECT state FROM approval_requests WHERE id = '" R1
	                 "'",
	          "expired");
	/* At start, gw-a cancels what it held; deferred requests need no
	 * session and stay. Another name touches nothing. */
	pg_expect(f->pg, "SELECT approval_sweep('gw-b')", "0");
	pg_expect(f->pg, "SELECT approval_sweep('gw-a')", "1");
	pg_expect(f->pg,
	          "SELECT id || ' ' || state FROM approval_requests WHERE state "
	          "= 'cancelled'",
	          R2 " cancelled");
	pg_expect(f->pg, "SELECT state FROM approval_requests WHERE id = '" R3
	                 "'",
	          "pending");
}

static void test_grants_and_revocation(void **state)
{
	struct pg_fixture *f = *state;
	char *gid;
	char q[256];

	NEED_PG(f);
	expect_submit(f, R1, "hold", 1, "UPDATE t SET a = 1", NULL,
	              "created|" R1 "|");
	/* 600 minutes asked, 30 allowed. */
	expect_decide(f, R1, "rita", "{}", "approve", 600,
	              "decided|approved|approved");
	pg_expect(f->pg,
	          "SELECT agent_name, connection, class, expires_at - created_at "
	          "FROM approval_grants",
	          "alpha|orders|write|00:30:00");
	gid = pg_row(f->pg, "SELECT grant_id FROM approval_requests");
	snprintf(q, sizeof q,
	         "SELECT approval_grant_revoke('%s', 'operator', 'done')", gid);
	pg_expect(f->pg, q, "t");
	pg_expect(f->pg, q, "f");
	free(gid);
	/* Revoking the agent cancels its pending requests and ends its
	 * grants, whoever revokes it. */
	expect_submit(f, R2, "hold", 1, "UPDATE t SET a = 2", NULL,
	              "created|" R2 "|");
	expect_submit(f, R3, "hold", 1, "UPDATE t SET a = 3", NULL,
	              "created|" R3 "|");
	expect_decide(f, R3, "rita", "{}", "approve", 10,
	              "decided|approved|approved");
	expect_submit(f, R4, "hold", 2, "UPDATE t SET a = 4", NULL,
	              "created|" R4 "|");
	pg_exec_or_fail(f->pg, "UPDATE agents SET status = 'revoked', revoked_at "
	                       "= now() WHERE id = 1");
	pg_expect(f->pg,
	          "SELECT string_agg(id || ' ' || state, ',' ORDER BY id) FROM "
	          "approval_requests WHERE id IN ('" R2 "', '" R4 "')",
	          R2 " cancelled," R4 " pending");
	pg_expect(f->pg,
	          "SELECT count(*) FROM approval_grants WHERE revoked_at IS NULL",
	          "0");
}

static void test_digest_is_checked(void **state)
{
	struct pg_fixture *f = *state;
	PGresult *res;

	NEED_PG(f);
	expect_submit(f, R1, "hold", 1, "UPDATE t SET a = 1", NULL,
	              "created|" R1 "|");
	/* The bytes and their digest cannot drift apart. */
	res = PQexec(f->pg, "UPDATE approval_requests SET sql_bytes = "
	                    "convert_to('DROP TABLE t', 'UTF8') WHERE id = '" R1
	                    "'");
	assert_int_equal(PQresultStatus(res), PGRES_FATAL_ERROR);
	assert_non_null(strstr(PQresultErrorMessage(res),
	                       "approval_requests_sha_check"));
	PQclear(res);
}

/* ------------------------------------------------ the gateway's side */

struct waiter {
	int done;
	enum approval_outcome outcome;
	char id[37];
	char state[32];
	bool run;
	bool sha_ok;
	char by[64];
	char comment[64];
};

static const char held_sql[] = "UPDATE t SET a = 42";

static void on_submit(void *arg, enum approval_outcome o, const char *id,
                      const char *detail)
{
	struct waiter *w = arg;

	(void)detail;
	w->outcome = o;
	snprintf(w->id, sizeof w->id, "%s", id ? id : "");
	w->done = 1;
}

static void on_end(void *arg, const struct approval_end *e)
{
	struct waiter *w = arg;
	uint8_t sha[32];

	EVP_Digest(held_sql, sizeof held_sql - 1, sha, NULL, EVP_sha256(), NULL);
	snprintf(w->state, sizeof w->state, "%s", e->state);
	w->run = e->run;
	w->sha_ok = e->sha256 && memcmp(e->sha256, sha, 32) == 0;
	snprintf(w->by, sizeof w->by, "%s", e->decided_by ? e->decided_by : "");
	snprintf(w->comment, sizeof w->comment, "%s",
	         e->comment ? e->comment : "");
	w->done = 1;
}

struct gw {
	struct cfg cfg;
	struct approvals *ap;
};

static void gw_open(struct pg_fixture *f, struct gw *g)
{
	struct cfg_store cs = {
	    .dsn = f->dsn,
	    .queue_size = 1000,
	    .batch_size = 100,
	    .flush_interval = 20,
	    .grace = 5000,
	    .reconnect_interval = 200,
	};
	char err[256];

	memset(g, 0, sizeof *g);
	g->cfg.gateway.instance = (char *)"gw-a";
	g->cfg.approvals = (struct cfg_approvals){
	    .review_timeout = 60000,
	    .deferred_window = 60000,
	    .max_pending_per_agent = 10,
	    .max_pending = 100,
	    .max_grant_duration = 3600000,
	    .sweep_interval = 200,
	};
	f->st = store_open(f->base, &cs, "gw-a", err, sizeof err);
	assert_non_null(f->st);
	g->ap = approvals_new(f->base, f->st, &g->cfg, err, sizeof err);
	assert_non_null(g->ap);
}

static void submit_held(struct pg_fixture *f, struct gw *g, struct waiter *w)
{
	struct review_spec rs = {.mode = REVIEW_HOLD, .quorum = 1};
	struct approval_submit req = {
	    .review = &rs,
	    .session_id = SESSION,
	    .seq = 7,
	    .agent_id = 1,
	    .agent_name = "alpha",
	    .idp = "local",
	    .issuer = ISS,
	    .subject = "agent-alpha",
	    .connection = "orders",
	    .client_addr = "127.0.0.1",
	    .command = 3,
	    .cls = SQL_WRITE,
	    .reason = "UPDATE",
	    .policy = "built-in default",
	    .sql = held_sql,
	    .sql_len = sizeof held_sql - 1,
	    .context = "[{\"sql\":\"SELECT 1\"}]",
	};

	memset(w, 0, sizeof *w);
	(void)approvals_submit(g->ap, &req, on_submit, w);
	assert_true(pg_loop_until(f->base, &w->done, 5000));
	assert_int_equal(w->outcome, APPROVAL_CREATED);
	w->done = 0;
}

static void test_gateway_wait(void **state)
{
	struct pg_fixture *f = *state;
	struct gw g;
	struct waiter w;
	char q[256];
	uint64_t t0;

	NEED_PG(f);
	gw_open(f, &g);

	/* Approved elsewhere: the wait hears of it and consumes it. */
	submit_held(f, &g, &w);
	pg_expect(f->pg, "SELECT state, mode, stmt_seq, context->0->>'sql' FROM "
	                 "approval_requests",
	          "pending|hold|7|SELECT 1");
	(void)approvals_wait(g.ap, w.id, SESSION, 60000, on_end, &w);
	snprintf(q, sizeof q,
	         "SELECT outcome FROM approval_decide('%s', '" ISS "', 'rita', "
	         "'Rita', '{}', 'approve', 'go', 0, 30)",
	         w.id);
	t0 = core_mono_ms();
	pg_expect(f->pg, q, "decided");
	assert_true(pg_loop_until(f->base, &w.done, 5000));
	print_message("decision reached the waiting instance in %llu ms\n",
	              (unsigned long long)(core_mono_ms() - t0));
	assert_string_equal(w.state, "approved");
	assert_true(w.run);
	assert_true(w.sha_ok);
	assert_string_equal(w.by, "Rita");
	assert_string_equal(w.comment, "go");

	/* Decided before the wait was registered (its notification came
	 * first): the wait still learns of it at once. */
	submit_held(f, &g, &w);
	snprintf(q, sizeof q,
	         "SELECT outcome FROM approval_decide('%s', '" ISS "', 'rita', "
	         "'Rita', '{}', 'approve', 'early', 0, 30)",
	         w.id);
	pg_expect(f->pg, q, "decided");
	event_base_loop(f->base, EVLOOP_NONBLOCK);
	(void)approvals_wait(g.ap, w.id, SESSION, 60000, on_end, &w);
	assert_true(pg_loop_until(f->base, &w.done, 5000));
	assert_string_equal(w.state, "approved");
	assert_true(w.run);
	assert_string_equal(w.comment, "early");

	/* Denied. */
	submit_held(f, &g, &w);
	(void)approvals_wait(g.ap, w.id, SESSION, 60000, on_end, &w);
	snprintf(q, sizeof q,
	         "SELECT outcome FROM approval_decide('%s', '" ISS "', 'ravi', "
	         "'Ravi', '{}', 'deny', 'no', 0, 30)",
	         w.id);
	pg_expect(f->pg, q, "decided");
	assert_true(pg_loop_until(f->base, &w.done, 5000));
	assert_string_equal(w.state, "denied");
	assert_false(w.run);
	assert_string_equal(w.comment, "no");

	/* Nobody decides: the wait's own deadline expires it. */
	submit_held(f, &g, &w);
	(void)approvals_wait(g.ap, w.id, SESSION, 300, on_end, &w);
	assert_true(pg_loop_until(f->base, &w.done, 5000));
	assert_string_equal(w.state, "expired");
	snprintf(q, sizeof q,
	         "SELECT state FROM approval_requests WHERE id = '%s'", w.id);
	pg_expect(f->pg, q, "expired");

	/* The session leaves: the request is cancelled, no callback. */
	submit_held(f, &g, &w);
	approvals_wait_abandon(approvals_wait(g.ap, w.id, SESSION, 60000, on_end,
	                                      &w),
	                       "client went away");
	snprintf(q, sizeof q,
	         "SELECT state || ': ' || state_reason FROM approval_requests "
	         "WHERE id = '%s'",
	         w.id);
	for (int i = 0; i < 100; i++) {
		char *s = pg_row(f->pg, q);
		bool done = strncmp(s, "cancelled", 9) == 0;
		free(s);
		if (done)
			break;
		event_base_loop(f->base, EVLOOP_NONBLOCK);
		usleep(20000);
	}
	pg_expect(f->pg, q, "cancelled: client went away");
	assert_int_equal(w.done, 0);

	/* A grant opened by a decision is seen by the cache. */
	submit_held(f, &g, &w);
	snprintf(q, sizeof q,
	         "SELECT outcome FROM approval_decide('%s', '" ISS "', 'rita', "
	         "'Rita', '{}', 'approve', '', 5, 30)",
	         w.id);
	pg_expect(f->pg, q, "decided");
	{
		char gid[37];
		bool found = false;
		for (int i = 0; i < 100 && !found; i++) {
			event_base_loop(f->base, EVLOOP_NONBLOCK);
			found = approvals_grant_find(g.ap, 1, "orders", SQL_WRITE, gid);
			if (!found)
				usleep(20000);
		}
		assert_true(found);
		assert_false(approvals_grant_find(g.ap, 1, "orders", SQL_DDL, gid));
		assert_false(approvals_grant_find(g.ap, 2, "orders", SQL_WRITE, gid));
		assert_false(approvals_grant_find(g.ap, 1, "other", SQL_WRITE, gid));
	}
	approvals_free(g.ap);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_hold_approve_once, setup,
	                                    pg_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_deny_and_self, setup,
	                                    pg_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_expire_and_cancel, setup,
	                                    pg_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_quorum, setup,
	                                    pg_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_deferred, setup,
	                                    pg_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_bounds, setup,
	                                    pg_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_sweep_and_orphans, setup,
	                                    pg_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_grants_and_revocation, setup,
	                                    pg_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_digest_is_checked, setup,
	                                    pg_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_gateway_wait, setup,
	                                    pg_fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
