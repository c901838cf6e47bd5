/*
 * check_codes: the explain dictionary.  Keys unique and well formed, every
 * entry has words, lookups find what RFC 5321 / RFC 3463 define.  The
 * expected codes below are read off the RFCs, not off the table.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codes.h"

/* No key twice in one table. */
static void
unique(const struct codes_entry *t, size_t n)
{
	size_t	 i, j;

	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			ck_assert_msg(strcmp(t[i].key, t[j].key) != 0,
			    "key %s twice", t[i].key);
}

START_TEST(reply_keys)
{
	const struct codes_entry	*t;
	size_t				 n, i;
	char				*end;
	long				 v;

	t = codes_reply_table(&n);
	ck_assert_uint_gt(n, 20);
	unique(t, n);
	for (i = 0; i < n; i++) {
		v = strtol(t[i].key, &end, 10);
		ck_assert_msg(*end == '\0' && (v == 0 || (v >= 200 &&
		    v <= 599)), "bad key %s", t[i].key);
		ck_assert(t[i].meaning != NULL && *t[i].meaning != '\0');
		ck_assert(t[i].action != NULL && *t[i].action != '\0');
		ck_assert_ptr_eq(codes_reply((int)v), &t[i]);
	}
}
END_TEST

START_TEST(enhanced_keys)
{
	const struct codes_entry	*t;
	size_t				 n, i;
	char				 code[16];

	t = codes_enhanced_table(&n);
	ck_assert_uint_gt(n, 50);
	unique(t, n);
	for (i = 0; i < n; i++) {
		snprintf(code, sizeof code, "5.%s", t[i].key);
		ck_assert_msg(codes_enhanced_valid(code), "bad key %s",
		    t[i].key);
		ck_assert(t[i].meaning != NULL && *t[i].meaning != '\0');
		ck_assert(t[i].action != NULL && *t[i].action != '\0');
		ck_assert_ptr_eq(codes_enhanced(code), &t[i]);
		code[0] = '4';
		ck_assert_ptr_eq(codes_enhanced(code), &t[i]);
	}
}
END_TEST

/* RFC 5321 section 4.2.3 lists these reply codes. */
static const int rfc5321[] = { 211, 214, 220, 221, 250, 251, 252, 354,
    421, 450, 451, 452, 455, 500, 501, 502, 503, 504, 550, 551, 552, 553,
    554, 555 };

START_TEST(reply_rfc5321)
{
	ck_assert_ptr_nonnull(codes_reply(rfc5321[_i]));
}
END_TEST

/* RFC 3463 section 3 subject.detail codes (X.1.0 to X.7.7). */
static const char *const rfc3463[] = { "5.0.0", "5.1.0", "5.1.1", "5.1.2",
    "5.1.3", "5.1.4", "5.1.5", "5.1.6", "5.1.7", "5.1.8", "5.2.0",
    "5.2.1", "5.2.2", "5.2.3", "5.2.4", "5.3.0", "5.3.1", "5.3.2",
    "5.3.3", "5.3.4", "5.3.5", "5.4.0", "5.4.1", "5.4.2", "5.4.3",
    "5.4.4", "5.4.5", "5.4.6", "5.4.7", "5.5.0", "5.5.1", "5.5.2",
    "5.5.3", "5.5.4", "5.5.5", "5.6.0", "5.6.1", "5.6.2", "5.6.3",
    "5.6.4", "5.6.5", "5.7.0", "5.7.1", "5.7.2", "5.7.3", "5.7.4",
    "5.7.5", "5.7.6", "5.7.7" };

START_TEST(enhanced_rfc3463)
{
	ck_assert_ptr_nonnull(codes_enhanced(rfc3463[_i]));
}
END_TEST

START_TEST(lookups)
{
	ck_assert_ptr_null(codes_reply(199));
	ck_assert_ptr_null(codes_reply(600));
	ck_assert_ptr_null(codes_reply(-1));
	ck_assert_ptr_null(codes_reply(599));
	ck_assert_ptr_nonnull(codes_reply(0));
	ck_assert(codes_enhanced_valid("4.7.1"));
	ck_assert(codes_enhanced_valid("5.123.123"));
	ck_assert(!codes_enhanced_valid("3.1.1"));
	ck_assert(!codes_enhanced_valid("5.1"));
	ck_assert(!codes_enhanced_valid("5.1.1."));
	ck_assert(!codes_enhanced_valid("5.1234.1"));
	ck_assert(!codes_enhanced_valid("5..1"));
	ck_assert(!codes_enhanced_valid(""));
	ck_assert(!codes_enhanced_valid(NULL));
	ck_assert_ptr_null(codes_enhanced("5.9.9"));
	ck_assert_ptr_null(codes_enhanced("x.1.1"));
	ck_assert_str_eq(codes_class_name(2), "success");
	ck_assert(strstr(codes_class_name(4), "temporary") != NULL);
	ck_assert(strstr(codes_class_name(5), "permanent") != NULL);
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s = suite_create("codes");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, reply_keys);
	tcase_add_test(tc, enhanced_keys);
	tcase_add_loop_test(tc, reply_rfc5321, 0,
	    sizeof rfc5321 / sizeof rfc5321[0]);
	tcase_add_loop_test(tc, enhanced_rfc3463, 0,
	    sizeof rfc3463 / sizeof rfc3463[0]);
	tcase_add_test(tc, lookups);
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
