/*
 * escape: a character of log text as a terminal may be given it.  See
 * escape.h.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <string.h>

#include "escape.h"

/* The length of the well-formed UTF-8 sequence at p, or 0. */
static size_t
utf8_len(const unsigned char *p, size_t n)
{
	unsigned char	lo = 0x80, hi = 0xbf;
	size_t		len, i;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		if (p[0] == 0xe0)
			lo = 0xa0;
		else if (p[0] == 0xed)
			hi = 0x9f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		if (p[0] == 0xf0)
			lo = 0x90;
		else if (p[0] == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

/* The code point of a well-formed sequence of k bytes. */
static unsigned
utf8_code(const unsigned char *p, size_t k)
{
	unsigned	c = p[0] & (k == 2 ? 0x1f : k == 3 ? 0x0f : 0x07);
	size_t		i;

	for (i = 1; i < k; i++)
		c = c << 6 | (p[i] & 0x3f);
	return c;
}

/* See escape.h. */
size_t
escape_char(const unsigned char *p, size_t n, int backslash, char *out)
{
	size_t		k;
	unsigned	c;

	if (*p == '\\' && backslash) {
		memcpy(out, "\\\\", 3);
		return 1;
	}
	if (*p < 0x20 || *p == 0x7f) {
		snprintf(out, ESCAPE_MAX, "\\x%02x", *p);
		return 1;
	}
	if (*p < 0x80) {
		out[0] = (char)*p;
		out[1] = '\0';
		return 1;
	}
	if ((k = utf8_len(p, n)) == 0) {
		snprintf(out, ESCAPE_MAX, "\\x%02x", *p);
		return 1;
	}
	c = utf8_code(p, k);
	if (c <= 0x9f || c == 0x61c || c == 0x200e || c == 0x200f ||
	    (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069))
		snprintf(out, ESCAPE_MAX, "\\u%04x", c);
	else {
		memcpy(out, p, k);
		out[k] = '\0';
	}
	return k;
}
