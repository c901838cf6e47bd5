/*
 * check_timespec: the time forms of --since/--until and since=/until=.
 * Expected epoch values come from GNU date(1) (`date -u -d ... +%s`),
 * not from the code under test.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "timespec.h"

/* date -u -d 2026-11-29T14:23:05Z +%s */
#define NOW	1795962185LL

static const struct {
	const char	*in;
	int64_t		 want;
} good[] = {
	{ "now", NOW },
	{ "1h", NOW - 3600 },
	{ "24h", NOW - 86400 },
	{ "7d", NOW - 7 * 86400 },
	{ "30m", NOW - 1800 },
	{ "2w", NOW - 14 * 86400 },
	{ "today", 1795910400LL },		/* date -d 2026-11-29 */
	{ "yesterday", 1795824000LL },		/* date -d 2026-11-28 */
	{ "2026-11-29T02:00:00Z", 1795917600LL },
	{ "2026-11-29t02:00:00z", 1795917600LL },
	{ "2026-11-29 02:00:00Z", 1795917600LL },
	{ "2026-11-29", 1795910400LL },
	{ "2024-02-29T23:59:59+01:00", 1709247599LL },
	{ "2024-02-29T23:59:59-05:30", 1709270999LL },
	{ "2026-11-29T02:00:00.123Z", 1795917600LL },
	{ "1970-01-01T00:00:00Z", 0 },
	{ "2000-03-01", 951868800LL },
	{ "1795917600", 1795917600LL },
};

static const char *const bad[] = {
	"", "h", "1x", "1hh", "-1h", "2026-02-30", "2025-02-29",
	"2026-13-01", "2026-11-29T24:00:00Z", "2026-11-29T02:00:00",
	"2026-11-29T02:00Z", "2026-11-29T02:00:00+0100", "1969-12-31",
	"tomorrow", "yesterday ", " 1h", "2026-11-29T02:00:00Z trailing",
	"99999999999999999999h", "1000000d",
	"0123456789012345678901234567890123456789012345678901234567890123456789",
};

START_TEST(parse_good)
{
	int64_t	 t = -1;

	ck_assert_msg(timespec_parse(good[_i].in, NOW, &t) == 0, "%s",
	    good[_i].in);
	ck_assert_msg(t == good[_i].want, "%s: %lld want %lld", good[_i].in,
	    (long long)t, (long long)good[_i].want);
}
END_TEST

START_TEST(parse_bad)
{
	int64_t	 t;

	ck_assert_msg(timespec_parse(bad[_i], NOW, &t) == -1, "%s accepted",
	    bad[_i]);
}
END_TEST

START_TEST(format_roundtrip)
{
	char	 buf[40];
	int64_t	 t, back;

	/* Every 7 hours and 13 minutes over 60 years, both ways. */
	for (t = 0; t < 60LL * 366 * 86400; t += 7 * 3600 + 13 * 60) {
		ck_assert_int_eq(timespec_format(t, buf, sizeof buf), 0);
		ck_assert_int_eq(timespec_parse(buf, 0, &back), 0);
		ck_assert_int_eq(back, t);
	}
	ck_assert_int_eq(timespec_format(1795917600LL, buf, sizeof buf), 0);
	ck_assert_str_eq(buf, "2026-11-29T02:00:00Z");
	ck_assert_int_eq(timespec_format(0, buf, 5), -1);
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s = suite_create("timespec");
	TCase	*tc = tcase_create("core");

	tcase_add_loop_test(tc, parse_good, 0, sizeof good / sizeof good[0]);
	tcase_add_loop_test(tc, parse_bad, 0, sizeof bad / sizeof bad[0]);
	tcase_add_test(tc, format_roundtrip);
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
