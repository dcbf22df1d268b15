/*
 * store: everything agentgate keeps in PostgreSQL.
 *
 * On the event loop (libpq asynchronous): the agents registry lookup at
 * login, generic parameterised queries (policy rules, later approvals),
 * LISTEN/NOTIFY subscriptions (revocations, policy changes), and the audit
 * recorder — a bounded in-memory queue of session, statement and auth
 * records written in batches. A statement record is queued before the
 * statement is forwarded; its outcome is merged into the queued record when
 * it has not been written yet, or written as an update when it has. A
 * statement still running is not written until it ends unless it runs for
 * over a second, so nearly every statement is written once, complete. A
 * statement that must be on disk before it runs (a write) is instead
 * written at once in its own round trip, and the caller is told when
 * PostgreSQL has committed it.
 *
 * Off the loop (blocking libpq, for agentgatectl): migrations and the admin
 * operations on agents, grants and policy rules.
 *
 * store knows nothing of MySQL or tokens; it never sees a credential.
 * Statement classes, decisions and policy actions are plain strings here:
 * their meaning belongs to approvals/.
 */
#ifndef AGENTGATE_STORE_H
#define AGENTGATE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/core.h"

struct event_base;
struct store;

/* ------------------------------------------------------------ lifecycle */

/* Creates the store and connects its three PostgreSQL connections
 * (blocking, at start-up only): the recorder's, the lookup connection (agent
 * lookups, store_query, LISTEN) and the durable-write connection. Checks
 * that every migration compiled into the binary has been applied, and starts
 * listening for revocations. Returns NULL with a reason. */
struct store *store_open(struct event_base *base, const struct cfg_store *cfg,
                         const char *instance, char *err, size_t errlen);
/* Flushes what is queued (bounded wait, about 2 s, off the loop) and
 * closes. Pending lookups, queries and durable writes are dropped without
 * their callbacks (a durable record is still written by the flush). Never
 * call it from inside a store callback; every store_stmt and store_op
 * handle is invalid after. */
void store_close(struct store *st);

/* ----------------------------------------------------------- agents */

enum store_agent_status {
	STORE_AGENT_OK,          /* active agent, granted the connection */
	STORE_AGENT_UNKNOWN,     /* no agent for this idp + subject */
	STORE_AGENT_REVOKED,     /* agent exists but is revoked */
	STORE_AGENT_NOT_GRANTED, /* agent may not use this connection */
	STORE_AGENT_STORE_DOWN,  /* PostgreSQL unreachable: fail closed */
};

struct store_agent {
	int64_t id;
	char name[128];
	char revoke_reason[256];
};

typedef void (*store_agent_cb)(void *arg, enum store_agent_status status,
                               const struct store_agent *agent);

struct store_op;

/* Look up the agent registered for (idp, subject) and whether it may use
 * `connection`. The callback always runs from the event loop, never from
 * inside this call; `agent` is NULL for STORE_AGENT_UNKNOWN and only valid
 * during the callback. The op is freed once its callback has run: cancel it
 * only before that. Never NULL. */
struct store_op *store_lookup_agent(struct store *st, const char *idp,
                                    const char *subject,
                                    const char *connection, store_agent_cb cb,
                                    void *arg);
/* The callback will not be called; the op is freed. Works for lookups and
 * queries alike. */
void store_op_cancel(struct store_op *op);

/* Called for every revoked agent: on each NOTIFY, and for all revoked
 * agents after the listening connection (re)connects, so nothing missed
 * while it was down stays alive. (Built on store_listen.) */
typedef void (*store_revoke_cb)(void *arg, int64_t agent_id,
                                const char *reason);
void store_set_revoke_cb(struct store *st, store_revoke_cb cb, void *arg);

/* ------------------------------------------- queries and notifications */

/* The answer to store_query. ok false: err says why (PostgreSQL's primary
 * message, or "PostgreSQL unreachable" / "connection to PostgreSQL lost"),
 * and there are no rows. ok true: nrows x ncols cells in row-major order,
 * as text, NULL for SQL NULL (a command returning no rows: 0 x 0). err,
 * cells and the strings are only valid during the callback. */
typedef void (*store_rows_cb)(void *arg, bool ok, const char *err,
                              size_t nrows, size_t ncols,
                              const char *const *cells);

/* Runs one SQL statement on the lookup connection, through the extended
 * protocol (PQsendQueryParams: one statement, $1..$n parameters as text,
 * NULL entries are SQL NULL; params may be NULL when nparams is 0). sql and
 * params are copied. Queries and agent lookups run one at a time in
 * arrival order on a connection that never carries audit batches: keep
 * them short (each has a 10 s limit, after which the connection is reset).
 * The callback always runs from the event loop, never from inside this
 * call; the op is freed once it has run: cancel it (store_op_cancel) only
 * before that. Never NULL. */
struct store_op *store_query(struct store *st, const char *sql, int nparams,
                             const char *const *params, store_rows_cb cb,
                             void *arg);

/* A notification on a channel: its payload (maybe ""), or NULL when
 * notifications may have been missed and the subscriber must reload what
 * it caches from PostgreSQL. */
typedef void (*store_notify_cb)(void *arg, const char *payload);

/* Subscribes to NOTIFY on `channel` (a simple lower-case identifier: a
 * letter or '_', then letters, digits or '_', at most 63 characters) on the
 * lookup connection. The callback runs from the event loop for every
 * notification, and with payload NULL:
 *   - once, as soon as this LISTEN is in effect (on a running store, shortly
 *     after this call): a subscriber that loads its cache then misses
 *     nothing sent in between;
 *   - after every reconnection of the lookup connection, once LISTEN is in
 *     effect again: whatever was sent while it was down was missed.
 * Several subscribers may share a channel. A subscription lasts as long as
 * the store. False only for an invalid channel name. */
bool store_listen(struct store *st, const char *channel, store_notify_cb cb,
                  void *arg) CORE_WUR;

/* ----------------------------------------------------------- recorder */

/* Whether new statements may run. False when the queue is full or records
 * have waited longer than the configured grace because PostgreSQL is
 * unreachable; `why` then says which. */
bool store_accepting(struct store *st, const char **why);

struct store_session_info {
	char id[37];            /* UUID chosen by the caller */
	int64_t agent_id;
	const char *agent_name;
	const char *idp;
	const char *issuer;
	const char *subject;
	const char *connection;
	const char *client_addr;
	const char *tls_version; /* NULL for plaintext */
	int64_t started_us;
	/* The IdP groups the session's policy was evaluated with (sessions
	 * .groups, text[]); groups NULL stores SQL NULL. */
	const char *const *groups;
	size_t n_groups;
	bool read_only;          /* runs on the read-only credential */
};

/* Queue the start of a session. False when the queue is full. */
bool store_session_start(struct store *st,
                         const struct store_session_info *s) CORE_WUR;

struct store_session_end {
	int64_t ended_us;
	const char *reason;     /* e.g. "client quit", "agent revoked: ..." */
	uint64_t bytes_from_client;
	uint64_t bytes_to_client;
	uint64_t statements;
};

/* Always queued (may exceed the queue bound by one per session: a session
 * end is never dropped). */
void store_session_end(struct store *st, const char *session_id,
                       const struct store_session_end *e);

struct store_stmt;

/* What is known of a statement before it runs. Strings are copied; every
 * pointer but session_id may be NULL. */
struct store_stmt_info {
	const char *session_id;   /* the session's UUID */
	uint64_t seq;             /* 1, 2, ... within the session */
	int64_t started_us;
	uint8_t command;          /* MySQL command byte */
	const char *command_name;
	/* The exact bytes the client sent (SQL for COM_QUERY and
	 * COM_STMT_PREPARE), NULL for none. */
	const void *text;
	size_t text_len;
	const char *cls;          /* statement class: "read", "write", ... */
	const char *decision;     /* "allow", "review", "deny" */
	const char *policy;       /* the rule that decided */
	const char *reason;       /* why, in words */
	const char *params;       /* JSON text of decoded execute parameters */
};

/* Queue a statement before it is forwarded. Returns NULL when the queue is
 * full or the session id / sequence number is invalid. The returned handle
 * stays valid until store_stmt_done(); the caller must call it exactly
 * once. */
struct store_stmt *store_stmt_begin(struct store *st,
                                    const struct store_stmt_info *info);

/* ok: PostgreSQL has committed the statement's row. Otherwise `why` says
 * why not, in words fit for the client ("audit store unreachable", "audit
 * queue full", "audit store timed out", ...), and the statement must not
 * run. */
typedef void (*store_durable_cb)(void *arg, bool ok, const char *why);

/* Durable before forward: like store_stmt_begin, but the statement's row
 * (status 'running') is sent at once in a round trip of its own — not held
 * for the batch timer — on a connection that carries nothing else, and cb
 * says when PostgreSQL has committed it (or why it could not). Records
 * begun while a write is in flight share the next round trip.
 *
 *   - cb runs from the event loop, never from inside this call, exactly
 *     once unless store_stmt_done() comes first.
 *   - It fails (cb ok false) at once when the connection is down or the
 *     queue is full, and when no commit is confirmed within the configured
 *     grace.
 *   - store_stmt_done() is the way to cancel: called on a record whose
 *     callback has not run yet, it is safe and the callback never runs
 *     (use it when the session goes away).
 *   - After cb(ok false) the handle is still live: call store_stmt_done
 *     (normally with STORE_STMT_REFUSED); the record then goes through the
 *     ordinary queue, so the refusal is recorded once PostgreSQL is back.
 *     A failed record may exceed the queue bound by one per session.
 *   - After cb(ok true), store_stmt_done writes the outcome as an update
 *     of that row, never a second row.
 * Returns NULL (and never calls cb) only when the session id or sequence
 * number is invalid. */
struct store_stmt *store_stmt_begin_durable(struct store *st,
                                            const struct store_stmt_info *info,
                                            store_durable_cb cb, void *arg);

enum store_stmt_status {
	STORE_STMT_OK,
	STORE_STMT_ERROR,     /* the server answered an error */
	STORE_STMT_REFUSED,   /* the gateway refused it */
	STORE_STMT_ABORTED,   /* the session ended before the answer */
};

struct store_stmt_result {
	enum store_stmt_status status;
	int64_t duration_us;
	int64_t rows_affected;  /* -1 when not applicable */
	int64_t rows_returned;  /* -1 when not applicable */
	uint16_t error_code;
	const char *error_message; /* may be NULL */
};

/* The statement's outcome; the handle is invalid after. On a durable
 * record whose callback has not run, the callback is cancelled. */
void store_stmt_done(struct store *st, struct store_stmt *s,
                     const struct store_stmt_result *r);

struct store_auth_event {
	int64_t at_us;
	bool success;
	const char *reason;       /* precise reason; never the token */
	const char *client_addr;
	const char *listener;
	const char *connection;   /* MySQL user name as sent */
	const char *idp;          /* may be NULL */
	const char *issuer;       /* may be NULL */
	const char *subject;      /* may be NULL */
	int64_t agent_id;         /* 0 when unknown */
	const char *session_id;   /* NULL unless success */
};

/* Queued; dropped (and counted) only when the queue is full. */
void store_auth_event(struct store *st, const struct store_auth_event *a);

/* Counters for logs and tests. */
struct store_stats {
	uint64_t queued, written, dropped_auth, batches, batch_failures;
	/* Records PostgreSQL refused even alone (logged, then dropped). */
	uint64_t dropped_invalid;
	/* Durable writes: rows confirmed, callbacks told ok false. */
	uint64_t durable_ok, durable_failed;
	size_t queue_len;
	bool connected;
};
void store_get_stats(const struct store *st, struct store_stats *out);

/* ------------------------------------------------ blocking admin (ctl) */

/* One blocking connection, for agentgatectl and start-up checks. */
struct store_admin;

struct store_admin *store_admin_connect(const char *dsn, char *err,
                                        size_t errlen);
void store_admin_close(struct store_admin *a);

/* Applies every pending migration in order, each in its own transaction.
 * Prints what it applied to `out`. */
bool store_admin_migrate(struct store_admin *a, FILE *out, char *err,
                         size_t errlen) CORE_WUR;
/* Number of the newest migration compiled in, and the newest applied. */
int store_migrations_latest(void);
bool store_admin_schema_version(struct store_admin *a, int *version,
                                char *err, size_t errlen) CORE_WUR;

bool store_admin_agent_add(struct store_admin *a, const char *name,
                           const char *idp, const char *subject, char *err,
                           size_t errlen) CORE_WUR;
/* Prints a table of every agent with its status and grants. */
bool store_admin_agent_list(struct store_admin *a, FILE *out, char *err,
                            size_t errlen) CORE_WUR;
bool store_admin_agent_show(struct store_admin *a, const char *name, FILE *out,
                            char *err, size_t errlen) CORE_WUR;
/* Marks the agent revoked with a reason and sends NOTIFY so every gateway
 * instance closes its live sessions. */
bool store_admin_agent_revoke(struct store_admin *a, const char *name,
                              const char *reason, char *err,
                              size_t errlen) CORE_WUR;
bool store_admin_agent_restore(struct store_admin *a, const char *name,
                               char *err, size_t errlen) CORE_WUR;
bool store_admin_grant(struct store_admin *a, const char *agent,
                       const char *connection, char *err,
                       size_t errlen) CORE_WUR;
bool store_admin_revoke_grant(struct store_admin *a, const char *agent,
                              const char *connection, char *err,
                              size_t errlen) CORE_WUR;

/* Policy rules (table policies). Arguments are the strings of
 * approvals/: scope "default" (subject "" or NULL), "group" (subject: an
 * IdP group) or "agent" (subject: a registered agent's name); connection
 * "*" (or NULL) for every connection, else a connection name; class
 * "read", "txn", "session", "write", "ddl", "admin" or "unknown"; action
 * "allow", "review" or "deny". Invalid arguments fail with a message that
 * names the value and what is allowed. Every change sends NOTIFY
 * agentgate_policy in its own transaction, so each gateway reloads the
 * rules as soon as it is committed. */

/* How a review rule reviews: mode "hold" or "deferred" (NULL: hold),
 * quorum 1-16 distinct approvals (0: 1), groups a comma separated list of
 * IdP groups one approver must be in (NULL or "": anyone may approve). */
struct store_review_opts {
	const char *mode;
	int quorum;
	const char *groups;
};

/* Creates the rule or changes its action (updated_at = now()). An agent
 * rule needs the agent: "no agent named 'x'". review may be NULL; when
 * given, action must be "review". */
bool store_admin_policy_set(struct store_admin *a, const char *scope,
                            const char *subject, const char *connection,
                            const char *cls, const char *action,
                            const struct store_review_opts *review, char *err,
                            size_t errlen) CORE_WUR;
/* Removes the rule; an error when there is none. */
bool store_admin_policy_unset(struct store_admin *a, const char *scope,
                              const char *subject, const char *connection,
                              const char *cls, char *err,
                              size_t errlen) CORE_WUR;
/* Prints the rules as a table sorted by scope (default, group, agent),
 * subject, connection ("*" first) and class (read ... unknown). Each filter
 * may be NULL for all; subject and connection filters match exactly. */
bool store_admin_policy_show(struct store_admin *a, const char *scope,
                             const char *subject, const char *connection,
                             FILE *out, char *err, size_t errlen) CORE_WUR;

/* Approval requests, newest first: the pending ones, or all (at most
 * 200). */
bool store_admin_approvals_list(struct store_admin *a, bool all, FILE *out,
                                char *err, size_t errlen) CORE_WUR;
/* Cancels a pending request (its session, if held, gets an error). */
bool store_admin_approval_cancel(struct store_admin *a, const char *id,
                                 const char *reason, char *err,
                                 size_t errlen) CORE_WUR;
/* Active time-boxed grants, soonest to expire first. */
bool store_admin_grants_list(struct store_admin *a, FILE *out, char *err,
                             size_t errlen) CORE_WUR;
/* Ends a time-boxed grant early. */
bool store_admin_grant_end(struct store_admin *a, const char *id,
                           const char *reason, char *err,
                           size_t errlen) CORE_WUR;

/* The channel of policy change notifications (payload ""). */
#define STORE_POLICY_CHANNEL "agentgate_policy"

#endif
