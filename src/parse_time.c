/*
 * parse_time: syslog (RFC 3164 and Postfix postlog), RFC 3339 and Exim time
 * stamps to UTC seconds.
 *
 * Each function takes [p, end), returns the first byte after the stamp (and
 * after its separating space, if any) or NULL when the bytes are not that
 * kind of stamp.  Calendar arithmetic is done here, not with mktime(3), so
 * the result does not depend on the process's TZ or locale.
 */
#include "config.h"

#include <string.h>

#include "civil.h"
#include "parse.h"
#include "parse_time.h"
#include "parse_tz.h"

/* Read exactly n digits; -1 if any is not a digit or the input is short. */
static int
digits(const char *p, const char *end, int n)
{
	int	 v = 0;

	if (end - p < n)
		return -1;
	while (n-- > 0) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (*p++ - '0');
	}
	return v;
}

/* "HH:MM:SS" at p; seconds of the day or -1. */
static int
clock_time(const char *p, const char *end)
{
	int	 h, m, s;

	if (end - p < 8 || p[2] != ':' || p[5] != ':')
		return -1;
	h = digits(p, end, 2);
	m = digits(p + 3, end, 2);
	s = digits(p + 6, end, 2);
	if (h < 0 || h > 23 || m < 0 || m > 59 || s < 0 || s > 60)
		return -1;
	return h * 3600 + m * 60 + s;
}

/* Skip an optional ".digits" fraction. */
static const char *
fraction(const char *p, const char *end)
{
	if (p < end && *p == '.') {
		p++;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	return p;
}

enum { STAMP_SYSLOG = 1, STAMP_RFC3339, STAMP_EXIM, STAMP_FULL };

/* Local seconds (a stamp without an offset) to UTC: the zone's offset
 * at that local time, or the one fixed offset. */
static int64_t
local_to_utc(const struct parse_ctx *ctx, int64_t local)
{
	if (ctx->tz != NULL)
		return parse_tz_utc(ctx->tz, local, ctx->last_time);
	return local - ctx->utc_offset;
}

/* A numeric zone "+HH", "+HHMM" or "+HH:MM" filling [p, end): seconds east
 * of UTC in *off; -1 when it is not one. */
static int
numeric_zone(const char *p, const char *end, long *off)
{
	int	 sign, oh, om = 0;

	if (end - p < 3 || (*p != '+' && *p != '-'))
		return -1;
	sign = *p == '-' ? -1 : 1;
	if ((oh = digits(p + 1, end, 2)) < 0 || oh > 23)
		return -1;
	p += 3;
	if (p < end && *p == ':')
		p++;
	if (p < end) {
		if (end - p != 2 || (om = digits(p, end, 2)) < 0 || om > 59)
			return -1;
	}
	*off = sign * (oh * 3600L + om * 60L);
	return 0;
}

/* Did the cache see these stamp bytes last?  *t is then what they meant. */
static int
cache_hit(const struct parse_ctx *ctx, int kind, const char *p,
    const char *end, size_t n, int64_t *t)
{
	const struct parse_cache	*c = ctx->cache;

	uint64_t			 a, b, x, y;

	if (c == NULL || c->kind != kind || c->keylen != n ||
	    (size_t)(end - p) < n ||
	    c->ref_time != ctx->ref_time || c->utc_offset != ctx->utc_offset ||
	    c->tz != (const void *)ctx->tz)
		return 0;
	/* n is 14 to 19: compare the first and the last 8 bytes, and the
	 * middle when they do not meet (cheaper than a call to memcmp). */
	memcpy(&a, p, 8);
	memcpy(&x, c->key, 8);
	memcpy(&b, p + n - 8, 8);
	memcpy(&y, c->key + n - 8, 8);
	if (a != x || b != y)
		return 0;
	if (n > 16) {
		memcpy(&a, p + 8, 8);
		memcpy(&x, c->key + 8, 8);
		if (a != x)
			return 0;
	}
	*t = c->t;
	return 1;
}

/* Remember what the n stamp bytes at p meant. */
static void
cache_put(const struct parse_ctx *ctx, int kind, const char *p, size_t n,
    int64_t t)
{
	struct parse_cache	*c = ctx->cache;

	if (c == NULL || n > sizeof(c->key))
		return;
	memcpy(c->key, p, n);
	c->keylen = n;
	c->kind = kind;
	c->t = t;
	c->ref_time = ctx->ref_time;
	c->utc_offset = ctx->utc_offset;
	c->tz = ctx->tz;
}

/* Days in month m of year y. */
static int
month_days(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
		return 29;
	return days[m - 1];
}

/* "YYYY-MM-DD" at p: days since the epoch in *days; -1 if not a date. */
static int
iso_date(const char *p, const char *end, int64_t *days)
{
	int	 y, m, d;

	if (end - p < 10 || p[4] != '-' || p[7] != '-')
		return -1;
	y = digits(p, end, 4);
	m = digits(p + 5, end, 2);
	d = digits(p + 8, end, 2);
	if (y < 1970 || m < 1 || m > 12 || d < 1 || d > month_days(y, m))
		return -1;
	*days = civil_days(y, m, d);
	return 0;
}

/*
 * Traditional syslog "Mmm dd HH:MM:SS" (day space- or zero-padded, or not
 * padded at all), with an optional fraction as Postfix's own logger writes.
 */
const char *
time_syslog(const struct parse_ctx *ctx, const char *p, const char *end,
    int64_t *t)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	const char	*s = p;
	int64_t		 ref_local, best, cand, refy, y;
	int		 mon, day, secs, i, rm, rd;
	size_t		 n;

	if (end - p < 15)
		return NULL;
	/* "Mmm dd HH:MM:SS" is 15 bytes, "Mmm d HH:MM:SS" 14 */
	n = p[4] != ' ' && p[5] == ' ' ? 14 : 15;
	if (cache_hit(ctx, STAMP_SYSLOG, p, end, n, &best)) {
		p += n;
		goto done;
	}
	for (mon = 0; mon < 12; mon++)
		if (p[0] == months[mon * 3] && p[1] == months[mon * 3 + 1] &&
		    p[2] == months[mon * 3 + 2])
			break;
	if (mon == 12 || p[3] != ' ')
		return NULL;
	p += 4;
	if (*p == ' ')
		p++;
	if (p < end && *p >= '0' && *p <= '9') {
		day = *p++ - '0';
		if (p < end && *p >= '0' && *p <= '9')
			day = day * 10 + (*p++ - '0');
	} else
		return NULL;
	if (day < 1 || day > 31 || p >= end || *p++ != ' ')
		return NULL;
	if ((secs = clock_time(p, end)) < 0)
		return NULL;
	p += 8;

	/*
	 * No year: take the latest of the reference year -1, 0, +1 that puts
	 * the stamp no more than PARSE_YEAR_AHEAD after the reference time.
	 * Lines are read after they are written, so this is right across New
	 * Year in both directions, for a backfill of up to a year less that
	 * week, and for a writer whose clock is up to a week ahead of ours.
	 */
	ref_local = ctx->ref_time + (ctx->tz != NULL ?
	    parse_tz_offset(ctx->tz, ctx->ref_time) : ctx->utc_offset);
	civil_from_days(ref_local / 86400 -
	    (ref_local < 0 && ref_local % 86400 != 0), &refy, &rm, &rd);
	best = -1;
	for (i = 1; i >= -1; i--) {
		y = refy + i;
		if (day > month_days((int)y, mon + 1))
			continue;	/* Feb 29 outside a leap year */
		cand = civil_days(y, mon + 1, day) * 86400 + secs;
		if (cand <= ref_local + PARSE_YEAR_AHEAD) {
			best = cand;
			break;
		}
	}
	if (best < 0)
		return NULL;
	cache_put(ctx, STAMP_SYSLOG, s, p - s, best);
done:
	best = local_to_utc(ctx, best);
	p = fraction(p, end);
	if (p < end && *p != ' ')
		return NULL;
	*t = best;
	return p < end ? p + 1 : p;
}

/* RFC 3339 "YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm|-hh:mm)". */
const char *
time_rfc3339(const struct parse_ctx *ctx, const char *p, const char *end,
    int64_t *t)
{
	int64_t	 days, local;
	int	 secs, oh, om, sign;

	if (end - p < 20 || (p[10] != 'T' && p[10] != 't'))
		return NULL;
	if (!cache_hit(ctx, STAMP_RFC3339, p, end, 19, &local)) {
		if (iso_date(p, end, &days) == -1 ||
		    (secs = clock_time(p + 11, end)) < 0)
			return NULL;
		local = days * 86400 + secs;
		cache_put(ctx, STAMP_RFC3339, p, 19, local);
	}
	p = fraction(p + 19, end);
	if (p >= end)
		return NULL;
	if (*p == 'Z' || *p == 'z') {
		p++;
		*t = local;
	} else if (*p == '+' || *p == '-') {
		/* "+01:00"; journalctl -o short-iso writes "+0100" (strftime's
		 * %z, systemd before 254) */
		sign = *p == '-' ? -1 : 1;
		oh = digits(p + 1, end, 2);
		if (oh < 0 || p + 3 >= end)
			return NULL;
		if (p[3] == ':') {
			om = digits(p + 4, end, 2);
			p += 6;
		} else {
			om = digits(p + 3, end, 2);
			p += 5;
		}
		if (oh > 23 || om < 0 || om > 59)
			return NULL;
		*t = local - sign * (oh * 3600 + om * 60);
	} else
		return NULL;
	if (p < end && *p != ' ')
		return NULL;
	return p < end ? p + 1 : p;
}

/* Exim "YYYY-MM-DD HH:MM:SS[.mmm][ +hhmm]" (local time unless offset). */
const char *
time_exim(const struct parse_ctx *ctx, const char *p, const char *end,
    int64_t *t)
{
	int64_t	 days, local;
	int	 secs, oh, om, sign;

	if (end - p < 19 || p[10] != ' ' || p[4] != '-')
		return NULL;
	if (!cache_hit(ctx, STAMP_EXIM, p, end, 19, &local)) {
		if (iso_date(p, end, &days) == -1 ||
		    (secs = clock_time(p + 11, end)) < 0)
			return NULL;
		local = days * 86400 + secs;
		cache_put(ctx, STAMP_EXIM, p, 19, local);
	}
	p = fraction(p + 19, end);
	if (p < end && *p != ' ')
		return NULL;
	*t = local_to_utc(ctx, local);
	if (p < end)
		p++;
	/* An optional zone "+hhmm" (log_selector +tz). */
	if (end - p >= 5 && (*p == '+' || *p == '-') &&
	    (end - p == 5 || p[5] == ' ')) {
		sign = *p == '-' ? -1 : 1;
		oh = digits(p + 1, end, 2);
		om = digits(p + 3, end, 2);
		if (oh >= 0 && oh <= 23 && om >= 0 && om <= 59) {
			*t = local - sign * (oh * 3600 + om * 60);
			p += 5;
			if (p < end)
				p++;
		}
	}
	return p;
}

/*
 * journalctl -o short-full: "Tue 2026-12-01 22:03:01 CET" (systemd's
 * format_timestamp(), "%a %Y-%m-%d %H:%M:%S %Z").  UTC and GMT, and the
 * numeric names tzdata gives zones without an abbreviation ("+03",
 * "-0330"), are exact; an abbreviation of the configured zone has its
 * offset ("CEST" is +02:00 in Europe/Berlin, also in the repeated hour);
 * any other is local time.
 */
const char *
time_full(const struct parse_ctx *ctx, const char *p, const char *end,
    int64_t *t)
{
	static const char days[] = "MonTueWedThuFriSatSun";
	const char	*z, *ze;
	int64_t		 d, local;
	int		 i, secs;
	long		 off;

	if (end - p < 25 || p[3] != ' ' || p[14] != ' ' || p[8] != '-')
		return NULL;
	for (i = 0; i < 7; i++)
		if (memcmp(p, days + i * 3, 3) == 0)
			break;
	if (i == 7)
		return NULL;
	p += 4;
	if (!cache_hit(ctx, STAMP_FULL, p, end, 19, &local)) {
		if (iso_date(p, end, &d) == -1 ||
		    (secs = clock_time(p + 11, end)) < 0)
			return NULL;
		local = d * 86400 + secs;
		cache_put(ctx, STAMP_FULL, p, 19, local);
	}
	p = fraction(p + 19, end);
	if (p >= end || *p != ' ')
		return NULL;
	z = ++p;
	if ((ze = memchr(z, ' ', end - z)) == NULL)
		ze = end;
	if (ze == z || ze - z > 6)
		return NULL;
	if ((ze - z == 3 && (memcmp(z, "UTC", 3) == 0 ||
	    memcmp(z, "GMT", 3) == 0)) || (ze - z == 1 && *z == 'Z'))
		*t = local;
	else if (numeric_zone(z, ze, &off) == 0)
		*t = local - off;
	else if (ctx->tz != NULL && parse_tz_abbr(ctx->tz, z, ze - z, &off) == 0)
		*t = local - off;	/* "CEST": the zone says which */
	else {
		for (; z < ze; z++)
			if (!((*z >= 'A' && *z <= 'Z') || (*z >= 'a' &&
			    *z <= 'z')))
				return NULL;
		*t = local_to_utc(ctx, local);
	}
	return ze < end ? ze + 1 : ze;
}
