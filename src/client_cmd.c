/*
 * client_cmd: the commands that ask one view and print it: summary, top,
 * domain, reasons, status; and explain, which answers from the built-in
 * code dictionary without the daemon.  Each builds its request from the
 * parsed options (smtptally.c), asks (client_http.c) and prints through
 * the writer (client_out.c).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "api.h"
#include "client.h"
#include "codes.h"
#include "timespec.h"

/* Which way the counts go, as a view's heading says it. */
static const char *
direction_words(const struct opts *o)
{
	const char	*d = o->filter[API_F_DIRECTION];

	if (d == NULL || strcmp(d, "all") == 0)
		return "both directions (our deliveries and our smtpd's "
		    "answers)";
	if (strcmp(d, "in") == 0)
		return "incoming: our smtpd's answers to other servers";
	return "outgoing: our deliveries (--direction in|all for the rest)";
}

/* Views about recipient domains count our deliveries unless told. */
static void
default_out(struct opts *o)
{
	if (o->filter[API_F_DIRECTION] == NULL)
		o->filter[API_F_DIRECTION] = "out";
}

/* summary --by hour|day in a terminal: pivot classes, add a bar. */
static int
summary_series(struct opts *o, const char *key)
{
	struct target	 t;
	json_t		*j, *rows, *row;
	struct table	 tb;
	size_t		 i, n = 0, k;
	char		 b[5][64], bar[41], head[64];
	const char	*cells[6], *ts;
	struct {
		char	 when[40];
		double	 c[3];
	} *acc = NULL;
	double		 max = 0, tot;
	int		 c, day = strcmp(key, "day") == 0, len;
	char		 by[32];

	snprintf(by, sizeof by, "%s,class", key);
	target_init(&t, API_SUMMARY);
	target_common(&t, o, NULL);
	target_add(&t, "by", by);
	j = client_ask(o, &t);
	rows = json_object_get(j, "rows");
	if ((acc = calloc(json_array_size(rows) + 1, sizeof *acc)) == NULL)
		die(EXIT_DAEMON, "out of memory");
	json_array_foreach(rows, i, row) {
		ts = jtext(row, key);
		if (n == 0 || strcmp(acc[n - 1].when, ts) != 0)
			snprintf(acc[n++].when, sizeof acc->when, "%s", ts);
		c = jtext(row, "class")[0];
		acc[n - 1].c[c == '2' ? 0 : c == '4' ? 1 : 2] +=
		    (double)jint(row, "count");
	}
	for (k = 0; k < n; k++)
		if ((tot = acc[k].c[0] + acc[k].c[1] + acc[k].c[2]) > max)
			max = tot;
	printf("%s\n", direction_words(o));
	snprintf(head, sizeof head, "%s (%s)", key, day ? "UTC" :
	    show_zone(o, o->since));
	table_init(&tb, 6);
	table_col(&tb, 0, head, 0, 0);
	table_col(&tb, 1, "attempts", 1, 0);
	table_col(&tb, 2, "2xx", 1, 0);
	table_col(&tb, 3, "4xx", 1, 0);
	table_col(&tb, 4, "5xx", 1, 0);
	table_col(&tb, 5, "(- 2xx  + 4xx  # 5xx)", 0, 0);
	for (k = 0; k < n; k++) {
		tot = acc[k].c[0] + acc[k].c[1] + acc[k].c[2];
		cells[0] = show_time(o, acc[k].when, day, b[0], sizeof b[0]);
		cells[1] = grouped((json_int_t)tot, b[1], sizeof b[1]);
		cells[2] = grouped((json_int_t)acc[k].c[0], b[2], sizeof b[2]);
		cells[3] = grouped((json_int_t)acc[k].c[1], b[3], sizeof b[3]);
		cells[4] = grouped((json_int_t)acc[k].c[2], b[4], sizeof b[4]);
		/* A bar of up to 30 columns, 5xx then 4xx then 2xx. */
		len = max > 0 ? (int)(tot / max * 30 + 0.5) : 0;
		if (len == 0 && tot > 0)
			len = 1;	/* something happened: show it */
		memset(bar, 0, sizeof bar);
		for (c = 0; c < len; c++) {
			double	 x = (c + 0.5) / len * tot;

			bar[c] = x < acc[k].c[2] ? '#' : x < acc[k].c[2] +
			    acc[k].c[1] ? '+' : '-';
		}
		cells[5] = bar;
		table_row(&tb, cells);
	}
	table_print(&tb, stdout, 0, 0);
	printf("total %s\n", grouped(jint(j, "total"), b[0], sizeof b[0]));
	out_rounded(o, j, stdout);
	if (n > 1) {
		struct spark	 sp;
		int64_t		 first, last, at;

		if (timespec_parse(acc[0].when, 0, &first) == 0 &&
		    timespec_parse(acc[n - 1].when, 0, &last) == 0) {
			spark_init(&sp, first, last + (day ? 86400 : 3600));
			for (k = 0; k < n; k++) {
				if (timespec_parse(acc[k].when, 0, &at) == -1)
					continue;
				spark_add(&sp, at, '2', acc[k].c[0]);
				spark_add(&sp, at, '4', acc[k].c[1]);
				spark_add(&sp, at, '5', acc[k].c[2]);
			}
			printf("\n");
			spark_print(o, &sp, stdout);
		}
	}
	free(acc);
	json_decref(j);
	return EXIT_OK;
}

/* --all: every row of an endpoint, a page at a time in key order,
 * streamed; by is the summary's grouping (NULL for the others). */
static int
page_all(struct opts *o, const char *path, const char *by)
{
	struct target	 t;
	json_t		*j, *next;
	char		 after[API_CURSOR_MAX + 1] = "";
	int		 first = 1, more;

	if (!o->csv && !o->json)
		die(EXIT_USAGE, "%s: --all streams rows: add --csv or "
		    "--json", o->cmd);
	if (o->top > 0)
		die(EXIT_USAGE, "%s: --all gives every row: no --top", o->cmd);
	do {
		target_init(&t, path);
		target_common(&t, o, NULL);
		target_add(&t, "by", by);
		target_add(&t, "limit", "1000");
		if (!first)
			target_add_cursor(&t, after);
		j = client_ask(o, &t);
		out_page(o, json_object_get(j, "rows"), first);
		next = json_object_get(j, "next");
		if ((more = json_is_string(next)))
			snprintf(after, sizeof after, "%s",
			    json_string_value(next));
		first = 0;
		json_decref(j);
	} while (more);
	return EXIT_OK;
}

/* summary: counts grouped by --by, with shares. */
int
cmd_summary(struct opts *o, int argc, char **argv)
{
	struct target	 t;
	json_t		*j, *rows, *row, *v;
	struct table	 tb;
	const char	*by = o->by != NULL ? o->by : "class", *k;
	const char	*cells[COLS_MAX];
	char		 b[COLS_MAX][128], keylist[API_VALUE_MAX + 1], *p,
			*tok, *names[API_BY_MAX + 1], head[API_BY_MAX][64];
	size_t		 i, nk = 0, c;
	json_int_t	 total;
	int		 cls;

	(void)argc;
	(void)argv;
	if (o->all)
		return page_all(o, API_SUMMARY, by);
	/* In a terminal a time series gets bars and a sparkline; scripts
	 * reading a pipe get the plain table. */
	if (!o->json && !o->csv && isatty(STDOUT_FILENO) &&
	    (strcmp(by, "hour") == 0 || strcmp(by, "day") == 0))
		return summary_series(o, by);
	target_init(&t, API_SUMMARY);
	target_common(&t, o, NULL);
	target_add(&t, "by", by);
	if (o->top > 0)
		target_add_int(&t, "top", o->top);
	j = client_ask(o, &t);
	rows = json_object_get(j, "rows");
	if (out_data(o, j, rows)) {
		json_decref(j);
		return EXIT_OK;
	}
	printf("%s\n", direction_words(o));
	snprintf(keylist, sizeof keylist, "%s", by);
	for (p = keylist; (tok = strsep(&p, ",")) != NULL && nk <
	    API_BY_MAX;)
		if (*tok != '\0')
			names[nk++] = tok;
	total = jint(j, "total");
	table_init(&tb, nk + 2);
	for (c = 0; c < nk; c++) {
		if (strcmp(names[c], "hour") == 0)
			snprintf(head[c], sizeof head[c], "hour (%s)",
			    show_zone(o, o->since));
		else if (strcmp(names[c], "day") == 0)
			snprintf(head[c], sizeof head[c], "day (UTC)");
		else
			snprintf(head[c], sizeof head[c], "%s", names[c]);
		table_col(&tb, c, head[c], strcmp(names[c], "reply") == 0,
		    40);
	}
	table_col(&tb, nk, "count", 1, 0);
	table_col(&tb, nk + 1, "share", 1, 0);
	table_raw(&tb, nk + 1);
	json_array_foreach(rows, i, row) {
		cls = 0;
		for (c = 0; c < nk; c++) {
			k = names[c];
			v = json_object_get(row, k);
			if (json_is_integer(v))
				snprintf(b[c], sizeof b[c], "%lld",
				    (long long)json_integer_value(v));
			else if (strcmp(k, "hour") == 0 || strcmp(k, "day") == 0)
				show_time(o, json_string_value(v), k[0] == 'd',
				    b[c], sizeof b[c]);
			else if (json_is_string(v))
				snprintf(b[c], sizeof b[c], "%s",
				    *json_string_value(v) ?
				    json_string_value(v) : "-");
			else
				snprintf(b[c], sizeof b[c], "-");
			if (strcmp(k, "class") == 0)
				cls = b[c][0];
			cells[c] = b[c];
		}
		cells[nk] = grouped(jint(row, "count"), b[nk], sizeof b[nk]);
		snprintf(b[nk + 1], sizeof b[nk + 1], "%s%.1f%%%s",
		    color_on(o, cls, (double)jint(row, "count")),
		    total ? (double)jint(row, "count") * 100.0 / total : 0.0,
		    *color_on(o, cls, (double)jint(row, "count")) ?
		    color_off(o) : "");
		cells[nk + 1] = b[nk + 1];
		table_row(&tb, cells);
	}
	table_print(&tb, stdout, 0, 0);
	printf("total %s%s\n", grouped(total, b[0], sizeof b[0]),
	    json_is_true(json_object_get(j, "truncated")) ?
	    " (more rows than shown; use --top)" : "");
	out_rounded(o, j, stdout);
	json_decref(j);
	return EXIT_OK;
}

/* The domains table, shared by `top` and the report. */
void
domains_table(const struct opts *o, json_t *rows, json_int_t total, FILE *f,
    int indent)
{
	struct table	 tb;
	json_t		*row;
	size_t		 i;
	char		 b[5][64];
	const char	*cells[5];
	const char	*d = o->filter[API_F_DIRECTION];
	int		 in = d != NULL && strcmp(d, "in") == 0;
	double		 s;

	table_init(&tb, 5);
	table_col(&tb, 0, "domain", 0, 36);
	table_col(&tb, 1, "attempts", 1, 0);
	table_col(&tb, 2, "share", 1, 0);
	/* Our smtpd's answers are not the domain deferring or bouncing. */
	table_col(&tb, 3, in ? "refused 4xx" : "deferred", 1, 0);
	table_col(&tb, 4, in ? "refused 5xx" : "bounced", 1, 0);
	table_raw(&tb, 3);
	table_raw(&tb, 4);
	json_array_foreach(rows, i, row) {
		if (json_is_true(json_object_get(row, "other")))
			snprintf(b[0], sizeof b[0], "(%lld other domain%s)",
			    (long long)jint(row, "domains"),
			    jint(row, "domains") == 1 ? "" : "s");
		else
			snprintf(b[0], sizeof b[0], "%s", jtext(row, "domain"));
		cells[0] = b[0];
		cells[1] = grouped(jint(row, "attempts"), b[1], sizeof b[1]);
		cells[2] = percent(total ? (double)jint(row, "attempts") /
		    total : 0, b[2], sizeof b[2]);
		s = json_real_value(json_object_get(row, "deferred_share"));
		snprintf(b[3], sizeof b[3], "%s%.1f%%%s", color_on(o, '4', s),
		    s * 100.0, *color_on(o, '4', s) ? color_off(o) : "");
		cells[3] = b[3];
		s = json_real_value(json_object_get(row, "bounced_share"));
		snprintf(b[4], sizeof b[4], "%s%.1f%%%s", color_on(o, '5', s),
		    s * 100.0, *color_on(o, '5', s) ? color_off(o) : "");
		cells[4] = b[4];
		table_row(&tb, cells);
	}
	table_print(&tb, f, indent, 0);
}

/* top: the busiest domains and their deferral and bounce shares. */
int
cmd_top(struct opts *o, int argc, char **argv)
{
	struct target	 t;
	json_t		*j;
	char		 b[64];

	(void)argc;
	(void)argv;
	default_out(o);
	if (o->all)
		return page_all(o, API_DOMAINS, NULL);
	target_init(&t, API_DOMAINS);
	target_common(&t, o, NULL);
	if (o->top > 0)
		target_add_int(&t, "top", o->top);
	j = client_ask(o, &t);
	if (!out_data(o, j, json_object_get(j, "rows"))) {
		printf("%s\n", direction_words(o));
		domains_table(o, json_object_get(j, "rows"), jint(j, "total"),
		    stdout, 0);
		printf("total %s attempts to %lld domains\n",
		    grouped(jint(j, "total"), b, sizeof b),
		    (long long)jint(j, "domains"));
		out_rounded(o, j, stdout);
	}
	json_decref(j);
	return EXIT_OK;
}

/* A reasons table, the text given the rest of the line (all with 0). */
void
reasons_table(const struct opts *o, json_t *rows, FILE *f, int indent,
    int cols)
{
	struct table	 tb;
	json_t		*row;
	size_t		 i;
	char		 b[3][64];
	const char	*cells[4];

	table_init(&tb, 4);
	table_col(&tb, 0, "count", 1, 0);
	table_col(&tb, 1, "reply", 1, 0);
	table_col(&tb, 2, "enh.", 0, 0);
	table_col(&tb, 3, "text", 0, -1);
	json_array_foreach(rows, i, row) {
		cells[0] = grouped(jint(row, "count"), b[0], sizeof b[0]);
		snprintf(b[1], sizeof b[1], "%lld",
		    (long long)jint(row, "reply"));
		cells[1] = b[1];
		cells[2] = *jtext(row, "enhanced") ? jtext(row, "enhanced") :
		    "-";
		cells[3] = jtext(row, "text");
		table_row(&tb, cells);
	}
	(void)o;
	table_print(&tb, f, indent, cols);
}

/* reasons: the normalised texts remote servers gave. */
int
cmd_reasons(struct opts *o, int argc, char **argv)
{
	struct target	 t;
	json_t		*j;

	(void)argc;
	(void)argv;
	if (o->all)
		return page_all(o, API_REASONS, NULL);
	target_init(&t, API_REASONS);
	target_common(&t, o, NULL);
	if (o->top > 0)
		target_add_int(&t, "top", o->top);
	/* The unclassified texts a new rule needs: the newest first. */
	if (o->filter[API_F_CATEGORY] != NULL &&
	    strcmp(o->filter[API_F_CATEGORY], "other") == 0)
		target_add(&t, "order", "newest");
	j = client_ask(o, &t);
	if (!out_data(o, j, json_object_get(j, "rows"))) {
		reasons_by_category(o, j, stdout);
		out_rounded(o, j, stdout);
	}
	json_decref(j);
	return EXIT_OK;
}

/* One line of words for a reply code and one for an enhanced code. */
void
explain_line(FILE *f, int indent, json_int_t reply, const char *enh)
{
	const struct codes_entry	*r = codes_reply((int)reply);
	const struct codes_entry	*e = codes_enhanced(enh);
	char				 label[16];

	snprintf(label, sizeof label, "%lld", (long long)reply);
	if (r != NULL)
		wrapped(f, indent, 6, label, r->meaning);
	if (e != NULL)
		wrapped(f, indent, 6, enh, e->meaning);
}

/* domain NAME: its codes, what they mean, and its reasons. */
int
cmd_domain(struct opts *o, int argc, char **argv)
{
	struct target	 t;
	json_t		*j, *r, *rows, *row, *said, *cats;
	size_t		 i, k;
	struct table	 tb;
	char		 b[4][64];
	const char	*cells[4], *name = argv[0], *enh;
	json_int_t	 total;

	(void)argc;
	default_out(o);
	o->filter[API_F_DOMAIN] = name;
	target_init(&t, API_SUMMARY);
	target_common(&t, o, NULL);
	target_add(&t, "by", "class,reply,enhanced");
	j = client_ask(o, &t);
	target_init(&t, API_REASONS);
	target_common(&t, o, NULL);
	target_add_int(&t, "top", o->top > 0 ? o->top : 10);
	r = client_ask(o, &t);
	cats = domain_categories(o);
	if (o->json) {
		json_t	*both = json_pack("{s:s s:O s:O s:O}", "domain", name,
		    "summary", j, "reasons", r, "categories", cats);

		out_data(o, both, NULL);
		json_decref(both);
	} else if (!out_data(o, j, json_object_get(j, "rows"))) {
		total = jint(j, "total");
		out_text(stdout, name);
		printf(", %s\n", direction_words(o));
		if (total == 0) {
			printf("no mail to ");
			out_text(stdout, name);
			printf(" in this period\n");
			json_decref(j);
			json_decref(r);
			json_decref(cats);
			return EXIT_OK;
		}
		printf("%s attempts\n\n", grouped(total, b[0], sizeof b[0]));
		rows = json_object_get(j, "rows");
		table_init(&tb, 4);
		table_col(&tb, 0, "reply", 1, 0);
		table_col(&tb, 1, "enh.", 0, 0);
		table_col(&tb, 2, "count", 1, 0);
		table_col(&tb, 3, "share", 1, 0);
		json_array_foreach(rows, i, row) {
			snprintf(b[0], sizeof b[0], "%lld",
			    (long long)jint(row, "reply"));
			cells[0] = b[0];
			cells[1] = *jtext(row, "enhanced") ?
			    jtext(row, "enhanced") : "-";
			cells[2] = grouped(jint(row, "count"), b[2],
			    sizeof b[2]);
			cells[3] = percent(total ? (double)jint(row, "count") /
			    total : 0, b[3], sizeof b[3]);
			table_row(&tb, cells);
		}
		table_print(&tb, stdout, 2, 0);
		printf("\nCategories (see smtptally-rules(5)):\n");
		domain_categories_print(cats, stdout);
		printf("\nWhat the codes mean:\n");
		/* Each reply and each enhanced code once. */
		said = json_array();
		json_array_foreach(rows, i, row) {
			char	 rk[16];
			int	 rs = 0, es = 0;
			json_t	*s;

			enh = jtext(row, "enhanced");
			snprintf(rk, sizeof rk, "%lld",
			    (long long)jint(row, "reply"));
			json_array_foreach(said, k, s) {
				rs |= strcmp(json_string_value(s), rk) == 0;
				es |= strcmp(json_string_value(s), enh) == 0;
			}
			if (!rs && codes_reply((int)jint(row, "reply")) !=
			    NULL)
				wrapped(stdout, 2, 6, rk, codes_reply(
				    (int)jint(row, "reply"))->meaning);
			if (!es && *enh != '\0' && codes_enhanced(enh) != NULL)
				wrapped(stdout, 2, 6, enh,
				    codes_enhanced(enh)->meaning);
			json_array_append_new(said, json_string(rk));
			json_array_append_new(said, json_string(enh));
		}
		json_decref(said);
		if (json_array_size(json_object_get(r, "rows")) > 0) {
			printf("\nReasons given:\n");
			reasons_table(o, json_object_get(r, "rows"), stdout, 2,
			    o->wide ? 0 : o->cols);
		}
		out_rounded(o, j, stdout);
	}
	json_decref(j);
	json_decref(r);
	json_decref(cats);
	return EXIT_OK;
}

/* status: the daemon, its files and whether it has caught up; exit 1
 * when a followed path has an error (missing, unreadable). */
int
cmd_status(struct opts *o, int argc, char **argv)
{
	struct target	 t;
	json_t		*j, *files, *f;
	size_t		 i;
	struct table	 tb;
	char		 b[5][64];
	const char	*cells[7];
	json_int_t	 lines, unrec;
	int64_t		 when;
	int		 errors = 0;

	(void)argc;
	(void)argv;
	target_init(&t, API_STATUS);
	j = client_ask(o, &t);
	files = json_object_get(j, "files");
	json_array_foreach(files, i, f)
		if (*jtext(f, "error") != '\0')
			errors++;
	if (out_data(o, j, files)) {
		json_decref(j);
		return errors ? EXIT_DAEMON : EXIT_OK;
	}
	lines = jint(j, "lines_total");
	unrec = jint(j, "unrecognised_total");
	printf("smtptallyd %s (API %lld), database %s bytes\n",
	    jtext(j, "version"), (long long)jint(j, "api"),
	    grouped(jint(j, "db_bytes"), b[0], sizeof b[0]));
	if (*jtext(j, "last_commit") != '\0' &&
	    timespec_parse(jtext(j, "last_commit"), 0, &when) == 0)
		printf("last commit: %s %s\n", show_time(o,
		    jtext(j, "last_commit"), 0, b[0], sizeof b[0]),
		    show_zone(o, when));	/* the zone, as the views (D15) */
	else
		printf("last commit: never\n");
	printf("lines read: %s, not recognised: %s (%s)\n",
	    grouped(lines, b[0], sizeof b[0]), grouped(unrec, b[1],
	    sizeof b[1]), percent(lines ? (double)unrec / lines : 0, b[2],
	    sizeof b[2]));
	if (errors)
		printf("PROBLEM: %d followed path%s cannot be read: see "
		    "below\n", errors, errors == 1 ? "" : "s");
	else if (json_array_size(files) == 0)
		printf("no log file has been read yet\n");
	else if (json_is_true(json_object_get(j, "caught_up")))
		printf("caught up: every followed file is read to its end\n");
	else
		printf("behind by %s bytes\n", grouped(jint(j, "lag_bytes"),
		    b[0], sizeof b[0]));
	printf("\n");
	table_init(&tb, 7);
	table_col(&tb, 0, "state", 0, 0);
	table_col(&tb, 1, "format", 0, 0);
	table_col(&tb, 2, "offset", 1, 0);
	table_col(&tb, 3, "size", 1, 0);
	table_col(&tb, 4, "lines", 1, 0);
	table_col(&tb, 5, "unrec.", 1, 0);
	table_col(&tb, 6, "path", 0, o->wide ? 0 : -1);
	json_array_foreach(files, i, f) {
		cells[0] = *jtext(f, "error") ? "ERROR" : jtext(f, "state");
		cells[1] = jtext(f, "format");
		cells[2] = grouped(jint(f, "offset"), b[0], sizeof b[0]);
		if (json_is_integer(json_object_get(f, "size")))
			cells[3] = grouped(jint(f, "size"), b[1], sizeof b[1]);
		else
			cells[3] = "-";
		cells[4] = grouped(jint(f, "lines"), b[2], sizeof b[2]);
		cells[5] = grouped(jint(f, "unrecognised"), b[3], sizeof b[3]);
		/* Each generation by where it is (mail.log.1), D17. */
		cells[6] = *jtext(f, "name") ? jtext(f, "name") :
		    jtext(f, "path");
		table_row(&tb, cells);
	}
	table_print(&tb, stdout, 0, o->wide ? 0 : o->cols);
	json_array_foreach(files, i, f)
		if (*jtext(f, "error") != '\0') {
			out_text(stdout, jtext(f, "path"));
			printf(": ");
			out_text(stdout, jtext(f, "error"));
			printf("\n");
		}
	json_decref(j);
	return errors ? EXIT_DAEMON : EXIT_OK;
}

/* unrecognised: the last lines the daemon did not understand, a few
 * per source, each where it was read (file:offset, or the journal's
 * host and time), escaped by the daemon. */
int
cmd_unrecognised(struct opts *o, int argc, char **argv)
{
	struct target	 t;
	json_t		*j, *lines, *l, *answer;
	size_t		 i;
	char		 b[64];

	(void)argc;
	(void)argv;
	target_init(&t, API_STATUS);
	j = client_ask(o, &t);
	lines = json_object_get(j, "unrecognised_lines");
	if (!json_is_array(lines))
		die(EXIT_DAEMON, "this smtptallyd keeps no unrecognised lines "
		    "(an older version?)");
	answer = json_pack("{s:O}", "unrecognised_lines", lines);
	if (answer != NULL && out_data(o, answer, lines)) {
		json_decref(answer);
		json_decref(j);
		return EXIT_OK;
	}
	json_decref(answer);
	if (json_array_size(lines) == 0)
		printf("no line was left unrecognised since smtptallyd "
		    "started\n");
	json_array_foreach(lines, i, l) {
		/* The daemon escaped the text; out_text is for the eye
		 * whatever an older daemon sent. */
		if (json_is_integer(json_object_get(l, "offset"))) {
			out_text(stdout, jtext(l, "name"));
			printf(":%lld: ", (long long)jint(l, "offset"));
		} else {
			out_text(stdout, jtext(l, "source"));
			printf(" (host ");
			out_text(stdout, *jtext(l, "name") ? jtext(l, "name") :
			    "-");
			printf(", %s): ", show_time(o, jtext(l, "time"), 0, b,
			    sizeof b));
		}
		out_text(stdout, jtext(l, "text"));
		if (json_is_true(json_object_get(l, "truncated")))
			printf(" ...(cut: %lld bytes)",
			    (long long)jint(l, "length"));
		putchar('\n');
	}
	json_decref(j);
	return EXIT_OK;
}

/* Enhanced codes that are logged only once the queue has given up. */
static int
final_enhanced(const char *enh)
{
	return strcmp(enh, "4.4.7") == 0;
}

/* Is s a reply code (0 or 200-599)?  Its value in *code. */
static int
reply_code(const char *s, long *code)
{
	char	*end;

	errno = 0;
	*code = strtol(s, &end, 10);
	return errno == 0 && *end == '\0' && end != s && (*code == 0 ||
	    (*code >= 200 && *code <= 599));
}

/* explain CODE [ENHANCED]: no daemon needed.  Every argument is checked
 * before anything is printed. */
int
cmd_explain(struct opts *o, int argc, char **argv)
{
	const struct codes_entry	*e;
	long				 code, rc = -1;
	int				 i;

	(void)o;
	for (i = 0; i < argc; i++)
		if (!codes_enhanced_valid(argv[i]) && !reply_code(argv[i],
		    &code))
			die(EXIT_USAGE, "explain: '%s' is neither a reply code "
			    "(250, or 0 for none) nor an enhanced code (5.1.1)",
			    argv[i]);
	for (i = 0; i < argc; i++) {
		if (codes_enhanced_valid(argv[i])) {
			if (final_enhanced(argv[i]))
				printf("%s  final: the queue gave up and "
				    "returned the message to its sender\n",
				    argv[i]);
			else
				printf("%s  %s\n", argv[i],
				    codes_class_name(argv[i][0] - '0'));
			if ((e = codes_enhanced(argv[i])) != NULL) {
				wrapped(stdout, 2, 8, "meaning:", e->meaning);
				wrapped(stdout, 2, 8, "usually:", e->action);
			} else
				printf("  not in the registry; the class "
				    "digit is all it says\n");
			if (rc > 0 && rc / 100 != argv[i][0] - '0') {
				char	 note[160];

				snprintf(note, sizeof note, "the reply says "
				    "class %ld and the enhanced code class %c; "
				    "they should agree (RFC 3463), and MTAs "
				    "act on the reply code", rc / 100,
				    argv[i][0]);
				wrapped(stdout, 2, 8, "note:", note);
			}
			continue;
		}
		reply_code(argv[i], &code);
		rc = code;
		if (code == 0)
			printf("0  no reply\n");
		else
			printf("%ld  %s\n", code, codes_class_name((int)code /
			    100));
		if ((e = codes_reply((int)code)) != NULL) {
			wrapped(stdout, 2, 8, "meaning:", e->meaning);
			wrapped(stdout, 2, 8, "usually:", e->action);
		} else
			printf("  not a code the RFCs define; the first digit "
			    "is all it says\n");
	}
	return EXIT_OK;
}
