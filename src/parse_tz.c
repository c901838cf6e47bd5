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
 * Parse the bytes of a TZif file into z.  The 64-bit block of version 2
 * and later is used when present.  -1 when the bytes are not TZif or hold
 * more than the struct keeps.
 */
int
parse_tz_parse(struct parse_tz *z, const unsigned char *p, size_t len)
{
	const unsigned char	*d, *end = p + len;
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
