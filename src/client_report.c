/*
 * client_report: `smtptally report`, the plain-text summary of a period
 * for cron mail: totals against the period before, the problems by
 * category (who is to blame, at which providers and domains, and the
 * blocklists named), the period at a
 * glance, the domains that deferred and bounced most with their reasons,
 * the messages that expired, how long deliveries took, what our own
 * smtpd refused, the codes in
 * words, and whether the logs were read.  80 columns of ASCII.
 *
 * Each section is one function over the same struct report, in the order
 * the report prints them (cmd_report).  Not here: HTML (client_html.c).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "api.h"
#include "client.h"
#include "codes.h"
#include "timespec.h"

#define REPORT_DOMAINS	5	/* per section */

struct report {
	struct opts	*o;
	int64_t		 since, until, span;
	int		 in;		/* --direction in: our smtpd's answers */
	json_t		*codes;		/* [reply, enhanced] to explain */
};

/* Lines read and lines not recognised in a period. */
static void
line_counts(const struct opts *o, int64_t since, int64_t until,
    json_int_t *total, json_int_t *unrec)
{
	struct target	 t;
	json_t		*j, *row;
	size_t		 i;

	target_init(&t, API_LINES);
	target_add_int(&t, "since", since);
	target_add_int(&t, "until", until);
	j = client_ask(o, &t);
	*total = jint(j, "total");
	*unrec = 0;
	json_array_foreach(json_object_get(j, "rows"), i, row)
		if (strcmp(jtext(row, "result"), "unrecognised") == 0)
			*unrec += jint(row, "count");
	json_decref(j);
}

/* A name cut to w columns with "..." when longer. */
static const char *
fit(const char *s, size_t w, char *buf, size_t len)
{
	size_t	i, chars = 0, cut = 0;

	/* Characters, not bytes: a cut never splits a UTF-8 sequence. */
	for (i = 0; s[i] != '\0'; i++) {
		if (((unsigned char)s[i] & 0xc0) == 0x80)
			continue;
		if (chars == w - 3)
			cut = i;
		chars++;
	}
	if (chars <= w && i < len) {
		snprintf(buf, len, "%s", s);
		return buf;
	}
	if (chars <= w || cut + 4 > len)	/* the buffer is the limit */
		cut = len < 4 ? 0 : len - 4;
	while (cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80)
		cut--;
	snprintf(buf, len, "%.*s...", (int)cut, s);
	return buf;
}

/* The few reasons of one domain and class, indented under it. */
static void
domain_reasons(struct report *rp, const char *domain, const char *class,
    int indent)
{
	struct target	 t;
	json_t		*r, *rr;
	size_t		 i;
	char		 b[64], txt[128], esc[128];
	const char	*text;

	target_init(&t, API_REASONS);
	target_common(&t, rp->o, "domain");
	if (domain != NULL)
		target_add(&t, "domain", domain);
	if (class != NULL)
		target_add(&t, "class", class);
	target_add(&t, "top", "2");
	r = client_ask(rp->o, &t);
	json_array_foreach(json_object_get(r, "rows"), i, rr) {
		text = jtext(rr, "text");
		/* 80 columns: indent, count, " x ", reply, code, text. */
		printf("%*s%7s x %3lld %-6s %s\n", indent, "",
		    grouped(jint(rr, "count"), b, sizeof b),
		    (long long)jint(rr, "reply"), jtext(rr, "enhanced"),
		    fit(escaped(text, esc, sizeof esc), (size_t)(WIDTH -
		    indent - 22), txt, sizeof txt));
		json_array_append_new(rp->codes, json_pack("[I s]",
		    (json_int_t)jint(rr, "reply"), jtext(rr, "enhanced")));
	}
	json_decref(r);
}

/* Domains sorted by a count (deferred or bounced), with their reasons. */
static void
report_domains(struct report *rp, json_t *rows, const char *what,
    const char *count, const char *share, const char *class)
{
	json_t		*row;
	size_t		 i, k, n = json_array_size(rows), shown = 0;
	char		 b[3][64], name[64], esc[64];
	char		*picked;

	printf("\nTop %s domains\n", what);
	if ((picked = calloc(n + 1, 1)) == NULL)
		die(EXIT_DAEMON, "out of memory");
	for (k = 0; k < REPORT_DOMAINS; k++) {
		size_t		 best = n;
		json_int_t	 bestn = 0;

		/* The k-th largest by count, skipping those picked. */
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
		shown++;
		row = json_array_get(rows, best);
		printf("  %-32s %9s of %9s attempts (%s)\n",
		    fit(escaped(jtext(row, "domain"), esc, sizeof esc), 32,
		    name, sizeof name),
		    grouped(bestn, b[0], sizeof b[0]),
		    grouped(jint(row, "attempts"), b[1], sizeof b[1]),
		    percent(json_real_value(json_object_get(row, share)),
		    b[2], sizeof b[2]));
		domain_reasons(rp, jtext(row, "domain"), class, 4);
	}
	free(picked);
	if (shown == 0)
		printf("  none\n");
}

/* The heading: host, period in the zone shown, the comparison. */
static void
report_head(struct report *rp)
{
	char	 host[256], from[40], to[40], a[40], b[40], span[64];

	if (gethostname(host, sizeof host) == -1)
		snprintf(host, sizeof host, "this host");
	host[sizeof host - 1] = '\0';
	printf("smtptally report for %.30s\n", host);
	if (rp->span % 86400 == 0 && rp->span > 2 * 86400)
		snprintf(span, sizeof span, "%lld days",
		    (long long)(rp->span / 86400));
	else if (rp->span % 3600 == 0)
		snprintf(span, sizeof span, "%lld hours",
		    (long long)(rp->span / 3600));
	else
		snprintf(span, sizeof span, "%lld minutes",
		    (long long)(rp->span / 60));
	timespec_format(rp->since, a, sizeof a);
	timespec_format(rp->until, b, sizeof b);
	printf("period %s to %s %s (%s),\n"
	    "compared with the %s before\n", show_time(rp->o, a, 0, from,
	    sizeof from), show_time(rp->o, b, 0, to, sizeof to),
	    show_zone(rp->o, rp->since), span, span);
	printf("%s\n\n", rp->in ? "incoming: what our smtpd answered other "
	    "servers" : "outgoing: our deliveries (--direction in for what "
	    "our smtpd refused)");
}

/* Attempts by class against the period before. */
static void
report_totals(struct report *rp)
{
	static const char *out[3] = { "2xx  delivered", "4xx  deferred",
			    "5xx  failed" };
	static const char *in[3] = { "2xx  accepted", "4xx  refused, retry",
			    "5xx  refused" };
	json_int_t	 now_c[3], prev_c[3], nt, pt;
	char		 b[4][64];
	size_t		 k;

	report_class_counts(rp->o, rp->since, rp->until, now_c);
	report_class_counts(rp->o, rp->since - rp->span, rp->since, prev_c);
	nt = now_c[0] + now_c[1] + now_c[2];
	pt = prev_c[0] + prev_c[1] + prev_c[2];
	printf("%-22s %12s  %6s  %12s  %7s\n", rp->in ? "Incoming attempts" :
	    "Delivery attempts", "count", "share", "previous", "change");
	for (k = 0; k < 3; k++)
		printf("  %-20s %12s  %6s  %12s  %7s\n", rp->in ? in[k] :
		    out[k], grouped(now_c[k], b[0], sizeof b[0]),
		    percent(nt ? (double)now_c[k] / nt : 0, b[1],
		    sizeof b[1]),
		    grouped(prev_c[k], b[2], sizeof b[2]),
		    change_since(now_c[k], prev_c[k], b[3], sizeof b[3]));
	printf("  %-20s %12s  %6s  %12s  %7s\n", "total",
	    grouped(nt, b[0], sizeof b[0]), "", grouped(pt, b[2],
	    sizeof b[2]), change_since(nt, pt, b[3], sizeof b[3]));
}

/* The failures by category against the period before, with who is to
 * blame and where; then reputation by the blocklist the replies named. */
static void
report_problems(struct report *rp)
{
	json_t		*p, *cats, *reps, *e;
	size_t		 i;
	char		 b[4][64], name[64], wide[WIDTH], line[512],
			 esc[2048];

	p = problems_get(rp->o, rp->since, rp->until);
	cats = json_object_get(p, "categories");
	reps = json_object_get(p, "reputation");
	printf("\nProblems by category (failed attempts)\n");
	if (json_array_size(cats) == 0)
		printf("  none\n");
	else
		printf("  %-16s %9s %9s %8s  %s\n", "category", "count",
		    "previous", "change", "to blame");
	json_array_foreach(cats, i, e) {
		printf("  %-16s %9s %9s %8s  ", escaped(jtext(e, "category"),
		    name, sizeof name), grouped(jint(e, "count"), b[0],
		    sizeof b[0]), grouped(jint(e, "previous"), b[1],
		    sizeof b[1]), change_since(jint(e, "count"), jint(e,
		    "previous"), b[2], sizeof b[2]));
		printf("%s\n", fit(escaped(problems_blame(json_object_get(e,
		    "blame"), line, sizeof line), esc, sizeof esc), 29, b[3],
		    sizeof b[3]));
		if (json_array_size(json_object_get(e, "providers")) > 0)
			printf("    providers: %s\n", fit(escaped(problems_pairs(
			    json_object_get(e, "providers"), line, sizeof line),
			    esc, sizeof esc), WIDTH - 16, wide, sizeof wide));
		if (json_array_size(json_object_get(e, "domains")) > 0)
			printf("    domains:   %s\n", fit(escaped(problems_pairs(
			    json_object_get(e, "domains"), line, sizeof line),
			    esc, sizeof esc), WIDTH - 16, wide, sizeof wide));
	}
	if (json_array_size(cats) > 0 && (rp->o->filter[API_F_CATEGORY] ==
	    NULL || strcmp(rp->o->filter[API_F_CATEGORY], "reputation") == 0)) {
		printf("\nBlocklists and reputation, as the replies named "
		    "them\n");
		if (json_array_size(reps) == 0)
			printf("  none\n");
		else
			printf("  %-24s %7s %9s %8s  %s\n", "reason", "count",
			    "previous", "change", "providers");
		json_array_foreach(reps, i, e) {
			printf("  %-24s %7s %9s %8s  ", fit(escaped(jtext(e,
			    "reason"), esc, sizeof esc), 24, name, sizeof name),
			    grouped(jint(e, "count"), b[0], sizeof b[0]),
			    grouped(jint(e, "previous"), b[1], sizeof b[1]),
			    change_since(jint(e, "count"), jint(e, "previous"),
			    b[2], sizeof b[2]));
			printf("%s\n", fit(escaped(problems_pairs(
			    json_object_get(e, "providers"), line,
			    sizeof line), esc, sizeof esc), 23, b[3],
			    sizeof b[3]));
		}
	}
	json_decref(p);
}

/* The sparkline of the period. */
static void
report_glance(struct report *rp)
{
	struct spark	 sp;

	printf("\nThe period at a glance\n");
	spark_fill(rp->o, rp->since, rp->until, &sp);
	spark_print(rp->o, &sp, stdout);
}

/* The deferring and bouncing (or refused) domains. */
static void
report_domain_sections(struct report *rp)
{
	struct target	 t;
	json_t		*j;

	target_init(&t, API_DOMAINS);
	target_common(&t, rp->o, NULL);
	target_add(&t, "top", "200");
	j = client_ask(rp->o, &t);
	report_domains(rp, json_object_get(j, "rows"), rp->in ?
	    "temporarily refused" : "deferring", "deferred",
	    "deferred_share", "4xx");
	report_domains(rp, json_object_get(j, "rows"), rp->in ?
	    "refused" : "bouncing", "bounced", "bounced_share", "5xx");
	json_decref(j);
}

/* Messages the queue gave up on and returned to their senders. */
static void
report_expired(struct report *rp)
{
	struct target	 t;
	struct opts	 ro = *rp->o;
	json_t		*j;
	char		 b[64];

	ro.filter[API_F_KIND] = "final";
	ro.filter[API_F_STATUS] = "expired";
	ro.filter[API_F_DIRECTION] = NULL;
	target_init(&t, API_SUMMARY);
	target_common(&t, &ro, NULL);
	j = client_ask(rp->o, &t);
	printf("\nExpired, returned to sender\n");
	if (jint(j, "total") == 0)
		printf("  none\n");
	else {
		printf("  %s message%s stayed in the queue too long and went "
		    "back to the sender\n", grouped(jint(j, "total"), b,
		    sizeof b), jint(j, "total") == 1 ? "" : "s");
		{
			/* Its reply is no remote's answer: not explained. */
			struct report	 er = *rp;

			er.o = &ro;
			er.codes = json_array();
			domain_reasons(&er, NULL, NULL, 2);
			json_decref(er.codes);
		}
	}
	json_decref(j);
}

/* What our own smtpd refused (when the report is about deliveries). */
static void
report_inbound(struct report *rp)
{
	struct target	 t;
	struct opts	 ro = *rp->o;
	struct report	 ir = *rp;
	json_t		*j;
	char		 b[64];

	if (rp->in)
		return;
	ro.filter[API_F_DIRECTION] = "in";
	ro.filter[API_F_DOMAIN] = NULL;
	ro.filter[API_F_CLASS] = NULL;
	target_init(&t, API_SUMMARY);
	target_common(&t, &ro, NULL);
	target_add(&t, "by", "class");
	j = client_ask(rp->o, &t);
	printf("\nRefused by our smtpd (incoming)\n");
	{
		json_t		*row;
		size_t		 i;
		json_int_t	 refused = 0;

		json_array_foreach(json_object_get(j, "rows"), i, row)
			if (jtext(row, "class")[0] != '2')
				refused += jint(row, "count");
		if (refused == 0)
			printf("  none\n");
		else {
			printf("  %s of %s incoming attempts refused; most "
			    "often:\n", grouped(refused, b, sizeof b),
			    grouped(jint(j, "total"), b + 32, 32));
			ir.o = &ro;
			domain_reasons(&ir, NULL, NULL, 2);
		}
	}
	json_decref(j);
}

/* The failure codes of the period in words, each once. */
static void
report_codes(struct report *rp)
{
	struct target	 t;
	json_t		*byclass, *row, *c, *c2;
	size_t		 i, j2, k = 0;
	int		 seen[1000], dup;

	target_init(&t, API_SUMMARY);
	target_common(&t, rp->o, NULL);
	target_add(&t, "by", "class,reply,enhanced");
	target_add(&t, "top", "8");
	byclass = client_ask(rp->o, &t);
	/* Failures only: a 2xx class (local deliveries log 0 2.0.0). */
	json_array_foreach(json_object_get(byclass, "rows"), i, row)
		if (jtext(row, "class")[0] != '2')
			json_array_append_new(rp->codes, json_pack("[I s]",
			    (json_int_t)jint(row, "reply"),
			    jtext(row, "enhanced")));
	json_decref(byclass);
	printf("\nCodes seen, in words\n");
	memset(seen, 0, sizeof seen);
	json_array_foreach(rp->codes, i, c) {
		json_int_t	 rc = json_integer_value(json_array_get(c, 0));
		const char	*enh = json_string_value(json_array_get(c, 1));
		const struct codes_entry *e = codes_enhanced(enh);
		char		 label[16];

		if (rc >= 0 && rc < 1000 && !seen[rc]) {
			seen[rc] = 1;
			if (codes_reply((int)rc) != NULL) {
				snprintf(label, sizeof label, "%lld",
				    (long long)rc);
				wrapped(stdout, 2, 6, label,
				    codes_reply((int)rc)->meaning);
				k++;
			}
		}
		if (e == NULL || enh == NULL || enh[0] == '2')
			continue;
		dup = 0;
		json_array_foreach(rp->codes, j2, c2) {
			if (j2 >= i)
				break;
			if (strcmp(json_string_value(json_array_get(c2, 1)),
			    enh) == 0)
				dup = 1;
		}
		if (!dup) {
			wrapped(stdout, 2, 6, enh, e->meaning);
			k++;
		}
	}
	if (k == 0)
		printf("  no failures to explain\n");
}

/* How long our deliveries took: each stage, then the busiest domains. */
static void
report_delays(struct report *rp)
{
	if (rp->in)
		return;
	printf("\nDelays of our deliveries\n");
	delays_section(rp->o, stdout);
}

/* Lines read, the unrecognised share and its warnings. */
static void
report_lines(struct report *rp)
{
	json_int_t	 lt, lu, plt, plu;
	double		 ushare, pshare;
	char		 b[4][64];

	line_counts(rp->o, rp->since, rp->until, &lt, &lu);
	line_counts(rp->o, rp->since - rp->span, rp->since, &plt, &plu);
	ushare = lt ? (double)lu / lt : 0;
	pshare = plt ? (double)plu / plt : 0;
	printf("\nLog lines read: %s, not recognised: %s (%s; before: %s)\n",
	    grouped(lt, b[0], sizeof b[0]), grouped(lu, b[1], sizeof b[1]),
	    percent(ushare, b[2], sizeof b[2]),
	    percent(pshare, b[3], sizeof b[3]));
	if (lu > 0 && ushare > pshare * 1.5 && ushare > 0.001)
		printf("WARNING: the share of log lines smtptally cannot read "
		    "has risen.\n  Has the MTA or its log format changed? "
		    "Counts may be missing:\n  `smtptally unrecognised` shows "
		    "the last such lines; report one.\n");
	if (lt == 0)
		printf("WARNING: no log lines were read in this period: is "
		    "smtptallyd following\n  the right files?\n");
}

/* report: the plain-text summary of a period for cron mail. */
int
cmd_report(struct opts *o, int argc, char **argv)
{
	struct report	 rp;
	int64_t		 now = time(NULL);

	(void)argc;
	(void)argv;
	memset(&rp, 0, sizeof rp);
	rp.o = o;
	/* The report is about our deliveries: rejections by our own smtpd
	 * (direction in) would pass for bounces; they get a section. */
	if (o->filter[API_F_DIRECTION] == NULL)
		o->filter[API_F_DIRECTION] = "out";
	rp.in = strcmp(o->filter[API_F_DIRECTION], "in") == 0;
	rp.until = o->has_until ? o->until : now;
	rp.since = o->has_since ? o->since : rp.until - 86400;
	rp.span = rp.until - rp.since;
	o->since = rp.since;
	o->until = rp.until;
	o->has_since = o->has_until = 1;
	if (o->html)
		return html_report(o, rp.since, rp.until, rp.in);
	rp.codes = json_array();

	report_head(&rp);
	report_totals(&rp);
	report_problems(&rp);
	report_glance(&rp);
	report_domain_sections(&rp);
	report_expired(&rp);
	report_delays(&rp);
	report_inbound(&rp);
	report_codes(&rp);
	report_lines(&rp);
	json_decref(rp.codes);
	return EXIT_OK;
}
