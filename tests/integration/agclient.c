/*
 * agclient: an integration check built on the MariaDB C client library. It
 * opens one connection through the gateway (token as the password, TLS
 * enforced) and one straight to MariaDB, runs the same workload on both and
 * compares what comes back byte for byte (SHA-256 over every row, column
 * metadata, affected rows and error codes): plain queries, a result larger
 * than 100 MB read with mysql_use_result (streamed), prepared statements
 * with and without a cursor, multi-statements (also switched off and on with
 * COM_SET_OPTION), a query above 16 MiB (packet continuation), server
 * errors, and a refused LOAD DATA LOCAL INFILE.
 *
 * Usage: agclient GW_HOST GW_PORT CONNECTION TOKEN_FILE CA_FILE
 *                 DB_HOST DB_PORT DB_USER DB_PASSWORD_FILE DATABASE [BIG_MB
 *                 [stream-only | policy-prepare | policy-execute]]
 * stream-only runs just the large result; policy-STAGE runs the prepared
 * statement checks for an agent whose policy refuses writes at STAGE.
 * Prints one line per check and "N passed, M failed" last; exits non-zero
 * when a check failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mysql.h>
#include <openssl/evp.h>

static int passed, failed;

static void check(int ok, const char *name, const char *detail)
{
	if (ok) {
		passed++;
		printf("ok - %s\n", name);
	} else {
		failed++;
		printf("not ok - %s%s%s\n", name, detail ? ": " : "",
		       detail ? detail : "");
	}
	fflush(stdout);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t n;

	if (!f) {
		perror(path);
		exit(2);
	}
	buf = calloc(1, 65536);
	n = fread(buf, 1, 65535, f);
	fclose(f);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	return buf;
}

struct digest {
	EVP_MD_CTX *ctx;
	unsigned long long rows;
	unsigned long long affected;
	unsigned int err;
	int stage; /* prepared statements: 1 prepare, 2 execute, 3 fetch */
	char errmsg[512];
	unsigned char out[32];
};

static void d_init(struct digest *d)
{
	memset(d, 0, sizeof *d);
	d->ctx = EVP_MD_CTX_new();
	EVP_DigestInit_ex(d->ctx, EVP_sha256(), NULL);
}

static void d_add(struct digest *d, const void *p, size_t n)
{
	EVP_DigestUpdate(d->ctx, &n, sizeof n);
	if (n)
		EVP_DigestUpdate(d->ctx, p, n);
}

static void d_final(struct digest *d)
{
	unsigned int n = 0;

	EVP_DigestFinal_ex(d->ctx, d->out, &n);
	EVP_MD_CTX_free(d->ctx);
	d->ctx = NULL;
}

static int d_same(const struct digest *a, const struct digest *b, char *why,
                  size_t whylen)
{
	if (a->err != b->err) {
		snprintf(why, whylen, "error %u (%s) vs %u (%s)", a->err, a->errmsg,
		         b->err, b->errmsg);
		return 0;
	}
	if (a->err && strcmp(a->errmsg, b->errmsg) != 0) {
		snprintf(why, whylen, "message '%s' vs '%s'", a->errmsg, b->errmsg);
		return 0;
	}
	if (a->rows != b->rows || a->affected != b->affected) {
		snprintf(why, whylen, "rows %llu/%llu affected %llu/%llu", a->rows,
		         b->rows, a->affected, b->affected);
		return 0;
	}
	if (memcmp(a->out, b->out, 32) != 0) {
		snprintf(why, whylen, "row contents differ");
		return 0;
	}
	return 1;
}

/* Runs a (multi-)statement text query, hashing every result. */
static void run_query(MYSQL *m, const char *sql, size_t len, int use_result,
                      struct digest *d)
{
	d_init(d);
	if (mysql_real_query(m, sql, (unsigned long)len) != 0) {
		d->err = mysql_errno(m);
		snprintf(d->errmsg, sizeof d->errmsg, "%s", mysql_error(m));
		d_final(d);
		return;
	}
	do {
		MYSQL_RES *res = use_result ? mysql_use_result(m)
		                            : mysql_store_result(m);
		if (res) {
			unsigned int nf = mysql_num_fields(res);
			MYSQL_FIELD *f = mysql_fetch_fields(res);
			MYSQL_ROW row;
			for (unsigned int i = 0; i < nf; i++) {
				d_add(d, f[i].name, strlen(f[i].name));
				d_add(d, &f[i].type, sizeof f[i].type);
			}
			while ((row = mysql_fetch_row(res))) {
				unsigned long *lens = mysql_fetch_lengths(res);
				d->rows++;
				for (unsigned int i = 0; i < nf; i++)
					d_add(d, row[i] ? row[i] : "", row[i] ? lens[i] : 0);
			}
			if (mysql_errno(m)) {
				d->err = mysql_errno(m);
				snprintf(d->errmsg, sizeof d->errmsg, "%s", mysql_error(m));
			}
			mysql_free_result(res);
		} else if (mysql_field_count(m) == 0) {
			d->affected += mysql_affected_rows(m);
		} else {
			d->err = mysql_errno(m);
			snprintf(d->errmsg, sizeof d->errmsg, "%s", mysql_error(m));
			break;
		}
	} while (mysql_next_result(m) == 0);
	if (!d->err && mysql_errno(m)) {
		d->err = mysql_errno(m);
		snprintf(d->errmsg, sizeof d->errmsg, "%s", mysql_error(m));
	}
	d_final(d);
}

static void compare(MYSQL *gw, MYSQL *db, const char *name, const char *sql,
                    int use_result, unsigned int want_err)
{
	struct digest a, b;
	char why[1200];

	run_query(gw, sql, strlen(sql), use_result, &a);
	run_query(db, sql, strlen(sql), use_result, &b);
	if (want_err && a.err != want_err) {
		snprintf(why, sizeof why, "expected error %u, got %u (%s)", want_err,
		         a.err, a.errmsg);
		check(0, name, why);
		return;
	}
	check(d_same(&a, &b, why, sizeof why), name, why);
}

/* Prepared statement with one integer parameter; optional cursor. */
static void run_prepared(MYSQL *m, const char *sql, long long param,
                         int cursor, struct digest *d)
{
	MYSQL_STMT *st = mysql_stmt_init(m);
	MYSQL_BIND in, out[2];
	long long id = 0;
	char name[256];
	unsigned long name_len = 0;
	my_bool is_null[2] = {0, 0};
	unsigned long type = cursor ? CURSOR_TYPE_READ_ONLY : CURSOR_TYPE_NO_CURSOR;
	unsigned long prefetch = 2;
	int rc;

	d_init(d);
	d->stage = 1;
	if (mysql_stmt_prepare(st, sql, (unsigned long)strlen(sql)) != 0)
		goto err;
	d->stage = 2;
	mysql_stmt_attr_set(st, STMT_ATTR_CURSOR_TYPE, &type);
	if (cursor)
		mysql_stmt_attr_set(st, STMT_ATTR_PREFETCH_ROWS, &prefetch);
	memset(&in, 0, sizeof in);
	in.buffer_type = MYSQL_TYPE_LONGLONG;
	in.buffer = &param;
	if (mysql_stmt_bind_param(st, &in) != 0 || mysql_stmt_execute(st) != 0)
		goto err;
	if (mysql_stmt_field_count(st) == 0) {
		d->affected = mysql_stmt_affected_rows(st);
		mysql_stmt_close(st);
		d_final(d);
		return;
	}
	memset(out, 0, sizeof out);
	out[0].buffer_type = MYSQL_TYPE_LONGLONG;
	out[0].buffer = &id;
	out[0].is_null = &is_null[0];
	out[1].buffer_type = MYSQL_TYPE_STRING;
	out[1].buffer = name;
	out[1].buffer_length = sizeof name;
	out[1].length = &name_len;
	out[1].is_null = &is_null[1];
	if (mysql_stmt_bind_result(st, out) != 0)
		goto err;
	d->stage = 3;
	while ((rc = mysql_stmt_fetch(st)) == 0 || rc == MYSQL_DATA_TRUNCATED) {
		d->rows++;
		d_add(d, &id, sizeof id);
		d_add(d, name, name_len);
	}
	if (rc != MYSQL_NO_DATA)
		goto err;
	mysql_stmt_close(st);
	d_final(d);
	return;
err:
	d->err = mysql_stmt_errno(st);
	snprintf(d->errmsg, sizeof d->errmsg, "%s", mysql_stmt_error(st));
	mysql_stmt_close(st);
	d_final(d);
}

static void compare_prepared(MYSQL *gw, MYSQL *db, const char *name,
                             const char *sql, long long param, int cursor)
{
	struct digest a, b;
	char why[1200];

	run_prepared(gw, sql, param, cursor, &a);
	run_prepared(db, sql, param, cursor, &b);
	if (a.err) {
		snprintf(why, sizeof why, "error %u %s", a.err, a.errmsg);
		check(!b.err ? 0 : d_same(&a, &b, why, sizeof why), name, why);
		return;
	}
	check(d_same(&a, &b, why, sizeof why), name, why);
}

/* COM_SET_OPTION: multi-statements off and on again, on both sides. */
static void set_option_checks(MYSQL *gw, MYSQL *db)
{
	int a = mysql_set_server_option(gw, MYSQL_OPTION_MULTI_STATEMENTS_OFF);
	int b = mysql_set_server_option(db, MYSQL_OPTION_MULTI_STATEMENTS_OFF);

	check(a == 0 && b == 0, "COM_SET_OPTION multi-statements off",
	      a ? mysql_error(gw) : NULL);
	compare(gw, db, "multi-statement refused after COM_SET_OPTION off",
	        "SELECT 1; SELECT 2", 0, 1064);
	compare(gw, db, "single statement runs with multi-statements off",
	        "SELECT 3", 0, 0);
	a = mysql_set_server_option(gw, MYSQL_OPTION_MULTI_STATEMENTS_ON);
	b = mysql_set_server_option(db, MYSQL_OPTION_MULTI_STATEMENTS_ON);
	check(a == 0 && b == 0, "COM_SET_OPTION multi-statements on",
	      a ? mysql_error(gw) : NULL);
	compare(gw, db, "multi-statement runs after COM_SET_OPTION on",
	        "SELECT 1; SELECT 2", 0, 0);
}

/* The gateway never lets the backend ask the client for a local file: the
 * statement fails, no row is loaded and the session stays usable. */
static void local_infile_check(MYSQL *gw)
{
	static const char count[] = "SELECT COUNT(*) FROM customers";
	struct digest before, after;
	char why[1200];
	int rc = mysql_query(gw, "LOAD DATA LOCAL INFILE '/etc/hostname' "
	                         "INTO TABLE customers");

	check(rc != 0, "LOAD DATA LOCAL INFILE fails through the gateway",
	      rc ? NULL : "it succeeded");
	run_query(gw, count, sizeof count - 1, 0, &before);
	check(before.err == 0 && before.rows == 1,
	      "session usable after LOAD DATA LOCAL INFILE", before.errmsg);
	run_query(gw, count, sizeof count - 1, 0, &after);
	check(d_same(&before, &after, why, sizeof why),
	      "no row loaded by LOAD DATA LOCAL INFILE", why);
}

/* Under a policy that refuses writes: a prepared read runs and returns what
 * MariaDB returns; a prepared write is refused (1142) at the stage the
 * policy decides (deny: at prepare; review: at each execute) and the row
 * does not change. */
static void policy_checks(MYSQL *gw, MYSQL *db, const char *want_stage)
{
	static const char row[] = "SELECT name FROM customers WHERE id = 1";
	struct digest w, before, after;
	char why[1200];
	int stage = !strcmp(want_stage, "prepare") ? 1 : 2;

	compare_prepared(gw, db, "prepared read runs under the policy",
	                 "SELECT id, name FROM customers WHERE id > ? ORDER BY id",
	                 1, 0);
	compare_prepared(gw, db, "prepared read with a cursor runs",
	                 "SELECT id, name FROM customers WHERE id > ? ORDER BY id",
	                 0, 1);
	run_query(db, row, sizeof row - 1, 0, &before);
	run_prepared(gw, "UPDATE customers SET name = CONCAT(name, '!') WHERE id = ?",
	             1, 0, &w);
	snprintf(why, sizeof why, "error %u at stage %d: %s", w.err, w.stage,
	         w.errmsg);
	check(w.err == 1142 && strstr(w.errmsg, "agentgate") != NULL,
	      "prepared write refused with 1142", why);
	check(w.stage == stage, stage == 1 ? "prepared write refused at prepare"
	                                   : "prepared write refused at execute",
	      why);
	run_query(db, row, sizeof row - 1, 0, &after);
	check(d_same(&before, &after, why, sizeof why),
	      "the refused prepared write changed nothing", why);
	compare(gw, db, "session usable after the refusal", "SELECT 42", 0, 0);
}

static MYSQL *connect_to(const char *host, unsigned int port,
                         const char *user, const char *password,
                         const char *db, const char *ca)
{
	MYSQL *m = mysql_init(NULL);
	my_bool yes = 1, no = 0;

	if (ca) {
		mysql_options(m, MYSQL_OPT_SSL_CA, ca);
		mysql_options(m, MYSQL_OPT_SSL_ENFORCE, &yes);
		mysql_options(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &yes);
	} else {
		mysql_options(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &no);
	}
	if (!mysql_real_connect(m, host, user, password, db, port, NULL,
	                        CLIENT_MULTI_STATEMENTS | CLIENT_MULTI_RESULTS)) {
		fprintf(stderr, "connect to %s:%u as %s failed: %u %s\n", host, port,
		        user, mysql_errno(m), mysql_error(m));
		mysql_close(m);
		return NULL;
	}
	return m;
}

int main(int argc, char **argv)
{
	MYSQL *gw, *db;
	char *token, *dbpass;
	unsigned int big_mb = 110;
	char sql[512];

	if (argc < 11) {
		fprintf(stderr,
		        "usage: agclient GW_HOST GW_PORT CONNECTION TOKEN_FILE CA "
		        "DB_HOST DB_PORT DB_USER DB_PASSWORD_FILE DATABASE [BIG_MB]\n");
		return 2;
	}
	if (argc > 11)
		big_mb = (unsigned int)atoi(argv[11]);
	token = slurp(argv[4]);
	dbpass = slurp(argv[9]);
	gw = connect_to(argv[1], (unsigned int)atoi(argv[2]), argv[3], token,
	                NULL, argv[5]);
	check(gw != NULL, "connect through the gateway with a token over TLS",
	      NULL);
	db = connect_to(argv[6], (unsigned int)atoi(argv[7]), argv[8], dbpass,
	                argv[10], NULL);
	if (!gw || !db) {
		printf("%d passed, %d failed\n", passed, failed + 1);
		return 1;
	}
	check(mysql_get_ssl_cipher(gw) != NULL, "gateway session uses TLS", NULL);
	if (argc > 12 && !strcmp(argv[12], "stream-only"))
		goto stream;
	if (argc > 12 && !strncmp(argv[12], "policy-", 7)) {
		policy_checks(gw, db, argv[12] + 7);
		goto done;
	}
	compare(gw, db, "current database is the connection's default",
	        "SELECT DATABASE()", 0, 0);
	compare(gw, db, "simple select", "SELECT * FROM customers ORDER BY id", 0, 0);
	compare(gw, db, "types and NULLs",
	        "SELECT 1, -2.5, 'text', NULL, X'00FF', CAST('2024-01-02' AS DATE),"
	        " REPEAT('a', 300)",
	        0, 0);
	compare(gw, db, "multi-statement",
	        "SELECT 1; SELECT 2, 3; DO 1; SELECT name FROM customers ORDER BY id",
	        0, 0);
	compare(gw, db, "server error (no such table)",
	        "SELECT * FROM no_such_table", 0, 1146);
	compare(gw, db, "server error (syntax)", "SELECT * FROM customers WHERE", 0, 1064);
	compare(gw, db, "error in the middle of a multi-statement",
	        "SELECT 1; SELECT * FROM no_such_table; SELECT 2", 0, 1146);
	compare(gw, db, "write and affected rows",
	        "UPDATE customers SET name = name WHERE id <= 2", 0, 0);
	compare_prepared(gw, db, "prepared select",
	                 "SELECT id, name FROM customers WHERE id > ? ORDER BY id", 1, 0);
	compare_prepared(gw, db, "prepared select with a cursor",
	                 "SELECT id, name FROM customers WHERE id > ? ORDER BY id", 0, 1);
	compare_prepared(gw, db, "prepared statement error",
	                 "SELECT id, name FROM no_such_table WHERE id > ?", 1, 0);
	/* A routine with a compound body is ddl, created through the gateway
	 * (the C client sends it whole, as the mariadb CLI does after
	 * DELIMITER); then called, then dropped, on both sides in turn. */
	compare(gw, db, "CREATE PROCEDURE with a compound body",
	        "CREATE OR REPLACE PROCEDURE agclient_p(IN n INT) BEGIN "
	        "DECLARE i INT DEFAULT 0; WHILE i < n DO SET i = i + 1; "
	        "END WHILE; SELECT i AS counted, name FROM customers "
	        "WHERE id = 1; END",
	        0, 0);
	compare(gw, db, "CALL of the created procedure", "CALL agclient_p(3)",
	        0, 0);
	compare(gw, db, "DROP PROCEDURE", "DROP PROCEDURE IF EXISTS agclient_p", 0, 0);
	set_option_checks(gw, db);
	local_infile_check(gw);
	{
		/* A query text above 16 MiB crosses a packet continuation. */
		size_t n = 17u << 20;
		char *q = malloc(n + 64);
		struct digest a, b;
		char why[1200];
		size_t off = (size_t)sprintf(q, "SELECT LENGTH('");
		memset(q + off, 'q', n);
		off += n;
		off += (size_t)sprintf(q + off, "')");
		run_query(gw, q, off, 0, &a);
		run_query(db, q, off, 0, &b);
		check(d_same(&a, &b, why, sizeof why) && a.rows == 1,
		      "17 MiB query (continuation packets)", why);
		/* A write above 1 MiB waits for its durable record with the
		 * whole command kept. */
		off = (size_t)sprintf(q, "UPDATE customers SET name = name WHERE "
		                         "LENGTH('");
		memset(q + off, 'w', 2u << 20);
		off += 2u << 20;
		off += (size_t)sprintf(q + off, "') = 1 OR id = 1");
		run_query(gw, q, off, 0, &a);
		run_query(db, q, off, 0, &b);
		check(d_same(&a, &b, why, sizeof why) && a.err == 0,
		      "2 MiB write (recorded durably, then forwarded whole)", why);
		free(q);
	}
stream:
	snprintf(sql, sizeof sql,
	         "SELECT seq, REPEAT(CHAR(65 + seq %% 26), 1000) FROM seq_1_to_%u",
	         big_mb * 1024);
	compare(gw, db, "large streamed result", sql, 1, 0);
	compare(gw, db, "still usable after the large result", "SELECT 42", 0, 0);
done:
	mysql_close(gw);
	mysql_close(db);
	free(token);
	free(dbpass);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
