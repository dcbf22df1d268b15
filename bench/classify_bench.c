/*
 * Measures the SQL statement classifier on a realistic mix of statements
 * (point selects, joins, multi-row inserts, updates, comments and a few
 * traps): each kind is classified in a loop for a fixed time, then the
 * whole mix, and statements per second and nanoseconds per statement are
 * printed. Then three statements of 64 MiB (the largest a client may send
 * by default) are classified a few times each and their throughput in GB/s
 * printed: the classifier runs on the gateway's event loop, so a large
 * statement holds up every other session for as long as it takes.
 * Run it on an otherwise idle machine; it needs no server.
 *
 * It measures the classifier alone, not the gateway around it.
 * Usage: classify_bench [seconds per kind, default 0.2] [large MiB, default
 * 64]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proxy/classify.h"

struct kind {
	const char *name;
	char *sql;
	size_t len;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A multi-row INSERT of about `bytes` bytes. */
static char *big_insert(size_t bytes, size_t *len)
{
	char *s = malloc(bytes + 64);
	size_t o = 0, i;

	if (s == NULL)
		exit(1);
	o += (size_t)sprintf(s, "INSERT INTO orders (id, customer, note, total) "
	                        "VALUES ");
	for (i = 0; o + 64 < bytes; i++)
		o += (size_t)sprintf(s + o, "%s(%zu, %zu, 'item ''%zu''; ok', %zu.5)",
		                     i ? ", " : "", i, i * 7, i, i % 100);
	*len = o;
	return s;
}

/* Large statements: what one client may send in a single COM_QUERY. */
#define LARGE_MIB 64
/* Rows of the literal-heavy INSERT carry about this much text each. */
#define LARGE_ROW_TEXT 4000
/* Each large statement is classified this many times; the best counts. */
#define LARGE_RUNS 5

static void *xmalloc(size_t n)
{
	void *p = malloc(n);

	if (p == NULL) {
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
	return p;
}

/* An INSERT of rows with long string literals (text with a few escapes and
 * doubled quotes, as an application or a dump sends them) of `bytes`. */
static char *large_literal_insert(size_t bytes, size_t *len)
{
	static const char words[] =
	        "lorem ipsum dolor sit amet consectetur adipiscing elit sed do "
	        "eiusmod tempor incididunt ut labore et dolore magna aliqua ";
	char *s = xmalloc(bytes + LARGE_ROW_TEXT + 256);
	size_t o = 0, i, k;

	o += (size_t)sprintf(s, "INSERT INTO documents (id, title, body) "
	                        "VALUES ");
	for (i = 0; o + LARGE_ROW_TEXT + 128 < bytes; i++) {
		o += (size_t)sprintf(s + o, "%s(%zu, 'doc ''%zu''', '",
		                     i ? ", " : "", i, i);
		for (k = 0; k < LARGE_ROW_TEXT; k++) {
			if (k % 997 == 996) {
				/* a backslash escape */
				memcpy(s + o, "\\n", 2);
				o += 2;
			} else if (k % 1511 == 1510) {
				memcpy(s + o, "''", 2);
				o += 2;
			} else {
				s[o++] = words[(i * 31 + k) %
				               (sizeof(words) - 1)];
			}
		}
		o += (size_t)sprintf(s + o, "')");
	}
	*len = o;
	return s;
}

/* SELECT ... WHERE id IN (1, 2, 3, ...) of `bytes`. */
static char *large_in_list(size_t bytes, size_t *len)
{
	char *s = xmalloc(bytes + 64);
	size_t o = 0, i;

	o += (size_t)sprintf(s, "SELECT id, name FROM users WHERE id IN (");
	for (i = 0; o + 32 < bytes; i++)
		o += (size_t)sprintf(s + o, "%s%zu", i ? "," : "", 1000000 + i);
	o += (size_t)sprintf(s + o, ")");
	*len = o;
	return s;
}

static volatile unsigned sink;

/* Classifies one statement for `secs` seconds; returns ns per statement. */
static double run(const char *sql, size_t len, double secs, unsigned long *n)
{
	struct classification c;
	double t0 = now_s(), t;
	unsigned long i = 0, batch = 256;

	do {
		unsigned long k;

		for (k = 0; k < batch; k++) {
			proxy_classify(sql, len, NULL, &c);
			sink += (unsigned)c.cls;
		}
		i += batch;
		t = now_s() - t0;
	} while (t < secs);
	*n = i;
	return t * 1e9 / (double)i;
}

int main(int argc, char **argv)
{
	static const char *const mix[][2] = {
		{"point select", "SELECT id, name, email FROM users WHERE id = 42"},
		{"point select (prepared)",
		 "SELECT * FROM orders WHERE id = ? AND customer = ?"},
		{"join",
		 "SELECT o.id, c.name, SUM(l.qty * l.price) AS total FROM orders o "
		 "JOIN customers c ON c.id = o.customer LEFT JOIN lines l ON "
		 "l.order_id = o.id WHERE o.created >= NOW() - INTERVAL 7 DAY AND "
		 "c.country IN ('DE', 'FR', 'IT') GROUP BY o.id, c.name HAVING "
		 "COUNT(*) > 1 ORDER BY total DESC LIMIT 50"},
		{"cte + window",
		 "WITH recent (id, total) AS (SELECT id, total FROM orders WHERE "
		 "created > '2024-01-01') SELECT id, total, RANK() OVER (ORDER BY "
		 "total DESC) FROM recent"},
		{"update", "UPDATE users SET last_login = NOW(), logins = logins + 1 "
		           "WHERE id = 42"},
		{"delete", "DELETE FROM sessions WHERE expires < NOW()"},
		{"commented",
		 "/* app=web req=9f1c */ SELECT /*+ MAX_EXECUTION_TIME(1000) */ id "
		 "FROM t -- trailing\n WHERE a = 'x'"},
		{"executable comment",
		 "SELECT /*!40001 SQL_NO_CACHE */ * FROM t /*!50700 WHERE a = 1 */"},
		{"trap: into outfile",
		 "SELECT * FROM users INTO OUTFILE '/tmp/users.csv'"},
		{"trap: stored function", "SELECT id, risk_score(id) FROM users"},
		{"set names", "SET NAMES utf8mb4 COLLATE utf8mb4_unicode_ci"},
		{"multi", "BEGIN; UPDATE a SET x = 1 WHERE id = 2; COMMIT"},
	};
	size_t nk = sizeof(mix) / sizeof(mix[0]), i;
	double secs = argc > 1 ? atof(argv[1]) : 0.2;
	double total_ns = 0;
	unsigned long total_n = 0, n;
	size_t ins_len;
	char *ins = big_insert(64 * 1024, &ins_len);

	if (secs <= 0)
		secs = 0.2;
	printf("%-26s %14s %12s\n", "statement", "statements/s", "ns/stmt");
	for (i = 0; i < nk; i++) {
		double ns = run(mix[i][1], strlen(mix[i][1]), secs, &n);

		printf("%-26s %14.0f %12.1f\n", mix[i][0], 1e9 / ns, ns);
		total_ns += ns;
		total_n++;
	}
	{
		double ns = run(ins, ins_len, secs, &n);

		printf("%-26s %14.0f %12.1f  (%zu bytes, %.2f GB/s)\n",
		       "insert, 64 KiB of rows", 1e9 / ns, ns, ins_len,
		       (double)ins_len / ns);
	}
	/* large statements: best of a few runs */
	{
		size_t mib = argc > 2 ? (size_t)atol(argv[2]) : LARGE_MIB;
		size_t bytes = (mib ? mib : LARGE_MIB) << 20, len;
		char *big[3];
		size_t lens[3];
		static const char *const names[3] = {
			"insert, long literals",
			"select, IN list",
			"insert, many small rows",
		};
		unsigned k, r;

		big[0] = large_literal_insert(bytes, &len);
		lens[0] = len;
		big[1] = large_in_list(bytes, &len);
		lens[1] = len;
		big[2] = big_insert(bytes, &len);
		lens[2] = len;
		for (k = 0; k < 3; k++) {
			struct classification c;
			double best = 0;

			for (r = 0; r < LARGE_RUNS; r++) {
				double t0 = now_s(), t;

				proxy_classify(big[k], lens[k], NULL, &c);
				t = now_s() - t0;
				sink += (unsigned)c.cls;
				if (r == 0 || t < best)
					best = t;
			}
			printf("%-26s %10.1f ms  (%.1f MiB, %.2f GB/s, %s)\n",
			       names[k], best * 1e3,
			       (double)lens[k] / (1u << 20),
			       (double)lens[k] / best / 1e9,
			       sql_class_name(c.cls));
			free(big[k]);
		}
	}
	/* the mix, round robin, as a gateway would see it */
	{
		struct classification c;
		double t0 = now_s(), t;
		unsigned long k = 0;

		do {
			for (i = 0; i < nk; i++) {
				proxy_classify(mix[i][1], strlen(mix[i][1]), NULL, &c);
				sink += (unsigned)c.cls;
			}
			k += nk;
			t = now_s() - t0;
		} while (t < secs * 4);
		printf("%-26s %14.0f %12.1f\n", "mix (round robin)",
		       (double)k / t, t * 1e9 / (double)k);
	}
	free(ins);
	(void)total_ns;
	(void)total_n;
	return 0;
}
