/*
 * check_client_out: the client's escapes for a terminal (client_out.c):
 * C0 controls and DEL as \xNN, C1 and bidi controls as \uNNNN, bytes that
 * are not well-formed UTF-8 as \xNN, everything else as it is; and the
 * tables, which escape their cells and count the escape in the widths.
 * The expected strings are written by hand from the UTF-8 encoding
 * (RFC 3629) and the code points of Unicode's control and bidi ranges.
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"

/* client.h's die(), which smtptally.c defines for the program. */
void
die(int code, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	exit(code);
}

/* Adjacent literals keep a hex escape from eating the letters after it. */
static const struct {
	const char	*in, *want;
} cases[] = {
	{ "plain.example", "plain.example" },
	{ "a\x1b" "[31mb", "a\\x1b[31mb" },
	{ "\t\n\r", "\\x09\\x0a\\x0d" },
	{ "\x01" "x\x1f" "y\x7f", "\\x01x\\x1fy\\x7f" },
	{ "back\\slash", "back\\slash" },
	/* C1: U+0080 is C2 80, U+009B (CSI) C2 9B, U+009F C2 9F */
	{ "\xc2\x80", "\\u0080" },
	{ "\xc2\x9b" "2J", "\\u009b2J" },
	{ "\xc2\x9f", "\\u009f" },
	/* U+00A0 (C2 A0) and U+00E9 (C3 A9) are text */
	{ "\xc2\xa0\xc3\xa9", "\xc2\xa0\xc3\xa9" },
	/* bidi: U+061C D8 9C, U+200E E2 80 8E, U+200F E2 80 8F, U+202A E2 80
	 * AA, U+202E E2 80 AE, U+2066 E2 81 A6, U+2069 E2 81 A9 */
	{ "\xd8\x9c", "\\u061c" },
	{ "\xe2\x80\x8e" "\xe2\x80\x8f", "\\u200e\\u200f" },
	{ "\xe2\x80\xaa" "x\xe2\x80\xae" "cba", "\\u202ax\\u202ecba" },
	{ "\xe2\x81\xa6" "\xe2\x81\xa9", "\\u2066\\u2069" },
	/* next to them, text: U+200D E2 80 8D, U+202F E2 80 AF, U+2065 E2
	 * 81 A5, U+20AC E2 82 AC, U+1F600 F0 9F 98 80 */
	{ "\xe2\x80\x8d\xe2\x80\xaf\xe2\x81\xa5", "\xe2\x80\x8d\xe2\x80\xaf"
	    "\xe2\x81\xa5" },
	{ "\xe2\x82\xac\xf0\x9f\x98\x80", "\xe2\x82\xac\xf0\x9f\x98\x80" },
	/* not UTF-8: a stray continuation, bytes no character starts with,
	 * a character cut short, overlong forms, a surrogate (U+D800 ED A0
	 * 80), past U+10FFFF (F4 90 80 80) */
	{ "\x80", "\\x80" },
	{ "\xff\xfe", "\\xff\\xfe" },
	{ "\xc3", "\\xc3" },
	{ "\xc3(", "\\xc3(" },
	{ "\xe2\x80", "\\xe2\\x80" },
	{ "\xc0\xaf", "\\xc0\\xaf" },
	{ "\xc1\xbf", "\\xc1\\xbf" },
	{ "\xe0\x80\xaf", "\\xe0\\x80\\xaf" },
	{ "\xf0\x80\x80\xaf", "\\xf0\\x80\\x80\\xaf" },
	{ "\xed\xa0\x80", "\\xed\\xa0\\x80" },
	{ "\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80" },
	{ "\xf5\x80\x80\x80", "\\xf5\\x80\\x80\\x80" },
};

START_TEST(escapes)
{
	char	 buf[128];
	FILE	*f;
	char	*out = NULL;
	size_t	 len = 0;

	ck_assert_str_eq(escaped(cases[_i].in, buf, sizeof buf),
	    cases[_i].want);
	/* out_text writes the same */
	f = open_memstream(&out, &len);
	ck_assert_ptr_nonnull(f);
	out_text(f, cases[_i].in);
	fclose(f);
	ck_assert_str_eq(out, cases[_i].want);
	free(out);
}
END_TEST

/* A buffer too small cuts before an escape or a character, never in it. */
START_TEST(cut_whole)
{
	char	 buf[8];

	ck_assert_str_eq(escaped("ab\x1b" "c", buf, 6), "ab");
	ck_assert_str_eq(escaped("ab\x1b" "c", buf, 7), "ab\\x1b");
	ck_assert_str_eq(escaped("a\xe2\x82\xac", buf, 4), "a");
	ck_assert_str_eq(escaped("a\xe2\x82\xac", buf, 5), "a\xe2\x82\xac");
	ck_assert_str_eq(escaped("abc", buf, 1), "");
}
END_TEST

/* Cells are escaped and widths count the escape; a raw column keeps its
 * colour codes and their width is not counted. */
START_TEST(table)
{
	struct table	 t;
	const char	*r1[2] = { "x\x1b" "y", "\033[31m5\033[0m" };
	const char	*r2[2] = { "abcdefgh", "10" };
	FILE		*f;
	char		*out = NULL;
	size_t		 len = 0;

	table_init(&t, 2);
	table_col(&t, 0, "name", 0, 0);
	table_col(&t, 1, "n", 1, 0);
	table_raw(&t, 1);
	table_row(&t, r1);
	table_row(&t, r2);
	f = open_memstream(&out, &len);
	ck_assert_ptr_nonnull(f);
	table_print(&t, f, 0, 0);
	fclose(f);
	/* "x\x1by" is 6 columns, "abcdefgh" 8: the name column is 8 wide,
	 * then two spaces, then n right-aligned in 2 */
	ck_assert_str_eq(out,
	    "name       n\n"
	    "x\\x1by     \033[31m5\033[0m\n"
	    "abcdefgh  10\n");
	free(out);
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s = suite_create("client_out");
	TCase	*tc = tcase_create("core");

	tcase_add_loop_test(tc, escapes, 0, sizeof cases / sizeof cases[0]);
	tcase_add_test(tc, cut_whole);
	tcase_add_test(tc, table);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
