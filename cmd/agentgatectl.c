/*
 * agentgatectl: the operator's command line for what agentgate keeps in
 * PostgreSQL — schema migrations, agents, revocations and grants. It reads
 * the daemon's own INI file (only [store] dsn and the [idp] section names
 * matter here) and talks to PostgreSQL with one blocking connection.
 *
 * It does not talk to running gateways: they learn of revocations through
 * PostgreSQL NOTIFY, which the revoke command sends in the same transaction.
 * "classify" shows how the gateway would classify SQL statements; it needs
 * neither the configuration nor PostgreSQL.
 *
 * Exit status: 0 on success, 1 when the operation failed (message on
 * stderr), 2 on usage or configuration errors.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "proxy/classify.h"
#include "store/store.h"

#define EXIT_FAILED 1
#define EXIT_USAGE 2
#define MAX_ARGS 8

static const char usage_text[] =
    "usage: agentgatectl -c FILE COMMAND [ARGS]\n"
    "       agentgatectl classify [-0]\n"
    "\n"
    "Manage the agentgate database named by [store] dsn in FILE.\n"
    "\n"
    "commands:\n"
    "  migrate                              apply pending schema migrations\n"
    "  agent add NAME --idp IDP --subject SUBJECT\n"
    "                                       register an agent; IDP names an\n"
    "                                       [idp IDP] section of FILE\n"
    "  agent list                           list agents, status and grants\n"
    "  agent show NAME                      one agent, its grants and its\n"
    "                                       last sessions\n"
    "  agent revoke NAME [--reason TEXT]    revoke an agent; running gateways\n"
    "                                       close its sessions at once\n"
    "  agent restore NAME                   undo a revocation\n"
    "  grant AGENT CONNECTION               allow AGENT to use CONNECTION\n"
    "  revoke-grant AGENT CONNECTION        withdraw that permission\n"
    "  policy set SCOPE [--connection C] CLASS ACTION\n"
    "             [--mode hold|deferred] [--quorum N] [--require-group G,...]\n"
    "                                       set what CLASS statements get:\n"
    "                                       allow, review or deny; a review\n"
    "                                       holds the session (hold, the\n"
    "                                       default) or answers at once with\n"
    "                                       the request id (deferred), and\n"
    "                                       needs N approvals (default 1), one\n"
    "                                       of them from group G if given\n"
    "  policy unset SCOPE [--connection C] CLASS\n"
    "                                       remove that rule\n"
    "  policy show [SCOPE] [--connection C] list rules\n"
    "      SCOPE is --agent NAME, --group GROUP (from the token's groups\n"
    "      claim) or --default; C is a connection name or * (the default).\n"
    "      CLASS is read, txn, session, write, ddl, admin or unknown. The\n"
    "      most specific rule wins; without one: read, txn, session allow;\n"
    "      write, ddl review; admin, unknown deny. Gateways apply changes\n"
    "      to the next statement of every session.\n"
    "  approvals list [--all]               pending approval requests (--all:\n"
    "                                       every state), newest first\n"
    "  approvals cancel REQUEST [--reason TEXT]\n"
    "                                       cancel a pending request; a held\n"
    "                                       session gets an error at once\n"
    "  approvals grants                     active time-boxed grants\n"
    "  approvals end-grant GRANT [--reason TEXT]\n"
    "                                       end a grant before it expires\n"
    "  classify [-0]                        read SQL statements from stdin, one\n"
    "                                       per line (NUL-separated with -0,\n"
    "                                       at most 64 MiB each) and print\n"
    "                                       CLASS<TAB>REASON for each; needs no\n"
    "                                       -c FILE\n"
    "\n"
    "options:\n"
    "  -c, --config FILE   configuration file (required but for classify)\n"
    "  -h, --help          show this help\n"
    "\n"
    "Exit status: 0 success, 1 operation failed, 2 usage or configuration "
    "error.\n";

/* What the command line asked for, before anything is opened. */
struct request {
	const char *config;
	const char *words[MAX_ARGS]; /* command words and positionals */
	size_t n_words;
	const char *idp;
	const char *subject;
	const char *reason;
	const char *agent;      /* policy scopes */
	const char *group;
	const char *connection;
	const char *mode;       /* policy set ... review */
	const char *quorum;
	const char *require_group;
	bool default_scope;
	bool nul;               /* classify -0 */
	bool all;               /* approvals list --all */
};

static int usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "agentgatectl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'agentgatectl --help'.\n");
	return EXIT_USAGE;
}

/* Takes the value of --name VALUE or --name=VALUE at argv[*i]. Returns 0
 * when argv[*i] is not that option, 1 when taken, -1 on error. */
static int take_option(int argc, char **argv, int *i, const char *name,
                       const char **dst)
{
	const char *arg = argv[*i];
	size_t n = strlen(name);

	if (strncmp(arg, name, n) != 0 || (arg[n] != '\0' && arg[n] != '='))
		return 0;
	if (*dst != NULL) {
		(void)usage_error("%s given twice", name);
		return -1;
	}
	if (arg[n] == '=') {
		*dst = arg + n + 1;
		return 1;
	}
	if (*i + 1 >= argc) {
		(void)usage_error("%s needs a value", name);
		return -1;
	}
	*dst = argv[++*i];
	return 1;
}

/* Returns -1 when parsed, else an exit status (0 for --help). */
static int parse(int argc, char **argv, struct request *rq)
{
	int i;
	bool command_seen = false;

	for (i = 1; i < argc; i++) {
		const char *arg = argv[i];
		int r;

		if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0 ||
		    (!command_seen && strcmp(arg, "help") == 0)) {
			fputs(usage_text, stdout);
			return 0;
		}
		if (!command_seen) {
			if (strcmp(arg, "-c") == 0)
				arg = "--config";
			if (arg != argv[i]) {
				/* "-c FILE": same as "--config FILE" */
				if (rq->config != NULL)
					return usage_error("%s given twice", "-c");
				if (i + 1 >= argc)
					return usage_error("%s needs a value", "-c");
				rq->config = argv[++i];
				continue;
			}
			r = take_option(argc, argv, &i, "--config", &rq->config);
			if (r < 0)
				return EXIT_USAGE;
			if (r > 0)
				continue;
		} else {
			r = take_option(argc, argv, &i, "--idp", &rq->idp);
			if (r == 0)
				r = take_option(argc, argv, &i, "--subject",
				                &rq->subject);
			if (r == 0)
				r = take_option(argc, argv, &i, "--reason",
				                &rq->reason);
			if (r == 0)
				r = take_option(argc, argv, &i, "--agent", &rq->agent);
			if (r == 0)
				r = take_option(argc, argv, &i, "--group", &rq->group);
			if (r == 0)
				r = take_option(argc, argv, &i, "--connection",
				                &rq->connection);
			if (r == 0)
				r = take_option(argc, argv, &i, "--mode", &rq->mode);
			if (r == 0)
				r = take_option(argc, argv, &i, "--quorum", &rq->quorum);
			if (r == 0)
				r = take_option(argc, argv, &i, "--require-group",
				                &rq->require_group);
			if (r == 0 && strcmp(arg, "--default") == 0) {
				rq->default_scope = true;
				r = 1;
			}
			if (r == 0 && strcmp(arg, "--all") == 0) {
				rq->all = true;
				r = 1;
			}
			if (r == 0 && strcmp(arg, "-0") == 0) {
				rq->nul = true;
				r = 1;
			}
			if (r < 0)
				return EXIT_USAGE;
			if (r > 0)
				continue;
		}
		if (arg[0] == '-' && arg[1] != '\0')
			return usage_error("unknown option '%s'", arg);
		if (rq->n_words == MAX_ARGS)
			return usage_error("too many arguments");
		rq->words[rq->n_words++] = arg;
		command_seen = true;
	}
	return -1;
}

/* One row of the command table. */
struct command {
	const char *w1, *w2;   /* command words; w2 NULL for one word */
	size_t positionals;    /* after the command words */
	bool idp_subject;      /* --idp and --subject required */
	bool reason;           /* --reason allowed */
	int scope;             /* 0 none, 1 scope required, 2 scope optional */
	const char *syntax;
};

static const struct command commands[] = {
	{"migrate", NULL, 0, false, false, 0, "migrate"},
	{"agent", "add", 1, true, false, 0,
	 "agent add NAME --idp IDP --subject SUBJECT"},
	{"agent", "list", 0, false, false, 0, "agent list"},
	{"agent", "show", 1, false, false, 0, "agent show NAME"},
	{"agent", "revoke", 1, false, true, 0,
	 "agent revoke NAME [--reason TEXT]"},
	{"agent", "restore", 1, false, false, 0, "agent restore NAME"},
	{"grant", NULL, 2, false, false, 0, "grant AGENT CONNECTION"},
	{"revoke-grant", NULL, 2, false, false, 0,
	 "revoke-grant AGENT CONNECTION"},
	{"policy", "set", 2, false, false, 1,
	 "policy set (--agent A|--group G|--default) [--connection C] CLASS "
	 "ACTION [--mode hold|deferred] [--quorum N] [--require-group G,...]"},
	{"policy", "unset", 1, false, false, 1,
	 "policy unset (--agent A|--group G|--default) [--connection C] CLASS"},
	{"policy", "show", 0, false, false, 2,
	 "policy show [--agent A|--group G|--default] [--connection C]"},
	{"approvals", "list", 0, false, false, 0, "approvals list [--all]"},
	{"approvals", "cancel", 1, false, true, 0,
	 "approvals cancel REQUEST [--reason TEXT]"},
	{"approvals", "grants", 0, false, false, 0, "approvals grants"},
	{"approvals", "end-grant", 1, false, true, 0,
	 "approvals end-grant GRANT [--reason TEXT]"},
	{"classify", NULL, 0, false, false, 0, "classify [-0]"},
	{NULL, NULL, 0, false, false, 0, NULL},
};

/* The scope options given: how many, and the scope and subject. */
static int scope_of(const struct request *rq, const char **scope,
                    const char **subject)
{
	int n = (rq->agent != NULL) + (rq->group != NULL) + rq->default_scope;

	*scope = rq->agent ? "agent" : rq->group ? "group" : "default";
	*subject = rq->agent ? rq->agent : rq->group ? rq->group : "";
	return n;
}

/* Finds the command and checks its arguments. NULL after printing a usage
 * error. *args points at its positionals. */
static const struct command *match(const struct request *rq,
                                   const char *const **args)
{
	const struct command *c;

	if (rq->n_words == 0) {
		(void)usage_error("no command given");
		return NULL;
	}
	for (c = commands; c->w1 != NULL; c++) {
		size_t nw = c->w2 ? 2 : 1;

		if (strcmp(rq->words[0], c->w1) != 0)
			continue;
		if (c->w2 != NULL &&
		    (rq->n_words < 2 || strcmp(rq->words[1], c->w2) != 0))
			continue;
		if (rq->n_words != nw + c->positionals) {
			(void)usage_error("usage: agentgatectl -c FILE %s",
			                  c->syntax);
			return NULL;
		}
		if (!c->idp_subject && (rq->idp || rq->subject)) {
			(void)usage_error("--idp and --subject belong to 'agent "
			                  "add'");
			return NULL;
		}
		if (c->idp_subject && (!rq->idp || !rq->subject)) {
			(void)usage_error("usage: agentgatectl -c FILE %s",
			                  c->syntax);
			return NULL;
		}
		if (!c->reason && rq->reason) {
			(void)usage_error("--reason belongs to 'agent revoke', "
			                  "'approvals cancel' and 'approvals "
			                  "end-grant'");
			return NULL;
		}
		if (rq->all && (strcmp(c->w1, "approvals") != 0 ||
		                strcmp(c->w2, "list") != 0)) {
			(void)usage_error("--all belongs to 'approvals list'");
			return NULL;
		}
		{
			const char *scope, *subject;
			int n = scope_of(rq, &scope, &subject);
			if ((c->scope == 0 && (n > 0 || rq->connection)) ||
			    (c->scope == 1 && n != 1) || (c->scope == 2 && n > 1)) {
				(void)usage_error("usage: agentgatectl -c FILE %s",
				                  c->syntax);
				return NULL;
			}
		}
		if ((rq->mode || rq->quorum || rq->require_group) &&
		    (strcmp(c->w1, "policy") != 0 || strcmp(c->w2, "set") != 0)) {
			(void)usage_error("--mode, --quorum and --require-group "
			                  "belong to 'policy set'");
			return NULL;
		}
		if (rq->nul && strcmp(c->w1, "classify") != 0) {
			(void)usage_error("-0 belongs to 'classify'");
			return NULL;
		}
		*args = rq->words + nw;
		return c;
	}
	if (strcmp(rq->words[0], "agent") == 0 ||
	    strcmp(rq->words[0], "policy") == 0 ||
	    strcmp(rq->words[0], "approvals") == 0)
		(void)usage_error("unknown %s command '%s'", rq->words[0],
		                  rq->n_words > 1 ? rq->words[1] : "");
	else
		(void)usage_error("unknown command '%s'", rq->words[0]);
	return NULL;
}

/* agent add: the IdP must be one this configuration knows. */
static CORE_WUR bool check_idp(const struct cfg *cfg, const char *idp, char *err,
                      size_t errlen)
{
	struct core_buf known = {0};
	size_t i;

	if (cfg_find_idp(cfg, idp) != NULL)
		return true;
	for (i = 0; i < cfg->n_idps; i++) {
		if (i > 0)
			core_buf_append_str(&known, ", ");
		core_buf_append_str(&known, cfg->idps[i].name);
	}
	core_buf_append(&known, "", 1);
	snprintf(err, errlen, "%s has no [idp %s] section (known: %s)",
	         cfg->path ? cfg->path : "the configuration", idp,
	         cfg->n_idps ? (const char *)known.data : "none");
	core_buf_free(&known);
	return false;
}

/* 8-4-4-4-12 hexadecimal digits. */
static bool is_uuid(const char *s)
{
	static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";

	if (strlen(s) != sizeof shape - 1)
		return false;
	for (size_t i = 0; shape[i]; i++) {
		if (shape[i] == '-' ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return false;
	}
	return true;
}

static CORE_WUR bool run(const struct command *c, const char *const *args,
                const struct request *rq, const struct cfg *cfg,
                struct store_admin *a, char *err, size_t errlen)
{
	const char *cmd = c->w2 ? c->w2 : c->w1;

	if (strcmp(c->w1, "policy") == 0) {
		const char *scope, *subject;
		const char *conn = rq->connection ? rq->connection : "*";
		int n = scope_of(rq, &scope, &subject);

		if (strcmp(cmd, "show") == 0)
			return store_admin_policy_show(a, n ? scope : NULL,
			                               n ? subject : NULL,
			                               rq->connection, stdout, err,
			                               errlen);
		if (strcmp(conn, "*") != 0 && cfg_find_connection(cfg, conn) == NULL)
			fprintf(stderr,
			        "agentgatectl: warning: %s has no [connection %s] "
			        "section\n",
			        cfg->path ? cfg->path : "the configuration", conn);
		if (strcmp(cmd, "set") == 0) {
			struct store_review_opts ro = {rq->mode, 0, rq->require_group};
			bool with_review = rq->mode || rq->quorum || rq->require_group;
			if (rq->quorum) {
				char *end;
				long q = strtol(rq->quorum, &end, 10);
				if (*rq->quorum == '\0' || *end != '\0' || q < 1 || q > 16) {
					snprintf(err, errlen,
					         "invalid quorum '%s': use 1 to 16", rq->quorum);
					return false;
				}
				ro.quorum = (int)q;
			}
			if (!store_admin_policy_set(a, scope, subject, conn, args[0],
			                            args[1], with_review ? &ro : NULL,
			                            err, errlen))
				return false;
			printf("policy: %s%s%s on %s: %s -> %s%s%s\n", scope,
			       *subject ? " " : "", subject, conn, args[0], args[1],
			       strcmp(args[1], "review") == 0 ? " " : "",
			       strcmp(args[1], "review") == 0
			           ? (rq->mode ? rq->mode : "hold")
			           : "");
			return true;
		}
		if (!store_admin_policy_unset(a, scope, subject, conn, args[0], err,
		                              errlen))
			return false;
		printf("policy: %s%s%s on %s: %s rule removed\n", scope,
		       *subject ? " " : "", subject, conn, args[0]);
		return true;
	}
	if (strcmp(c->w1, "approvals") == 0) {
		if (strcmp(cmd, "list") == 0)
			return store_admin_approvals_list(a, rq->all, stdout, err,
			                                  errlen);
		if (strcmp(cmd, "grants") == 0)
			return store_admin_grants_list(a, stdout, err, errlen);
		if (!is_uuid(args[0])) {
			snprintf(err, errlen, "'%s' is not a request or grant id (a UUID)",
			         args[0]);
			return false;
		}
		if (strcmp(cmd, "cancel") == 0) {
			if (!store_admin_approval_cancel(a, args[0], rq->reason, err,
			                                 errlen))
				return false;
			printf("request %s cancelled\n", args[0]);
			return true;
		}
		if (!store_admin_grant_end(a, args[0], rq->reason, err, errlen))
			return false;
		printf("grant %s ended\n", args[0]);
		return true;
	}
	if (strcmp(cmd, "migrate") == 0)
		return store_admin_migrate(a, stdout, err, errlen);
	if (strcmp(cmd, "add") == 0) {
		if (!check_idp(cfg, rq->idp, err, errlen) ||
		    !store_admin_agent_add(a, args[0], rq->idp, rq->subject, err,
		                           errlen))
			return false;
		printf("agent '%s' added\n", args[0]);
		return true;
	}
	if (strcmp(cmd, "list") == 0)
		return store_admin_agent_list(a, stdout, err, errlen);
	if (strcmp(cmd, "show") == 0)
		return store_admin_agent_show(a, args[0], stdout, err, errlen);
	if (strcmp(cmd, "revoke") == 0) {
		if (!store_admin_agent_revoke(a, args[0], rq->reason, err, errlen))
			return false;
		printf("agent '%s' revoked\n", args[0]);
		return true;
	}
	if (strcmp(cmd, "restore") == 0) {
		if (!store_admin_agent_restore(a, args[0], err, errlen))
			return false;
		printf("agent '%s' restored\n", args[0]);
		return true;
	}
	if (strcmp(cmd, "grant") == 0) {
		if (cfg_find_connection(cfg, args[1]) == NULL)
			fprintf(stderr,
			        "agentgatectl: warning: %s has no [connection %s] "
			        "section\n",
			        cfg->path ? cfg->path : "the configuration",
			        args[1]);
		if (!store_admin_grant(a, args[0], args[1], err, errlen))
			return false;
		printf("agent '%s' may use connection '%s'\n", args[0], args[1]);
		return true;
	}
	if (strcmp(cmd, "revoke-grant") == 0) {
		if (!store_admin_revoke_grant(a, args[0], args[1], err, errlen))
			return false;
		printf("agent '%s' may no longer use connection '%s'\n", args[0],
		       args[1]);
		return true;
	}
	snprintf(err, errlen, "internal error: unhandled command");
	return false;
}

/* The gateway's cap on one command, and so on one statement. */
#define CLASSIFY_MAX_STATEMENT (64u << 20)

static void classify_print(const struct core_buf *stmt)
{
	struct classification c;

	proxy_classify((const char *)stmt->data, stmt->len, NULL, &c);
	printf("%s\t%s\n", sql_class_name(c.cls), c.reason);
}

/* classify: statements from stdin, separated by newlines or (with -0) NUL
 * bytes; one line "CLASS<TAB>REASON" each on stdout. */
static int classify_stdin(bool nul)
{
	struct core_buf stmt = {0};
	static unsigned char chunk[1u << 16];
	const int sep = nul ? '\0' : '\n';
	unsigned long record = 1;
	int status = EXIT_SUCCESS;
	size_t n;

	while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0) {
		size_t at = 0;

		while (at < n) {
			const unsigned char *end = memchr(chunk + at, sep, n - at);
			size_t take = end ? (size_t)(end - chunk) - at : n - at;

			if (take > CLASSIFY_MAX_STATEMENT - stmt.len) {
				fprintf(stderr,
				        "agentgatectl: statement %lu is longer than "
				        "the 64 MiB limit\n",
				        record);
				status = EXIT_FAILED;
				goto out;
			}
			core_buf_append(&stmt, chunk + at, take);
			at += take;
			if (end != NULL) {
				classify_print(&stmt);
				core_buf_reset(&stmt);
				record++;
				at++;
			}
		}
	}
	if (ferror(stdin)) {
		perror("agentgatectl: stdin");
		status = EXIT_FAILED;
		goto out;
	}
	if (stmt.len > 0)
		classify_print(&stmt);
out:
	core_buf_free(&stmt);
	if (fflush(stdout) != 0) {
		perror("agentgatectl: stdout");
		status = EXIT_FAILED;
	}
	return status;
}

int main(int argc, char **argv)
{
	struct request rq = {0};
	const struct command *c = NULL;
	const char *const *args = NULL;
	struct cfg *cfg = NULL;
	struct store_admin *a = NULL;
	char err[1024] = "";
	int status;

	log_set_level(LOG_WARN);
	status = parse(argc, argv, &rq);
	if (status >= 0)
		return status;
	c = match(&rq, &args);
	if (c == NULL)
		return EXIT_USAGE;
	if (strcmp(c->w1, "classify") == 0)
		return classify_stdin(rq.nul);
	if (rq.config == NULL)
		return usage_error("no configuration file: use -c FILE");

	cfg = cfg_load(rq.config, err, sizeof(err));
	if (cfg == NULL) {
		fprintf(stderr, "agentgatectl: %s\n", err);
		return EXIT_USAGE;
	}
	a = store_admin_connect(cfg->store.dsn, err, sizeof(err));
	if (a == NULL) {
		fprintf(stderr, "agentgatectl: %s\n", err);
		cfg_free(cfg);
		return EXIT_FAILED;
	}
	status = EXIT_SUCCESS;
	if (!run(c, args, &rq, cfg, a, err, sizeof(err))) {
		fprintf(stderr, "agentgatectl: %s\n", err);
		status = EXIT_FAILED;
	}
	if (fflush(stdout) != 0) {
		perror("agentgatectl: stdout");
		status = EXIT_FAILED;
	}
	store_admin_close(a);
	cfg_free(cfg);
	return status;
}
