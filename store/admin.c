/*
 * Blocking administration for agentgatectl: one libpq connection, the agent
 * registry (add, list, show, revoke, restore), grants and policy rules
 * (set, unset, show). Every value goes to the server as a query parameter.
 * Failures come back as one line meant for an operator ("no agent named
 * 'x'"), never as a bare SQLSTATE.
 *
 * A revocation or a policy change and its NOTIFY are one statement, hence
 * one transaction: the gateways hear of it exactly when it is committed.
 * Policy names (scopes, classes, actions) are checked here as plain strings
 * against the lists the schema's CHECK constraints hold, for a clear
 * message; what they mean is approvals/' business. Nothing here runs on the
 * event loop; the gateway itself never calls these functions.
 */
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"

#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

/* The name rule of sql/001_init.sql, checked here too for a clear message. */
#define AGENT_NAME_MAX 64
/* Sessions listed by `agent show`. */
#define SHOW_SESSIONS "10"
#define TS(col) \
	"to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS\"Z\"')"

struct store_admin *store_admin_connect(const char *dsn, char *err,
                                        size_t errlen)
{
	const char *kw[STORE_PG_PARAMS + 1];
	const char *val[STORE_PG_PARAMS + 1];
	struct store_admin *a = NULL;
	PGconn *pg = NULL;
	char msg[512];

	store_pg_params(dsn ? dsn : "", "agentgatectl", kw, val);
	pg = PQconnectdbParams(kw, val, 1);
	if (pg == NULL || PQstatus(pg) != CONNECTION_OK) {
		store_pg_error(pg, msg, sizeof(msg));
		snprintf(err, errlen, "cannot connect to PostgreSQL: %s", msg);
		PQfinish(pg);
		return NULL;
	}
	store_pg_quiet(pg);
	a = core_xcalloc(1, sizeof(*a));
	a->pg = pg;
	return a;
}

void store_admin_close(struct store_admin *a)
{
	if (a == NULL)
		return;
	PQfinish(a->pg);
	free(a);
}

/* Describes a failed result in one line, with a hint when the schema is
 * missing. */
static void result_error(PGconn *pg, const PGresult *res, char *err,
                         size_t errlen)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY)
	                      : NULL;

	if (msg == NULL) {
		store_pg_error(pg, err, errlen);
		return;
	}
	if (state != NULL && strcmp(state, "42P01") == 0)
		snprintf(err, errlen, "%s (has 'agentgatectl migrate' been run?)",
		         msg);
	else
		snprintf(err, errlen, "%s", msg);
}

/* Runs a parameterised query; NULL with err set unless it returned `want`. */
static PGresult *run(struct store_admin *a, const char *sql, int n,
                     const char *const *params, ExecStatusType want,
                     char *err, size_t errlen)
{
	PGresult *res = PQexecParams(a->pg, sql, n, NULL, params, NULL, NULL, 0);

	if (PQresultStatus(res) != want) {
		result_error(a->pg, res, err, errlen);
		PQclear(res);
		return NULL;
	}
	return res;
}

/* "active", "revoked", or NULL when there is no such agent (err set).
 * Returns false on a query failure. */
static CORE_WUR bool agent_status(struct store_admin *a, const char *name,
                         char *status, size_t statuslen, char *err,
                         size_t errlen)
{
	const char *params[1] = {name};
	PGresult *res = run(a, "SELECT status FROM agents WHERE name = $1", 1,
	                    params, PGRES_TUPLES_OK, err, errlen);

	if (res == NULL)
		return false;
	if (PQntuples(res) == 0) {
		snprintf(err, errlen, "no agent named '%s'", name);
		PQclear(res);
		return false;
	}
	snprintf(status, statuslen, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return true;
}

static bool valid_agent_name(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > AGENT_NAME_MAX)
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

bool store_admin_agent_add(struct store_admin *a, const char *name,
                           const char *idp, const char *subject, char *err,
                           size_t errlen)
{
	const char *params[3] = {name, idp, subject};
	PGresult *res = NULL;
	const char *state, *constraint;

	if (!valid_agent_name(name)) {
		snprintf(err, errlen,
		         "invalid agent name '%s': use 1 to %d letters, digits, "
		         "'_', '.' or '-'",
		         name, AGENT_NAME_MAX);
		return false;
	}
	if (idp[0] == '\0' || subject[0] == '\0') {
		snprintf(err, errlen, "the idp and the subject must not be empty");
		return false;
	}
	res = PQexecParams(a->pg,
	                   "INSERT INTO agents (name, idp, subject) "
	                   "VALUES ($1, $2, $3)",
	                   3, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) == PGRES_COMMAND_OK) {
		PQclear(res);
		return true;
	}
	state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	constraint = PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME);
	if (state && strcmp(state, "23505") == 0 && constraint &&
	    strcmp(constraint, "agents_name_key") == 0) {
		snprintf(err, errlen, "agent '%s' already exists", name);
	} else if (state && strcmp(state, "23505") == 0 && constraint &&
	           strcmp(constraint, "agents_idp_subject_key") == 0) {
		PGresult *other = PQexecParams(
		    a->pg, "SELECT name FROM agents WHERE idp = $1 AND subject = $2",
		    2, NULL, params + 1, NULL, NULL, 0);

		if (PQresultStatus(other) == PGRES_TUPLES_OK &&
		    PQntuples(other) == 1)
			snprintf(err, errlen,
			         "agent '%s' already has idp '%s' and subject '%s'",
			         PQgetvalue(other, 0, 0), idp, subject);
		else
			snprintf(err, errlen,
			         "an agent with idp '%s' and subject '%s' already "
			         "exists",
			         idp, subject);
		PQclear(other);
	} else {
		result_error(a->pg, res, err, errlen);
	}
	PQclear(res);
	return false;
}

/* Prints a value from the database with control characters replaced, so a
 * stored subject or reason cannot drive the operator's terminal. */
static void put_safe(FILE *out, const char *s, int width)
{
	int n = 0;

	for (; *s; s++, n++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, out);
	for (; n < width; n++)
		fputc(' ', out);
}

/* Prints the rows of `res` under `head` in aligned columns, each line
 * starting with `indent`. */
static void put_table(FILE *out, const PGresult *res, const char *const *head,
                      int ncols, const char *indent)
{
	int widths[16];
	int i, j, rows = PQntuples(res);

	if (ncols > 16)
		ncols = 16;
	for (j = 0; j < ncols; j++) {
		widths[j] = (int)strlen(head[j]);
		for (i = 0; i < rows; i++)
			if (PQgetlength(res, i, j) > widths[j])
				widths[j] = PQgetlength(res, i, j);
	}
	fputs(indent, out);
	for (j = 0; j < ncols; j++)
		put_safe(out, head[j], j < ncols - 1 ? widths[j] + 2 : 0);
	fputc('\n', out);
	for (i = 0; i < rows; i++) {
		fputs(indent, out);
		for (j = 0; j < ncols; j++)
			put_safe(out, PQgetvalue(res, i, j),
			         j < ncols - 1 ? widths[j] + 2 : 0);
		fputc('\n', out);
	}
}

bool store_admin_agent_list(struct store_admin *a, FILE *out, char *err,
                            size_t errlen)
{
	static const char *const head[] = {"NAME",   "IDP",    "SUBJECT",
	                                   "STATUS", "GRANTS", "CREATED"};
	PGresult *res = run(
	    a,
	    "SELECT a.name, a.idp, a.subject, a.status, "
	    "coalesce((SELECT string_agg(g.connection, ',' ORDER BY g.connection)"
	    " FROM agent_grants g WHERE g.agent_id = a.id), '-'), " TS(
	        "a.created_at") " FROM agents a ORDER BY a.name",
	    0, NULL, PGRES_TUPLES_OK, err, errlen);

	if (res == NULL)
		return false;
	if (PQntuples(res) == 0)
		fprintf(out, "no agents registered\n");
	else
		put_table(out, res, head, 6, "");
	PQclear(res);
	return true;
}

bool store_admin_agent_show(struct store_admin *a, const char *name, FILE *out,
                            char *err, size_t errlen)
{
	static const char *const session_head[] = {
	    "SESSION", "STARTED",    "ENDED", "CONNECTION",
	    "CLIENT",  "STATEMENTS", "END REASON"};
	const char *params[1] = {name};
	const char *agent_id[1];
	PGresult *agent = NULL, *grants = NULL, *sessions = NULL;
	bool ok = false;
	int i;

	agent = run(a,
	            "SELECT id, name, idp, subject, status, " TS(
	                "created_at") ", coalesce(" TS("revoked_at") ", ''), "
	                              "coalesce(revoke_reason, '') "
	                              "FROM agents WHERE name = $1",
	            1, params, PGRES_TUPLES_OK, err, errlen);
	if (agent == NULL)
		goto out;
	if (PQntuples(agent) == 0) {
		snprintf(err, errlen, "no agent named '%s'", name);
		goto out;
	}
	agent_id[0] = PQgetvalue(agent, 0, 0);
	grants = run(a,
	             "SELECT connection, " TS("created_at") " FROM agent_grants "
	                                                    "WHERE agent_id = $1 "
	                                                    "ORDER BY connection",
	             1, agent_id, PGRES_TUPLES_OK, err, errlen);
	if (grants == NULL)
		goto out;
	sessions = run(
	    a,
	    "SELECT id, coalesce(" TS("started_at") ", '-'), coalesce(" TS(
	        "ended_at") ", '-'), coalesce(connection, '-'), "
	                    "coalesce(client_addr, '-'), "
	                    "coalesce(statements::text, '-'), "
	                    "coalesce(end_reason, '-') FROM sessions "
	                    "WHERE agent_id = $1 "
	                    "ORDER BY started_at DESC NULLS LAST "
	                    "LIMIT " SHOW_SESSIONS,
	    1, agent_id, PGRES_TUPLES_OK, err, errlen);
	if (sessions == NULL)
		goto out;

	fprintf(out, "name:     ");
	put_safe(out, PQgetvalue(agent, 0, 1), 0);
	fprintf(out, "\nid:       %s\nidp:      ", PQgetvalue(agent, 0, 0));
	put_safe(out, PQgetvalue(agent, 0, 2), 0);
	fprintf(out, "\nsubject:  ");
	put_safe(out, PQgetvalue(agent, 0, 3), 0);
	fprintf(out, "\nstatus:   %s", PQgetvalue(agent, 0, 4));
	if (strcmp(PQgetvalue(agent, 0, 4), "revoked") == 0) {
		fprintf(out, " since %s", PQgetvalue(agent, 0, 6));
		if (PQgetvalue(agent, 0, 7)[0] != '\0') {
			fprintf(out, ": ");
			put_safe(out, PQgetvalue(agent, 0, 7), 0);
		}
	}
	fprintf(out, "\ncreated:  %s\ngrants:  ", PQgetvalue(agent, 0, 5));
	if (PQntuples(grants) == 0)
		fprintf(out, " none");
	for (i = 0; i < PQntuples(grants); i++) {
		fputc(i == 0 ? ' ' : ',', out);
		if (i > 0)
			fputc(' ', out);
		put_safe(out, PQgetvalue(grants, i, 0), 0);
	}
	fprintf(out, "\nlast sessions:");
	if (PQntuples(sessions) == 0) {
		fprintf(out, " none\n");
	} else {
		fputc('\n', out);
		put_table(out, sessions, session_head, 7, "  ");
	}
	ok = true;
out:
	PQclear(agent);
	PQclear(grants);
	PQclear(sessions);
	return ok;
}

bool store_admin_agent_revoke(struct store_admin *a, const char *name,
                              const char *reason, char *err, size_t errlen)
{
	const char *params[2] = {name, reason && *reason ? reason : NULL};
	char status[16];
	PGresult *res = NULL;
	int n;

	/* One statement: the NOTIFY is sent when, and only if, the update
	 * commits. Payload format: see STORE_REVOKE_CHANNEL. */
	res = run(a,
	          "WITH u AS (UPDATE agents SET status = 'revoked', "
	          "revoked_at = now(), revoke_reason = $2 "
	          "WHERE name = $1 AND status = 'active' "
	          "RETURNING id, revoke_reason) "
	          "SELECT id, pg_notify('" STORE_REVOKE_CHANNEL "', "
	          "CASE WHEN revoke_reason IS NULL THEN id::text "
	          "ELSE id::text || ' ' || left(revoke_reason, " STRINGIFY(
	              STORE_NOTIFY_REASON_MAX) ") END) FROM u",
	          2, params, PGRES_TUPLES_OK, err, errlen);
	if (res == NULL)
		return false;
	n = PQntuples(res);
	PQclear(res);
	if (n == 1)
		return true;
	if (agent_status(a, name, status, sizeof(status), err, errlen))
		snprintf(err, errlen, "agent '%s' is already revoked", name);
	return false;
}

bool store_admin_agent_restore(struct store_admin *a, const char *name,
                               char *err, size_t errlen)
{
	const char *params[1] = {name};
	char status[16];
	PGresult *res = NULL;
	int n;

	res = run(a,
	          "UPDATE agents SET status = 'active', revoked_at = NULL, "
	          "revoke_reason = NULL WHERE name = $1 AND status = 'revoked' "
	          "RETURNING id",
	          1, params, PGRES_TUPLES_OK, err, errlen);
	if (res == NULL)
		return false;
	n = PQntuples(res);
	PQclear(res);
	if (n == 1)
		return true;
	if (agent_status(a, name, status, sizeof(status), err, errlen))
		snprintf(err, errlen, "agent '%s' is not revoked", name);
	return false;
}

bool store_admin_grant(struct store_admin *a, const char *agent,
                       const char *connection, char *err, size_t errlen)
{
	const char *params[2] = {agent, connection};
	char status[16];
	PGresult *res = NULL;
	int n;

	if (connection[0] == '\0') {
		snprintf(err, errlen, "the connection name must not be empty");
		return false;
	}
	res = run(a,
	          "INSERT INTO agent_grants (agent_id, connection) "
	          "SELECT id, $2 FROM agents WHERE name = $1 "
	          "ON CONFLICT DO NOTHING RETURNING agent_id",
	          2, params, PGRES_TUPLES_OK, err, errlen);
	if (res == NULL)
		return false;
	n = PQntuples(res);
	PQclear(res);
	if (n == 1)
		return true;
	if (agent_status(a, agent, status, sizeof(status), err, errlen))
		snprintf(err, errlen,
		         "agent '%s' is already granted connection '%s'", agent,
		         connection);
	return false;
}

bool store_admin_revoke_grant(struct store_admin *a, const char *agent,
                              const char *connection, char *err,
                              size_t errlen)
{
	const char *params[2] = {agent, connection};
	char status[16];
	PGresult *res = NULL;
	int n;

	res = run(a,
	          "DELETE FROM agent_grants g USING agents a "
	          "WHERE g.agent_id = a.id AND a.name = $1 "
	          "AND g.connection = $2 RETURNING g.agent_id",
	          2, params, PGRES_TUPLES_OK, err, errlen);
	if (res == NULL)
		return false;
	n = PQntuples(res);
	PQclear(res);
	if (n == 1)
		return true;
	if (agent_status(a, agent, status, sizeof(status), err, errlen))
		snprintf(err, errlen, "agent '%s' has no grant for connection '%s'",
		         agent, connection);
	return false;
}

/* ------------------------------------------------------------ policies */

static const char *const policy_scopes[] = {"default", "group", "agent",
                                            NULL};
/* In increasing strictness, as approvals/ orders them and show sorts. */
static const char *const policy_classes[] = {
    "read", "txn", "session", "write", "ddl", "admin", "unknown", NULL};
static const char *const policy_actions[] = {"allow", "review", "deny",
                                             NULL};
#define POLICY_ANY "*"
/* policy_rule.subject in approvals/ holds this many bytes. */
#define POLICY_SUBJECT_MAX 127
/* The connection rule of sql/002_policy.sql. */
#define CONNECTION_NAME_MAX 64

static bool in_list(const char *s, const char *const *list)
{
	size_t i;

	for (i = 0; list[i] != NULL; i++)
		if (strcmp(s, list[i]) == 0)
			return true;
	return false;
}

static bool valid_connection(const char *s)
{
	/* The same characters as agent names, and the same bound. */
	return strcmp(s, POLICY_ANY) == 0 || valid_agent_name(s);
}

/* Printable, valid UTF-8, no control characters. */
static bool valid_group(const char *s)
{
	size_t n = strlen(s), i;
	bool lossless = false;
	char *clean = NULL;

	if (n == 0 || n > POLICY_SUBJECT_MAX)
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	clean = core_utf8_sanitize(s, n, &lossless);
	free(clean);
	return lossless;
}

/* Checks a rule's key and writes the normalised subject ("" for default)
 * and connection ("*" for NULL). */
static CORE_WUR bool policy_key(const char *scope, const char **subject,
                                const char **connection, const char *cls,
                                char *err, size_t errlen)
{
	const char *subj = *subject ? *subject : "";

	if (scope == NULL || !in_list(scope, policy_scopes)) {
		snprintf(err, errlen,
		         "invalid scope '%s': use default, group or agent",
		         scope ? scope : "");
		return false;
	}
	if (strcmp(scope, "default") == 0 && subj[0] != '\0') {
		snprintf(err, errlen,
		         "scope 'default' applies to everyone and takes no "
		         "subject (got '%s')",
		         subj);
		return false;
	}
	if (strcmp(scope, "group") == 0 && subj[0] == '\0') {
		snprintf(err, errlen,
		         "scope 'group' needs a subject: the IdP group's name");
		return false;
	}
	if (strcmp(scope, "group") == 0 && !valid_group(subj)) {
		snprintf(err, errlen,
		         "invalid group name: use at most %d bytes of printable "
		         "UTF-8",
		         POLICY_SUBJECT_MAX);
		return false;
	}
	if (strcmp(scope, "agent") == 0 && subj[0] == '\0') {
		snprintf(err, errlen,
		         "scope 'agent' needs a subject: the agent's name");
		return false;
	}
	if (strcmp(scope, "agent") == 0 && !valid_agent_name(subj)) {
		snprintf(err, errlen, "no agent named '%s'", subj);
		return false;
	}
	if (*connection == NULL)
		*connection = POLICY_ANY;
	if (!valid_connection(*connection)) {
		snprintf(err, errlen,
		         "invalid connection '%s': use '*' for every connection, "
		         "or a name of 1 to %d letters, digits, '_', '.' or '-'",
		         *connection, CONNECTION_NAME_MAX);
		return false;
	}
	if (cls == NULL || !in_list(cls, policy_classes)) {
		snprintf(err, errlen,
		         "invalid class '%s': use read, txn, session, write, ddl, "
		         "admin or unknown",
		         cls ? cls : "");
		return false;
	}
	*subject = subj;
	return true;
}

/* "group 'etl' on every connection for class 'write'" */
static void describe_rule(char *out, size_t outlen, const char *scope,
                          const char *subject, const char *connection,
                          const char *cls)
{
	char who[160], where[96];

	if (strcmp(scope, "default") == 0)
		snprintf(who, sizeof(who), "everyone (default)");
	else
		snprintf(who, sizeof(who), "%s '%s'", scope, subject);
	if (strcmp(connection, POLICY_ANY) == 0)
		snprintf(where, sizeof(where), "every connection");
	else
		snprintf(where, sizeof(where), "connection '%s'", connection);
	snprintf(out, outlen, "%s on %s for class '%s'", who, where, cls);
}

/* A comma separated list of group names, each one valid_group() accepts. */
static bool valid_groups(const char *list)
{
	char name[POLICY_SUBJECT_MAX + 2];

	for (const char *p = list;; p++) {
		size_t n = strcspn(p, ",");
		if (n >= sizeof name)
			return false;
		memcpy(name, p, n);
		name[n] = '\0';
		if (!valid_group(name))
			return false;
		p += n;
		if (*p == '\0')
			return true;
	}
}

bool store_admin_policy_set(struct store_admin *a, const char *scope,
                            const char *subject, const char *connection,
                            const char *cls, const char *action,
                            const struct store_review_opts *review, char *err,
                            size_t errlen)
{
	const char *params[8];
	char quorum[16];
	PGresult *res = NULL;
	int n;

	if (!policy_key(scope, &subject, &connection, cls, err, errlen))
		return false;
	if (action == NULL || !in_list(action, policy_actions)) {
		snprintf(err, errlen,
		         "invalid action '%s': use allow, review or deny",
		         action ? action : "");
		return false;
	}
	if (review != NULL && strcmp(action, "review") != 0) {
		snprintf(err, errlen,
		         "a review mode, quorum or required group needs the action "
		         "review, not '%s'",
		         action);
		return false;
	}
	if (review != NULL && review->mode != NULL &&
	    strcmp(review->mode, "hold") != 0 &&
	    strcmp(review->mode, "deferred") != 0) {
		snprintf(err, errlen, "invalid review mode '%s': use hold or deferred",
		         review->mode);
		return false;
	}
	if (review != NULL && (review->quorum < 0 || review->quorum > 16)) {
		snprintf(err, errlen, "invalid quorum %d: use 1 to 16", review->quorum);
		return false;
	}
	if (review != NULL && review->groups != NULL && *review->groups &&
	    !valid_groups(review->groups)) {
		snprintf(err, errlen,
		         "invalid group list '%s': use names separated by commas",
		         review->groups);
		return false;
	}
	snprintf(quorum, sizeof quorum, "%d",
	         review && review->quorum > 0 ? review->quorum : 1);
	params[0] = scope;
	params[1] = subject;
	params[2] = connection;
	params[3] = cls;
	params[4] = action;
	params[5] = review && review->mode ? review->mode : "hold";
	params[6] = quorum;
	params[7] = review && review->groups ? review->groups : "";
	/* One statement: the rule and its NOTIFY commit together, and an
	 * agent rule is only written while its agent exists. */
	res = run(a,
	          "WITH u AS (INSERT INTO policies "
	          "(scope, subject, connection, class, action, review_mode, "
	          "quorum, quorum_groups) "
	          "SELECT $1::text, $2::text, $3::text, $4::text, $5::text, "
	          "$6::text, $7::int, "
	          "coalesce(string_to_array(nullif($8::text, ''), ','), '{}') "
	          "WHERE $1::text <> 'agent' "
	          "OR EXISTS (SELECT 1 FROM agents WHERE name = $2::text) "
	          "ON CONFLICT ON CONSTRAINT policies_rule_key DO UPDATE "
	          "SET action = EXCLUDED.action, "
	          "review_mode = EXCLUDED.review_mode, quorum = EXCLUDED.quorum, "
	          "quorum_groups = EXCLUDED.quorum_groups, updated_at = now() "
	          "RETURNING id) "
	          "SELECT pg_notify('" STORE_POLICY_CHANNEL "', '') FROM u",
	          8, params, PGRES_TUPLES_OK, err, errlen);
	if (res == NULL)
		return false;
	n = PQntuples(res);
	PQclear(res);
	if (n == 1)
		return true;
	snprintf(err, errlen, "no agent named '%s'", subject);
	return false;
}

bool store_admin_policy_unset(struct store_admin *a, const char *scope,
                              const char *subject, const char *connection,
                              const char *cls, char *err, size_t errlen)
{
	const char *params[4];
	PGresult *res = NULL;
	char rule[400];
	int n;

	if (!policy_key(scope, &subject, &connection, cls, err, errlen))
		return false;
	params[0] = scope;
	params[1] = subject;
	params[2] = connection;
	params[3] = cls;
	res = run(a,
	          "WITH d AS (DELETE FROM policies WHERE scope = $1 "
	          "AND subject = $2 AND connection = $3 AND class = $4 "
	          "RETURNING id) "
	          "SELECT pg_notify('" STORE_POLICY_CHANNEL "', '') FROM d",
	          4, params, PGRES_TUPLES_OK, err, errlen);
	if (res == NULL)
		return false;
	n = PQntuples(res);
	PQclear(res);
	if (n == 1)
		return true;
	describe_rule(rule, sizeof(rule), scope, subject, connection, cls);
	snprintf(err, errlen, "no policy rule for %s", rule);
	return false;
}

bool store_admin_policy_show(struct store_admin *a, const char *scope,
                             const char *subject, const char *connection,
                             FILE *out, char *err, size_t errlen)
{
	static const char *const head[] = {"SCOPE",  "SUBJECT", "CONNECTION",
	                                   "CLASS",  "ACTION",  "REVIEW",
	                                   "UPDATED"};
	const char *params[3] = {scope, subject, connection};
	PGresult *res = NULL;

	if (scope != NULL && !in_list(scope, policy_scopes)) {
		snprintf(err, errlen,
		         "invalid scope '%s': use default, group or agent", scope);
		return false;
	}
	if (connection != NULL && !valid_connection(connection)) {
		snprintf(err, errlen,
		         "invalid connection '%s': use '*' for every connection, "
		         "or a name of 1 to %d letters, digits, '_', '.' or '-'",
		         connection, CONNECTION_NAME_MAX);
		return false;
	}
	/* Byte order ("C") for names, so '*' comes first whatever the
	 * database's collation; scopes and classes in their own order. */
	res = run(a,
	          "SELECT scope, CASE WHEN subject = '' THEN '-' "
	          "ELSE subject END, connection, class, action, "
	          "CASE WHEN action <> 'review' THEN '-' ELSE review_mode || "
	          "CASE WHEN quorum > 1 THEN ', ' || quorum || ' approvals' "
	          "ELSE '' END || CASE WHEN cardinality(quorum_groups) > 0 "
	          "THEN ', one from ' || array_to_string(quorum_groups, '|') "
	          "ELSE '' END END, " TS(
	              "updated_at") " FROM policies "
	                            "WHERE ($1::text IS NULL OR scope = $1) "
	                            "AND ($2::text IS NULL OR subject = $2) "
	                            "AND ($3::text IS NULL OR connection = $3) "
	                            "ORDER BY array_position(ARRAY['default', "
	                            "'group', 'agent'], scope), "
	                            "subject COLLATE \"C\", "
	                            "connection COLLATE \"C\", "
	                            "array_position(ARRAY['read', 'txn', "
	                            "'session', 'write', 'ddl', 'admin', "
	                            "'unknown'], class)",
	          3, params, PGRES_TUPLES_OK, err, errlen);
	if (res == NULL)
		return false;
	if (PQntuples(res) > 0)
		put_table(out, res, head, 7, "");
	else if (scope == NULL && subject == NULL && connection == NULL)
		fprintf(out, "no policy rules (the built-in defaults apply)\n");
	else
		fprintf(out, "no matching policy rules\n");
	PQclear(res);
	return true;
}

/* ------------------------------------------------------------ approvals */

bool store_admin_approvals_list(struct store_admin *a, bool all, FILE *out,
                                char *err, size_t errlen)
{
	static const char *const head[] = {"REQUEST", "STATE",      "MODE",
	                                   "AGENT",   "CONNECTION", "CLASS",
	                                   "CREATED", "STATEMENT"};
	const char *params[1] = {all ? "t" : "f"};
	PGresult *res = run(
	    a,
	    "SELECT id, state, mode, agent_name, connection, class, " TS(
	        "created_at") ", "
	                      "left(regexp_replace(sql_text, '\\s+', ' ', 'g'), 60) "
	                      "FROM approval_requests "
	                      "WHERE $1::boolean OR state = 'pending' "
	                      "ORDER BY created_at DESC LIMIT 200",
	    1, params, PGRES_TUPLES_OK, err, errlen);

	if (res == NULL)
		return false;
	if (PQntuples(res) == 0)
		fprintf(out, all ? "no approval requests\n"
		                 : "no pending approval requests\n");
	else
		put_table(out, res, head, 8, "");
	PQclear(res);
	return true;
}

bool store_admin_approval_cancel(struct store_admin *a, const char *id,
                                 const char *reason, char *err, size_t errlen)
{
	const char *params[2] = {id, reason ? reason : "cancelled by an operator"};
	PGresult *res;
	bool ok;

	/* The state before (the statement's snapshot) tells whether this
	 * call did the cancelling. */
	res = run(a,
	          "WITH before AS (SELECT state FROM approval_requests "
	          "WHERE id = $1::uuid) "
	          "SELECT (SELECT state FROM before), t.state FROM approval_take("
	          "$1::uuid, '00000000-0000-0000-0000-000000000000', 'operator', "
	          "'cancelled', $2) t",
	          2, params, PGRES_TUPLES_OK, err, errlen);
	if (res == NULL)
		return false;
	ok = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "pending") == 0 &&
	     strcmp(PQgetvalue(res, 0, 1), "cancelled") == 0;
	if (!ok && PQntuples(res) == 1 && PQgetisnull(res, 0, 0))
		snprintf(err, errlen, "no approval request %s", id);
	else if (!ok)
		snprintf(err, errlen, "request %s is %s, not pending", id,
		         PQntuples(res) == 1 ? PQgetvalue(res, 0, 1) : "unknown");
	PQclear(res);
	return ok;
}

bool store_admin_grants_list(struct store_admin *a, FILE *out, char *err,
                             size_t errlen)
{
	static const char *const head[] = {"GRANT",   "AGENT",      "CONNECTION",
	                                   "CLASS",   "EXPIRES",    "BY"};
	PGresult *res = run(a,
	                    "SELECT id, agent_name, connection, class, " TS(
	                        "expires_at") ", created_by FROM approval_grants "
	                                      "WHERE revoked_at IS NULL AND "
	                                      "expires_at > now() "
	                                      "ORDER BY expires_at",
	                    0, NULL, PGRES_TUPLES_OK, err, errlen);

	if (res == NULL)
		return false;
	if (PQntuples(res) == 0)
		fprintf(out, "no active grants\n");
	else
		put_table(out, res, head, 6, "");
	PQclear(res);
	return true;
}

bool store_admin_grant_end(struct store_admin *a, const char *id,
                           const char *reason, char *err, size_t errlen)
{
	const char *params[2] = {id, reason ? reason : "ended by an operator"};
	PGresult *res = run(a,
	                    "SELECT approval_grant_revoke($1::uuid, 'operator', "
	                    "$2)",
	                    2, params, PGRES_TUPLES_OK, err, errlen);
	bool ok;

	if (res == NULL)
		return false;
	ok = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	if (!ok)
		snprintf(err, errlen, "no active grant %s", id);
	PQclear(res);
	return ok;
}
