/*
 * client_problems: the views by category (issue 14), and the data the
 * report's text and HTML share.  The class totals of a period; the
 * report's problems (each failure category of a period against the
 * period before, who is to blame, its top providers and domains; the
 * reputation reasons, which name the blocklists), read once and written
 * by client_report.c as text and client_html.c as HTML; the categories
 * of one domain; and `reasons` grouped by category with the finer
 * reasons and their texts, or the unclassified texts newest first.
 *
 * The categories, blames and reasons are the daemon's (summary
 * by=category,blame,provider,reason and /v1/reasons): nothing here
 * classifies.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api.h"
#include "client.h"

#define PROBLEMS_TOP	3	/* providers and domains per category */

/* See client.h. */
json_t *
ask_summary(const struct opts *o, int64_t since, int64_t until,
    const char *skip, const char *by, const char *c, int top)
{
	struct target	 t;
	struct opts	 ro = *o;

	ro.since = since;
	ro.until = until;
	ro.has_since = ro.has_until = 1;
	target_init(&t, API_SUMMARY);
	target_common(&t, &ro, skip);
	target_add(&t, "by", by);
	target_add(&t, "category", c);
	if (top > 0)
		target_add_int(&t, "top", top);
	return client_ask(o, &t);
}

/* See client.h. */
void
report_class_counts(const struct opts *o, int64_t since, int64_t until,
    json_int_t c[3])
{
	json_t		*j, *row;
	size_t		 i;
	int		 k;

	j = ask_summary(o, since, until, NULL, "class", NULL, 0);
	c[0] = c[1] = c[2] = 0;
	json_array_foreach(json_object_get(j, "rows"), i, row) {
		k = jtext(row, "class")[0];
		c[k == '2' ? 0 : k == '4' ? 1 : 2] += jint(row, "count");
	}
	json_decref(j);
}

/* The object of list whose key is name, or NULL; made when make. */
static json_t *
entry(json_t *list, const char *key, const char *name, int make)
{
	json_t	*e;
	size_t	 i;

	json_array_foreach(list, i, e)
		if (strcmp(jtext(e, key), name) == 0)
			return e;
	if (!make)
		return NULL;
	e = json_pack("{s:s s:I s:I s:[] s:[] s:[] s:[]}", key, name,
	    "count", (json_int_t)0, "previous", (json_int_t)0, "blame",
	    "providers", "domains", "rows");
	if (e == NULL)
		die(EXIT_DAEMON, "out of memory");
	json_array_append_new(list, e);
	return e;
}

/* Add n to e's member k. */
static void
add(json_t *e, const char *k, json_int_t n)
{
	json_object_set_new(e, k, json_integer(jint(e, k) + n));
}

/* A [name, count] pair at the end of e's list k, at most max of them. */
static void
pair(json_t *e, const char *k, const char *name, json_int_t n, size_t max)
{
	json_t	*l = json_object_get(e, k);

	if (max == 0 || json_array_size(l) < max)
		json_array_append_new(l, json_pack("[s I]", name, n));
}

/* Add n to the pair of name in e's list k, made at its end if new. */
static void
pair_add(json_t *e, const char *k, const char *name, json_int_t n)
{
	json_t	*l = json_object_get(e, k), *p;
	size_t	 i;

	json_array_foreach(l, i, p)
		if (strcmp(json_string_value(json_array_get(p, 0)), name) == 0) {
			json_array_set_new(p, 1, json_integer(
			    json_integer_value(json_array_get(p, 1)) + n));
			return;
		}
	pair(e, k, name, n, 0);
}

/* Largest count first, then the larger previous, then by name. */
static int
by_count(const void *a, const void *b)
{
	json_t		*x = *(json_t * const *)a, *y = *(json_t * const *)b;
	json_int_t	 cx = jint(x, "count"), cy = jint(y, "count");

	if (cx != cy)
		return cx > cy ? -1 : 1;
	cx = jint(x, "previous");
	cy = jint(y, "previous");
	if (cx != cy)
		return cx > cy ? -1 : 1;
	return strcmp(jtext(x, "name"), jtext(y, "name"));
}

/* Sort a list of entries in place by by_count. */
static void
sort_entries(json_t *list)
{
	size_t	 i, n = json_array_size(list);
	json_t	**v;

	if (n < 2)
		return;
	if ((v = calloc(n, sizeof *v)) == NULL)
		die(EXIT_DAEMON, "out of memory");
	for (i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(list, i));
	qsort(v, n, sizeof *v, by_count);
	json_array_clear(list);
	for (i = 0; i < n; i++)
		json_array_append_new(list, v[i]);
	free(v);
}

/* Each entry's "name" is its key's value, for by_count's last rule. */
static void
name_entries(json_t *list, const char *key)
{
	json_t	*e;
	size_t	 i;

	json_array_foreach(list, i, e)
		json_object_set_new(e, "name", json_string(jtext(e, key)));
}

/* See client.h. */
json_t *
problems_get(const struct opts *o, int64_t since, int64_t until)
{
	int64_t		 span = until - since;
	json_t		*cats = json_array(), *reps = json_array(), *j, *row,
			*e;
	const char	*c, *only = o->filter[API_F_CATEGORY];
	size_t		 i;

	/* This period's failures by category and blame, then the one
	 * before by category. */
	j = ask_summary(o, since, until, NULL, "category,blame", NULL, 0);
	json_array_foreach(json_object_get(j, "rows"), i, row) {
		if (strcmp(c = jtext(row, "category"), "delivered") == 0)
			continue;
		e = entry(cats, "category", c, 1);
		add(e, "count", jint(row, "count"));
		pair(e, "blame", jtext(row, "blame"), jint(row, "count"), 0);
	}
	json_decref(j);
	j = ask_summary(o, since - span, since, NULL, "category", NULL, 0);
	json_array_foreach(json_object_get(j, "rows"), i, row)
		if (strcmp(c = jtext(row, "category"), "delivered") != 0)
			add(entry(cats, "category", c, 1), "previous",
			    jint(row, "count"));
	json_decref(j);
	name_entries(cats, "category");
	sort_entries(cats);

	/* The top providers (rows come largest first), then the top
	 * domains of each category. */
	j = ask_summary(o, since, until, NULL, "category,provider", NULL, 0);
	json_array_foreach(json_object_get(j, "rows"), i, row)
		if ((e = entry(cats, "category", jtext(row, "category"),
		    0)) != NULL)
			pair(e, "providers", jtext(row, "provider"),
			    jint(row, "count"), PROBLEMS_TOP);
	json_decref(j);
	json_array_foreach(cats, i, e) {
		json_t	*d, *r;
		size_t	 k;

		if (jint(e, "count") == 0)
			continue;
		d = ask_summary(o, since, until, "category", "domain",
		    jtext(e, "category"), PROBLEMS_TOP);
		json_array_foreach(json_object_get(d, "rows"), k, r)
			pair(e, "domains", jtext(r, "domain"),
			    jint(r, "count"), PROBLEMS_TOP);
		json_decref(d);
	}

	/* Reputation by its finer reason: the blocklists by name. */
	if (only == NULL || strcmp(only, "reputation") == 0) {
		j = ask_summary(o, since, until, "category", "reason,provider",
		    "reputation", 0);
		json_array_foreach(json_object_get(j, "rows"), i, row) {
			e = entry(reps, "reason", jtext(row, "reason"), 1);
			add(e, "count", jint(row, "count"));
			pair(e, "providers", jtext(row, "provider"),
			    jint(row, "count"), PROBLEMS_TOP);
		}
		json_decref(j);
		j = ask_summary(o, since - span, since, "category", "reason",
		    "reputation", 0);
		json_array_foreach(json_object_get(j, "rows"), i, row)
			add(entry(reps, "reason", jtext(row, "reason"), 1),
			    "previous", jint(row, "count"));
		json_decref(j);
		name_entries(reps, "reason");
		sort_entries(reps);
	}
	return json_pack("{s:o s:o}", "categories", cats, "reputation", reps);
}

/* See client.h. */
const char *
problems_pairs(json_t *pairs, char *buf, size_t len)
{
	json_t	*p;
	size_t	 i, at = 0;
	char	 n[32];
	int	 w;

	buf[0] = '\0';
	json_array_foreach(pairs, i, p) {
		grouped(json_integer_value(json_array_get(p, 1)), n, sizeof n);
		w = snprintf(buf + at, len - at, "%s%s %s", i ? ", " : "",
		    json_string_value(json_array_get(p, 0)), n);
		if (w < 0 || (size_t)w >= len - at)
			break;
		at += (size_t)w;
	}
	return buf;
}

/* See client.h. */
const char *
problems_blame(json_t *pairs, char *buf, size_t len)
{
	if (json_array_size(pairs) == 1) {
		snprintf(buf, len, "%s", json_string_value(json_array_get(
		    json_array_get(pairs, 0), 0)));
		return buf;
	}
	return problems_pairs(pairs, buf, len);
}

/* See client.h. */
json_t *
domain_categories(const struct opts *o)
{
	struct target	 t;

	target_init(&t, API_SUMMARY);
	target_common(&t, o, NULL);
	target_add(&t, "by", "category,blame");
	return client_ask(o, &t);
}

/* See client.h. */
void
domain_categories_print(json_t *j, FILE *f)
{
	struct table	 tb;
	json_t		*row;
	size_t		 i;
	char		 b[2][64];
	const char	*cells[4];
	json_int_t	 total = jint(j, "total");

	table_init(&tb, 4);
	table_col(&tb, 0, "category", 0, 0);
	table_col(&tb, 1, "to blame", 0, 0);
	table_col(&tb, 2, "count", 1, 0);
	table_col(&tb, 3, "share", 1, 0);
	json_array_foreach(json_object_get(j, "rows"), i, row) {
		cells[0] = jtext(row, "category");
		cells[1] = jtext(row, "blame");
		cells[2] = grouped(jint(row, "count"), b[0], sizeof b[0]);
		cells[3] = percent(total ? (double)jint(row, "count") / total :
		    0, b[1], sizeof b[1]);
		table_row(&tb, cells);
	}
	table_print(&tb, f, 2, 0);
}

/* One text of `reasons`: count, codes and the text, cut to cols unless
 * whole. */
static void
reason_line(const struct opts *o, json_t *row, int indent, int whole,
    FILE *f)
{
	char		 b[64], enh[64], esc[4096];
	const char	*text = escaped(jtext(row, "text"), esc, sizeof esc);
	int		 room, n;

	n = fprintf(f, "%*s%7s  %3lld %-7s ", indent, "",
	    grouped(jint(row, "count"), b, sizeof b),
	    (long long)jint(row, "reply"), *jtext(row, "enhanced") ?
	    escaped(jtext(row, "enhanced"), enh, sizeof enh) : "-");
	room = whole || o->wide || o->cols <= 0 ? 0 : o->cols - n - 1;
	if (room <= 3 || (int)strlen(text) <= room)
		fprintf(f, "%s\n", text);
	else
		fprintf(f, "%.*s...\n", room - 3, text);
}

/* The unclassified texts, newest first, each whole on its line: what a
 * new rule would match (masked as the rules see them). */
static void
reasons_other(const struct opts *o, json_t *rows, FILE *f)
{
	json_t	*row;
	size_t	 i;

	fprintf(f, "Unclassified texts (category other), the newest first, "
	    "as the rules see them\n(smtptally-rules(5); try a rule with "
	    "smtptally classify):\n");
	json_array_foreach(rows, i, row)
		reason_line(o, row, 0, 1, f);
	if (json_array_size(rows) == 0)
		fprintf(f, "  none\n");
}

/* See client.h. */
void
reasons_by_category(const struct opts *o, json_t *answer, FILE *f)
{
	json_t		*rows = json_object_get(answer, "rows"), *cats, *row,
			*c, *r, *x;
	const char	*only = o->filter[API_F_CATEGORY];
	size_t		 i, k, m;
	char		 b[64], bl[256], e1[256], e2[1024];

	if (only != NULL && strcmp(only, "other") == 0) {
		reasons_other(o, rows, f);
		return;
	}
	/* Category, then its finer reasons, then their texts. */
	cats = json_array();
	json_array_foreach(rows, i, row) {
		c = entry(cats, "category", jtext(row, "category"), 1);
		add(c, "count", jint(row, "count"));
		pair_add(c, "blame", jtext(row, "blame"), jint(row, "count"));
		r = entry(json_object_get(c, "rows"), "reason",
		    jtext(row, "reason"), 1);
		add(r, "count", jint(row, "count"));
		json_array_append(json_object_get(r, "rows"), row);
	}
	name_entries(cats, "category");
	sort_entries(cats);
	json_array_foreach(cats, i, c) {
		problems_blame(json_object_get(c, "blame"), bl, sizeof bl);
		fprintf(f, "%s%s: %s attempt%s, to blame: %s\n", i ? "\n" : "",
		    escaped(jtext(c, "category"), e1, sizeof e1),
		    grouped(jint(c, "count"), b, sizeof b),
		    jint(c, "count") == 1 ? "" : "s", escaped(bl, e2,
		    sizeof e2));
		name_entries(json_object_get(c, "rows"), "reason");
		sort_entries(json_object_get(c, "rows"));
		json_array_foreach(json_object_get(c, "rows"), k, r) {
			fprintf(f, "  %s: %s\n", *jtext(r, "reason") ?
			    escaped(jtext(r, "reason"), e1, sizeof e1) : "-",
			    grouped(jint(r, "count"), b, sizeof b));
			json_array_foreach(json_object_get(r, "rows"), m, x)
				reason_line(o, x, 2, 0, f);
		}
	}
	if (json_array_size(cats) == 0)
		fprintf(f, "no failure texts in this period\n");
	if (json_is_true(json_object_get(answer, "truncated")))
		fprintf(f, "(more texts than shown; use --top)\n");
	json_decref(cats);
}
