/*
 * A PostgreSQL fixture for tests that need the real server: each test gets
 * its own schema in the database named by AGENTGATE_TEST_PG_DSN (migrated
 * or empty), a libpq connection confined to it for checks, an event base
 * and an admin connection. Without the variable the tests skip.
 *
 * Header-only on purpose: each test binary includes it once.
 */
#ifndef AGENTGATE_TESTS_PG_FIXTURE_H
#define AGENTGATE_TESTS_PG_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <libpq-fe.h>

#include "core/core.h"
#include "store/store.h"

struct pg_fixture {
	char schema[64];
	char *dsn;             /* AGENTGATE_TEST_PG_DSN + search_path */
	PGconn *pg;            /* for checks, same schema */
	struct event_base *base;
	struct store *st;
	struct store_admin *admin;
};

#define NEED_PG(f)                                                          \
	do {                                                                \
		if ((f) == NULL) {                                          \
			skip();                                             \
		}                                                           \
	} while (0)

static inline const char *pg_dsn_env(void)
{
	const char *d = getenv("AGENTGATE_TEST_PG_DSN");

	return d && *d ? d : NULL;
}

/* The test DSN with every connection confined to the fixture's schema. */
static inline char *pg_dsn_with_schema(const char *dsn, const char *schema)
{
	struct core_buf b = {0};

	core_buf_append_str(&b, dsn);
	if (strncmp(dsn, "postgres://", 11) == 0 ||
	    strncmp(dsn, "postgresql://", 13) == 0)
		core_buf_printf(&b, "%soptions=-csearch_path%%3D%s",
		                strchr(dsn, '?') ? "&" : "?", schema);
	else
		core_buf_printf(&b, " options='-csearch_path=%s'", schema);
	core_buf_append(&b, "", 1);
	return (char *)b.data;
}

static inline void pg_exec_or_fail(PGconn *pg, const char *sql)
{
	PGresult *res = PQexec(pg, sql);
	ExecStatusType st = PQresultStatus(res);

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		fprintf(stderr, "query failed: %s: %s", sql, PQerrorMessage(pg));
		PQclear(res);
		fail();
	}
	PQclear(res);
}

/* The first row of a query as "a|b|c" (NULL as ""); caller frees. */
static inline char *pg_row(PGconn *pg, const char *sql)
{
	PGresult *res = PQexec(pg, sql);
	struct core_buf b = {0};

	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		fprintf(stderr, "query failed: %s: %s", sql, PQerrorMessage(pg));
		PQclear(res);
		fail();
	}
	for (int c = 0; PQntuples(res) > 0 && c < PQnfields(res); c++) {
		if (c)
			core_buf_append_str(&b, "|");
		core_buf_append_str(&b, PQgetvalue(res, 0, c));
	}
	core_buf_append(&b, "", 1);
	PQclear(res);
	return (char *)b.data;
}

static inline void pg_expect(PGconn *pg, const char *sql, const char *want)
{
	char *got = pg_row(pg, sql);

	if (strcmp(got, want) != 0) {
		fprintf(stderr, "%s\n  got:  %s\n  want: %s\n", sql, got, want);
		free(got);
		fail();
	}
	free(got);
}

static inline int pg_fixture_setup(void **state, bool migrate)
{
	const char *dsn = pg_dsn_env();
	struct pg_fixture *f;
	char sql[128], err[512];
	static unsigned counter;

	*state = NULL;
	if (dsn == NULL)
		return 0;
	f = core_xcalloc(1, sizeof(*f));
	snprintf(f->schema, sizeof(f->schema), "agentgate_test_%d_%u",
	         (int)getpid(), counter++);
	f->pg = PQconnectdb(dsn);
	if (PQstatus(f->pg) != CONNECTION_OK) {
		fprintf(stderr, "cannot connect to AGENTGATE_TEST_PG_DSN: %s",
		        PQerrorMessage(f->pg));
		return -1;
	}
	pg_exec_or_fail(f->pg, "SET client_min_messages = warning");
	snprintf(sql, sizeof(sql), "CREATE SCHEMA %s", f->schema);
	pg_exec_or_fail(f->pg, sql);
	snprintf(sql, sizeof(sql), "SET search_path = %s", f->schema);
	pg_exec_or_fail(f->pg, sql);
	f->dsn = pg_dsn_with_schema(dsn, f->schema);
	f->admin = store_admin_connect(f->dsn, err, sizeof(err));
	if (f->admin == NULL) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	if (migrate) {
		FILE *out = fopen("/dev/null", "w");
		bool ok = store_admin_migrate(f->admin, out, err, sizeof(err));

		fclose(out);
		if (!ok) {
			fprintf(stderr, "migrate: %s\n", err);
			return -1;
		}
	}
	f->base = event_base_new();
	*state = f;
	return 0;
}

static inline int pg_fixture_teardown(void **state)
{
	struct pg_fixture *f = *state;
	char sql[128];

	if (f == NULL)
		return 0;
	store_close(f->st);
	store_admin_close(f->admin);
	snprintf(sql, sizeof(sql), "DROP SCHEMA %s CASCADE", f->schema);
	pg_exec_or_fail(f->pg, "RESET search_path");
	pg_exec_or_fail(f->pg, "SET client_min_messages = warning");
	pg_exec_or_fail(f->pg, sql);
	PQfinish(f->pg);
	if (f->base)
		event_base_free(f->base);
	free(f->dsn);
	free(f);
	*state = NULL;
	return 0;
}

/* Runs the loop until *flag is set or ms pass. */
static inline bool pg_loop_until(struct event_base *base, const int *flag,
                                 int ms)
{
	uint64_t end = core_mono_ms() + (uint64_t)ms;
	struct timeval tick = {0, 5000};

	while (!*flag) {
		if (core_mono_ms() > end)
			return false;
		event_base_loopexit(base, &tick);
		event_base_dispatch(base);
	}
	return true;
}

#endif
