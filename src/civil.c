/*
 * civil: days since 1970-01-01 from a date and back, and the first second
 * of a UTC month.  Years are March-based inside the arithmetic so that the
 * leap day falls at the end of the year.
 */
#include "config.h"

#include "civil.h"

/* Days since 1970-01-01 of year y, month m (1-12), day d. */
int64_t
civil_days(int64_t y, int m, int d)
{
	int64_t	 era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The date of a day since 1970-01-01 (the inverse of civil_days). */
void
civil_from_days(int64_t days, int64_t *y, int *m, int *d)
{
	int64_t	 z, era, doe, yoe, doy, mp;

	z = days + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* UTC seconds of the first second of the month that second t is in. */
int64_t
civil_month_start(int64_t t)
{
	int64_t	 days, y;
	int	 m, d;

	days = t / 86400;
	if (t % 86400 < 0)
		days--;
	civil_from_days(days, &y, &m, &d);
	return civil_days(y, m, 1) * 86400;
}
