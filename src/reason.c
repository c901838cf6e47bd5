/*
 * reason: mask the variable words of a reply text.  Words are split on
 * white space (and on the two characters "\n" that Exim logs between the
 * lines of a multi-line reply); the punctuation around a word is kept and
 * its core is replaced by ADDR, IP, N, ID or HOST, or dropped when it is a
 * reply or enhanced status code (the key already holds those).  The output
 * is valid UTF-8 (other bytes become '?'), without control characters, at
 * most REASON_MAX bytes, cut at a word.
 *
 * What identifies a problem is kept: a host name in front of "[address]"
 * (the MX that refused), the names of blocklists and providers' help URLs,
 * and short reason codes such as Yahoo's [TSS04] or Microsoft's (S3140).
 * Only the labels of a dotted name that look like ids are masked, so that
 * "ID.eop-EUR03.prod.protection.outlook.com" still says who answered.
 *
 * Codes are dropped where they are codes: at the start, as the prefix of a
 * continuation line ("550-5.7.1", "451-You"), in front of an enhanced code
 * or where the first line's code comes again (the last line of a
 * multi-line reply, "451 this mail"); "exceeds 500 bytes" keeps its number
 * as N.
 */
#include "config.h"

#include <string.h>

#include "parse_util.h"
#include "reason.h"

/* Punctuation kept around a masked word. */
static int
lead_punct(char c)
{
	return c == '<' || c == '[' || c == '(' || c == '"' || c == '\'';
}

static int
trail_punct(char c)
{
	return c == '>' || c == ']' || c == ')' || c == '"' || c == '\'' ||
	    c == ',' || c == ';' || c == ':' || c == '.';
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
is_upper(char c)
{
	return c >= 'A' && c <= 'Z';
}

static int
is_hex_letter(char c)
{
	return (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* "NNN" with NNN a reply code (2xx to 5xx). */
static int
is_reply(const char *p, size_t n)
{
	return n == 3 && p[0] >= '2' && p[0] <= '5' && is_digit(p[1]) &&
	    is_digit(p[2]);
}

/* "x.y.z": an enhanced status code of class 2, 4 or 5. */
static int
is_enhanced(const char *p, size_t n)
{
	size_t	 i, dots = 0;

	if (n < 5 || (p[0] != '2' && p[0] != '4' && p[0] != '5') ||
	    p[1] != '.')
		return 0;
	for (i = 1; i < n; i++) {
		if (p[i] == '.')
			dots++;
		else if (!is_digit(p[i]))
			return 0;
	}
	return dots == 2 && p[n - 1] != '.';
}

/* Dotted quad, optionally with ":port". */
static int
is_ipv4(const char *p, size_t n)
{
	size_t	 i, dots = 0, run = 0;

	for (i = 0; i < n; i++) {
		if (is_digit(p[i])) {
			if (++run > 3)
				return 0;
		} else if (p[i] == '.' && run > 0 && dots < 3) {
			dots++;
			run = 0;
		} else if (p[i] == ':' && dots == 3 && run > 0) {
			for (i++; i < n; i++)
				if (!is_digit(p[i]))
					return 0;
			return 1;
		} else
			return 0;
	}
	return dots == 3 && run > 0;
}

/* A short reason code a provider puts in its text: S3140, TSS04, HM08. */
static int
is_provider_code(const char *p, size_t n)
{
	size_t	 i = 0, letters, digits;

	while (i < n && is_upper(p[i]))
		i++;
	letters = i;
	while (i < n && is_digit(p[i]))
		i++;
	digits = i - letters;
	return i == n && letters >= 1 && letters <= 4 && digits >= 1 &&
	    digits <= 5;
}

/* The mask for a plain word's core, or NULL to keep it. */
static const char *
mask(const char *p, size_t n)
{
	size_t	 i, digits = 0, dots = 0, colons = 0, hex = 0;

	if (memchr(p, '@', n) != NULL)
		return "ADDR";
	for (i = 0; i < n; i++) {
		if (is_digit(p[i]))
			digits++;
		else if (p[i] == '.')
			dots++;
		else if (p[i] == ':')
			colons++;
		else if (is_hex_letter(p[i]))
			hex++;
	}
	if (digits == n)
		return "N";
	if (is_ipv4(p, n))
		return "IP";
	if (colons >= 2 && digits + hex + colons + dots == n)
		return "IP";
	if (n > 5 && strncmp(p, "IPv6:", 5) == 0)
		return "IP";
	if (digits == 1 && n <= 6 && is_digit(p[n - 1]))
		return NULL;		/* a word: IPv6, utf8, HME1 */
	if (digits > 0)
		return is_provider_code(p, n) ? NULL : "ID";
	if (n >= 10 && hex == n)
		return "ID";
	return NULL;
}

/* Append [p, p+n) as clean text; 0 if it does not fit. */
static int
put(char *out, size_t *len, size_t cap, const char *p, size_t n)
{
	const unsigned char	*u = (const unsigned char *)p, *e = u + n;
	size_t			 l;

	while (u < e) {
		const unsigned char	*r = u;

		while (r < e && *r >= ' ' && *r < 0x7f)	/* the usual case */
			r++;
		if (r > u) {
			if (*len + (size_t)(r - u) > cap)
				return 0;
			memcpy(out + *len, u, r - u);
			*len += r - u;
			u = r;
			continue;
		}
		if (*u < 0x80) {
			if (*len + 1 > cap)
				return 0;
			out[(*len)++] = (*u < ' ' || *u == 0x7f) ? '?' : *u;
			u++;
		} else if ((l = pu_utf8_len(u, e)) != 0) {
			if (*len + l > cap)
				return 0;
			memcpy(out + *len, u, l);
			*len += l;
			u += l;
		} else {
			if (*len + 1 > cap)
				return 0;
			out[(*len)++] = '?';
			u++;
		}
	}
	return 1;
}

static int
puts_(char *out, size_t *len, size_t cap, const char *s)
{
	return put(out, len, cap, s, strlen(s));
}

/* A host name's characters, with at least one dot and one letter. */
static int
is_hostname(const char *p, size_t n)
{
	size_t	 i, dots = 0, letters = 0;

	for (i = 0; i < n; i++) {
		if (p[i] == '.')
			dots++;
		else if (pu_alnum[(unsigned char)p[i]]) {
			if (!is_digit(p[i]))
				letters++;
		} else if (p[i] != '-' && p[i] != '_')
			return 0;
	}
	return dots > 0 && letters > 0 && p[0] != '.' && p[n - 1] != '.';
}

/* A name in front of "[address]": a host name, or a word (the "sender"
 * of Microsoft's "banned sender[192.0.2.1]"). */
static int
is_name(const char *p, size_t n)
{
	size_t	 i, letters = 0;

	if (is_hostname(p, n))
		return 1;
	for (i = 0; i < n; i++) {
		if (!pu_alnum[(unsigned char)p[i]] && p[i] != '-' &&
		    p[i] != '_')
			return 0;
		if (!is_digit(p[i]))
			letters++;
	}
	return letters > 0;
}

/* A label that is an id rather than a name: all digits, or 3 digits or
 * more among letters (DB5EUR03FT029, mta1061, od20si504618ejb). */
static int
id_label(const char *p, size_t n)
{
	size_t	 i, digits = 0;

	for (i = 0; i < n; i++)
		if (is_digit(p[i]))
			digits++;
	return digits == n || digits >= 3;
}

/* A host name with its id-like labels masked; runs of them become one
 * "ID", and a name that is all ids becomes "ID". */
static int
put_host(char *out, size_t *len, size_t cap, const char *p, size_t n)
{
	const char	*l = p, *e = p + n, *d;
	int		 prev_id = 0, first = 1, any_name = 0;
	size_t		 mark = *len;

	while (l <= e) {
		if ((d = memchr(l, '.', e - l)) == NULL)
			d = e;
		if (id_label(l, d - l)) {
			if (!prev_id && ((!first && !put(out, len, cap, ".",
			    1)) || !puts_(out, len, cap, "ID")))
				return 0;
			prev_id = 1;
		} else {
			if ((!first && !put(out, len, cap, ".", 1)) ||
			    !put(out, len, cap, l, d - l))
				return 0;
			prev_id = 0;
			any_name = 1;
		}
		first = 0;
		l = d + 1;
	}
	if (!any_name) {
		*len = mark;
		return puts_(out, len, cap, "ID");
	}
	return 1;
}

/* A URL: scheme and host kept (ids masked), path segments and query
 * values that carry an address, an IP or a long id masked. */
static int
put_url(char *out, size_t *len, size_t cap, const char *p, size_t n)
{
	const char	*e = p + n, *s, *q;
	size_t		 sl, i, digits;

	s = (const char *)memchr(p, ':', n) + 3;	/* past "://" */
	if (!put(out, len, cap, p, s - p))
		return 0;
	for (q = s; q < e && *q != '/' && *q != '?' && *q != '#'; q++)
		;
	if (q > s && !(is_hostname(s, q - s) ? put_host(out, len, cap, s,
	    q - s) : put(out, len, cap, s, q - s)))
		return 0;
	while (q < e) {
		if (!put(out, len, cap, q, 1))	/* '/', '?', '&', '=', '#' */
			return 0;
		s = ++q;
		while (q < e && *q != '/' && *q != '?' && *q != '&' &&
		    *q != '=')
			q++;
		sl = q - s;
		for (i = digits = 0; i < sl; i++)
			if (is_digit(s[i]))
				digits++;
		if (sl > 0 && (memchr(s, '@', sl) != NULL || is_ipv4(s, sl)))
			i = puts_(out, len, cap, memchr(s, '@', sl) != NULL ?
			    "ADDR" : "IP");
		else if (sl >= 12 && digits >= 4)
			i = puts_(out, len, cap, "ID");
		else
			i = put(out, len, cap, s, sl);
		if (!i)
			return 0;
	}
	return 1;
}

/* The masked form of a word's core [p, p+n). */
static int
put_core(char *out, size_t *len, size_t cap, const char *p, size_t n,
    int angled)
{
	const char	*b, *c, *m;
	size_t		 i;
	int		 plain = !angled && n < 10;

	/* Most words are words: no digit, '@' or '[', not a URL. */
	for (i = 0; i < n && plain; i++)
		plain = !is_digit(p[i]) && p[i] != '@' && p[i] != '[' &&
		    p[i] != ':';
	if (plain)
		return put(out, len, cap, p, n);
	if ((n > 7 && strncmp(p, "http://", 7) == 0) ||
	    (n > 8 && strncmp(p, "https://", 8) == 0))
		return put_url(out, len, cap, p, n);
	/* TO:<addr>: the command stays, the address goes. */
	if ((m = memchr(p, '@', n)) != NULL && (b = memchr(p, '<', n)) != NULL &&
	    b < m)
		return put(out, len, cap, p, b + 1 - p) &&
		    puts_(out, len, cap, "ADDR");
	if (angled && memchr(p, '@', n) == NULL) {
		for (i = 0; i < n && is_upper(p[i]); i++)
			;
		return i == n ? put(out, len, cap, p, n) :
		    puts_(out, len, cap, "HOST");
	}
	/* name[address] or name[address]:port: the name says who. */
	if ((b = memchr(p, '[', n)) != NULL && b > p && is_name(p, b - p)) {
		/* the "]" may be the word's trailing punctuation */
		if ((c = memchr(b, ']', p + n - b)) == NULL)
			c = p + n;
		if (!put_host(out, len, cap, p, b - p) ||
		    !put(out, len, cap, "[", 1))
			return 0;
		m = mask(b + 1, c - b - 1);
		if (!(m != NULL ? puts_(out, len, cap, m) :
		    put(out, len, cap, b + 1, c - b - 1)))
			return 0;
		return put(out, len, cap, c, p + n - c);
	}
	if (memchr(p, '@', n) == NULL && !is_ipv4(p, n) &&
	    is_hostname(p, n) && memchr(p, '.', n) != NULL) {
		for (i = 0; i < n && (is_digit(p[i]) || p[i] == '.'); i++)
			;
		if (i < n)
			return put_host(out, len, cap, p, n);
	}
	m = mask(p, n);
	return m != NULL ? puts_(out, len, cap, m) : put(out, len, cap, p, n);
}

/* Bytes that may end a word: white space, and the backslash of Exim's
 * two bytes "\n" between reply lines. */
static const unsigned char sep[256] = { [' '] = 1, ['\t'] = 1, ['\\'] = 2 };

/* The length of the separator at p, or 0. */
static inline size_t
space_at(const char *p, const char *end)
{
	switch (sep[(unsigned char)*p]) {
	case 1:
		return 1;
	case 2:
		return p + 1 < end && (p[1] == 'n' || p[1] == 'r') ? 2 : 0;
	default:
		return 0;
	}
}

/* The next word: [*w, *we), after skipping spaces from p. */
static const char *
next_word(const char *p, const char *end, const char **w, const char **we)
{
	size_t	 s;

	while (p < end && (s = space_at(p, end)) != 0)
		p += s;
	*w = p;
	for (;;) {
		while (p < end && sep[(unsigned char)*p] == 0)
			p++;
		if (p >= end || space_at(p, end) != 0)
			break;
		p++;			/* a backslash inside a word */
	}
	*we = p;
	return p;
}

/* The core of [w, we): without lead and trail punctuation. */
static void
core(const char *w, const char *we, const char **c, const char **ce)
{
	for (*c = w; *c < we && lead_punct(**c); (*c)++)
		;
	for (*ce = we; *ce > *c && trail_punct((*ce)[-1]); (*ce)--)
		;
}

/* See the top of the file; returns the output length. */
size_t
reason_normalise(const char *in, size_t inlen, char *out, size_t outsz)
{
	const char	*p = in, *end = in + inlen, *w, *we, *c, *ce;
	const char	*nw, *nwe, *nc, *nce;
	size_t		 len = 0, mark, cap;
	int		 first = 1, angled;
	char		 code[3] = { 0, 0, 0 };

	if (outsz == 0)
		return 0;
	cap = outsz - 1 < REASON_MAX ? outsz - 1 : REASON_MAX;
	for (;;) {
		p = next_word(p, end, &w, &we);
		if (w >= end)
			break;
		core(w, we, &c, &ce);
		/* "550-5.7.1" or "451-You": a continuation line's prefix. */
		if (ce - c >= 4 && is_reply(c, 3) && c[3] == '-') {
			if (first)
				memcpy(code, c, 3);
			if (ce - c == 4 || is_enhanced(c + 4, ce - c - 4))
				continue;
			if (w == c)
				w = c + 4;
			c += 4;
		}
		if (c < ce && is_enhanced(c, ce - c))
			continue;
		if (c < ce && is_reply(c, ce - c)) {
			next_word(p, end, &nw, &nwe);
			core(nw, nwe, &nc, &nce);
			if (first)
				memcpy(code, c, 3);
			if (first || memcmp(code, c, 3) == 0 ||
			    (nc < nce && is_enhanced(nc, nce - nc)))
				continue;
		}
		first = 0;
		mark = len;
		angled = c > w && c[-1] == '<';
		if (len > 0) {
			if (len + 1 > cap)
				break;
			out[len++] = ' ';
		}
		if ((c > w && !put(out, &len, cap, w, c - w)) ||
		    (c < ce && !put_core(out, &len, cap, c, ce - c, angled)) ||
		    (we > ce && !put(out, &len, cap, ce, we - ce))) {
			len = mark;
			break;
		}
	}
	out[len] = '\0';
	return len;
}
