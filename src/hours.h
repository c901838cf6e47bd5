/*
 * hours: a day's counts by hour, packed into a few bytes.
 *
 * A folded day row (count_day) keeps its 24 hourly counts as a vector:
 * for each hour with a count, one byte for the hour (0-23) and the count
 * as an unsigned LEB128 varint, hours ascending.  A day with mail in few
 * hours costs few bytes; an empty vector means the hours are not known
 * (a day kept only as its total).
 *
 * The codec is pure.  hours_sql_register() adds the SQL functions the
 * writer (merging vectors) and the readers (summing and expanding them)
 * use on a connection.
 *
 * Not here: deciding what to fold (store), building queries (query).
 */
#ifndef SMTPTALLY_HOURS_H
#define SMTPTALLY_HOURS_H

#include <stddef.h>
#include <stdint.h>

#define HOURS_MAX	(24 * 11)	/* bytes of the largest vector */

struct sqlite3;

/* One day's counts, unpacked; n[h] for h in 0..23. */
struct hours {
	uint64_t	 n[24];
};

size_t	 hours_pack(const struct hours *, unsigned char *, size_t);
int	 hours_unpack(const unsigned char *, size_t, struct hours *);
uint64_t hours_total(const struct hours *);

/*
 * SQL functions, for a day row (day = its start, UTC seconds):
 *   st_hours_merge(a, b)        the vector of a + b (NULL or '' = none)
 *   st_hours_one(hour, n)       the vector of n at one UTC hour
 *   st_hours_in(hours, day, n, lo, hi, dlo, dhi)
 *                               the count of the hours in [lo, hi), plus
 *                               the counts whose hour is not known (n
 *                               beyond the vector's total) when the day
 *                               starts in [dlo, dhi): a query rounds its
 *                               start down to the day for them
 *   st_hour_n(hours, h)         the count of hour h (0-23); 0 if none
 *   st_hours_total(hours)       the vector's total (0 for none)
 * A malformed vector is an SQL error, never a guess.
 */
int	 hours_sql_register(struct sqlite3 *);

#endif
