/*
 * client_delays: `smtptally delays`, the delivery-delay histograms of
 * /v1/delays as a postmaster reads them: per stage (or, with --by, per
 * domain or provider, the whole delay), how many, the share delivered
 * within a second, a minute, an hour and a day, and the bucket the median
 * and the 95th percentile fall in.  The buckets' bounds come from the
 * answer, so the client knows none of its own.  The report's "Delays"
 * section is delays_section().
 *
 * Not here: HTTP (client_http.c), table layout (client_out.c).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "client.h"

/* The cumulative share columns, in seconds. */
static const double share_at[] = { 1, 60, 3600, 86400 };
static const char *const share_head[] = { "<=1s", "<=1m", "<=1h", "<=1d" };
#define NSHARES	(sizeof share_at / sizeof share_at[0])

/* A bound in seconds as a short word: 10ms, 0.5s, 5m, 4h, 2d. */
static const char *
bound_word(double s, char *buf, size_t sz)
{
	if (s < 0.5)
		snprintf(buf, sz, "%gms", s * 1000);
	else if (s < 60)
		snprintf(buf, sz, "%gs", s);
	else if (s < 3600)
		snprintf(buf, sz, "%gm", s / 60);
	else if (s < 86400)
		snprintf(buf, sz, "%gh", s / 3600);
	else
		snprintf(buf, sz, "%gd", s / 86400);
	return buf;
}

/* The bucket a quantile of a histogram falls in, as "<=BOUND" (">LAST"
 * past the last bound). */
static const char *
quantile_word(json_t *bounds, json_t *buckets, json_int_t count, double q,
    char *buf, size_t sz)
{
	json_int_t	 cum = 0, want;
	size_t		 i, nb = json_array_size(bounds);
	char		 w[32];

	want = (json_int_t)(q * (double)count);
	if ((double)want < q * (double)count)
		want++;
	if (want < 1)
		want = 1;
	for (i = 0; i < json_array_size(buckets); i++) {
		cum += json_integer_value(json_array_get(buckets, i));
		if (cum >= want)
			break;
	}
	if (i < nb)
		snprintf(buf, sz, "<=%s", bound_word(json_number_value(
		    json_array_get(bounds, i)), w, sizeof w));
	else
		snprintf(buf, sz, ">%s", bound_word(json_number_value(
		    json_array_get(bounds, nb - 1)), w, sizeof w));
	return buf;
}

/* The share of a histogram at or below s seconds. */
static double
share_below(json_t *bounds, json_t *buckets, json_int_t count, double s)
{
	json_int_t	 cum = 0;
	size_t		 i;

	if (count <= 0)
		return 0;
	for (i = 0; i < json_array_size(bounds); i++) {
		if (json_number_value(json_array_get(bounds, i)) > s)
			break;
		cum += json_integer_value(json_array_get(buckets, i));
	}
	return (double)cum / (double)count;
}

/* One table: a row per stage (no key) or per group's whole delay. */
static void
delays_table(const struct opts *o, json_t *j, const char *key, FILE *f,
    int indent)
{
	struct table	 tb;
	json_t		*bounds = json_object_get(j, "bounds"), *row, *b;
	const char	*cells[COLS_MAX];
	char		 cb[COLS_MAX][64];
	size_t		 i, k, c;

	table_init(&tb, 3 + NSHARES + 1);
	table_col(&tb, 0, key != NULL ? key : "stage", 0, key != NULL ? -1 :
	    0);
	table_col(&tb, 1, "count", 1, 0);
	for (k = 0; k < NSHARES; k++)
		table_col(&tb, 2 + k, share_head[k], 1, 0);
	table_col(&tb, 2 + NSHARES, "median", 1, 0);
	table_col(&tb, 3 + NSHARES, "p95", 1, 0);
	json_array_foreach(json_object_get(j, "rows"), i, row) {
		if (key != NULL && strcmp(jtext(row, "stage"), "total") != 0)
			continue;
		b = json_object_get(row, "buckets");
		cells[0] = key != NULL ? jtext(row, key) : jtext(row, "stage");
		cells[1] = grouped(jint(row, "count"), cb[1], sizeof cb[1]);
		for (k = 0, c = 2; k < NSHARES; k++, c++)
			cells[c] = percent(share_below(bounds, b,
			    jint(row, "count"), share_at[k]), cb[c],
			    sizeof cb[c]);
		cells[c] = quantile_word(bounds, b, jint(row, "count"), 0.5,
		    cb[c], sizeof cb[c]);
		c++;
		cells[c] = quantile_word(bounds, b, jint(row, "count"), 0.95,
		    cb[c], sizeof cb[c]);
		table_row(&tb, cells);
	}
	table_print(&tb, f, indent, o->cols);
}

/* The rows flattened for CSV: a column per bucket, named by its bound. */
static json_t *
delays_flat(json_t *j, const char *key)
{
	json_t	*bounds = json_object_get(j, "bounds"), *out, *row, *o, *b;
	size_t	 i, k, nb = json_array_size(bounds);
	char	 name[40], w[32];

	out = json_array();
	json_array_foreach(json_object_get(j, "rows"), i, row) {
		o = json_object();
		if (key != NULL)
			json_object_set(o, key, json_object_get(row, key));
		json_object_set(o, "stage", json_object_get(row, "stage"));
		json_object_set(o, "count", json_object_get(row, "count"));
		json_object_set(o, "sum", json_object_get(row, "sum"));
		b = json_object_get(row, "buckets");
		for (k = 0; k < json_array_size(b); k++) {
			if (k < nb)
				snprintf(name, sizeof name, "to_%s",
				    bound_word(json_number_value(
				    json_array_get(bounds, k)), w, sizeof w));
			else
				snprintf(name, sizeof name, "over_%s",
				    bound_word(json_number_value(
				    json_array_get(bounds, nb - 1)), w,
				    sizeof w));
			json_object_set(o, name, json_array_get(b, k));
		}
		json_array_append_new(out, o);
	}
	return out;
}

/* The request of both the command and the report's section. */
static json_t *
delays_ask(const struct opts *o, const char *by, int top)
{
	struct target	 t;

	target_init(&t, API_DELAYS);
	target_common(&t, o, NULL);
	if (by != NULL)
		target_add(&t, "by", by);
	if (top > 0)
		target_add_int(&t, "top", top);
	return client_ask(o, &t);
}

/* delays: the delay histograms of a period. */
int
cmd_delays(struct opts *o, int argc, char **argv)
{
	json_t		*j, *flat;
	const char	*key = NULL;
	char		 b[64];

	(void)argc;
	(void)argv;
	if (o->by != NULL) {
		if (strcmp(o->by, "domain") != 0 &&
		    strcmp(o->by, "provider") != 0)
			die(EXIT_USAGE, "delays: --by domain or provider");
		key = o->by;
	}
	j = delays_ask(o, key, o->top);
	if (o->json || o->csv) {
		flat = delays_flat(j, key);
		out_data(o, j, flat);
		json_decref(flat);
		json_decref(j);
		return EXIT_OK;
	}
	printf("delivery delays of our deliveries%s%s\n", key != NULL ?
	    ", the whole delay by " : " by stage", key != NULL ? key : "");
	if (jint(j, "total") == 0 && json_array_size(json_object_get(j,
	    "rows")) == 0)
		printf("no delays in this period (Postfix delay=, Exim QT= "
		    "with log_selector +queue_time)\n");
	else {
		delays_table(o, j, key, stdout, 0);
		printf("total %s delays; shares delivered within the time, "
		    "median and p95 as the bucket they fall in\n",
		    grouped(jint(j, "total"), b, sizeof b));
	}
	out_rounded(o, j, stdout);
	json_decref(j);
	return EXIT_OK;
}

/* The report's section: the stages, then the busiest domains' whole
 * delay.  Of the report's filters only those the histograms keep are
 * passed on (the others would be refused). */
void
delays_section(const struct opts *o, FILE *f)
{
	struct opts	 q = *o;
	json_t		*j;
	int		 i;

	for (i = 0; i < API_F_COUNT; i++)
		if (i != API_F_DOMAIN && i != API_F_PROVIDER &&
		    i != API_F_CLASS)
			q.filter[i] = NULL;
	j = delays_ask(&q, NULL, 0);
	if (jint(j, "total") == 0) {
		fprintf(f, "  no delays in this period\n");
		json_decref(j);
		return;
	}
	delays_table(&q, j, NULL, f, 2);
	json_decref(j);
	j = delays_ask(&q, "domain", 5);
	delays_table(&q, j, "domain", f, 2);
	json_decref(j);
}
