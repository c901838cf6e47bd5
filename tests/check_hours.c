/*
 * check_hours: the packed hour vector and its SQL functions.  Round trips
 * of random vectors, every kind of malformed vector refused, and the
 * property the queries rely on: adjacent ranges split a day's count
 * exactly, whatever the cut points, also for counts whose hour is not
 * known.  Expected values are the test's own sums.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "hours.h"

static uint32_t
rnd(void)
{
	static uint32_t	 x = 88172645u;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return x;
}

START_TEST(round_trip)
{
	struct hours	 h, back;
	unsigned char	 buf[HOURS_MAX];
	size_t		 len;
	int		 i, k;

	for (k = 0; k < 2000; k++) {
		memset(&h, 0, sizeof h);
		for (i = 0; i < 24; i++)
			if (rnd() % 3 == 0)
				h.n[i] = k % 7 == 0 ? (uint64_t)rnd() << 20 :
				    1 + rnd() % 300;
		len = hours_pack(&h, buf, sizeof buf);
		ck_assert_int_eq(hours_unpack(buf, len, &back), 0);
		ck_assert_int_eq(memcmp(&h, &back, sizeof h), 0);
	}
	/* One count of 1 at 13:00 is two bytes. */
	memset(&h, 0, sizeof h);
	h.n[13] = 1;
	ck_assert_uint_eq(hours_pack(&h, buf, sizeof buf), 2);
	ck_assert_int_eq(buf[0], 13);
	ck_assert_int_eq(buf[1], 1);
	/* 300 = 0b1_0010_1100: 0xac 0x02 in LEB128. */
	h.n[13] = 300;
	ck_assert_uint_eq(hours_pack(&h, buf, sizeof buf), 3);
	ck_assert_int_eq(buf[1], 0xac);
	ck_assert_int_eq(buf[2], 0x02);
	ck_assert_uint_eq(hours_total(&h), 300);
}
END_TEST

/* Vectors that are not vectors. */
static const struct {
	unsigned char	 b[8];
	size_t		 len;
} bad[] = {
	{ { 24, 1 }, 2 },		/* hour 24 */
	{ { 5, 1, 5, 1 }, 4 },		/* hour repeated */
	{ { 6, 1, 5, 1 }, 4 },		/* not ascending */
	{ { 5, 0 }, 2 },		/* a zero count */
	{ { 5, 0x80 }, 2 },		/* a varint cut short */
	{ { 5 }, 1 },			/* an hour without a count */
	{ { 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, 8 },
};

START_TEST(malformed)
{
	struct hours	h;

	ck_assert_int_eq(hours_unpack(bad[_i].b, bad[_i].len, &h), -1);
}
END_TEST

/* The SQL functions on an in-memory database. */
static int64_t
q(sqlite3 *db, const char *sql, const void *blob, int len, int64_t a,
    int64_t b, int64_t c, int64_t d)
{
	sqlite3_stmt	*st;
	int64_t		 v = -1;

	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL),
	    SQLITE_OK);
	sqlite3_bind_blob(st, 1, blob, len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, a);
	sqlite3_bind_int64(st, 3, b);
	sqlite3_bind_int64(st, 4, c);
	sqlite3_bind_int64(st, 5, d);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

START_TEST(sql_partition)
{
	static const char in[] = "SELECT st_hours_in(?1, 86400, 1000, ?2, "
	    "?3, ?4, ?5)";
	sqlite3		*db;
	struct hours	 h;
	unsigned char	 buf[HOURS_MAX];
	size_t		 len;
	int64_t		 known = 0, s, u, t, sum;
	int		 i, k;

	ck_assert_int_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
	ck_assert_int_eq(hours_sql_register(db), SQLITE_OK);
	memset(&h, 0, sizeof h);
	for (i = 0; i < 24; i += 3) {
		h.n[i] = 10 + (uint64_t)i;
		known += (int64_t)h.n[i];
	}
	len = hours_pack(&h, buf, sizeof buf);
	/* n is 1000: 1000 - known counts have no hour. */
	for (k = 0; k < 500; k++) {
		/* A query [s, u) and the rest of three days, as /v1/domains
		 * splits them: the unknown part goes with [floor_day(s), u),
		 * the ranges before and after it take the rest. */
		s = rnd() % (3 * 86400);
		u = rnd() % (3 * 86400);
		if (s > u) {
			t = s;
			s = u;
			u = t;
		}
		sum = q(db, in, buf, (int)len, 0, s, 0, s - s % 86400) +
		    q(db, in, buf, (int)len, s, u, s - s % 86400, u) +
		    q(db, in, buf, (int)len, u, 3 * 86400, u, 3 * 86400);
		ck_assert_int_eq(sum, 1000);
	}
	/* 06:00 to 10:00 of the day: hours 6 and 9 (16 + 19). */
	ck_assert_int_eq(q(db, in, buf, (int)len, 86400 + 6 * 3600,
	    86400 + 10 * 3600, 86400 + 6 * 3600, 86400 + 10 * 3600), 35);
	ck_assert_int_eq(q(db, "SELECT st_hour_n(?1, 9)", buf, (int)len, 0, 0,
	    0, 0), 19);
	ck_assert_int_eq(q(db, "SELECT st_hours_total(?1)", buf, (int)len, 0,
	    0, 0, 0), known);
	/* Merging adds hour by hour; one hour's vector. */
	ck_assert_int_eq(q(db, "SELECT st_hours_total(st_hours_merge(?1, "
	    "st_hours_one(86400 + 3600 * 5 + 59, 7)))", buf, (int)len, 0, 0,
	    0, 0), known + 7);
	ck_assert_int_eq(q(db, "SELECT st_hour_n(st_hours_merge(?1, "
	    "st_hours_one(86400 + 3600 * 6, 7)), 6)", buf, (int)len, 0, 0,
	    0, 0), 16 + 7);
	/* A malformed vector is an error, not a count. */
	ck_assert_int_eq(q(db, "SELECT st_hour_n(?1, 1)", "\x30\x01", 2, 0, 0,
	    0, 0), -1);
	sqlite3_close(db);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("hours");
	TCase	*tc = tcase_create("core");
	SRunner	*sr;
	int	 failed;

	tcase_add_test(tc, round_trip);
	tcase_add_loop_test(tc, malformed, 0, sizeof bad / sizeof bad[0]);
	tcase_add_test(tc, sql_partition);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
