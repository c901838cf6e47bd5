/*
 * check_parse: the parser against hand-written cases (tests/data/
 * parse-cases.txt), plus cases built in code that a text file cannot hold
 * well: megabyte lines, every byte value, the calendar against timegm(3).
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "civil.h"
#include "parse.h"
#include "parse_time.h"
#include "parse_tz.h"
#include "reason.h"

#define MAX_CASES	512
#define DEFAULT_REF	"2026-11-29T12:00:00Z"

struct pcase {
	int	 lineno;
	char	*line;
	size_t	 len;
	char	*want;
	char	*opts;
};

static struct pcase	cases[MAX_CASES];
static int		ncases;

/* "YYYY-MM-DDTHH:MM:SSZ" to UTC seconds, by the C library (independent
 * of the parser's own calendar code). */
static int64_t
utc(const char *s)
{
	struct tm	 tm;

	memset(&tm, 0, sizeof(tm));
	if (strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm) == NULL)
		return -1;
	return (int64_t)timegm(&tm);
}

/* Undo the \xNN and \\ escapes of the cases file. */
static size_t
unescape(char *s)
{
	char		*r = s, *w = s;
	unsigned int	 b;

	while (*r != '\0') {
		if (r[0] == '\\' && r[1] == 'x' && sscanf(r + 2, "%2x", &b) == 1) {
			*w++ = (char)b;
			r += 4;
		} else if (r[0] == '\\' && r[1] == '\\') {
			*w++ = '\\';
			r += 2;
		} else
			*w++ = *r++;
	}
	*w = '\0';
	return w - s;
}

static void
load_cases(void)
{
	const char	*top = getenv("top_srcdir");
	char		 path[4096], buf[65536], *opts = NULL;
	FILE		*f;
	int		 lineno = 0;
	size_t		 n;

	snprintf(path, sizeof(path), "%s/tests/data/parse-cases.txt",
	    top != NULL ? top : ".");
	if ((f = fopen(path, "r")) == NULL) {
		perror(path);
		exit(1);
	}
	while (fgets(buf, sizeof(buf), f) != NULL) {
		lineno++;
		n = strlen(buf);
		if (n > 0 && buf[n - 1] == '\n')
			buf[--n] = '\0';
		if (strncmp(buf, "O ", 2) == 0)
			opts = strdup(buf + 2);
		else if (strncmp(buf, "L ", 2) == 0 || strcmp(buf, "L") == 0) {
			if (ncases == MAX_CASES) {
				fprintf(stderr, "too many cases\n");
				exit(1);
			}
			cases[ncases].lineno = lineno;
			cases[ncases].line = strdup(n > 2 ? buf + 2 : "");
			cases[ncases].len = unescape(cases[ncases].line);
			cases[ncases].opts = opts;
			opts = NULL;
		} else if (strncmp(buf, "W ", 2) == 0) {
			cases[ncases].want = strdup(buf + 2);
			unescape(cases[ncases].want);
			ncases++;
		}
	}
	fclose(f);
}

/* The value of option key in opts, copied into out; 0 if absent. */
static int
option(const char *opts, const char *key, char *out, size_t outsz)
{
	const char	*p;
	size_t		 klen = strlen(key), n;

	if (opts == NULL)
		return 0;
	for (p = opts; (p = strstr(p, key)) != NULL; p++) {
		if ((p == opts || p[-1] == ' ') && p[klen] == '=') {
			p += klen + 1;
			/* text= and textis= run to the end of the line */
			n = strncmp(key, "text", 4) == 0 ? strlen(p) :
			    strcspn(p, " ");
			if (n >= outsz)
				n = outsz - 1;
			memcpy(out, p, n);
			out[n] = '\0';
			return 1;
		}
	}
	return 0;
}

/* Parse a case as a whole line or as a bare message. */
static enum parse_result
run(struct parse_ctx *ctx, int message, enum mta hint, const struct pcase *c,
    struct event *ev)
{
	if (message)
		return parse_message(ctx, hint, c->line, c->len, ev);
	return parse_line(ctx, hint, c->line, c->len, ev);
}

START_TEST(test_case)
{
	struct pcase		*c = &cases[_i];
	struct parse_ctx	 ctx = { .ref_time = 0 };
	struct parse_hops	 hops;
	struct event		 ev;
	enum parse_result	 r;
	enum mta		 hint = MTA_UNKNOWN;
	char			 v[1024], got[2048], want_time[64];
	char			 w_res[32], w_mta[16], w_dir[8], w_kind[16];
	char			 w_status[32], w_enh[16], w_dom[300], w_host[300];
	char			 w_hop[16];
	int			 w_reply, nf, message;

	ctx.ref_time = utc(DEFAULT_REF);
	ctx.utc_offset = 0;
	if (option(c->opts, "ref", v, sizeof(v)))
		ctx.ref_time = utc(v);
	if (option(c->opts, "off", v, sizeof(v)))
		ctx.utc_offset = atol(v);
	if (option(c->opts, "hint", v, sizeof(v)))
		hint = strcmp(v, "postfix") == 0 ? MTA_POSTFIX : MTA_EXIM;
	/* filter=a,b (filter_relay lines) and loopback=no (filter_loopback) */
	if (option(c->opts, "filter", v, sizeof(v)) ||
	    option(c->opts, "loopback", v, sizeof(v))) {
		char	*s, *save = NULL;

		memset(&hops, 0, sizeof(hops));
		hops.loopback = !(option(c->opts, "loopback", v, sizeof(v)) &&
		    strcmp(v, "no") == 0);
		if (option(c->opts, "filter", v, sizeof(v)))
			for (s = strtok_r(v, ",", &save); s != NULL;
			    s = strtok_r(NULL, ",", &save))
				ck_assert_int_eq(parse_hops_add(&hops, s), 0);
		ctx.hops = &hops;
	}
	message = option(c->opts, "mode", v, sizeof(v));
	r = run(&ctx, message, hint, c, &ev);

	nf = sscanf(c->want,
	    "%31s %15s %7s %15s %31s %d %15s %299s %299s %63s %15s",
	    w_res, w_mta, w_dir, w_kind, w_status, &w_reply, w_enh, w_dom,
	    w_host, want_time, w_hop);
	ck_assert_msg(nf == 1 || nf == 10 || nf == 11,
	    "cases line %d: bad W line", c->lineno);
	ck_assert_msg(strcmp(parse_result_name(r), w_res) == 0,
	    "cases line %d: result %s, want %s", c->lineno,
	    parse_result_name(r), w_res);
	if (nf == 1)
		return;

	snprintf(got, sizeof(got), "%s %s %s %s %d %s %s %s",
	    event_mta_name(ev.mta), event_direction_name(ev.direction),
	    event_kind_name(ev.kind), event_status_name(ev.status), ev.reply,
	    ev.enhanced[0] ? ev.enhanced : "-", ev.domain,
	    ev.host[0] ? ev.host : "-");
	snprintf(v, sizeof(v), "%s %s %s %s %d %s %s %s", w_mta, w_dir,
	    w_kind, w_status, w_reply, w_enh, w_dom, w_host);
	ck_assert_msg(strcmp(got, v) == 0, "cases line %d:\n got  %s\n want %s",
	    c->lineno, got, v);
	if (nf == 11)
		ck_assert_msg(strcmp(event_hop_name(ev.hop), w_hop) == 0,
		    "cases line %d: hop %s, want %s", c->lineno,
		    event_hop_name(ev.hop), w_hop);
	ck_assert_msg(ev.time == utc(want_time),
	    "cases line %d: time %lld, want %lld (%s)", c->lineno,
	    (long long)ev.time, (long long)utc(want_time), want_time);
	/* delay=<ms> and delays=<a/b/c/d> in ms, "-" for a delay the line
	 * does not give */
	if (option(c->opts, "delay", v, sizeof(v)))
		ck_assert_msg(ev.delay_ms == (strcmp(v, "-") == 0 ?
		    EVENT_DELAY_NONE : atoll(v)), "cases line %d: delay %lld, "
		    "want %s", c->lineno, (long long)ev.delay_ms, v);
	if (option(c->opts, "delays", v, sizeof(v))) {
		char	*s, *save = NULL;
		int	 k = 0;

		for (s = strtok_r(v, "/", &save); s != NULL && k < 4;
		    s = strtok_r(NULL, "/", &save), k++)
			ck_assert_msg(ev.stage_ms[k] == (strcmp(s, "-") == 0 ?
			    EVENT_DELAY_NONE : atoi(s)), "cases line %d: "
			    "delays[%d] %d, want %s", c->lineno, k,
			    (int)ev.stage_ms[k], s);
		ck_assert_int_eq(k, 4);
	}
	if (option(c->opts, "textis", v, sizeof(v)))
		ck_assert_msg(ev.text != NULL && ev.textlen == strlen(v) &&
		    memcmp(ev.text, v, ev.textlen) == 0,
		    "cases line %d: text '%.*s'", c->lineno,
		    ev.text ? (int)ev.textlen : 0, ev.text ? ev.text : "");
	if (option(c->opts, "text", v, sizeof(v))) {
		ck_assert_msg(ev.text != NULL && ev.textlen >= strlen(v) &&
		    memcmp(ev.text, v, strlen(v)) == 0,
		    "cases line %d: text '%.*s'", c->lineno,
		    ev.text ? (int)ev.textlen : 0, ev.text ? ev.text : "");
	}
	/* A time stamp cache shared across lines changes nothing. */
	{
		static struct parse_cache	 cache;
		struct parse_ctx		 cctx = ctx;
		struct event			 ev2;
		int				 k;

		cctx.cache = &cache;
		for (k = 0; k < 2; k++) {
			ck_assert_int_eq(run(&cctx, message, hint, c, &ev2), r);
			ck_assert_msg(ev2.time == ev.time &&
			    strcmp(ev2.domain, ev.domain) == 0 &&
			    ev2.reply == ev.reply, "cases line %d: cache "
			    "changed the event", c->lineno);
		}
	}
	/* Text slices stay inside the line. */
	if (ev.text != NULL)
		ck_assert(ev.text >= c->line &&
		    ev.text + ev.textlen <= c->line + c->len);
}
END_TEST

/* A megabyte of reply text: read, bounded, the text slice in the line. */
START_TEST(test_megabyte_reply)
{
	static const char	 head[] = "Nov 29 01:46:02 mx1 postfix/smtp[1]: "
	    "4F1A2B3C4D: to=<bob@example.com>, relay=mx.example.com"
	    "[192.0.2.7]:25, delay=1, delays=0.1/0/0.4/0.5, dsn=5.7.1, "
	    "status=bounced (host mx.example.com[192.0.2.7] said: 554 5.7.1 ";
	struct parse_ctx	 ctx = { .ref_time = utc(DEFAULT_REF) };
	struct event		 ev;
	size_t			 n = 1024 * 1024, hl = sizeof(head) - 1;
	char			*line = malloc(n);

	ck_assert_ptr_nonnull(line);
	memcpy(line, head, hl);
	memset(line + hl, 'x', n - hl - 1);
	line[n - 1] = ')';
	ck_assert_int_eq(parse_line(&ctx, MTA_UNKNOWN, line, n, &ev),
	    PARSE_EVENT);
	ck_assert_int_eq(ev.reply, 554);
	ck_assert_str_eq(ev.domain, "example.com");
	ck_assert(ev.text + ev.textlen <= line + n);
	free(line);
}
END_TEST

/* A megabyte address and a megabyte of garbage. */
START_TEST(test_megabyte_garbage)
{
	static const char	 head[] = "Nov 29 01:46:02 mx1 postfix/smtp[1]: "
	    "4F1A2B3C4D: to=<x@";
	static const char	 tail[] = ">, relay=none, delay=1, dsn=5.1.2, "
	    "status=bounced (bad)";
	struct parse_ctx	 ctx = { .ref_time = utc(DEFAULT_REF) };
	struct event		 ev;
	size_t			 n = 1024 * 1024, i;
	char			*line = malloc(n);

	ck_assert_ptr_nonnull(line);
	memcpy(line, head, sizeof(head) - 1);
	memset(line + sizeof(head) - 1, 'a', n - sizeof(head) + 1);
	memcpy(line + n - (sizeof(tail) - 1), tail, sizeof(tail) - 1);
	ck_assert_int_eq(parse_line(&ctx, MTA_UNKNOWN, line, n, &ev),
	    PARSE_EVENT);
	ck_assert_str_eq(ev.domain, EVENT_DOMAIN_INVALID);

	/* every byte value, repeated: no event, no crash */
	for (i = 0; i < n; i++)
		line[i] = (char)(i * 7 + 3);
	ck_assert_int_ne(parse_line(&ctx, MTA_UNKNOWN, line, n, &ev),
	    PARSE_EVENT);
	memset(line, 0, n);
	ck_assert_int_eq(parse_line(&ctx, MTA_POSTFIX, line, n, &ev),
	    PARSE_UNRECOGNISED);
	free(line);
}
END_TEST

/* Every prefix of a good line parses without reading past its end. */
START_TEST(test_prefixes)
{
	static const char	*lines[] = {
		"Nov 29 01:46:02 mx1 postfix/smtp[1]: 4F1A2B3C4D: to=<\"q\\\"x"
		"\"@example.com>, orig_to=<a@b>, relay=mx[192.0.2.7]:25, "
		"delay=1, dsn=4.7.1, status=deferred (host mx[192.0.2.7] "
		"said: 421-4.7.1 x 421 4.7.1 y)",
		"2026-11-29T01:46:02.1+01:00 mx1 postfix/smtpd[1]: NOQUEUE: "
		"reject: RCPT from x[192.0.2.1]: 554 5.7.1 <a@b>: no; "
		"from=<c@d>, to=<e@f>, proto=ESMTP, helo=<g>",
		"2026-11-29 01:46:02.123 +0100 [12] 1rAbCd-00000000123-0000 "
		"** a@b R=r T=t H=h [192.0.2.1]: SMTP error from remote mail "
		"server after RCPT TO:<a@b>: 550 5.1.1 no",
	};
	struct parse_ctx	 ctx = { .ref_time = utc(DEFAULT_REF) };
	struct event		 ev;
	size_t			 i, n, len;
	char			*copy;

	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		len = strlen(lines[i]);
		for (n = 0; n <= len; n++) {
			/* an exact-size heap copy lets ASan see overreads */
			copy = malloc(n ? n : 1);
			memcpy(copy, lines[i], n);
			(void)parse_line(&ctx, MTA_UNKNOWN, copy, n, &ev);
			free(copy);
		}
		ck_assert_int_eq(parse_line(&ctx, MTA_UNKNOWN, lines[i], len,
		    &ev), PARSE_EVENT);
	}
}
END_TEST

/* The calendar code against timegm(3) for every day from 1970 to 2100. */
START_TEST(test_calendar)
{
	struct tm	 tm;
	time_t		 t;

	for (t = 0; t < (time_t)4102444800LL; t += 86400) {
		gmtime_r(&t, &tm);
		ck_assert_int_eq(civil_days(tm.tm_year + 1900,
		    tm.tm_mon + 1, tm.tm_mday) * 86400, (int64_t)t);
	}
}
END_TEST

/*
 * Local time at the time of the line (issue 9 rule 7): every stamp of
 * tests/data/tz-cases.txt, whose true UTC Python's zoneinfo computed
 * (tests/data/tz-cases.py), as a syslog line and as an Exim line, in file
 * order, each chain keeping the previous line's time as the daemon does.
 */
START_TEST(test_tz_table)
{
	static struct parse_tz	 z;
	const char		*top = getenv("top_srcdir");
	char			 path[4096], buf[512], line[1024], why[256];
	char			 *f1, *f2, *f3;
	struct parse_ctx	 ctx = { .ref_time = 0 };
	struct event		 ev;
	int64_t			 last_sys = 0, last_exim = 0;
	int			 lineno = 0, nl = 0, zones = 0;
	FILE			*f;

	snprintf(path, sizeof(path), "%s/tests/data/tz-cases.txt",
	    top != NULL ? top : ".");
	ck_assert_msg((f = fopen(path, "r")) != NULL, "%s", path);
	while (fgets(buf, sizeof(buf), f) != NULL) {
		lineno++;
		buf[strcspn(buf, "\n")] = '\0';
		if (buf[0] == 'Z') {
			ck_assert_msg(parse_tz_load(&z, buf + 2, why,
			    sizeof(why)) == 0, "%s", why);
			ctx.tz = &z;
			zones++;
		} else if (buf[0] == 'R')
			ctx.ref_time = utc(buf + 2);
		else if (buf[0] == 'B')
			last_sys = last_exim = 0;
		else if (buf[0] == 'L') {
			f1 = buf + 2;
			ck_assert((f2 = strchr(f1, '|')) != NULL);
			*f2++ = '\0';
			ck_assert((f3 = strchr(f2, '|')) != NULL);
			*f3++ = '\0';
			snprintf(line, sizeof(line), "%s mx1 postfix/smtp[1]: "
			    "4F1A2B3C4D: to=<a@example.com>, relay=mx.example."
			    "com[192.0.2.7]:25, delay=1, delays=0/0/0/1, "
			    "dsn=2.0.0, status=sent (250 ok)", f1);
			ctx.last_time = last_sys;
			ck_assert_int_eq(parse_line(&ctx, MTA_UNKNOWN, line,
			    strlen(line), &ev), PARSE_EVENT);
			ck_assert_msg(ev.time == utc(f3), "tz-cases line %d: "
			    "syslog %s: %lld, want %s (%lld)", lineno, f1,
			    (long long)ev.time, f3, (long long)utc(f3));
			last_sys = ev.time;
			snprintf(line, sizeof(line), "%s 1rAbCd-000123-Xy => "
			    "a@example.com R=r T=t H=mx [192.0.2.7] C=\"250 "
			    "ok\"", f2);
			ctx.last_time = last_exim;
			ck_assert_int_eq(parse_line(&ctx, MTA_UNKNOWN, line,
			    strlen(line), &ev), PARSE_EVENT);
			ck_assert_msg(ev.time == utc(f3), "tz-cases line %d: "
			    "exim %s: %lld, want %s", lineno, f2,
			    (long long)ev.time, f3);
			last_exim = ev.time;
			nl++;
		}
	}
	fclose(f);
	ck_assert_int_eq(zones, 3);
	ck_assert_int_gt(nl, 150);
}
END_TEST

/*
 * The year of a year-less stamp (issue 12 item 14): the latest year that
 * puts the stamp at most seven days after the reference time, so a writer
 * whose clock is days ahead of ours keeps this year.  The expected values
 * are the test's own arithmetic: 2026-01-01T00:00:00Z is day 20454 of the
 * epoch (56 years of 365 days and the 14 leap days of 1972 to 2024), and
 * Dec 1 is day 334 of 2026 (31+28+31+30+31+30+31+31+30+31+30).
 */
START_TEST(test_year_ahead)
{
	static const struct {
		const char	*stamp;
		int64_t		 ref;	/* UTC */
		long		 off;	/* local time east of UTC */
		int64_t		 want;	/* UTC */
	} c[] = {
#define H	3600LL
#define D	86400LL
#define Y2025	(20089 * D)		/* 20454 - 365 */
#define Y2026	(20454 * D)
#define Y2027	(Y2026 + 365 * D)
#define REF	(Y2026 + 334 * D + 21 * H + 30 * 60)	/* Dec 1 21:30Z */
		/* 49 h ahead (the trial's line): this year, not 2025 */
		{ "Dec  3 22:30:00", REF, 0, Y2026 + 336 * D + 22 * H + 1800 },
		/* exactly seven days ahead: this year */
		{ "Dec  8 21:30:00", REF, 0, Y2026 + 341 * D + 21 * H + 1800 },
		/* a second more: last year (Dec 8 is day 341 of 2025 too) */
		{ "Dec  8 21:30:01", REF, 0, Y2025 + 341 * D + 21 * H + 1801 },
		/* the same in local time an hour east: the reference is
		 * 22:30 local, the stamps local */
		{ "Dec  8 22:30:00", REF, 3600, Y2026 + 341 * D + 21 * H + 1800 },
		{ "Dec  8 22:30:01", REF, 3600, Y2025 + 341 * D + 21 * H + 1801 },
		/* behind the reference: this year, for a backfill */
		{ "Mar 15 10:00:00", REF, 0, Y2026 + 73 * D + 10 * H },
		{ "Dec  1 21:00:00", REF, 0, Y2026 + 334 * D + 21 * H },
		/* across New Year: six days into next year */
		{ "Jan  4 12:00:00", Y2026 + 362 * D + 12 * H, 0,
		  Y2027 + 3 * D + 12 * H },
		/* a file last written on Jan 1 00:10: eight days ahead of
		 * it is last year's */
		{ "Jan  9 00:00:00", Y2026 + 600, 0, Y2025 + 8 * D },
		{ "Jan  8 00:00:00", Y2026 + 600, 0, Y2026 + 7 * D },
#undef REF
#undef Y2027
#undef Y2026
#undef Y2025
#undef D
#undef H
	};
	struct parse_ctx	 ctx = { .ref_time = 0 };
	const char		*p;
	int64_t			 t;
	size_t			 i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		ctx.ref_time = c[i].ref;
		ctx.utc_offset = c[i].off;
		p = time_syslog(&ctx, c[i].stamp, c[i].stamp +
		    strlen(c[i].stamp), &t);
		ck_assert_msg(p != NULL, "%s: not a stamp", c[i].stamp);
		ck_assert_msg(t == c[i].want, "%s (ref %lld, off %ld): %lld, "
		    "want %lld", c[i].stamp, (long long)c[i].ref, c[i].off,
		    (long long)t, (long long)c[i].want);
	}
}
END_TEST

/* journalctl -o short-full in the zone: the abbreviation says which of
 * the two 02:30s of Europe/Berlin's autumn change (CEST +2, CET +1). */
START_TEST(test_tz_abbr)
{
	static struct parse_tz	 z;
	static const char	 rest[] = " mx1 postfix/smtp[1]: 4F1A2B3C4D: "
	    "to=<a@example.com>, relay=mx.example.com[192.0.2.7]:25, "
	    "delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 ok)";
	struct parse_ctx	 ctx = { .ref_time = utc("2026-12-01T00:00:00Z") };
	struct event		 ev;
	char			 line[512], why[256];

	ck_assert_msg(parse_tz_load(&z, "Europe/Berlin", why, sizeof(why)) ==
	    0, "%s", why);
	ctx.tz = &z;
	snprintf(line, sizeof(line), "Sun 2026-10-25 02:30:00 CEST%s", rest);
	ck_assert_int_eq(parse_line(&ctx, MTA_UNKNOWN, line, strlen(line),
	    &ev), PARSE_EVENT);
	ck_assert_int_eq(ev.time, utc("2026-10-25T00:30:00Z"));
	snprintf(line, sizeof(line), "Sun 2026-10-25 02:30:00 CET%s", rest);
	ck_assert_int_eq(parse_line(&ctx, MTA_UNKNOWN, line, strlen(line),
	    &ev), PARSE_EVENT);
	ck_assert_int_eq(ev.time, utc("2026-10-25T01:30:00Z"));
}
END_TEST

/* Bad TZif bytes are refused, never read past: every prefix of a real
 * zone file, and a real file with one byte changed at every position. */
START_TEST(test_tz_bytes)
{
	static struct parse_tz	 z;
	unsigned char		 buf[8192], *copy;
	size_t			 n, i;
	FILE			*f;

	f = fopen("/usr/share/zoneinfo/Europe/Berlin", "rb");
	ck_assert_msg(f != NULL, "tzdata's Europe/Berlin is missing");
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	ck_assert_int_eq(parse_tz_parse(&z, buf, n), 0);
	ck_assert_uint_gt(z.n, 100);
	for (i = 0; i < n; i++) {
		copy = malloc(i ? i : 1);
		memcpy(copy, buf, i);
		(void)parse_tz_parse(&z, copy, i);
		free(copy);
	}
	for (i = 0; i < n; i += 7) {
		buf[i] ^= 0x5a;
		(void)parse_tz_parse(&z, buf, n);
		buf[i] ^= 0x5a;
	}
	ck_assert_int_eq(parse_tz_parse(&z, (const unsigned char *)"TZif", 4),
	    -1);
	parse_tz_fixed(&z, 3600);
	ck_assert_int_eq(parse_tz_offset(&z, 0), 3600);
	ck_assert_int_eq(parse_tz_utc(&z, 7200, 0), 3600);
}
END_TEST

/* The zone as localtime(3) sees it (timezone = local) has the TZif
 * file's offsets, for a tzdata name and for the POSIX TZ string of the
 * same rules, every 15 minutes of 2026 and at each change. */
START_TEST(test_tz_localtime)
{
	static struct parse_tz	 f, l;
	static const char *const tzs[] = { "Europe/Berlin",
	    "CET-1CEST,M3.5.0,M10.5.0/3" };
	char			 why[256];
	int64_t			 u, from = utc("2025-06-01T00:00:00Z");
	int64_t			 to = utc("2027-06-01T00:00:00Z");
	size_t			 i, k;

	ck_assert_msg(parse_tz_load(&f, "Europe/Berlin", why, sizeof(why)) ==
	    0, "%s", why);
	for (i = 0; i < 2; i++) {
		setenv("TZ", tzs[i], 1);
		tzset();
		ck_assert_int_eq(parse_tz_localtime(&l, from, to), 0);
		ck_assert_uint_eq(l.n, 4);	/* 2025-10, 2026-03, -10, 2027-03 */
		for (u = utc("2026-01-01T00:00:00Z");
		    u < utc("2027-01-01T00:00:00Z"); u += 900)
			ck_assert_int_eq(parse_tz_offset(&l, u),
			    parse_tz_offset(&f, u));
		for (k = 0; k < l.n; k++) {
			ck_assert_int_eq(parse_tz_offset(&l, l.at[k]),
			    parse_tz_offset(&f, l.at[k]));
			ck_assert_int_eq(parse_tz_offset(&l, l.at[k] - 1),
			    parse_tz_offset(&f, l.at[k] - 1));
		}
	}
	unsetenv("TZ");
	tzset();
}
END_TEST

/* A "slim" TZif file (zic -b slim): no transitions, one standard type,
 * and the rules only in the footer's POSIX TZ string. */
static size_t
slim_tzif(unsigned char *b, long off, const char *abbr, const char *rule)
{
	size_t	 n = 0, i, al = strlen(abbr) + 1;
	int	 pass;

	for (pass = 0; pass < 2; pass++) {
		memcpy(b + n, "TZif2", 5);
		memset(b + n + 5, 0, 15 + 24);
		b[n + 20 + 4 * 4 + 3] = 1;		/* typecnt */
		b[n + 20 + 5 * 4 + 3] = (unsigned char)al;	/* charcnt */
		n += 44;
		for (i = 0; i < 4; i++)
			b[n + i] = (unsigned char)((uint32_t)off >> (24 - 8 * i));
		b[n + 4] = 0;
		b[n + 5] = 0;
		n += 6;
		memcpy(b + n, abbr, al);
		n += al;
	}
	n += (size_t)sprintf((char *)b + n, "\n%s\n", rule);
	return n;
}

/* The footer's rules give what the fat file lists, every hour of 2026
 * and 2036, in three zones (north, west, south of the equator); and a
 * fat file goes on past its last listed year (2037) by its footer. */
START_TEST(test_tz_footer)
{
	static const struct {
		const char	*zone, *abbr, *rule;
		long		 off;
	} z[] = {
		{ "Europe/Berlin", "CET", "CET-1CEST,M3.5.0,M10.5.0/3", 3600 },
		{ "America/New_York", "EST", "EST5EDT,M3.2.0,M11.1.0",
		    -18000 },
		{ "Australia/Sydney", "AEST", "AEST-10AEDT,M10.1.0,M4.1.0/3",
		    36000 },
	};
	static struct parse_tz	 fat, slim;
	unsigned char		 buf[512];
	char			 why[256];
	int64_t			 u, y;
	size_t			 i, n;

	for (i = 0; i < sizeof(z) / sizeof(z[0]); i++) {
		ck_assert_msg(parse_tz_load(&fat, z[i].zone, why, sizeof(why)) ==
		    0, "%s", why);
		n = slim_tzif(buf, z[i].off, z[i].abbr, z[i].rule);
		ck_assert_int_eq(parse_tz_parse(&slim, buf, n), 0);
		for (y = 2026; y <= 2036; y += 10)
			for (u = civil_days(y, 1, 1) * 86400;
			    u < civil_days(y + 1, 1, 1) * 86400; u += 3600)
				ck_assert_msg(parse_tz_offset(&slim, u) ==
				    parse_tz_offset(&fat, u), "%s at %lld",
				    z[i].zone, (long long)u);
	}
	ck_assert_int_eq(parse_tz_load(&fat, "Europe/Berlin", why,
	    sizeof(why)), 0);
	ck_assert_int_eq(parse_tz_offset(&fat, utc("2040-07-01T00:00:00Z")),
	    7200);
	ck_assert_int_eq(parse_tz_offset(&fat, utc("2040-12-01T00:00:00Z")),
	    3600);
	/* a footer that is not one of the forms above is refused */
	n = slim_tzif(buf, 3600, "CET", "CET-1CEST,M13.5.0,M10.5.0");
	ck_assert_int_eq(parse_tz_parse(&slim, buf, n), -1);
}
END_TEST

/* A journal entry's message with its SYSLOG_IDENTIFIER: the Postfix
 * service decides the hop as it does in a syslog line; without it LMTP to a
 * socket reads as SMTP (a filter). */
START_TEST(test_message_tag)
{
	static const char	 lmtp[] = "4F1A2B3C4D: to=<bob@example.org>, "
	    "relay=mail.example.org[private/dovecot-lmtp], delay=0.1, "
	    "delays=0/0/0/0.1, dsn=2.0.0, status=sent (250 2.0.0 Saved)";
	static const char	 disc[] = "4F1A2B3C4D: to=<spam@example.com>, "
	    "relay=none, delay=0.08, delays=0.06/0/0/0.02, dsn=2.0.0, "
	    "status=sent (example.com)";
	struct parse_ctx	 ctx = { .ref_time = utc(DEFAULT_REF) };
	struct event		 ev;

	ck_assert_int_eq(parse_message_tag(&ctx, MTA_POSTFIX, "postfix/lmtp",
	    12, lmtp, strlen(lmtp), &ev), PARSE_EVENT);
	ck_assert_int_eq(ev.hop, HOP_MAILBOX);
	ck_assert_int_eq(parse_message(&ctx, MTA_POSTFIX, lmtp, strlen(lmtp),
	    &ev), PARSE_EVENT);
	ck_assert_int_eq(ev.hop, HOP_FILTER);
	ck_assert_int_eq(parse_message_tag(&ctx, MTA_POSTFIX,
	    "postfix/discard", 15, disc, strlen(disc), &ev), PARSE_EVENT);
	ck_assert_int_eq(ev.hop, HOP_DISCARD);
	ck_assert_str_eq(ev.domain, "example.com");
}
END_TEST

/* filter_relay values: what parse_hops_add() takes and refuses. */
START_TEST(test_hops_add)
{
	struct parse_hops	 h;
	int			 i;

	memset(&h, 0, sizeof(h));
	ck_assert_int_eq(parse_hops_add(&h, "127.0.0.1:10024"), 0);
	ck_assert_str_eq(h.relay[0].host, "127.0.0.1");
	ck_assert_str_eq(h.relay[0].port, "10024");
	ck_assert_int_eq(parse_hops_add(&h, "[::1]:10024"), 0);
	ck_assert_str_eq(h.relay[1].host, "::1");
	ck_assert_str_eq(h.relay[1].port, "10024");
	ck_assert_int_eq(parse_hops_add(&h, "::1"), 0);	/* no port */
	ck_assert_str_eq(h.relay[2].host, "::1");
	ck_assert_str_eq(h.relay[2].port, "");
	ck_assert_int_eq(parse_hops_add(&h, "private/amavis"), 0);
	ck_assert_str_eq(h.relay[3].host, "private/amavis");
	ck_assert_int_eq(parse_hops_add(&h, "scanner.example.net"), 0);
	ck_assert_str_eq(h.relay[4].port, "");
	ck_assert_int_eq(parse_hops_add(&h, ""), -1);
	ck_assert_int_eq(parse_hops_add(&h, "a b:25"), -1);
	ck_assert_int_eq(parse_hops_add(&h, "[::1"), -1);
	ck_assert_int_eq(parse_hops_add(&h, "[::1]x"), -1);
	ck_assert_int_eq(parse_hops_add(&h, ":25"), -1);
	ck_assert_uint_eq(h.n, 5);
	for (i = 5; i < PARSE_RELAYS_MAX; i++)
		ck_assert_int_eq(parse_hops_add(&h, "h:1"), 0);
	ck_assert_int_eq(parse_hops_add(&h, "h:1"), -1);	/* full */
}
END_TEST

/* Class: reply first, then enhanced, then status. */
START_TEST(test_class)
{
	struct event	 ev;

	memset(&ev, 0, sizeof(ev));
	ev.status = STATUS_BOUNCED;
	ev.reply = 421;
	ck_assert_int_eq(event_class_of(&ev), 4);
	ev.reply = 0;
	strcpy(ev.enhanced, "4.4.1");
	ck_assert_int_eq(event_class_of(&ev), 4);
	ev.enhanced[0] = '\0';
	ck_assert_int_eq(event_class_of(&ev), 5);
	ev.status = STATUS_DEFERRED;
	ck_assert_int_eq(event_class_of(&ev), 4);
	ev.status = STATUS_SENT;
	ck_assert_int_eq(event_class_of(&ev), 2);
	ev.status = STATUS_REJECTED;
	ck_assert_int_eq(event_class_of(&ev), 5);
}
END_TEST

static const struct {
	const char	*in;
	const char	*want;
} reasons[] = {
	{ "550 5.1.1 <bob@example.com>: Recipient address rejected: User "
	  "unknown (in reply to RCPT TO command)",
	  "<ADDR>: Recipient address rejected: User unknown (in reply to "
	  "RCPT TO command)" },
	{ "250 2.0.0 Ok: queued as 4F1A2B3C4D", "Ok: queued as ID" },
	{ "421-4.7.0 [203.0.113.5 15] Our system has detected 421-4.7.0 "
	  "unusual 421 4.7.0 rate", "[IP N] Our system has detected unusual "
	  "rate" },
	{ "554 5.7.1 Service unavailable; Client host [2001:db8::1] blocked",
	  "Service unavailable; Client host [IP] blocked" },
	{ "451   4.3.0\tTemporary   failure", "Temporary failure" },
	{ "550 bad \x01\xff byte", "bad ?? byte" },
	{ "550 caf\xc3\xa9 ok", "caf\xc3\xa9 ok" },
	{ "", "" },
};

START_TEST(test_reason)
{
	char	 out[REASON_MAX + 1];

	reason_normalise(reasons[_i].in, strlen(reasons[_i].in), out,
	    sizeof(out));
	ck_assert_str_eq(out, reasons[_i].want);
}
END_TEST

/* A long reason is cut at a word, within REASON_MAX. */
START_TEST(test_reason_bound)
{
	char	 in[4096], out[REASON_MAX + 1], small[8];
	size_t	 i, n;

	for (i = 0; i + 6 < sizeof(in); i += 6)
		memcpy(in + i, "word. ", 6);
	n = reason_normalise(in, i, out, sizeof(out));
	ck_assert_uint_le(n, REASON_MAX);
	ck_assert_uint_eq(strlen(out), n);
	ck_assert(n == 0 || out[n - 1] != ' ');
	n = reason_normalise(in, i, small, sizeof(small));
	ck_assert_uint_lt(n, sizeof(small));
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("parse");
	TCase	*tc;
	SRunner	*sr;
	int	 failed;

	load_cases();
	tc = tcase_create("cases");
	tcase_add_loop_test(tc, test_case, 0, ncases);
	suite_add_tcase(s, tc);

	tc = tcase_create("bounds");
	tcase_add_test(tc, test_megabyte_reply);
	tcase_add_test(tc, test_megabyte_garbage);
	tcase_add_test(tc, test_prefixes);
	tcase_add_test(tc, test_calendar);
	tcase_add_test(tc, test_class);
	tcase_add_test(tc, test_hops_add);
	tcase_add_test(tc, test_message_tag);
	tcase_add_test(tc, test_year_ahead);
	tcase_add_test(tc, test_tz_table);
	tcase_add_test(tc, test_tz_abbr);
	tcase_add_test(tc, test_tz_localtime);
	tcase_add_test(tc, test_tz_footer);
	tcase_add_test(tc, test_tz_bytes);
	suite_add_tcase(s, tc);

	tc = tcase_create("reason");
	tcase_add_loop_test(tc, test_reason, 0,
	    sizeof(reasons) / sizeof(reasons[0]));
	tcase_add_test(tc, test_reason_bound);
	suite_add_tcase(s, tc);

	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	printf("%d cases from tests/data/parse-cases.txt\n", ncases);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
