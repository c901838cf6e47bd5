/*
 * reason: mask the variable words of a reply text.  Words are split on
 * white space; the punctuation around a word is kept and its core is
 * replaced by ADDR, IP, N or ID, or dropped when it is a reply or enhanced
 * status code (the key already holds those).  The output is valid UTF-8
 * (other bytes become '?'), without control characters, at most
 * REASON_MAX bytes, cut at a word.
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

/* "NNN", "NNN-x.y.z" or "x.y.z": a code the key already holds. */
static int
is_code(const char *p, size_t n)
{
	size_t	 i, dots = 0;

	if (n >= 3 && p[0] >= '2' && p[0] <= '5' && is_digit(p[1]) &&
	    is_digit(p[2]) && (n == 3 || p[3] == '-')) {
		if (n == 3)
			return 1;
		p += 4;
		n -= 4;
	}
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

/* The mask for a word's core, or NULL to keep it. */
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
		else if ((p[i] >= 'a' && p[i] <= 'f') ||
		    (p[i] >= 'A' && p[i] <= 'F'))
			hex++;
	}
	if (digits == n)
		return "N";
	if (digits + dots == n && dots == 3)
		return "IP";
	if (colons >= 2 && digits + hex + colons + dots == n)
		return "IP";
	if (n > 5 && strncmp(p, "IPv6:", 5) == 0)
		return "IP";
	if (digits > 0)
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

/* See the top of the file; returns the output length. */
size_t
reason_normalise(const char *in, size_t inlen, char *out, size_t outsz)
{
	const char	*p = in, *end = in + inlen, *w, *we, *c, *ce, *m;
	size_t		 len = 0, mark, cap;

	if (outsz == 0)
		return 0;
	cap = outsz - 1 < REASON_MAX ? outsz - 1 : REASON_MAX;
	while (p < end) {
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p >= end)
			break;
		for (w = p; p < end && *p != ' ' && *p != '\t'; p++)
			;
		we = p;
		for (c = w; c < we && lead_punct(*c); c++)
			;
		for (ce = we; ce > c && trail_punct(ce[-1]); ce--)
			;
		if (c < ce && is_code(c, ce - c))
			continue;
		mark = len;
		if (len > 0 && !put(out, &len, cap, " ", 1))
			break;
		m = c < ce ? mask(c, ce - c) : NULL;
		if (m == NULL) {
			if (!put(out, &len, cap, w, we - w)) {
				len = mark;
				break;
			}
		} else if (!put(out, &len, cap, w, c - w) ||
		    !put(out, &len, cap, m, strlen(m)) ||
		    !put(out, &len, cap, ce, we - ce)) {
			len = mark;
			break;
		}
	}
	out[len] = '\0';
	return len;
}
