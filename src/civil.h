/*
 * civil: the proleptic Gregorian calendar in UTC, by arithmetic (Howard
 * Hinnant's days-from-civil method), so no time zone or locale can creep
 * in.  Pure.  Shared by the time stamp parser, the --since/--until parser
 * and the month keys of the roll-up tables.
 */
#ifndef SMTPTALLY_CIVIL_H
#define SMTPTALLY_CIVIL_H

#include <stdint.h>

int64_t	 civil_days(int64_t, int, int);
void	 civil_from_days(int64_t, int64_t *, int *, int *);
int64_t	 civil_month_start(int64_t);

#endif
