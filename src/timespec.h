/*
 * timespec: the time forms a postmaster types (1h, 24h, 7d, today,
 * yesterday, RFC 3339) turned into UTC seconds.
 *
 * Pure: the caller passes "now"; no clock, no allocation, no time zone
 * other than UTC.  This module does not decide what a range means (whether
 * "yesterday" also ends a range); the callers do.
 */
#ifndef SMTPTALLY_TIMESPEC_H
#define SMTPTALLY_TIMESPEC_H

#include <stddef.h>
#include <stdint.h>

#define TIMESPEC_MAX	64	/* longest text accepted */

/* Relative units: 30m, 1h, 24h, 7d, 2w; plus today, yesterday, now. */
int	 timespec_parse(const char *, int64_t now, int64_t *);
/* RFC 3339 UTC with a Z ("2026-11-29T02:00:00Z") into buf. */
int	 timespec_format(int64_t, char *, size_t);

#endif
