/*
 * store: everything agentgate keeps in PostgreSQL.
 *
 * On the event loop (libpq asynchronous): the agents registry lookup at
 * login, revocation wake-ups through LISTEN/NOTIFY, and the audit recorder —
 * a bounded in-memory queue of session, statement and auth records written
 * in batches. A statement record is queued before the statement is
 * forwarded; its outcome is merged into the queued record when it has not
 * been written yet, or written as an update when it has. A statement still
 * running is not written until it ends unless it runs for over a second,
 * so nearly every statement is written once, complete.
 *
 * Off the loop (blocking libpq, for agentgatectl): migrations and the admin
 * operations on agents and grants.
 *
 * store knows nothing of MySQL or tokens; it never sees a credential.
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

/* Creates the store and connects its PostgreSQL connections (blocking, at
 * start-up only), checks that every migration compiled into the binary has
 * been applied, and starts listening for revocations. Returns NULL with a
 * reason. */
struct store *store_open(struct event_base *base, const struct cfg_store *cfg,
                         const char *instance, char *err, size_t errlen);
/* Flushes what is queued (bounded wait, about 2 s, off the loop) and
 * closes. Pending lookups are dropped without their callbacks. Never call it
 * from inside a store callback; every store_stmt handle is invalid after. */
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
/* The callback will not be called; the op is freed. */
void store_op_cancel(struct store_op *op);

/* Called for every revoked agent: on each NOTIFY, and for all revoked
 * agents after the listening connection (re)connects, so nothing missed
 * while it was down stays alive. */
typedef void (*store_revoke_cb)(void *arg, int64_t agent_id,
                                const char *reason);
void store_set_revoke_cb(struct store *st, store_revoke_cb cb, void *arg);

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

/* Queue a statement before it is forwarded. `text` is the exact bytes the
 * client sent (SQL for COM_QUERY / COM_STMT_PREPARE, NULL otherwise).
 * Returns NULL when the queue is full. The returned handle stays valid
 * until store_stmt_done(); the caller must call it exactly once. */
struct store_stmt *store_stmt_begin(struct store *st, const char *session_id,
                                    uint64_t seq, int64_t started_us,
                                    uint8_t command, const char *command_name,
                                    const void *text, size_t text_len);

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

#endif
