/*
 * Private declarations of the proxy module: the client session, the backend
 * login, the response tracker and the TLS helpers.
 */
#ifndef AGENTGATE_PROXY_INTERNAL_H
#define AGENTGATE_PROXY_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "approvals/approvals.h"
#include "core/core.h"
#include "proxy/classify.h"
#include "proxy/mysql.h"
#include "proxy/proxy.h"

struct bufferevent;
struct evbuffer;
struct sockaddr;
struct evconnlistener;
struct event;
struct evdns_base;
struct idp_principal;
struct idp_request;
struct store_op;
struct store_stmt;

/* ------------------------------------------------------ response tracker */

/* What kind of answer a forwarded command gets. */
enum resp_kind {
	RESP_NONE,       /* no answer (COM_STMT_CLOSE, SEND_LONG_DATA) */
	RESP_OK,         /* OK, ERR or EOF (ping, init db, set option ...) */
	RESP_RESULT,     /* result sets or OK/ERR (query, stmt execute) */
	RESP_PREPARE,    /* COM_STMT_PREPARE answer */
	RESP_FIELDS,     /* column definitions until EOF (COM_FIELD_LIST) */
	RESP_ROWS,       /* rows until EOF (COM_STMT_FETCH) */
	RESP_RAW,        /* exactly one packet of any content (statistics) */
};

enum resp_state {
	RS_FIRST,       /* first packet of a result */
	RS_COLUMNS,     /* column definitions, cols_left to go */
	RS_COLUMNS_EOF, /* EOF after column definitions */
	RS_ROWS,        /* rows until EOF or ERR */
	RS_PARAMS,      /* prepare: parameter definitions */
	RS_PARAMS_EOF,
	RS_DONE,
};

struct resp {
	enum resp_kind kind;
	enum resp_state state;
	bool continuation;     /* next packet continues a 16 MiB one */
	bool execute;          /* COM_STMT_EXECUTE: a cursor ends the answer */
	uint64_t cols_left;
	uint64_t prep_columns; /* prepare: columns still to announce */
	/* What the answer said, for the record. */
	bool is_error;
	struct mysql_err err;
	uint64_t affected_rows;
	uint64_t rows;
	uint32_t stmt_id;      /* prepare: id the server chose */
	uint16_t prep_params;  /* prepare: number of parameters */
	bool local_infile;     /* server asked for a local file */
};

enum resp_step {
	RESP_STEP_NEED_WHOLE, /* call again with the whole packet */
	RESP_STEP_MORE,       /* more packets belong to this answer */
	RESP_STEP_DONE,       /* this packet ends the answer */
	RESP_STEP_BAD,        /* the server broke the protocol */
};

void resp_begin(struct resp *r, enum resp_kind kind, bool execute);
/* Feed the start of one packet: `have` bytes of its `len`-byte payload.
 * Never changes state when it answers RESP_STEP_NEED_WHOLE. */
enum resp_step resp_packet(struct resp *r, const uint8_t *p, size_t have,
                           size_t len);

/* -------------------------------------------------------------- TLS */

SSL_CTX *proxy_tls_server_ctx(const char *cert, const char *key, char *err,
                              size_t errlen);
SSL_CTX *proxy_tls_client_ctx(const char *ca_file, bool verify, char *err,
                              size_t errlen);

/* ---------------------------------------------------------- sessions */

/* What the classifier and the policy said of the statement at hand. */
struct verdict {
	bool classified;
	enum sql_class cls;
	enum policy_action action;
	char reason[CLASSIFY_REASON_MAX + 64];
};

struct backend_conn {
	const struct cfg_connection *cfg;
	char *password;      /* read at start-up, wiped at exit */
	char *ro_password;   /* of readonly_user, when configured */
	SSL_CTX *tls;        /* when cfg->tls */
};

struct proxy {
	struct event_base *base;
	struct evdns_base *dns;
	const struct cfg *cfg;
	struct idp_set *idps;
	struct store *store;
	struct approval_policies *policies;
	struct approvals *approvals;
	SSL_CTX *server_tls;
	struct evconnlistener **listeners;
	void **listener_ctx;      /* one allocation per listener */
	size_t n_listeners;
	struct backend_conn *backends;
	size_t n_backends;
	struct session *sessions; /* doubly linked, all live sessions */
	size_t n_sessions;
	uint32_t next_conn_id;
	bool shutting_down;
};

/* Backend login progress. */
enum backend_state {
	BACKEND_CONNECTING, /* TCP connect in progress */
	BACKEND_GREETING,   /* waiting for the server's greeting */
	BACKEND_TLS,        /* TLS handshake after SSLRequest */
	BACKEND_AUTH,       /* login sent, waiting for OK/ERR/switch/more */
	BACKEND_READY,
};

/* Statements kept for the context of a review. */
#define RECENT_MAX 32
#define RECENT_TEXT_MAX 300
struct recent {
	uint64_t seq;
	int64_t at_us;
	const char *cls;      /* static names (sql_class_name, ...) */
	const char *decision;
	char text[RECENT_TEXT_MAX];
	size_t text_len;
};

struct session {
	struct session *next, *prev;
	struct proxy *proxy;
	const struct cfg_listener *listener;
	int state;               /* enum session_state, see session.c */
	uint32_t conn_id;
	char id[37];             /* session UUID, also the audit key */
	char client_addr[64];

	struct bufferevent *client;
	struct evbuffer *staging; /* bytes on their way out (send_buffer) */
	struct event *timer;     /* handshake, idle and lifetime deadlines */
	struct event *free_ev;   /* deferred free */
	bool tls;
	uint8_t seq;             /* next sequence id towards the client */
	uint8_t scramble[MYSQL_SCRAMBLE_LEN];
	uint32_t caps;           /* capabilities agreed with the client */
	/* The backend accepts several statements in one COM_QUERY: from
	 * CLIENT_MULTI_STATEMENTS at login, then COM_SET_OPTION. */
	bool multi_statements;
	int pending_set_option;  /* option of a COM_SET_OPTION in flight, or -1 */
	uint8_t charset;
	char *connection;        /* MySQL user name = connection name */
	char *database;          /* database asked for at login, or NULL */
	struct core_buf attrs;   /* client's connect attributes */
	struct core_buf cmd;     /* command being assembled */
	uint8_t cmd_seq;         /* next expected continuation seq */
	bool msg_started;        /* a message's first packet has arrived */
	bool pkt_in_header;      /* a packet header was read, payload pending */
	bool pkt_in_full;        /* that packet is 16 MiB: more follow */
	size_t pkt_in_left;      /* payload bytes of it still to read */

	/* identity */
	struct idp_request *verify;
	struct store_op *lookup;
	struct idp_principal *principal;
	int64_t agent_id;
	char agent_name[128];
	uint64_t started_ms;
	uint64_t last_activity_ms; /* end of the last command */

	/* backend */
	const struct backend_conn *backend;
	struct bufferevent *server;
	enum backend_state bstate;
	uint8_t bseq;
	uint8_t bscramble[MYSQL_SCRAMBLE_LEN];
	char bplugin[64];
	uint32_t bcaps;
	bool bsent_full_auth;

	/* policy */
	struct policy_effective policy;
	uint64_t policy_version;  /* of the rules it was evaluated from */
	bool read_only;           /* runs on the read-only credential */
	struct verdict verdict;   /* of the command at hand */
	struct verdict pending_verdict; /* of a prepare in flight */
	enum resp_kind pending_kind;    /* answer expected once recorded */
	bool pending_execute;

	/* relay */
	struct resp resp;
	uint8_t cmd_byte;
	size_t pkt_remaining;    /* bytes of the current packet still to copy */
	bool resp_done_after_pkt;
	struct store_stmt *stmt; /* record of the command in flight */
	uint64_t cmd_started_us;
	uint64_t stmt_seq;
	char *pending_prepare;   /* SQL of a prepare in flight */
	size_t pending_prepare_len;
	struct prepared *prepared;
	struct core_buf params;  /* decoded parameters of the execute in flight */
	size_t n_prepared, cap_prepared;
	bool backend_paused;

	/* review */
	struct approval_op *approval_op;     /* submission in flight */
	struct approval_wait *approval_wait; /* held for a decision */
	char approval_id[37];    /* request of the command at hand, or "" */
	char grant_id[37];       /* grant it runs under, or "" */
	char grant_policy[300];  /* the record's policy under a grant */
	const void *held_text;   /* the statement under review (in cmd or a */
	size_t held_len;         /* prepared statement) */
	enum resp_kind held_kind;
	bool held_execute;
	struct recent recent[RECENT_MAX]; /* context for reviewers (a ring) */
	size_t recent_next, n_recent;

	/* accounting */
	uint64_t bytes_from_client;
	uint64_t bytes_to_client;
	uint64_t statements;
	bool recorded_start;
	const char *end_reason;
	uint64_t close_deadline_ms; /* give up flushing at this time */
	char end_reason_buf[300];
};

struct prepared {
	uint32_t id;
	char *sql;
	size_t len;
	enum sql_class cls;  /* classified at prepare time */
	char reason[CLASSIFY_REASON_MAX + 64];
	uint16_t n_params;
	uint8_t *types;      /* 2 bytes per parameter, from the last bind */
	uint8_t *long_data;  /* bitmap: parameters sent as long data */
};

/* params.c: COM_STMT_EXECUTE parameters as a JSON array for the record.
 * False when the packet is malformed. */
bool proxy_decode_params(const uint8_t *pkt, size_t len, struct prepared *ps,
                         struct core_buf *out) CORE_WUR;
void proxy_note_long_data(struct prepared *ps, uint16_t param);
void proxy_clear_long_data(struct prepared *ps);

/* backend.c */
bool backend_start(struct session *s, char *err, size_t errlen) CORE_WUR;
/* Called by backend.c when login finished or failed. */
void session_backend_ready(struct session *s);
void session_backend_failed(struct session *s, uint16_t code,
                            const char *msg);

/* session.c */
void session_accept(struct proxy *p, const struct cfg_listener *l, int fd,
                    const struct sockaddr *addr, int addrlen);
void session_close(struct session *s, const char *reason);
/* (Re)computes the session's effective policy from the cached rules. */
void session_evaluate_policy(struct session *s);

#endif
