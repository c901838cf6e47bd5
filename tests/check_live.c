/*
 * check_live: the escaping of kept lines, the bound of each source's
 * ring, a line read twice kept once, the bound on sources, the list
 * of paths in error, and the journals' lags.
 *
 * The escaped forms are written out by hand from live.h's rule (control
 * bytes, DEL and bytes not UTF-8 as \xHH, a backslash as \\, C1 and
 * bidi controls as \uHHHH, other RFC 3629 sequences kept); counts are the
 * test's own arithmetic.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "live.h"

static const struct {
	const char	*in;
	size_t		 len;
	const char	*out;
} escapes[] = {
	{ "plain text", 10, "plain text" },
	{ "tab\there", 8, "tab\\x09here" },
	{ "nul\0in", 6, "nul\\x00in" },
	{ "esc\033[0m", 7, "esc\\x1b[0m" },
	{ "del\177", 4, "del\\x7f" },
	{ "back\\slash", 10, "back\\\\slash" },
	{ "caf\303\251", 5, "caf\303\251" },		/* U+00E9 */
	{ "\342\202\254", 3, "\342\202\254" },		/* U+20AC */
	{ "\360\237\230\200", 4, "\360\237\230\200" },	/* U+1F600 */
	{ "bad \377\376", 6, "bad \\xff\\xfe" },
	{ "lone \303", 6, "lone \\xc3" },		/* cut sequence */
	{ "over \300\257", 7, "over \\xc0\\xaf" },	/* overlong '/' */
	{ "sur \355\240\200", 7, "sur \\xed\\xa0\\x80" },	/* U+D800 */
	{ "big \364\220\200\200", 8, "big \\xf4\\x90\\x80\\x80" },
	{ "csi \302\233", 6, "csi \\u009b" },		/* C1 CSI */
	{ "rlo \342\200\256!", 8, "rlo \\u202e!" },	/* U+202E */
	{ "lri \342\201\246", 7, "lri \\u2066" },	/* U+2066 */
	{ "nbsp \302\240", 7, "nbsp \302\240" },	/* U+00A0 kept */
};

START_TEST(test_escape)
{
	char	out[64];
	size_t	took;

	took = live_escape(escapes[_i].in, escapes[_i].len, out, sizeof out);
	ck_assert_uint_eq(took, escapes[_i].len);
	ck_assert_str_eq(out, escapes[_i].out);
}
END_TEST

/* A short buffer takes whole escapes only. */
START_TEST(test_escape_cut)
{
	char	out[8];
	size_t	took;

	/* "ab" then \x01 (4) fits 6 of 7; \x02 would need 4 more */
	took = live_escape("ab\001\002", 4, out, sizeof out);
	ck_assert_uint_eq(took, 3);
	ck_assert_str_eq(out, "ab\\x01");
	/* a 2-byte sequence does not fit after 6 bytes in 8 (NUL) */
	took = live_escape("abcdef\303\251", 8, out, sizeof out);
	ck_assert_uint_eq(took, 6);
	ck_assert_str_eq(out, "abcdef");
}
END_TEST

struct seen {
	int	 n;
	int64_t	 offsets[256];
	char	 source[256][32];
	int	 truncated;
};

static void
collect(const struct live_line *l, void *arg)
{
	struct seen	*s = arg;

	ck_assert_int_lt(s->n, 256);
	s->offsets[s->n] = l->offset;
	snprintf(s->source[s->n], sizeof s->source[0], "%s", l->source);
	s->truncated += l->truncated;
	s->n++;
}

/* 50 lines: the last LIVE_LINES kept, oldest first; again: once. */
START_TEST(test_ring)
{
	struct live	*l = live_new();
	struct seen	 s;
	char		 line[32];
	int		 i;

	ck_assert_ptr_nonnull(l);
	for (i = 0; i < 50; i++) {
		snprintf(line, sizeof line, "junk %d", i);
		ck_assert_int_eq(live_add_line(l, "/a", "/a", 100 * i, 0,
		    line, strlen(line)), i + 1);
	}
	/* The last one read again (a rewind): not kept twice. */
	ck_assert_int_eq(live_add_line(l, "/a", "/a", 100 * 49, 0, "junk 49",
	    7), 0);
	memset(&s, 0, sizeof s);
	live_each_line(l, collect, &s);
	ck_assert_int_eq(s.n, LIVE_LINES);
	for (i = 0; i < LIVE_LINES; i++)
		ck_assert_int_eq(s.offsets[i], 100 * (50 - LIVE_LINES + i));
	live_free(l);
}
END_TEST

/* A long line is cut to LIVE_RAW bytes and says so. */
START_TEST(test_long)
{
	struct live	*l = live_new();
	struct seen	 s;
	char		 line[4000];

	memset(line, 'x', sizeof line);
	live_add_line(l, "/a", "/a", 0, 0, line, sizeof line);
	memset(&s, 0, sizeof s);
	live_each_line(l, collect, &s);
	ck_assert_int_eq(s.n, 1);
	ck_assert_int_eq(s.truncated, 1);
	live_free(l);
}
END_TEST

/* More sources than LIVE_SOURCES: the one fed longest ago gives way. */
START_TEST(test_sources)
{
	struct live	*l = live_new();
	struct seen	 s;
	char		 src[32];
	int		 i, k;

	for (i = 0; i <= LIVE_SOURCES; i++) {
		snprintf(src, sizeof src, "/s%d", i);
		live_add_line(l, src, src, i, 0, "x", 1);
		if (i == 0)
			continue;
		/* /s0 stays the most recently fed until the last add */
		if (i < LIVE_SOURCES)
			live_add_line(l, "/s0", "/s0", 1000 + i, 0, "y", 1);
	}
	memset(&s, 0, sizeof s);
	live_each_line(l, collect, &s);
	/* /s1 gave way to /s64; /s0 kept the last LIVE_LINES of its 64:
	 * LIVE_LINES + 62 (/s2../s63) + 1 (/s64) */
	ck_assert_int_eq(s.n, LIVE_LINES + LIVE_SOURCES - 2 + 1);
	for (i = 0, k = 0; i < s.n; i++) {
		ck_assert_str_ne(s.source[i], "/s1");
		k += strcmp(s.source[i], "/s0") == 0;
	}
	ck_assert_int_eq(k, LIVE_LINES);
	live_free(l);
}
END_TEST

static void
problem(const struct live_problem *p, void *arg)
{
	int	*n = arg;

	ck_assert_str_eq(p->path, *n == 0 ? "/x" : "/y");
	(*n)++;
}

START_TEST(test_problems)
{
	struct live		*l = live_new();
	struct live_problem	 p[2] = { { "/x", "does not exist", 1 },
				    { "/y", "is a directory", 2 } };
	int			 n = 0;

	ck_assert_int_eq(live_set_problems(l, p, 2), 0);
	live_each_problem(l, problem, &n);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(live_set_problems(l, NULL, 0), 0);
	n = 0;
	live_each_problem(l, problem, &n);
	ck_assert_int_eq(n, 0);
	live_free(l);
	live_free(NULL);
}
END_TEST

/* The journals' lags: what was set last, -1 for a spec not set, the
 * table replaced whole, bounded at LIVE_LAGS. */
START_TEST(test_lags)
{
	struct live	*l = live_new();
	const char	*specs[LIVE_LAGS + 2];
	int64_t		 lags[LIVE_LAGS + 2];
	char		 names[LIVE_LAGS + 2][32];
	size_t		 i;

	specs[0] = "journal";
	specs[1] = "journal:mx1";
	lags[0] = 0;
	lags[1] = 42;
	ck_assert_int_eq(live_lag(l, "journal"), -1);
	ck_assert_int_eq(live_set_lags(l, specs, lags, 2), 0);
	ck_assert_int_eq(live_lag(l, "journal"), 0);
	ck_assert_int_eq(live_lag(l, "journal:mx1"), 42);
	ck_assert_int_eq(live_lag(l, "journal:mx2"), -1);
	lags[0] = 7;
	ck_assert_int_eq(live_set_lags(l, specs, lags, 1), 0);
	ck_assert_int_eq(live_lag(l, "journal"), 7);
	ck_assert_int_eq(live_lag(l, "journal:mx1"), -1);
	for (i = 0; i < LIVE_LAGS + 2; i++) {
		snprintf(names[i], sizeof names[i], "journal:h%zu", i);
		specs[i] = names[i];
		lags[i] = (int64_t)i;
	}
	ck_assert_int_eq(live_set_lags(l, specs, lags, LIVE_LAGS + 2), 0);
	ck_assert_int_eq(live_lag(l, names[LIVE_LAGS - 1]), LIVE_LAGS - 1);
	ck_assert_int_eq(live_lag(l, names[LIVE_LAGS]), -1);
	live_free(l);
	ck_assert_int_eq(live_lag(NULL, "journal"), -1);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("live");
	TCase	*tc = tcase_create("live");
	SRunner	*sr;
	int	 failed;

	tcase_add_loop_test(tc, test_escape, 0,
	    sizeof(escapes) / sizeof(*escapes));
	tcase_add_test(tc, test_escape_cut);
	tcase_add_test(tc, test_ring);
	tcase_add_test(tc, test_long);
	tcase_add_test(tc, test_sources);
	tcase_add_test(tc, test_problems);
	tcase_add_test(tc, test_lags);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
