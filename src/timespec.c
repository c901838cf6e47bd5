/*
 * timespec: parse relative and absolute times for --since/--until and the
 * since=/until= query parameters.
 *
 * Accepted: "now"; a number with a unit m, h, d or w counting back from
 * now ("1h", "24h", "7d"); "today" and "yesterday" (UTC midnights); RFC
 * 3339 date-times with Z or a numeric offset, optional fraction, and plain
 * dates ("2026-11-29", midnight UTC); a bare number of UTC seconds.
 * Anything else is refused, never guessed.  No I/O, no allocation.
 */
#include <stdio.h>
#include <string.h>

#include "civil.h"
#include "timespec.h"

#define DAY	86400

/* Read exactly n digits, because RFC 3339 fields have fixed widths. */
static int
digits(const char **pp, int n, int *out)
{
	const char	*p = *pp;
	int		 v = 0, i;

	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	*pp = p + n;
	*out = v;
	return 0;
}

/* Days in a month, so 2026-02-30 is refused rather than rolled over. */
static int
month_days(int y, int m)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return mdays[m - 1];
}

/* RFC 3339 (and a plain date) to UTC seconds. */
static int
parse_rfc3339(const char *p, int64_t *out)
{
	int	 y, mo, d, h = 0, mi = 0, s = 0, oh, om, sign;
	int64_t	 t;

	if (digits(&p, 4, &y) == -1 || *p++ != '-' ||
	    digits(&p, 2, &mo) == -1 || *p++ != '-' ||
	    digits(&p, 2, &d) == -1)
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > month_days(y, mo) || y < 1970)
		return -1;
	if (*p == '\0')
		goto done;
	if (*p != 'T' && *p != 't' && *p != ' ')
		return -1;
	p++;
	if (digits(&p, 2, &h) == -1 || *p++ != ':' ||
	    digits(&p, 2, &mi) == -1 || *p++ != ':' ||
	    digits(&p, 2, &s) == -1)
		return -1;
	if (h > 23 || mi > 59 || s > 60)
		return -1;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -1;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '-' ? -1 : 1;
		if (digits(&p, 2, &oh) == -1 || *p++ != ':' ||
		    digits(&p, 2, &om) == -1 || oh > 23 || om > 59)
			return -1;
		h -= sign * oh;
		mi -= sign * om;
	} else
		return -1;
	if (*p != '\0')
		return -1;
done:
	t = civil_days(y, mo, d) * DAY + (int64_t)h * 3600 +
	    (int64_t)mi * 60 + (s == 60 ? 59 : s);
	*out = t;
	return 0;
}

/* One entry point for every form a postmaster may type. */
int
timespec_parse(const char *s, int64_t now, int64_t *out)
{
	int64_t	 n = 0, unit, midnight;
	size_t	 len;
	const char *p;

	if (s == NULL || (len = strnlen(s, TIMESPEC_MAX + 1)) == 0 ||
	    len > TIMESPEC_MAX)
		return -1;
	midnight = now - ((now % DAY) + DAY) % DAY;
	if (strcmp(s, "now") == 0) {
		*out = now;
		return 0;
	}
	if (strcmp(s, "today") == 0) {
		*out = midnight;
		return 0;
	}
	if (strcmp(s, "yesterday") == 0) {
		*out = midnight - DAY;
		return 0;
	}
	if (len > 4 && s[4] == '-')
		return parse_rfc3339(s, out);

	for (p = s; *p >= '0' && *p <= '9'; p++) {
		if (n > 1000000000000LL)
			return -1;
		n = n * 10 + (*p - '0');
	}
	if (p == s)
		return -1;
	switch (*p) {
	case '\0':
		*out = n;	/* UTC seconds */
		return 0;
	case 'm':
		unit = 60;
		break;
	case 'h':
		unit = 3600;
		break;
	case 'd':
		unit = DAY;
		break;
	case 'w':
		unit = 7 * DAY;
		break;
	default:
		return -1;
	}
	if (p[1] != '\0' || n > 100LL * 366 * DAY / unit)
		return -1;
	*out = now - n * unit;
	return 0;
}

/* RFC 3339 with Z, the only form the API writes. */
int
timespec_format(int64_t t, char *buf, size_t len)
{
	int64_t	 days, secs, y;
	int	 m, d, r;

	days = t / DAY;
	secs = t % DAY;
	if (secs < 0) {
		secs += DAY;
		days--;
	}
	civil_from_days(days, &y, &m, &d);
	r = snprintf(buf, len, "%04lld-%02d-%02dT%02lld:%02lld:%02lldZ",
	    (long long)y, m, d, (long long)(secs / 3600),
	    (long long)(secs / 60 % 60), (long long)(secs % 60));
	return r < 0 || (size_t)r >= len ? -1 : 0;
}
