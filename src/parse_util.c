/*
 * parse_util: literals, reply codes, enhanced status codes, addresses and
 * domains, shared by parse_postfix.c and parse_exim.c.
 */
#include "config.h"

#include <string.h>

#include "parse.h"
#include "parse_util.h"

/* Letters and digits: queue ids and message ids are made of them. */
const unsigned char pu_alnum[256] = {
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1,
	['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
	['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
	['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1,
	['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1,
	['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
	['Y'] = 1, ['Z'] = 1,
	['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
	['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1,
	['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1,
	['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
	['y'] = 1, ['z'] = 1,
};

/* First occurrence of s in [p, end); a pointer to it, or NULL. */
const char *
pu_find(const char *p, const char *end, const char *s, size_t n)
{
	if (p == NULL || (size_t)(end - p) < n)
		return NULL;
	return memmem(p, end - p, s, n);
}

/* Up to max digits; the value, or -1 when there is none. */
static int
number(const char **pp, const char *end, int max)
{
	const char	*p = *pp;
	int		 v = 0, n = 0;

	while (p < end && *p >= '0' && *p <= '9' && n < max) {
		v = v * 10 + (*p++ - '0');
		n++;
	}
	if (n == 0 || (p < end && *p >= '0' && *p <= '9'))
		return -1;
	*pp = p;
	return v;
}

/*
 * RFC 3463 "class.subject.detail": class 2, 4 or 5, subject and detail of
 * one to three digits.  Copied into out (EVENT_ENHANCED_MAX + 1 bytes).
 */
const char *
pu_enhanced(const char *p, const char *end, char *out)
{
	const char	*s = p;

	if (p >= end || (*p != '2' && *p != '4' && *p != '5'))
		return NULL;
	p++;
	if (p >= end || *p++ != '.' || number(&p, end, 3) < 0)
		return NULL;
	if (p >= end || *p++ != '.' || number(&p, end, 3) < 0)
		return NULL;
	if (p < end && *p != ' ' && *p != ',' && *p != ';' && *p != ')' &&
	    *p != '"' && *p != ':')
		return NULL;
	memcpy(out, s, p - s);
	out[p - s] = '\0';
	return p;
}

/*
 * An SMTP reply "NNN[ -]" (or "NNN" at the end), optionally followed by an
 * enhanced code: "550 5.1.1 ...", "421-4.7.0 ...".  The first digit must be
 * 2 to 5 (RFC 5321 4.2).  On success *reply and enh are set and the return
 * points at the reply text after the codes.
 */
const char *
pu_reply(const char *p, const char *end, int *reply, char *enh)
{
	const char	*q;
	int		 v;

	if (end - p < 3 || p[0] < '2' || p[0] > '5' || p[1] < '0' ||
	    p[1] > '9' || p[2] < '0' || p[2] > '9')
		return NULL;
	v = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
	p += 3;
	if (p < end && *p != ' ' && *p != '-')
		return NULL;
	*reply = v;
	enh[0] = '\0';
	if (p < end)
		p++;
	if ((q = pu_enhanced(p, end, enh)) != NULL) {
		p = q;
		if (p < end && *p == ' ')
			p++;
	} else
		enh[0] = '\0';
	return p;
}

/*
 * The address inside "<...>" with p just after '<'.  A quoted local part
 * ("a b, status=sent"@x, with backslash escapes) may hold anything, '>'
 * included, so it is skipped as a whole.  *at is set to the '@' that
 * separates the domain, or NULL.  Returns a pointer to the closing '>'.
 */
const char *
pu_angle_addr(const char *p, const char *end, const char **at)
{
	const char	*close;

	*at = NULL;
	if (p < end && *p == '"') {
		for (p++; p < end && *p != '"'; p++)
			if (*p == '\\' && p + 1 < end)
				p++;
		if (p >= end)
			return NULL;
		p++;
	}
	if ((close = memchr(p, '>', end - p)) == NULL)
		return NULL;
	*at = memrchr(p, '@', close - p);
	return close;
}

/* Length of a valid UTF-8 sequence starting at p, or 0. */
size_t
pu_utf8_len(const unsigned char *p, const unsigned char *end)
{
	size_t	 n, i;

	if (*p < 0xc2 || *p > 0xf4)
		return 0;
	n = *p < 0xe0 ? 2 : *p < 0xf0 ? 3 : 4;
	if ((size_t)(end - p) < n)
		return 0;
	for (i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if ((*p == 0xe0 && p[1] < 0xa0) || (*p == 0xed && p[1] > 0x9f) ||
	    (*p == 0xf0 && p[1] < 0x90) || (*p == 0xf4 && p[1] > 0x8f))
		return 0;
	return n;
}

/*
 * The recipient domain [p, end), as the event keeps it: lower case, no
 * trailing dot, at most EVENT_DOMAIN_MAX bytes, letters, digits, '-', '_',
 * '.', an address literal's "[]:" or valid UTF-8 (SMTPUTF8).  Anything else
 * becomes EVENT_DOMAIN_INVALID; nothing at all becomes EVENT_DOMAIN_NONE.
 */
void
pu_domain(const char *p, const char *end, char *out)
{
	const unsigned char	*u = (const unsigned char *)p;
	const unsigned char	*ue = (const unsigned char *)end;
	size_t			 n = 0, l;

	if (ue > u && ue[-1] == '.')
		ue--;
	if (u >= ue) {
		strcpy(out, EVENT_DOMAIN_NONE);
		return;
	}
	if ((size_t)(ue - u) > EVENT_DOMAIN_MAX)
		goto invalid;
	while (u < ue) {
		if (*u >= 'A' && *u <= 'Z')
			out[n++] = *u++ - 'A' + 'a';
		else if ((*u >= 'a' && *u <= 'z') || (*u >= '0' && *u <= '9') ||
		    *u == '-' || *u == '.' || *u == '_' || *u == '[' ||
		    *u == ']' || *u == ':')
			out[n++] = *u++;
		else if (*u >= 0x80 && (l = pu_utf8_len(u, ue)) != 0) {
			memcpy(out + n, u, l);
			n += l;
			u += l;
		} else
			goto invalid;
	}
	out[n] = '\0';
	if (out[0] == '.' || strstr(out, "..") != NULL)
		goto invalid;
	return;
invalid:
	strcpy(out, EVENT_DOMAIN_INVALID);
}

/* An empty event: no reply, no codes, no domain, no text. */
void
pu_event_init(struct event *ev)
{
	ev->time = 0;
	ev->mta = MTA_UNKNOWN;
	ev->direction = DIR_OUT;
	ev->kind = KIND_ATTEMPT;
	ev->status = STATUS_SENT;
	ev->reply = 0;
	ev->enhanced[0] = '\0';
	memcpy(ev->domain, EVENT_DOMAIN_NONE, sizeof(EVENT_DOMAIN_NONE));
	ev->host[0] = '\0';
	ev->text = NULL;
	ev->textlen = 0;
	ev->hop = HOP_REMOTE;
	ev->relay = NULL;
	ev->relaylen = 0;
	ev->delay_ms = EVENT_DELAY_NONE;
	ev->stage_ms[0] = ev->stage_ms[1] = ev->stage_ms[2] = ev->stage_ms[3] =
	    EVENT_DELAY_NONE;
}

/* Is [p, end), the address of a next hop, on this host: a loopback
 * address (127.0.0.0/8, ::1, ::ffff:127.x) or a unix socket
 * ("private/amavis", "/run/x.sock")? */
int
pu_local_addr(const char *p, const char *end)
{
	size_t	 n = end - p;

	if (n == 0)
		return 0;
	/* most next hops are IPv4 addresses: one byte tells */
	if (*p >= '0' && *p <= '9')
		return n > 4 && p[0] == '1' && p[1] == '2' && p[2] == '7' &&
		    p[3] == '.';
	if (*p == ':')
		return (n == 3 && p[1] == ':' && p[2] == '1') ||
		    (n > 11 && memcmp(p, "::ffff:127.", 11) == 0);
	if (PU_LIT(p, end, "ipv6:") != NULL)	/* Postfix 2.x wrote it */
		return pu_local_addr(p + 5, end);
	return memchr(p, '/', n) != NULL;	/* a unix socket */
}

/* Is the next hop NAME [ADDR]:PORT (addr and port NULL when not given)
 * one of the filter relays the operator named (parse_hops)? */
int
pu_named_filter(const struct parse_ctx *ctx, const char *name,
    const char *nend, const char *addr, const char *aend, const char *port,
    const char *pend)
{
	const struct parse_hops	*h = ctx != NULL ? ctx->hops : NULL;
	size_t			 i;

	if (h == NULL)
		return 0;
	for (i = 0; i < h->n; i++) {
		if (!pu_slice_is(name, nend, h->relay[i].host) &&
		    (addr == NULL || !pu_slice_is(addr, aend,
		    h->relay[i].host)))
			continue;
		if (h->relay[i].port[0] != '\0' && (port == NULL ||
		    !pu_slice_is(port, pend, h->relay[i].port)))
			continue;
		return 1;
	}
	return 0;
}

/* A delay cap: a year in milliseconds.  A longer value is not a delay a
 * queue lifetime allows, so the scanners below refuse it rather than let
 * digits overflow. */
#define PU_DELAY_MAX	(INT64_C(366) * 86400 * 1000)

/* Seconds with an optional fraction, as Postfix writes delay= and each
 * part of delays= ("1", "0.08", "3.2"): milliseconds in *ms, digits past
 * the third decimal dropped. */
const char *
pu_seconds_ms(const char *p, const char *end, int64_t *ms)
{
	int64_t	 s = 0, f = 0;
	int	 nd = 0, scale = 1000;

	for (; p < end && *p >= '0' && *p <= '9'; p++, nd++) {
		s = s * 10 + (*p - '0');
		if (s > PU_DELAY_MAX / 1000)
			return NULL;
	}
	if (p < end && *p == '.') {
		for (p++; p < end && *p >= '0' && *p <= '9'; p++, nd++)
			if (scale > 1) {
				scale /= 10;
				f += (*p - '0') * scale;
			}
	}
	if (nd == 0)
		return NULL;
	*ms = s * 1000 + f;
	return p;
}

/* Exim's readconf_printtime() form of QT= and DT=: [Nw][Nd][Nh][Nm][Ns],
 * the seconds with a fraction when log_selector has +millisec ("1.234s"),
 * "0s" for none.  Milliseconds in *ms. */
const char *
pu_exim_time_ms(const char *p, const char *end, int64_t *ms)
{
	static const char	 units[] = "wdhms";
	static const int64_t	 unit_ms[] = { 604800000, 86400000, 3600000,
				    60000, 1000 };
	const char		*q, *u;
	int64_t			 total = 0, v;
	size_t			 last = 0;

	if (p == end)
		return NULL;
	while (p < end) {
		if ((q = pu_seconds_ms(p, end, &v)) == NULL || q == end ||
		    (u = strchr(units, *q)) == NULL || *q == '\0')
			return NULL;
		/* units in order, each once; a fraction on seconds only */
		if ((size_t)(u - units) < last ||
		    (*u != 's' && v % 1000 != 0))
			return NULL;
		last = u - units + 1;
		if (v / 1000 > PU_DELAY_MAX / unit_ms[u - units])
			return NULL;
		total += v / 1000 * unit_ms[u - units] + (*u == 's' ?
		    v % 1000 : 0);
		if (total > PU_DELAY_MAX)
			return NULL;
		p = q + 1;
	}
	*ms = total;
	return p;
}
