/*
 * hours: the packed vector of a day's hourly counts, and its SQL
 * functions.
 *
 * Format: pairs of (hour byte 0..23, count as unsigned LEB128), hours
 * strictly ascending, counts > 0.  Decoding checks every byte, so a
 * corrupt vector is an error and never a wrong count.
 */
#include <string.h>

#include <sqlite3.h>

#include "hours.h"

/* Pack the non-zero hours; returns the length (0 = all zero). */
size_t
hours_pack(const struct hours *h, unsigned char *out, size_t len)
{
	size_t		 o = 0;
	uint64_t	 v;
	int		 i;

	for (i = 0; i < 24; i++) {
		if ((v = h->n[i]) == 0)
			continue;
		if (o + 11 > len)
			return 0;
		out[o++] = (unsigned char)i;
		do {
			out[o] = v & 0x7f;
			v >>= 7;
			if (v != 0)
				out[o] |= 0x80;
			o++;
		} while (v != 0);
	}
	return o;
}

/* Unpack a vector; -1 when it is not one. */
int
hours_unpack(const unsigned char *p, size_t len, struct hours *h)
{
	size_t		 i = 0;
	uint64_t	 v;
	int		 hour, last = -1, shift;

	memset(h, 0, sizeof(*h));
	while (i < len) {
		hour = p[i++];
		if (hour > 23 || hour <= last)
			return -1;
		v = 0;
		shift = 0;
		for (;;) {
			if (i >= len || shift > 63)
				return -1;
			v |= (uint64_t)(p[i] & 0x7f) << shift;
			shift += 7;
			if ((p[i++] & 0x80) == 0)
				break;
		}
		if (v == 0)
			return -1;
		h->n[hour] = v;
		last = hour;
	}
	return 0;
}

/* The day's total. */
uint64_t
hours_total(const struct hours *h)
{
	uint64_t	 t = 0;
	int		 i;

	for (i = 0; i < 24; i++)
		t += h->n[i];
	return t;
}

/* Read argument i as a vector: 1 unpacked, 0 none (NULL or empty), -1
 * malformed (the error is set). */
static int
arg_hours(sqlite3_context *ctx, sqlite3_value *v, struct hours *h)
{
	const unsigned char	*p;
	int			 len;

	if (sqlite3_value_type(v) == SQLITE_NULL ||
	    (len = sqlite3_value_bytes(v)) == 0) {
		memset(h, 0, sizeof(*h));
		return 0;
	}
	p = sqlite3_value_blob(v);
	if (p == NULL || hours_unpack(p, (size_t)len, h) == -1) {
		sqlite3_result_error(ctx, "st_hours: malformed hour vector",
		    -1);
		return -1;
	}
	return 1;
}

/* Hand a vector back as a blob (NULL when all zero). */
static void
result_hours(sqlite3_context *ctx, const struct hours *h)
{
	unsigned char	buf[HOURS_MAX];
	size_t		len = hours_pack(h, buf, sizeof(buf));

	if (len == 0)
		sqlite3_result_null(ctx);
	else
		sqlite3_result_blob(ctx, buf, (int)len, SQLITE_TRANSIENT);
}

/* st_hours_merge(a, b) */
static void
f_merge(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct hours	a, b;
	int		i;

	(void)argc;
	if (arg_hours(ctx, argv[0], &a) == -1 ||
	    arg_hours(ctx, argv[1], &b) == -1)
		return;
	for (i = 0; i < 24; i++)
		a.n[i] += b.n[i];
	result_hours(ctx, &a);
}

/* st_hours_one(hour, n): hour is UTC seconds; its hour of the day. */
static void
f_one(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct hours	h;
	sqlite3_int64	t = sqlite3_value_int64(argv[0]);
	sqlite3_int64	n = sqlite3_value_int64(argv[1]);

	(void)argc;
	if (t < 0 || n <= 0) {
		sqlite3_result_error(ctx, "st_hours_one: bad hour or count",
		    -1);
		return;
	}
	memset(&h, 0, sizeof(h));
	h.n[(t % 86400) / 3600] = (uint64_t)n;
	result_hours(ctx, &h);
}

/* st_hours_in(hours, day, n, lo, hi, dlo, dhi) */
static void
f_in(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct hours	h;
	sqlite3_int64	day = sqlite3_value_int64(argv[1]);
	sqlite3_int64	n = sqlite3_value_int64(argv[2]);
	sqlite3_int64	lo = sqlite3_value_int64(argv[3]);
	sqlite3_int64	hi = sqlite3_value_int64(argv[4]);
	sqlite3_int64	dlo = sqlite3_value_int64(argv[5]);
	sqlite3_int64	dhi = sqlite3_value_int64(argv[6]);
	sqlite3_int64	sum = 0, t;
	int		i;

	(void)argc;
	if (arg_hours(ctx, argv[0], &h) == -1)
		return;
	for (i = 0; i < 24; i++) {
		t = day + (sqlite3_int64)i * 3600;
		if (t >= lo && t < hi)
			sum += (sqlite3_int64)h.n[i];
	}
	/* Counts whose hour is not known (a day kept only as its total, or
	 * merged with one) belong to the range holding the day's start. */
	if (day >= dlo && day < dhi)
		sum += n - (sqlite3_int64)hours_total(&h);
	sqlite3_result_int64(ctx, sum);
}

/* st_hour_n(hours, h) */
static void
f_hour_n(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct hours	h;
	sqlite3_int64	i = sqlite3_value_int64(argv[1]);

	(void)argc;
	if (arg_hours(ctx, argv[0], &h) == -1)
		return;
	sqlite3_result_int64(ctx, i >= 0 && i < 24 ?
	    (sqlite3_int64)h.n[i] : 0);
}

/* st_hours_total(hours) */
static void
f_total(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct hours	h;

	(void)argc;
	if (arg_hours(ctx, argv[0], &h) == -1)
		return;
	sqlite3_result_int64(ctx, (sqlite3_int64)hours_total(&h));
}

/* Add the functions to a connection; SQLITE_OK or an SQLite error. */
int
hours_sql_register(struct sqlite3 *db)
{
	static const struct {
		const char	*name;
		int		 nargs;
		void		(*fn)(sqlite3_context *, int, sqlite3_value **);
	} fns[] = {
		{ "st_hours_merge", 2, f_merge },
		{ "st_hours_one", 2, f_one },
		{ "st_hours_in", 7, f_in },
		{ "st_hour_n", 2, f_hour_n },
		{ "st_hours_total", 1, f_total },
	};
	size_t	i;
	int	rc;

	for (i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
		rc = sqlite3_create_function(db, fns[i].name, fns[i].nargs,
		    SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
		    NULL, fns[i].fn, NULL, NULL);
		if (rc != SQLITE_OK)
			return rc;
	}
	return SQLITE_OK;
}
