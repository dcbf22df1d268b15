/*
 * The migrations runner: applies the numbered sql/NNN_name.sql files that
 * the build embedded into the binary, in order, each in its own transaction
 * that first takes one fixed advisory lock — so two `agentgatectl migrate`
 * runs at once are safe, the second finding the work done. The applied
 * versions are kept in schema_migrations, which the runner creates itself.
 *
 * It never rolls a migration back and never edits an applied one: a schema
 * change is always a new file with the next number. Migration files must not
 * contain transaction control, since the runner owns the transaction.
 */
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"

/* Key of the transaction-level advisory lock every migration takes: the
 * bytes "agentgat" read as a big-endian integer, unlikely to collide with a
 * lock some other application on the same database uses. */
#define MIGRATE_LOCK_KEY "7018690069353947508"

int store_migrations_latest(void)
{
	if (store_migrations_count == 0)
		return 0;
	return store_migrations[store_migrations_count - 1].version;
}

bool store_migrations_check(const struct store_migration *list, size_t n,
                            char *err, size_t errlen)
{
	size_t i;
	int prev = 0;

	for (i = 0; i < n; i++) {
		const struct store_migration *m = &list[i];
		char prefix[16];

		if (m->name == NULL || m->sql == NULL) {
			snprintf(err, errlen, "migration %zu has no name or text", i);
			return false;
		}
		if (m->version <= prev) {
			snprintf(err, errlen,
			         "migration %s is out of order (after version %d)",
			         m->name, prev);
			return false;
		}
		snprintf(prefix, sizeof(prefix), "%03d_", m->version);
		if (strncmp(m->name, prefix, strlen(prefix)) != 0) {
			snprintf(err, errlen,
			         "migration %s does not match its version %d", m->name,
			         m->version);
			return false;
		}
		prev = m->version;
	}
	return true;
}

/* Runs a command that returns no rows. */
static CORE_WUR bool exec_ok(PGconn *pg, const char *sql, const char *what, char *err,
                    size_t errlen)
{
	PGresult *res = PQexec(pg, sql);
	bool ok = res != NULL && (PQresultStatus(res) == PGRES_COMMAND_OK ||
	                          PQresultStatus(res) == PGRES_TUPLES_OK);

	if (!ok) {
		char msg[512];

		store_pg_error(pg, msg, sizeof(msg));
		snprintf(err, errlen, "%s: %s", what, msg);
	}
	PQclear(res);
	return ok;
}

bool store_pg_schema_version(PGconn *pg, int *version, char *err,
                             size_t errlen)
{
	PGresult *res = NULL;
	bool ok = false;

	res = PQexec(pg, "SELECT to_regclass('schema_migrations') IS NOT NULL");
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		store_pg_error(pg, err, errlen);
		goto out;
	}
	if (strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
		*version = 0;
		ok = true;
		goto out;
	}
	PQclear(res);
	res = PQexec(pg,
	             "SELECT coalesce(max(version), 0) FROM schema_migrations");
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		store_pg_error(pg, err, errlen);
		goto out;
	}
	*version = atoi(PQgetvalue(res, 0, 0));
	ok = true;
out:
	PQclear(res);
	return ok;
}

bool store_admin_schema_version(struct store_admin *a, int *version,
                                char *err, size_t errlen)
{
	return store_pg_schema_version(a->pg, version, err, errlen);
}

/* Applies one migration unless it already is. Sets *applied. */
static CORE_WUR bool apply_one(PGconn *pg, const struct store_migration *m,
                      bool *applied, char *err, size_t errlen)
{
	char version[16];
	const char *params[2] = {version, m->name};
	PGresult *res = NULL;
	bool ok = false;
	char msg[512];

	*applied = false;
	snprintf(version, sizeof(version), "%d", m->version);
	if (!exec_ok(pg, "BEGIN", "cannot start a transaction", err, errlen))
		return false;
	if (!exec_ok(pg, "SELECT pg_advisory_xact_lock(" MIGRATE_LOCK_KEY ")",
	             "cannot take the migration lock", err, errlen))
		goto out;
	if (!exec_ok(pg,
	             "CREATE TABLE IF NOT EXISTS schema_migrations ("
	             " version integer PRIMARY KEY,"
	             " name text NOT NULL,"
	             " applied_at timestamptz NOT NULL DEFAULT now())",
	             "cannot create schema_migrations", err, errlen))
		goto out;
	res = PQexecParams(pg, "SELECT 1 FROM schema_migrations WHERE version = $1",
	                   1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		store_pg_error(pg, msg, sizeof(msg));
		snprintf(err, errlen, "cannot read schema_migrations: %s", msg);
		goto out;
	}
	if (PQntuples(res) == 0) {
		PQclear(res);
		/* Several statements in one simple query: PQexec returns the
		 * last result, or the first error. */
		res = PQexec(pg, m->sql);
		if (PQresultStatus(res) != PGRES_COMMAND_OK &&
		    PQresultStatus(res) != PGRES_TUPLES_OK &&
		    PQresultStatus(res) != PGRES_EMPTY_QUERY) {
			store_pg_error(pg, msg, sizeof(msg));
			snprintf(err, errlen, "migration %s failed: %s", m->name,
			         msg);
			goto out;
		}
		PQclear(res);
		res = PQexecParams(pg,
		                   "INSERT INTO schema_migrations (version, name) "
		                   "VALUES ($1, $2)",
		                   2, NULL, params, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			store_pg_error(pg, msg, sizeof(msg));
			snprintf(err, errlen, "cannot record migration %s: %s",
			         m->name, msg);
			goto out;
		}
		*applied = true;
	}
	ok = exec_ok(pg, "COMMIT", "cannot commit", err, errlen);
	if (!ok)
		*applied = false;
out:
	PQclear(res);
	if (!ok) {
		/* Leave the connection usable; the error is already set. */
		PGresult *rb = PQexec(pg, "ROLLBACK");
		PQclear(rb);
	}
	return ok;
}

bool store_admin_migrate(struct store_admin *a, FILE *out, char *err,
                         size_t errlen)
{
	size_t i;
	int before = 0;
	int latest = store_migrations_latest();
	bool any = false;

	if (!store_migrations_check(store_migrations, store_migrations_count, err,
	                            errlen))
		return false;
	if (!store_pg_schema_version(a->pg, &before, err, errlen))
		return false;
	for (i = 0; i < store_migrations_count; i++) {
		const struct store_migration *m = &store_migrations[i];
		bool applied = false;

		/* Each one is checked, not only those above the newest: a
		 * gap left by an older binary is filled too. */
		if (!apply_one(a->pg, m, &applied, err, errlen))
			return false;
		if (applied) {
			fprintf(out, "applied %s\n", m->name);
			any = true;
		}
	}
	if (before > latest)
		fprintf(out,
		        "database schema is at version %d, newer than this "
		        "binary knows (%d)\n",
		        before, latest);
	else if (!any)
		fprintf(out, "schema is up to date (version %d)\n", latest);
	return true;
}
