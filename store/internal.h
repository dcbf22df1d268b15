/*
 * store internals shared by the store's files and its unit tests: the
 * compiled-in migrations, SQL literal and COPY field building, the audit
 * record queue and its durable-write path, the asynchronous PostgreSQL
 * connection driver, lookup/query operations, LISTEN subscriptions and the
 * store object itself.
 *
 * Nothing here is part of the module's interface; other modules include
 * store/store.h only.
 */
#ifndef AGENTGATE_STORE_INTERNAL_H
#define AGENTGATE_STORE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "core/core.h"
#include "store/store.h"

struct event;

/* ------------------------------------------------------------ migrations */

/* One file sql/NNN_name.sql, embedded at build time. */
struct store_migration {
	int version;       /* NNN */
	const char *name;  /* "NNN_name" */
	const char *sql;   /* NUL-terminated file contents */
	size_t len;
};

/* Generated from sql/ at build time: sorted by file name, terminated by an
 * entry with a NULL name. */
extern const struct store_migration store_migrations[];
extern const size_t store_migrations_count;

/* Checks that the compiled-in list is usable: versions strictly increasing
 * from 1, names starting with their three-digit version. */
bool store_migrations_check(const struct store_migration *list, size_t n,
                            char *err, size_t errlen) CORE_WUR;

/* The blocking connection behind agentgatectl. */
struct store_admin {
	PGconn *pg;
};

/* Routes libpq notices (e.g. "already exists, skipping") to the debug log
 * instead of stderr. */
void store_pg_quiet(PGconn *pg);

/* The newest applied version on a blocking connection; 0 when the schema
 * has never been migrated. */
bool store_pg_schema_version(PGconn *pg, int *version, char *err,
                             size_t errlen) CORE_WUR;

/* ------------------------------------------------------------ SQL text */

/* Channel used for revocation wake-ups. The payload is the agent id in
 * decimal, then, when a reason was given, one space and the reason
 * (truncated by the sender to STORE_NOTIFY_REASON_MAX characters):
 * "42" or "42 key leaked". */
#define STORE_REVOKE_CHANNEL "agentgate_revoke"
/* NOTIFY payloads are limited to 8000 bytes; stay well below it. */
#define STORE_NOTIFY_REASON_MAX 1000

bool store_parse_revoke_payload(const char *payload, int64_t *id,
                                const char **reason) CORE_WUR;

/* Appends `s` as an escape-string literal E'...' (quotes and backslashes
 * doubled), or NULL when s is NULL. The text is made valid UTF-8 first.
 * Escape-string syntax reads the same whatever standard_conforming_strings
 * says, so batches never depend on that setting. */
void store_sql_str(struct core_buf *b, const char *s);
/* Appends the bytes as a text literal made valid UTF-8 (NUL and invalid
 * sequences become U+FFFD). Returns true when nothing had to change. */
bool store_sql_text(struct core_buf *b, const void *data, size_t len);
/* Appends E'\\x...' (bytea hex input). */
void store_sql_bytea(struct core_buf *b, const void *data, size_t len);
void store_sql_i64(struct core_buf *b, int64_t v);
/* Microseconds since the epoch as a timestamptz literal in UTC:
 * '2024-05-01 12:00:00.000001+00'; NULL outside the years 1 to 9999. */
void store_sql_ts(struct core_buf *b, int64_t us);

/* COPY ... FROM STDIN (FORMAT binary), which the recorder uses for its
 * statement rows: the data is store_copy_begin's header, then each row as
 * store_copy_row (its number of fields) followed by that many fields, then
 * store_copy_end. A field is its length (or -1 for NULL) and the column
 * type's binary form, integers in network byte order; PostgreSQL then
 * parses no text at all, and nothing in a field is syntax. The writer must
 * match the column types exactly (smallint is store_copy_i16, integer
 * store_copy_i32, bigint store_copy_i64): a mismatch is refused by the
 * server as malformed data. */
#define STORE_COPY_SIGNATURE "PGCOPY\n\377\r\n"
#define STORE_COPY_SIGNATURE_LEN 11 /* the above and its NUL */
/* The longest field written, so that a length always fits its 32 bits:
 * PostgreSQL takes no field of 1 GiB or more anyway (nor did a text COPY
 * line). Longer text is cut at a character boundary and reported lossy,
 * longer bytes are cut. Statements are bounded by max_packet_size (1 GiB
 * at most), so only pathological ones come near. */
#define STORE_COPY_FIELD_MAX (((size_t)1 << 30) - ((size_t)1 << 20))
void store_copy_begin(struct core_buf *b);
void store_copy_end(struct core_buf *b);
void store_copy_row(struct core_buf *b, uint16_t nfields);
void store_copy_null(struct core_buf *b);
void store_copy_i16(struct core_buf *b, int16_t v);
void store_copy_i32(struct core_buf *b, int32_t v);
void store_copy_i64(struct core_buf *b, int64_t v);
/* Appends the bytes as a text field made valid UTF-8 (as store_sql_text).
 * Returns true when nothing had to change. */
bool store_copy_text(struct core_buf *b, const void *data, size_t len);
/* The same with a lower bound than STORE_COPY_FIELD_MAX (tests). */
bool store_copy_text_max(struct core_buf *b, const void *data, size_t len,
                         size_t max);
/* A text field, or NULL when s is NULL. */
void store_copy_str(struct core_buf *b, const char *s);
/* A bytea field: the bytes themselves. */
void store_copy_bytea(struct core_buf *b, const void *data, size_t len);
/* A timestamptz field, or NULL where store_sql_ts writes NULL (outside the
 * years 1 to 9999). PostgreSQL 10 and later store timestamps as integers,
 * the only binary form this writes. */
void store_copy_ts(struct core_buf *b, int64_t us);
/* A uuid field from an id store_uuid_valid accepted. */
void store_copy_uuid(struct core_buf *b, const char *id);
/* 8-4-4-4-12 hexadecimal digits. */
bool store_uuid_valid(const char *s);

/* Connection keywords shared by every connection we open: defaults the DSN
 * may override (application name, keepalives, connect timeout), the DSN
 * itself, then what we insist on (client_encoding UTF8). */
#define STORE_PG_PARAMS 8
void store_pg_params(const char *dsn, const char *app,
                     const char *keywords[STORE_PG_PARAMS + 1],
                     const char *values[STORE_PG_PARAMS + 1]);
/* libpq's last error as one line (trailing newline removed). */
void store_pg_error(PGconn *pg, char *err, size_t errlen);

/* ------------------------------------------------------------ recorder */

enum rec_kind {
	REC_SESSION_START,
	REC_SESSION_END,
	REC_STMT,         /* statement begin, possibly with its outcome merged */
	REC_STMT_UPDATE,  /* outcome of a statement whose begin was taken */
	REC_AUTH,
	REC_KIND_COUNT,
};

enum rec_where {
	REC_QUEUED,  /* in store_rq.q (taken when part of the batch in flight) */
	REC_PARKED,  /* written, but the caller still holds its handle */
	/* A statement of store_stmt_begin_durable, in none of the queue's
	 * lists: its own write is waiting, in flight, or answered with the
	 * callback not yet run (store_stmt.dur says which). */
	REC_DURABLE,
};

/* Common head of every queued record. */
struct rec {
	struct rec *prev, *next;
	uint64_t queued_ms;
	size_t bytes;          /* memory accounted against the queue */
	uint8_t kind;          /* enum rec_kind */
	uint8_t where;         /* enum rec_where */
	bool taken;            /* part of the batch in flight */
	/* Was in a batch whose fate is unknown (connection lost before the
	 * answer): it may already be stored, so it is sent again only as an
	 * upsert, never through COPY. */
	bool uncertain;
	char session_id[37];
};

struct rec_outcome {
	enum store_stmt_status status;
	int64_t duration_us;
	int64_t rows_affected;
	int64_t rows_returned;
	uint16_t error_code;
	char *error_message;   /* malloc, may be NULL */
};

struct store_durable;

/* The handle store_stmt_begin() returns is the statement record itself. */
struct store_stmt {
	struct rec h;
	uint64_t seq;
	int64_t started_us;
	uint8_t command;
	bool has_outcome;      /* store_stmt_done merged into this record */
	bool handle_live;      /* the caller has not called store_stmt_done */
	bool has_text;
	struct rec_outcome out;
	/* Short strings, into blob; each may be NULL. */
	const char *command_name;
	const char *cls, *decision, *policy, *reason;
	/* Text and params: into blob, or text_heap when large. */
	const uint8_t *text;
	const char *params;        /* NUL-terminated JSON, may be NULL */
	uint8_t *text_heap;        /* freed as soon as the record is written */
	size_t text_len;
	/* Non-NULL while h.where is REC_DURABLE. */
	struct store_durable *dur;
	char blob[];
};

/* Statement text and parameters up to this size together live inside
 * their record (one allocation per statement); larger ones get their own,
 * released once written, so a long-running statement does not pin a large
 * text until it ends. */
#define STORE_INLINE_TEXT_MAX 1024

struct rec_list {
	struct rec *head, *tail;
	size_t n;
};

/* A statement still without its outcome when a batch is built stays
 * queued, to be written once, complete, when it ends; only when it has been
 * running this long is it written as 'running' (and its outcome later as an
 * update), so that long statements show in the audit while they run.
 * A MySQL point select ends in well under a millisecond, so at a second
 * nearly every statement is written exactly once. Never more
 * than half the grace, so a statement held back is written long before its
 * age would count against the grace (see store_rq_init). */
#define STORE_RUNNING_AFTER_MS 1000

/* The bounded queue of audit records, free of any I/O so it can be tested
 * alone. The batch in flight is the n_taken records of q marked taken; they
 * are not always the first ones, since young running statements stay
 * queued, untaken, while records behind them go. */
struct store_rq {
	struct rec_list q;
	struct rec_list parked;
	size_t n_taken;
	/* Queued statements neither taken nor complete whose caller still
	 * holds the handle: the ones a batch may hold back. */
	size_t n_open;
	size_t bytes;
	size_t limit;          /* queue_size */
	size_t batch_size;
	uint64_t grace_ms;
	uint64_t running_ms;   /* STORE_RUNNING_AFTER_MS, bounded by grace */
	bool use_copy;         /* false: statements as INSERT (tests, bench) */
	bool flush_all;        /* shutdown: hold nothing back */
	size_t salvage;        /* records still to be sent one per batch */
	uint64_t (*now_ms)(void);
	struct core_buf group[REC_KIND_COUNT];
	/* The COPY data of the batch built last is copy_parts parts, one per
	 * COPY statement of its query; part i ends at copy_ends[i]. */
	size_t *copy_ends;
	size_t copy_parts, copy_ends_cap;
	uint64_t queued, written, dropped_auth, dropped_invalid;
	uint64_t batches, batch_failures;
	char why[80];
};

/* Memory a queue may hold in records, whatever queue_size says: a statement
 * can be as large as a MySQL packet, so the count alone is no bound. */
#define STORE_QUEUE_MAX_BYTES ((size_t)256 << 20)
/* A batch stops growing past this many bytes of SQL (at least one record
 * is always sent), so one round trip stays reasonable. */
#define STORE_BATCH_MAX_BYTES ((size_t)8 << 20)
/* Batch building buffers above this size are released after use. */
#define STORE_BATCH_KEEP_BYTES ((size_t)1 << 20)

void store_rq_init(struct store_rq *rq, const struct cfg_store *cfg);
void store_rq_free(struct store_rq *rq);
/* Records waiting that are not in flight. */
size_t store_rq_waiting(const struct store_rq *rq);
/* Of those, the ones a batch would take now or soon: all but the
 * statements still running (store_rq_take holds young ones back). */
size_t store_rq_ready(const struct store_rq *rq);
bool store_rq_full(const struct store_rq *rq);

/* Where store_rq_take sends a waiting record. */
enum rec_route {
	REC_ROUTE_HOLD,  /* a young running statement: stays queued */
	REC_ROUTE_COPY,  /* a complete statement: a row of the COPY */
	REC_ROUTE_SQL,   /* everything else: the INSERT ... ON CONFLICT SQL */
};
enum rec_route store_rq_route(const struct store_rq *rq, const struct rec *r,
                              uint64_t now_ms);

/* Statement rows per COPY. PostgreSQL (15, at least) buffers the rows of
 * a binary COPY 1,000 at a time, one tuple slot each, and creating and
 * dropping those slots costs it time that grows with the square of their
 * number: a batch of 1,000 rows in one COPY cost it about 0.7 ms more than
 * in four. Each further COPY of a batch costs a little (the server asks for
 * its data: one more exchange on the connection). COPYs of 100 to 250 rows
 * were measured cheapest (docs/PERFORMANCE.md); of those, 250 needs the
 * fewest exchanges. A batch sends as many as it needs. */
#define STORE_COPY_PART_ROWS 250

/* The head of the batch query when it carries COPY rows: the query is this
 * COPY, once per part of the COPY data (store_rq.copy_parts), then the SQL
 * of the other records. */
#define STORE_COPY_STATEMENTS                                               \
	"COPY statements (session_id, seq, started_at, command, "           \
	"command_name, sql_text, sql_bytes, class, decision, policy, "      \
	"reason, params, status, duration_us, rows_affected, "              \
	"rows_returned, error_code, error_message) FROM STDIN "             \
	"(FORMAT binary);\n"

/* Builds the next batch and marks its records taken: the query into `sql`
 * (NUL-terminated) and, when it starts with STORE_COPY_STATEMENTS, the COPY
 * data into `copy` (empty otherwise): rq->copy_parts parts in the binary
 * format, each with its header and trailer and at most
 * STORE_COPY_PART_ROWS rows. Returns the number taken; 0 when
 * nothing can go now or a batch is already in flight. `instance_lit` is the
 * instance name already written as a literal. */
size_t store_rq_take(struct store_rq *rq, const char *instance_lit,
                     struct core_buf *sql, struct core_buf *copy);
/* The batch in flight was committed. */
void store_rq_batch_ok(struct store_rq *rq);
/* The batch in flight may not have been written (connection lost, server
 * unavailable): its records stay where they are in the queue and are sent
 * again, marked uncertain. */
void store_rq_batch_retry(struct store_rq *rq);
/* PostgreSQL refused the batch's data. A batch of several records is split
 * and its records sent one at a time; a single refused record is dropped
 * and counted (it would block the queue forever otherwise). */
void store_rq_batch_rejected(struct store_rq *rq, const char *why);

/* A statement record from the caller's description (strings copied),
 * in no list yet; NULL when the session id or sequence number is invalid. */
struct store_stmt *store_rq_stmt_new(const struct store_stmt_info *info);
/* Appends one statement record to the SQL of a durable write: the first
 * call (n == 0) starts the INSERT, each adds the row with status 'running'.
 * store_rq_durable_end closes it (ON CONFLICT DO NOTHING: any row already
 * there holds the same record, as complete or more) and NUL-terminates. */
void store_rq_durable_row(struct core_buf *sql, const struct store_stmt *s,
                          size_t n);
void store_rq_durable_end(struct core_buf *sql);
/* A durable record leaves REC_DURABLE: `written` when PostgreSQL committed
 * its row, `uncertain` when it may have. Written with its handle still
 * held: parked, like any written running statement. Otherwise queued (as
 * an upsert when it may be stored already), its outcome with it if
 * store_stmt_done has run. */
void store_stmt_settle(struct store *st, struct store_stmt *s, bool written,
                       bool uncertain);

/* ------------------------------------------------------- async driver */

enum pgc_state {
	PGC_DOWN,        /* no connection; a reconnect timer may be armed */
	PGC_CONNECTING,  /* PQconnectPoll in progress */
	PGC_IDLE,        /* connected, nothing in flight */
	PGC_BUSY,        /* one query in flight, waiting for its results */
	PGC_COPY_IN,     /* the query in flight is taking its COPY data */
};

struct pgconn;

struct pgconn_ops {
	/* Connected after having been down; state is PGC_IDLE. */
	void (*up)(struct pgconn *pc);
	/* One result of the query in flight; the driver clears it after. */
	void (*result)(struct pgconn *pc, const PGresult *res);
	/* Every result has been read; state is PGC_IDLE again. */
	void (*done)(struct pgconn *pc);
	/* The connection was lost (with or without a query in flight). */
	void (*down)(struct pgconn *pc);
	/* A notification arrived (may be NULL). */
	void (*notify)(struct pgconn *pc, const PGnotify *n);
};

struct pgconn {
	struct event_base *base;   /* NULL: driven by store_pgc_drive only */
	const char *name;          /* "recorder", "lookup", "durable" */
	const struct pgconn_ops *ops;
	void *owner;
	const char *dsn;
	PGconn *pg;
	enum pgc_state state;
	PostgresPollingStatusType polling;
	int fd;
	struct event *rd_ev, *wr_ev;
	struct event *timer;       /* reconnect wait, connect or query timeout */
	/* COPY data of the query in flight (the owner's, kept until done or
	 * down): one part per COPY of the query, part i ending at
	 * copy_ends[i]; copy_part is the one being sent or next to be,
	 * copy_off the bytes of copy_data handed to libpq so far. */
	const uint8_t *copy_data;
	const size_t *copy_ends;
	size_t copy_parts, copy_part, copy_off;
	uint64_t reconnect_ms;
	uint64_t down_since_ms;
	unsigned attempts;         /* failed attempts since the last loss */
	bool closing;              /* no more reconnect timers */
	/* The last loss was a query that ran past its time limit (set
	 * before ops->down runs). */
	bool timed_out;
};

#define STORE_CONNECT_TIMEOUT_MS 10000

void store_pgc_init(struct pgconn *pc, struct event_base *base,
                    const char *name, const char *dsn, uint64_t reconnect_ms,
                    const struct pgconn_ops *ops, void *owner);
/* Connect blocking (start-up): fails with a reason. */
bool store_pgc_connect_blocking(struct pgconn *pc, char *err,
                                size_t errlen) CORE_WUR;
/* After a blocking connect and setup: go non-blocking on the loop. */
bool store_pgc_go_async(struct pgconn *pc, char *err, size_t errlen) CORE_WUR;
/* Starts an asynchronous connection attempt now. */
void store_pgc_connect_async(struct pgconn *pc);
/* Sends one query (several statements allowed when nparams is 0). False
 * when it could not be sent: the connection is then down and ops->down
 * has run. */
bool store_pgc_send(struct pgconn *pc, const char *sql, int nparams,
                    const char *const *params, uint64_t timeout_ms) CORE_WUR;
/* Sends one statement through the extended protocol even without
 * parameters (PQsendQueryParams): results as for store_pgc_send. */
bool store_pgc_send_params(struct pgconn *pc, const char *sql, int nparams,
                           const char *const *params,
                           uint64_t timeout_ms) CORE_WUR;
/* Sends a simple query that holds `parts` COPY ... FROM STDIN statements
 * and streams their data when the server asks, in chunks, waiting for the
 * socket when libpq cannot take more: the i-th COPY gets the bytes of
 * `data` from ends[i - 1] (0 for the first) to ends[i]. The owner keeps
 * `data` and `ends` unchanged until ops->done or ops->down. Results as for
 * store_pgc_send; a COPY beyond the parts is failed (the server then
 * answers an error). */
bool store_pgc_send_copy(struct pgconn *pc, const char *sql,
                         const void *data, const size_t *ends, size_t parts,
                         uint64_t timeout_ms) CORE_WUR;
/* Drops the connection (ops->down runs) and reconnects later. */
void store_pgc_reset(struct pgconn *pc, const char *why);
/* Blocking: waits once (at most until deadline_ms) for the connection's
 * socket and processes what arrived. False when there is nothing to wait
 * for (idle or down) or the deadline passed. */
bool store_pgc_drive(struct pgconn *pc, uint64_t deadline_ms);
bool store_pgc_is_up(const struct pgconn *pc);
void store_pgc_close(struct pgconn *pc);

/* ------------------------------------------------------------ store */

struct op_list;

enum op_kind {
	OP_AGENT,  /* store_lookup_agent */
	OP_QUERY,  /* store_query */
};

/* One lookup or query, from its call until its callback ran or it was
 * cancelled. */
struct store_op {
	struct store *st;
	struct store_op *prev, *next;
	struct op_list *list;      /* lk_pending, lk_done, or NULL in flight */
	bool cancelled;
	enum op_kind kind;
	store_agent_cb agent_cb;
	store_rows_cb rows_cb;
	void *arg;
	const char *sql;           /* static, or into blob */
	int nparams;
	const char **params;       /* malloc array; strings into blob */
	/* OP_AGENT's answer. */
	enum store_agent_status status;
	struct store_agent agent;
	/* OP_QUERY's answer. */
	bool ok;
	char *err;                 /* malloc, NULL when ok */
	size_t nrows, ncols;
	/* malloc: nrows * ncols pointers, then the strings they point to. */
	const char **cells;
	char blob[];
};

struct op_list {
	struct store_op *head, *tail;
	size_t n;
};

enum lk_job {
	LK_NONE,
	LK_OP,       /* st->lk_op in flight */
	LK_LISTEN,   /* LISTEN for the subscriptions marked sent */
};

/* PostgreSQL truncates longer identifiers: NAMEDATALEN - 1. */
#define STORE_CHANNEL_MAX 63

/* One store_listen subscription. */
struct store_listener {
	struct store_listener *next;
	store_notify_cb cb;
	void *arg;
	bool listening;   /* LISTEN in effect on the current connection */
	bool sent;        /* part of the LK_LISTEN job in flight */
	bool reload_due;  /* call cb(NULL) from the loop */
	char channel[STORE_CHANNEL_MAX + 1];
};

/* True for a channel name store_listen accepts. */
bool store_channel_valid(const char *channel);

/* ------------------------------------------------------ durable writes */

enum dur_state {
	DUR_WAITING,   /* in dur_wait: not sent yet */
	DUR_SENT,      /* in dur_flight: part of the write in flight */
	DUR_ANSWERED,  /* in dur_done: callback not run yet */
};

struct dur_list {
	struct store_durable *head, *tail;
	size_t n;
};

/* The durable write of one statement record, from store_stmt_begin_durable
 * until its callback ran (or store_stmt_done cancelled it). */
struct store_durable {
	struct store_durable *prev, *next;
	struct dur_list *list;     /* NULL only while being freed */
	struct store_stmt *s;
	store_durable_cb cb;       /* NULL once cancelled */
	void *arg;
	enum dur_state state;
	bool ok;                   /* DUR_ANSWERED: committed */
	bool uncertain;            /* DUR_ANSWERED: sent, answer lost */
	const char *why;           /* DUR_ANSWERED and not ok: static text */
};

/* Failure reasons given to store_durable_cb. */
#define STORE_WHY_QUEUE_FULL "audit queue full"
#define STORE_WHY_UNREACHABLE "audit store unreachable"
#define STORE_WHY_LOST "audit store connection lost"
#define STORE_WHY_TIMEOUT "audit store timed out"
#define STORE_WHY_REFUSED "audit store refused the record"

/* Releases a durable record for store_stmt_done: false when its write is in
 * flight (the record then waits for the answer, its callback cancelled);
 * true when it has been settled into the queue (store_stmt_settle) and the
 * ordinary store_stmt_done logic applies. */
bool store_dur_release(struct store *st, struct store_stmt *s) CORE_WUR;
/* Moves every durable record into the queue (at close). */
void store_dur_drain(struct store *st);
/* Runs the durable callbacks that are due (from dispatch). */
void store_dur_dispatch(struct store *st);
extern const struct pgconn_ops store_dur_ops;

struct store {
	struct event_base *base;
	struct cfg_store cfg;      /* cfg.dsn points to dsn below */
	char *dsn;
	char *instance;
	char *instance_lit;        /* instance as an SQL literal */

	struct store_rq rq;
	struct pgconn rec;         /* recorder: batched writes */
	struct core_buf batch_sql;
	struct core_buf batch_copy; /* COPY data of the batch in flight */
	char batch_state[6];       /* SQLSTATE of the first error in a batch */
	char batch_msg[256];
	struct event *flush_timer;
	struct event *kick_ev;

	struct pgconn lk;          /* lookups, queries + LISTEN */
	struct op_list lk_pending;
	struct op_list lk_done;
	enum lk_job lk_job;
	struct store_op *lk_op;
	bool lk_failed;            /* the job in flight got an error result */
	char lk_err[256];          /* its message */
	struct event *dispatch_ev; /* runs every deferred callback */
	struct store_listener *listeners, *listeners_tail;

	/* Durable writes: one in flight on their own connection. */
	struct pgconn dur;
	struct dur_list dur_wait, dur_flight, dur_done;
	struct core_buf dur_sql;
	bool dur_failed;           /* the write in flight got an error */
	char dur_state[6];         /* its SQLSTATE */
	uint64_t durable_ok, durable_failed;

	store_revoke_cb revoke_cb;
	void *revoke_arg;
	struct store_op *revoke_op; /* the revoked-agents query in flight */
};

/* A store with no connections and no event loop: records queue up and
 * nothing is sent. Used by store_open and by tests. */
struct store *store_new_detached(const struct cfg_store *cfg,
                                 const char *instance);
/* Asks the loop to send a batch soon (no-op without a loop). */
void store_kick(struct store *st);
/* Asks the loop to run deferred callbacks soon (no-op without a loop). */
void store_wake_dispatch(struct store *st);
/* Runs the deferred callbacks now: those of finished lookups and queries,
 * subscriptions' reloads and durable writes (tests call it directly). */
void store_dispatch(struct store *st);

#endif
