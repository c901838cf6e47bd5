/*
 * parse_tz: TZif (RFC 8536) transitions in, local time to UTC out.
 *
 * Local time L may be read as UTC u = L - off for each offset in force
 * near L; a u that falls inside the span of its own offset is a valid
 * reading.  There is one reading most of the year, none in the hour the
 * clocks skip in spring (the offset before the change is used, as
 * Python's zoneinfo does with fold=0), and two in the hour repeated in
 * autumn: the earlier one, unless it would put the line more than
 * PARSE_TZ_SLACK seconds before the file's previous line, which means the
 * clocks went back between the two.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "civil.h"
#include "parse_tz.h"

#define TZIF_MAX	(256 * 1024)	/* tzdata's largest is < 4 KiB */

/* Big-endian integers of TZif. */
static int64_t
be(const unsigned char *p, int n)
{
	uint64_t	 v = 0;
	int		 i;

	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	if (n == 4)
		return (int32_t)(uint32_t)v;
	return (int64_t)v;
}

/*
 * The footer of a TZif file of version 2 and later: a POSIX TZ string
 * ("CET-1CEST,M3.5.0,M10.5.0/3") for the times after the last transition.
 * tzdata's "slim" files list no transitions the string can compute, so
 * the rules are unrolled into the table here, year by year up to
 * TZ_UNTIL.  Only the forms tzdata writes are read: <...> or alphabetic
 * names, [+-]hh[:mm[:ss]] offsets (west of UTC positive) and Mm.w.d,
 * Jn or n dates with an optional /time (which may be negative or over
 * 24 hours, RFC 8536 3.3.1).
 */
#define TZ_UNTIL	2100

static int	type_of(struct parse_tz *, long, const char *);

struct tz_rule {
	int	 kind;		/* 'M', 'J' or 'n' */
	int	 m, w, d;	/* Mm.w.d; d is the day for J and n */
	long	 time;		/* seconds after local midnight */
};

/* A name: "<+0330>" or letters.  The byte after it, or NULL. */
static const char *
tzs_name(const char *p, const char *end, char *out, size_t outsz)
{
	const char	*s;

	if (p < end && *p == '<') {
		for (s = ++p; p < end && *p != '>'; p++)
			;
		if (p == end)
			return NULL;
		snprintf(out, outsz, "%.*s", (int)(p - s), s);
		return p + 1;
	}
	for (s = p; p < end && ((*p >= 'A' && *p <= 'Z') ||
	    (*p >= 'a' && *p <= 'z')); p++)
		;
	if (p - s < 3)
		return NULL;
	snprintf(out, outsz, "%.*s", (int)(p - s), s);
	return p;
}

/* [+-]hh[:mm[:ss]] as seconds; hours up to 167. */
static const char *
tzs_hms(const char *p, const char *end, long *v)
{
	long	 sign = 1, part, f = 3600;
	int	 n, i;

	*v = 0;
	if (p < end && (*p == '+' || *p == '-'))
		sign = *p++ == '-' ? -1 : 1;
	for (i = 0; i < 3; i++) {
		for (part = 0, n = 0; p < end && *p >= '0' && *p <= '9' &&
		    n < 3; p++, n++)
			part = part * 10 + (*p - '0');
		if (n == 0 || (i == 0 && part > 167) || (i > 0 && part > 59))
			return NULL;
		*v += part * f;
		f /= 60;
		if (i == 2 || p >= end || *p != ':')
			break;
		p++;
	}
	*v *= sign;
	return p;
}

/* One rule date: Mm.w.d, Jn or n, then [/time] (default 02:00). */
static const char *
tzs_rule(const char *p, const char *end, struct tz_rule *r)
{
	int	 v[3], i;

	memset(r, 0, sizeof(*r));
	if (p < end && *p == 'M') {
		r->kind = 'M';
		p++;
		for (i = 0; i < 3; i++) {
			if (i > 0 && (p >= end || *p++ != '.'))
				return NULL;
			for (v[i] = 0; p < end && *p >= '0' && *p <= '9'; p++)
				v[i] = v[i] * 10 + (*p - '0');
		}
		r->m = v[0];
		r->w = v[1];
		r->d = v[2];
		if (r->m < 1 || r->m > 12 || r->w < 1 || r->w > 5 || r->d > 6)
			return NULL;
	} else {
		r->kind = p < end && *p == 'J' ? 'J' : 'n';
		if (r->kind == 'J')
			p++;
		if (p >= end || *p < '0' || *p > '9')
			return NULL;
		for (; p < end && *p >= '0' && *p <= '9'; p++)
			r->d = r->d * 10 + (*p - '0');
		if (r->d > 365 || (r->kind == 'J' && r->d < 1))
			return NULL;
	}
	r->time = 7200;
	if (p < end && *p == '/')
		p = tzs_hms(p + 1, end, &r->time);
	return p;
}

static int
leap(int64_t y)
{
	return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

/* Local seconds (as if UTC) at which rule r falls in year y. */
static int64_t
tzs_when(const struct tz_rule *r, int64_t y)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30,
	    31, 30, 31 };
	int64_t	 day;
	int	 first, md;

	if (r->kind == 'M') {
		day = civil_days(y, r->m, 1);
		first = (int)((day % 7 + 11) % 7);	/* 1970-01-01: Thu */
		md = mdays[r->m - 1] + (r->m == 2 && leap(y));
		day += (r->d - first + 7) % 7 + 7 * (r->w - 1);
		while (day - civil_days(y, r->m, 1) >= md)
			day -= 7;	/* week 5: the last such day */
	} else if (r->kind == 'J')	/* 1..365, Feb 29 never counted */
		day = civil_days(y, 1, 1) + r->d - 1 +
		    (leap(y) && r->d >= 60);
	else
		day = civil_days(y, 1, 1) + r->d;
	return day * 86400 + r->time;
}

/* Append a transition at u to type ty if it is after from and the
 * table's last one; -1 when the table is full. */
static int
tz_add(struct parse_tz *z, int64_t u, int ty, int64_t from)
{
	if (u <= from || (z->n > 0 && u <= z->at[z->n - 1]))
		return 0;
	if (z->n == PARSE_TZ_TRANS_MAX)
		return -1;
	z->at[z->n] = u;
	z->type[z->n++] = (uint8_t)ty;
	return 0;
}

/* Unroll footer [p, end) into z after its last transition. */
static int
tz_footer(struct parse_tz *z, const char *p, const char *end)
{
	struct tz_rule	 start, stop;
	char		 sname[PARSE_TZ_ABBR_MAX], dname[PARSE_TZ_ABBR_MAX];
	long		 soff, doff;
	int64_t		 y, y0, a, b, from;
	int		 st, dt, st_m, st_d;

	if ((p = tzs_name(p, end, sname, sizeof(sname))) == NULL ||
	    (p = tzs_hms(p, end, &soff)) == NULL)
		return -1;
	soff = -soff;			/* POSIX counts west of UTC */
	if (p == end)
		return 0;		/* no DST: the last type holds */
	if ((p = tzs_name(p, end, dname, sizeof(dname))) == NULL)
		return -1;
	doff = soff + 3600;
	if (p < end && *p != ',') {
		if ((p = tzs_hms(p, end, &doff)) == NULL)
			return -1;
		doff = -doff;
	}
	if (p >= end || *p++ != ',' ||
	    (p = tzs_rule(p, end, &start)) == NULL || p >= end ||
	    *p++ != ',' || (p = tzs_rule(p, end, &stop)) == NULL || p != end)
		return -1;
	if ((st = type_of(z, soff, sname)) == -1 ||
	    (dt = type_of(z, doff, dname)) == -1)
		return -1;
	from = z->n > 0 ? z->at[z->n - 1] : 0;
	civil_from_days(from / 86400 - (from < 0), &y0, &st_m, &st_d);
	for (y = y0; y <= TZ_UNTIL; y++) {
		a = tzs_when(&start, y) - soff;	/* at standard time */
		b = tzs_when(&stop, y) - doff;	/* at summer time */
		if (tz_add(z, a < b ? a : b, a < b ? dt : st, from) == -1 ||
		    tz_add(z, a < b ? b : a, a < b ? st : dt, from) == -1)
			return -1;
	}
	return 0;
}

/*
 * Parse the bytes of a TZif file into z.  The 64-bit block of version 2
 * and later is used when present.  -1 when the bytes are not TZif or hold
 * more than the struct keeps.
 */
int
parse_tz_parse(struct parse_tz *z, const unsigned char *p, size_t len)
{
	const unsigned char	*d, *end = p + len, *foot, *fend;
	int64_t			 cnt[6];
	size_t			 i, w = 4, blk;
	int			 pass;

	memset(z, 0, sizeof(*z));
	for (pass = 0; pass < 2; pass++) {
		if ((size_t)(end - p) < 44 || memcmp(p, "TZif", 4) != 0)
			return -1;
		for (i = 0; i < 6; i++)
			cnt[i] = be(p + 20 + i * 4, 4);
		/* isutcnt isstdcnt leapcnt timecnt typecnt charcnt */
		for (i = 0; i < 6; i++)
			if (cnt[i] < 0 || cnt[i] > 65536)
				return -1;
		blk = cnt[3] * w + cnt[3] + cnt[4] * 6 + cnt[5] +
		    cnt[2] * (w + 4) + cnt[1] + cnt[0];
		if ((size_t)(end - p) - 44 < blk)
			return -1;
		if (pass == 0 && p[4] >= '2') {
			p += 44 + blk;	/* to the 64-bit header */
			w = 8;
			continue;
		}
		break;
	}
	foot = w == 8 ? p + 44 + blk : NULL;
	if (cnt[3] > PARSE_TZ_TRANS_MAX || cnt[4] == 0 ||
	    cnt[4] > PARSE_TZ_TYPES_MAX)
		return -1;
	d = p + 44;
	z->n = (size_t)cnt[3];
	for (i = 0; i < z->n; i++) {
		z->at[i] = be(d + i * w, (int)w);
		if (i > 0 && z->at[i] <= z->at[i - 1])
			return -1;
	}
	d += z->n * w;
	for (i = 0; i < z->n; i++)
		if ((z->type[i] = d[i]) >= cnt[4])
			return -1;
	d += z->n;
	z->ntypes = (size_t)cnt[4];
	for (i = 0; i < z->ntypes; i++) {
		const unsigned char	*t = d + i * 6;
		size_t			 ai = t[5];

		z->off[i] = (int32_t)be(t, 4);
		if (z->off[i] < -89999 || z->off[i] > 93599 ||
		    ai >= (size_t)cnt[5])
			return -1;
		snprintf(z->abbr[i], sizeof(z->abbr[i]), "%.*s",
		    (int)strnlen((const char *)d + z->ntypes * 6 + ai,
		    (size_t)cnt[5] - ai), d + z->ntypes * 6 + ai);
	}
	/* "\nTZ string\n": the rules after the last transition; one that
	 * cannot be read leaves the table as the file lists it */
	if (foot != NULL && foot < end && *foot == '\n' &&
	    (fend = memchr(foot + 1, '\n', end - foot - 1)) != NULL &&
	    fend > foot + 1 &&
	    tz_footer(z, (const char *)foot + 1, (const char *)fend) == -1)
		return -1;
	return 0;
}

/*
 * Load zone name: "Europe/Berlin" under $TZDIR or /usr/share/zoneinfo,
 * or an absolute path (/etc/localtime).  On error why says what failed.
 */
int
parse_tz_load(struct parse_tz *z, const char *name, char *why, size_t whylen)
{
	const char	*dir = getenv("TZDIR");
	char		 path[1024];
	unsigned char	*buf;
	ssize_t		 n;
	size_t		 have = 0;
	int		 fd, rc;

	if (name[0] == ':')
		name++;		/* TZ=":Europe/Berlin" */
	if (name[0] == '/')
		snprintf(path, sizeof(path), "%s", name);
	else {
		if (name[0] == '\0' || strstr(name, "..") != NULL ||
		    strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq"
		    "rstuvwxyz0123456789/_+-") != strlen(name)) {
			snprintf(why, whylen, "'%s' is not a zone name", name);
			return -1;
		}
		snprintf(path, sizeof(path), "%s/%s", dir != NULL && *dir ?
		    dir : "/usr/share/zoneinfo", name);
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if ((buf = malloc(TZIF_MAX)) == NULL) {
		close(fd);
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	while (have < TZIF_MAX &&
	    (n = read(fd, buf + have, TZIF_MAX - have)) > 0)
		have += (size_t)n;
	close(fd);
	rc = parse_tz_parse(z, buf, have);
	free(buf);
	if (rc == -1) {
		snprintf(why, whylen, "%s: not a compiled time zone (TZif) "
		    "file", path);
		return -1;
	}
	snprintf(z->name, sizeof(z->name), "%s", name);
	return 0;
}

/* The type index of offset off and abbreviation abbr, added if new; -1
 * when the table is full. */
static int
type_of(struct parse_tz *z, long off, const char *abbr)
{
	size_t	 i;

	for (i = 0; i < z->ntypes; i++)
		if (z->off[i] == off && strcmp(z->abbr[i], abbr) == 0)
			return (int)i;
	if (z->ntypes == PARSE_TZ_TYPES_MAX)
		return -1;
	z->off[z->ntypes] = (int32_t)off;
	snprintf(z->abbr[z->ntypes], sizeof(z->abbr[0]), "%s", abbr);
	return (int)z->ntypes++;
}

/*
 * The zone localtime(3) uses (TZ, else /etc/localtime; also a POSIX TZ
 * string such as "CET-1CEST,M3.5.0,M10.5.0/3"), as transitions between
 * UTC seconds from and to: each hour is asked, a change is narrowed down
 * to its second.  Outside [from, to] the nearest span's offset holds.
 */
int
parse_tz_localtime(struct parse_tz *z, int64_t from, int64_t to)
{
	struct tm	 tm;
	time_t		 t, lo, hi, mid;
	long		 off, prev;
	int		 ty;

	z->n = z->ntypes = 0;
	t = (time_t)from;
	if (localtime_r(&t, &tm) == NULL)
		return -1;
	prev = tm.tm_gmtoff;
	if (type_of(z, prev, tm.tm_zone != NULL ? tm.tm_zone : "") != 0)
		return -1;
	for (t = (time_t)from + 3600; t <= (time_t)to; t += 3600) {
		if (localtime_r(&t, &tm) == NULL)
			return -1;
		if ((off = tm.tm_gmtoff) == prev)
			continue;
		/* the first second of the new offset is in (t - 3600, t] */
		lo = t - 3600;
		hi = t;
		while (hi - lo > 1) {
			mid = lo + (hi - lo) / 2;
			if (localtime_r(&mid, &tm) == NULL)
				return -1;
			if (tm.tm_gmtoff == prev)
				lo = mid;
			else
				hi = mid;
		}
		if (localtime_r(&hi, &tm) == NULL || z->n == PARSE_TZ_TRANS_MAX ||
		    (ty = type_of(z, tm.tm_gmtoff, tm.tm_zone != NULL ?
		    tm.tm_zone : "")) == -1)
			return -1;
		z->at[z->n] = (int64_t)hi;
		z->type[z->n++] = (uint8_t)ty;
		prev = tm.tm_gmtoff;
		t = hi;		/* the loop steps on from the change */
	}
	snprintf(z->name, sizeof(z->name), "local");
	return 0;
}

/* A zone with one offset for all time. */
void
parse_tz_fixed(struct parse_tz *z, long off)
{
	memset(z, 0, sizeof(*z));
	z->ntypes = 1;
	z->off[0] = (int32_t)off;
	snprintf(z->name, sizeof(z->name), "fixed");
}

/* The first transition after UTC second u (z->n when none). */
static size_t
after(const struct parse_tz *z, int64_t u)
{
	size_t	 lo = 0, hi = z->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (z->at[mid] <= u)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Offset of span k: span 0 is before at[0], span k from at[k - 1]. */
static long
span_off(const struct parse_tz *z, size_t k)
{
	return k == 0 ? z->off[0] : z->off[z->type[k - 1]];
}

/* Seconds east of UTC in force at UTC second u. */
long
parse_tz_offset(const struct parse_tz *z, int64_t u)
{
	return span_off(z, after(z, u));
}

/*
 * Local seconds l to UTC; last is the UTC second of the file's previous
 * line (0 when none), which settles the repeated hour.  See the top of
 * the file.
 */
int64_t
parse_tz_utc(const struct parse_tz *z, int64_t l, int64_t last)
{
	int64_t	 cand[2], u;
	size_t	 k, first, nc = 0;

	/* spans that may hold l: offsets are within a day of UTC */
	first = after(z, l - 2 * 86400);
	for (k = first; k <= z->n && k <= first + 3 && nc < 2; k++) {
		u = l - span_off(z, k);
		if ((k == 0 || u >= z->at[k - 1]) && (k == z->n || u < z->at[k]))
			cand[nc++] = u;
	}
	if (nc == 2)
		return last != 0 && last > cand[0] + PARSE_TZ_SLACK ?
		    cand[1] : cand[0];
	if (nc == 1)
		return cand[0];
	/* in the gap the clocks skipped: the offset before the change */
	for (k = first; k < z->n && k <= first + 3; k++)
		if (l - span_off(z, k) >= z->at[k] &&
		    l - span_off(z, k + 1) < z->at[k])
			return l - span_off(z, k);
	return l - span_off(z, first);
}

/*
 * The offset of abbreviation [p, p + n) ("CET", "CEST") in this zone, the
 * latest type that has it; -1 when the zone has none such.
 */
int
parse_tz_abbr(const struct parse_tz *z, const char *p, size_t n, long *off)
{
	size_t	 i;

	if (n == 0 || n >= PARSE_TZ_ABBR_MAX)
		return -1;
	for (i = z->n; i > 0; i--) {
		const char	*a = z->abbr[z->type[i - 1]];

		if (strlen(a) == n && memcmp(a, p, n) == 0) {
			*off = z->off[z->type[i - 1]];
			return 0;
		}
	}
	if (strlen(z->abbr[0]) == n && memcmp(z->abbr[0], p, n) == 0) {
		*off = z->off[0];
		return 0;
	}
	return -1;
}
