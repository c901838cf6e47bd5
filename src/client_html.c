/*
 * client_html: `smtptally report --html`, the report as one HTML file
 * that a mail client shows: no JavaScript, no external resource, inline
 * SVG with its colours in attributes (mail clients drop <style> blocks
 * and scripts).  The period at a glance as stacked columns by class, the
 * totals against the period before, the problems by category and the
 * blocklists named, the worst domains and providers as
 * bars with their reasons.  The data are those of the text report
 * (client_report.c); only the writing is here.
 *
 * Every text from the daemon is hostile (domains and reply texts come
 * from remote servers): it goes through html_text, which escapes markup,
 * drops control characters and neutralises bidi overrides.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "api.h"
#include "client.h"
#include "timespec.h"

#define HTML_ROWS	5	/* domains and providers per section */
#define HTML_W		600	/* the charts' width in pixels */
#define HTML_H		160	/* the stacked chart's height */

static const char *html_fill[3] = { "#4c9a2a", "#e0a100", "#c8321e" };
static const char *html_class[3] = { "c2", "c4", "c5" };

/* Text as HTML: markup escaped, control characters and the bidi
 * controls (U+202A-202E, U+2066-2069, U+200E/F) shown as U+FFFD so a
 * reply text cannot reorder the page. */
static void
html_text(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	for (; *p != '\0'; p++) {
		if (p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0x8e ||
		    p[2] == 0x8f || (p[2] >= 0xaa && p[2] <= 0xae))) {
			fputs("&#xfffd;", f);
			p += 2;
			continue;
		}
		if (p[0] == 0xe2 && p[1] == 0x81 && p[2] >= 0xa6 &&
		    p[2] <= 0xa9) {
			fputs("&#xfffd;", f);
			p += 2;
			continue;
		}
		switch (*p) {
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '&':
			fputs("&amp;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fputs("&#xfffd;", f);
			else
				fputc(*p, f);
			break;
		}
	}
}

/* The class counts of one period through summary by=class. */
static void
html_totals(const struct opts *o, int64_t since, int64_t span, int in)
{
	static const char *out[3] = { "2xx delivered", "4xx deferred",
			    "5xx failed" };
	static const char *inw[3] = { "2xx accepted", "4xx refused, retry",
			    "5xx refused" };
	json_int_t	 now[3], prev[3];
	char		 b[3][64];
	int		 k;

	report_class_counts(o, since, since + span, now);
	report_class_counts(o, since - span, since, prev);
	printf("<h2>Attempts against the period before</h2>\n"
	    "<table cellpadding=\"3\" style=\"border-collapse:collapse\">\n"
	    "<tr><th align=\"left\">class</th><th align=\"right\">count</th>"
	    "<th align=\"right\">previous</th><th align=\"right\">change"
	    "</th></tr>\n");
	for (k = 0; k < 3; k++) {
		if (prev[k] == 0)
			snprintf(b[2], sizeof b[2], "%s", now[k] ? "new" : "-");
		else
			snprintf(b[2], sizeof b[2], "%+.1f%%",
			    ((double)now[k] - prev[k]) * 100.0 / prev[k]);
		printf("<tr><td><span style=\"color:%s\">&#9632;</span> %s"
		    "</td><td align=\"right\">%s</td><td align=\"right\">%s"
		    "</td><td align=\"right\">%s</td></tr>\n", html_fill[k],
		    in ? inw[k] : out[k], grouped(now[k], b[0], sizeof b[0]),
		    grouped(prev[k], b[1], sizeof b[1]), b[2]);
	}
	printf("</table>\n");
}

/* A cell of [name, count] pairs (blame: a lone party's name), escaped. */
static void
html_pairs(json_t *pairs, int blame)
{
	char	 line[1024];

	printf("<td>");
	html_text(stdout, blame ? problems_blame(pairs, line, sizeof line) :
	    problems_pairs(pairs, line, sizeof line));
	printf("</td>");
}

/* A row's first cells: its name, the count, the period before's count
 * and the change. */
static void
html_counts(json_t *e, const char *key)
{
	char	b[3][64];

	printf("<tr><td>");
	html_text(stdout, jtext(e, key));
	printf("</td><td align=\"right\">%s</td><td align=\"right\">%s</td>"
	    "<td align=\"right\">%s</td>",
	    grouped(jint(e, "count"), b[0], sizeof b[0]),
	    grouped(jint(e, "previous"), b[1], sizeof b[1]),
	    change_since(jint(e, "count"), jint(e, "previous"), b[2],
	    sizeof b[2]));
}

/* The failures by category against the period before, who is to blame
 * and where, then reputation by the blocklist the replies named (the
 * data of the text report's section, problems_get). */
static void
html_problems(const struct opts *o, int64_t since, int64_t until)
{
	json_t		*p, *e;
	size_t		 i;
	static const char *head = "<th align=\"right\">count</th>"
			    "<th align=\"right\">previous</th>"
			    "<th align=\"right\">change</th>";

	p = problems_get(o, since, until);
	printf("<h2 id=\"problems\">Problems by category</h2>\n");
	if (json_array_size(json_object_get(p, "categories")) == 0)
		printf("<p>none</p>\n");
	else
		printf("<table class=\"problems\" cellpadding=\"3\" "
		    "style=\"border-collapse:collapse;font-size:13px\">\n"
		    "<tr><th align=\"left\">category</th>%s<th align="
		    "\"left\">to blame</th><th align=\"left\">providers</th>"
		    "<th align=\"left\">domains</th></tr>\n", head);
	json_array_foreach(json_object_get(p, "categories"), i, e) {
		html_counts(e, "category");
		html_pairs(json_object_get(e, "blame"), 1);
		html_pairs(json_object_get(e, "providers"), 0);
		html_pairs(json_object_get(e, "domains"), 0);
		printf("</tr>\n");
	}
	if (json_array_size(json_object_get(p, "categories")) > 0)
		printf("</table>\n");
	if (json_array_size(json_object_get(p, "reputation")) > 0) {
		printf("<h3>Blocklists and reputation, as the replies named "
		    "them</h3>\n<table class=\"blocklists\" cellpadding=\"3\""
		    " style=\"border-collapse:collapse;font-size:13px\">\n"
		    "<tr><th align=\"left\">reason</th>%s<th align=\"left\">"
		    "providers</th></tr>\n", head);
		json_array_foreach(json_object_get(p, "reputation"), i, e) {
			html_counts(e, "reason");
			html_pairs(json_object_get(e, "providers"), 0);
			printf("</tr>\n");
		}
		printf("</table>\n");
	}
	json_decref(p);
}

/* The period at a glance: one column per bucket, 2xx at the bottom,
 * then 4xx, then 5xx; a segment only where its count is not 0, so the
 * rects of a class are the buckets that had it. */
static void
html_glance(const struct opts *o, int64_t since, int64_t until)
{
	struct spark	 sp;
	double		 max = 0, v[3], y, h, w;
	int		 i, k;
	char		 a[40], from[40], b[40], to[40];

	spark_fill(o, since, until, &sp);
	for (i = 0; i < sp.n; i++)
		if (sp.attempts[i] > max)
			max = sp.attempts[i];
	w = (double)HTML_W / sp.n;
	timespec_format(sp.start, a, sizeof a);
	timespec_format(sp.start + (int64_t)sp.n * sp.step, b, sizeof b);
	printf("<h2>The period at a glance</h2>\n"
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"glance\" "
	    "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n"
	    "<rect class=\"frame\" x=\"0\" y=\"0\" width=\"%d\" height=\"%d\""
	    " fill=\"#f4f4f4\"/>\n", HTML_W, HTML_H + 20, HTML_W,
	    HTML_H + 20, HTML_W, HTML_H);
	for (i = 0; i < sp.n && max > 0; i++) {
		v[0] = sp.attempts[i] - sp.fail4[i] - sp.fail5[i];
		v[1] = sp.fail4[i];
		v[2] = sp.fail5[i];
		y = HTML_H;
		for (k = 0; k < 3; k++) {
			if (v[k] <= 0)
				continue;
			h = v[k] * HTML_H / max;
			y -= h;
			printf("<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" "
			    "width=\"%.1f\" height=\"%.1f\" fill=\"%s\">"
			    "<title>%.0f</title></rect>\n", html_class[k],
			    i * w + 0.5, y, w > 2 ? w - 1 : w, h, html_fill[k],
			    v[k]);
		}
	}
	printf("<text x=\"0\" y=\"%d\" font-size=\"11\">%s</text>\n"
	    "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\">"
	    "%s</text>\n</svg>\n", HTML_H + 15,
	    show_time(o, a, 0, from, sizeof from), HTML_W, HTML_H + 15,
	    show_time(o, b, 0, to, sizeof to));
	printf("<p style=\"font-size:12px\">%lld columns of %lld hours; "
	    "highest column %.0f attempts</p>\n", (long long)sp.n,
	    (long long)(sp.step / 3600), max);
}

/* The two reasons behind one domain's class, as a list. */
static void
html_reasons(const struct opts *o, const char *domain, const char *class)
{
	struct target	 t;
	json_t		*r, *rr;
	size_t		 i;
	char		 b[64];

	target_init(&t, API_REASONS);
	target_common(&t, o, "domain");
	target_add(&t, "domain", domain);
	target_add(&t, "class", class);
	target_add(&t, "top", "2");
	r = client_ask(o, &t);
	if (json_array_size(json_object_get(r, "rows")) > 0) {
		printf("<ul class=\"reasons\" style=\"margin:0 0 6px 0;"
		    "font-size:12px\">\n");
		json_array_foreach(json_object_get(r, "rows"), i, rr) {
			printf("<li>%s &times; %lld ", grouped(jint(rr,
			    "count"), b, sizeof b),
			    (long long)jint(rr, "reply"));
			html_text(stdout, jtext(rr, "enhanced"));
			fputc(' ', stdout);
			html_text(stdout, jtext(rr, "text"));
			printf("</li>\n");
		}
		printf("</ul>\n");
	}
	json_decref(r);
}

/* One bar: its length against the section's largest count. */
static void
html_bar(const char *id, json_int_t n, json_int_t max, int k)
{
	int	 w = max > 0 ? (int)((double)n * (HTML_W - 200) / max) : 0;

	printf("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"bar\" "
	    "width=\"%d\" height=\"14\"><rect class=\"%s %s\" x=\"0\" y=\"1\""
	    " width=\"%d\" height=\"12\" fill=\"%s\"/></svg>", HTML_W - 200,
	    id, html_class[k], w < 1 ? 1 : w, html_fill[k]);
}

/* The worst rows by one count, largest first, at most HTML_ROWS. */
static void
html_worst(const struct opts *o, json_t *rows, const char *key,
    const char *count, const char *title, const char *class, int k,
    int reasons)
{
	json_t		*row;
	size_t		 i, n = json_array_size(rows), shown = 0, best;
	json_int_t	 bestn, max = 0;
	char		*picked, b[2][64];

	printf("<h2>%s</h2>\n<table cellpadding=\"2\">\n", title);
	if ((picked = calloc(n + 1, 1)) == NULL)
		die(EXIT_DAEMON, "out of memory");
	while (shown < HTML_ROWS) {
		best = n;
		bestn = 0;
		json_array_foreach(rows, i, row) {
			if (picked[i] ||
			    json_is_true(json_object_get(row, "other")))
				continue;
			if (jint(row, count) > bestn) {
				bestn = jint(row, count);
				best = i;
			}
		}
		if (best == n)
			break;
		picked[best] = 1;
		if (max == 0)
			max = bestn;
		shown++;
		row = json_array_get(rows, best);
		printf("<tr><td valign=\"top\">");
		html_text(stdout, jtext(row, key));
		printf("</td><td valign=\"top\">");
		html_bar(key, bestn, max, k);
		printf(" %s of %s</td></tr>\n", grouped(bestn, b[0],
		    sizeof b[0]), grouped(jint(row, "attempts"), b[1],
		    sizeof b[1]));
		if (reasons) {
			printf("<tr><td></td><td>");
			html_reasons(o, jtext(row, key), class);
			printf("</td></tr>\n");
		}
	}
	free(picked);
	if (shown == 0)
		printf("<tr><td>none</td></tr>\n");
	printf("</table>\n");
}

/* Providers: summary by=provider,class folded into the rows html_worst
 * reads (provider, attempts, deferred, bounced). */
static json_t *
html_providers(const struct opts *o)
{
	struct target	 t;
	json_t		*j, *row, *rows, *p;
	size_t		 i, k;
	const char	*name, *cl;

	target_init(&t, API_SUMMARY);
	target_common(&t, o, NULL);
	target_add(&t, "by", "provider,class");
	j = client_ask(o, &t);
	rows = json_array();
	json_array_foreach(json_object_get(j, "rows"), i, row) {
		name = jtext(row, "provider");
		cl = jtext(row, "class");
		p = NULL;
		json_array_foreach(rows, k, p)
			if (strcmp(jtext(p, "provider"), name) == 0)
				break;
		if (k == json_array_size(rows)) {
			p = json_pack("{s:s s:I s:I s:I}", "provider", name,
			    "attempts", (json_int_t)0, "deferred",
			    (json_int_t)0, "bounced", (json_int_t)0);
			json_array_append_new(rows, p);
		}
		json_object_set_new(p, "attempts", json_integer(jint(p,
		    "attempts") + jint(row, "count")));
		if (cl[0] == '4' || cl[0] == '5')
			json_object_set_new(p, cl[0] == '4' ? "deferred" :
			    "bounced", json_integer(jint(p, cl[0] == '4' ?
			    "deferred" : "bounced") + jint(row, "count")));
	}
	json_decref(j);
	return rows;
}

/* report --html: the whole page. */
int
html_report(const struct opts *o, int64_t since, int64_t until, int in)
{
	struct target	 t;
	json_t		*j, *prov;
	char		 host[256], a[40], b[40], from[40], to[40];

	if (gethostname(host, sizeof host) == -1)
		snprintf(host, sizeof host, "this host");
	host[sizeof host - 1] = '\0';
	timespec_format(since, a, sizeof a);
	timespec_format(until, b, sizeof b);
	printf("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset="
	    "\"utf-8\">\n<title>smtptally report for ");
	html_text(stdout, host);
	printf("</title></head>\n<body style=\"font-family:sans-serif;"
	    "max-width:%dpx;color:#222\">\n<h1 style=\"font-size:20px\">"
	    "smtptally report for ", HTML_W + 40);
	html_text(stdout, host);
	printf("</h1>\n<p>period %s to %s %s, compared with the period "
	    "before; %s</p>\n", show_time(o, a, 0, from, sizeof from),
	    show_time(o, b, 0, to, sizeof to), show_zone(o, since),
	    in ? "incoming: what our smtpd answered" : "outgoing: our "
	    "deliveries");
	html_totals(o, since, until - since, in);
	html_problems(o, since, until);
	html_glance(o, since, until);

	target_init(&t, API_DOMAINS);
	target_common(&t, o, NULL);
	target_add(&t, "top", "200");
	j = client_ask(o, &t);
	html_worst(o, json_object_get(j, "rows"), "domain", "deferred",
	    in ? "Domains temporarily refused" : "Top deferring domains",
	    "4xx", 1, 1);
	html_worst(o, json_object_get(j, "rows"), "domain", "bounced",
	    in ? "Domains refused" : "Top bouncing domains", "5xx", 2, 1);
	json_decref(j);

	prov = html_providers(o);
	html_worst(o, prov, "provider", "deferred", "Deferring providers",
	    "4xx", 1, 0);
	html_worst(o, prov, "provider", "bounced", "Bouncing providers",
	    "5xx", 2, 0);
	json_decref(prov);
	printf("<p style=\"font-size:11px;color:#666\">smtptally report "
	    "--html; the text report has the codes in words and the log "
	    "lines read.</p>\n</body></html>\n");
	return EXIT_OK;
}
