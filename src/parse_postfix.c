/*
 * parse_postfix: the message part of a Postfix log line.
 *
 * Deliveries ("QUEUEID: to=<...>, ..., status=word (text)"), smtpd and
 * cleanup rejections ("NOQUEUE: reject: RCPT from ...: 554 5.7.1 ...;
 * from=<...> to=<...>") and queue expiry ("QUEUEID: from=<...>,
 * status=expired, returned to sender").  Fields are read in the order
 * Postfix writes them; text written by strangers (addresses, reply texts,
 * HELO names) is stepped over, never searched for keywords, so it cannot
 * change what is counted.
 */
#include "config.h"

#include <string.h>

#include "parse.h"
#include "parse_util.h"

#define MAX_FIELDS	12	/* relay, conn_use, delay, delays, dsn, ... */

/* A queue id (short hex or long base-52 form) followed by ": ". */
static const char *
queue_id(const char *p, const char *end)
{
	const char	*s = p;

	while (p < end && pu_alnum[(unsigned char)*p])
		p++;
	if (p - s < 5 || p - s > 20 || end - p < 2 || p[0] != ':' ||
	    p[1] != ' ')
		return NULL;
	return p + 2;
}

/*
 * "to=<addr>" at p (p after "to=<"): the recipient's domain into ev.
 * Returns the byte after '>' or NULL.
 */
static const char *
recipient(const char *p, const char *end, struct event *ev)
{
	const char	*close, *at;

	if ((close = pu_angle_addr(p, end, &at)) == NULL)
		return NULL;
	if (at != NULL)
		pu_domain(at + 1, close, ev->domain);
	else
		strcpy(ev->domain, EVENT_DOMAIN_NONE);
	return close + 1;
}

/*
 * delay=S and delays=A/B/C/D (Postfix 2.3 and later): the whole delay
 * and its parts (before the queue manager, in the queue, connection
 * set-up, transmission) in milliseconds.  A value that does not scan
 * leaves that delay unknown; the line is still an event.
 */
static void
delay_field(const char *p, const char *end, struct event *ev)
{
	int64_t		 ms[4];
	const char	*q;
	int		 i;

	if ((q = PU_LIT(p, end, "delays=")) != NULL) {
		for (i = 0; i < 4; i++) {
			if ((q = pu_seconds_ms(q, end, &ms[i])) == NULL)
				return;
			if (i < 3 && (q == end || *q++ != '/'))
				return;
		}
		if (q != end)
			return;
		for (i = 0; i < 4; i++)
			ev->stage_ms[i] = (int32_t)(ms[i] > INT32_MAX ?
			    INT32_MAX : ms[i]);
	} else if ((q = PU_LIT(p, end, "delay=")) != NULL &&
	    (q = pu_seconds_ms(q, end, &ms[0])) == end)
		ev->delay_ms = ms[0];
}

/* The reply inside a delivery's "(text)"; sets reply, enhanced, text. */
static void
delivery_text(const char *p, const char *end, struct event *ev)
{
	const char	*q, *r;
	int		 reply;
	char		 enh[EVENT_ENHANCED_MAX + 1];

	ev->text = p;
	ev->textlen = end - p;
	/* "250 2.0.0 Ok: queued as ..." (smtp, lmtp) */
	if ((q = pu_reply(p, end, &reply, enh)) != NULL)
		goto said;
	/* "host NAME said: 550 ..." / "host NAME refused to talk to me: 554" */
	if ((q = PU_LIT(p, end, "host ")) == NULL)
		return;
	while (q < end && *q != ' ')
		q++;
	if ((r = PU_LIT(q, end, " said: ")) == NULL &&
	    (r = PU_LIT(q, end, " refused to talk to me: ")) == NULL)
		return;
	if ((q = pu_reply(r, end, &reply, enh)) == NULL)
		return;
	p = r;
said:
	ev->reply = reply;
	if (enh[0] != '\0')
		strcpy(ev->enhanced, enh);
	ev->text = p;
	ev->textlen = end - p;
}

/* Map a status word; -1 when unknown. */
static int
status_word(const char *p, size_t n, struct event *ev)
{
	static const struct {
		const char	*word;
		enum status	 status;
		enum kind	 kind;
	} words[] = {
		{ "sent", STATUS_SENT, KIND_ATTEMPT },
		{ "deferred", STATUS_DEFERRED, KIND_ATTEMPT },
		{ "bounced", STATUS_BOUNCED, KIND_ATTEMPT },
		{ "expired", STATUS_EXPIRED, KIND_FINAL },
		{ "deliverable", STATUS_DELIVERABLE, KIND_VERIFY },
		{ "undeliverable", STATUS_UNDELIVERABLE, KIND_VERIFY },
		/* sendmail -bv probe whose result is not cached */
		{ "undeliverable-but-not-cached", STATUS_UNDELIVERABLE,
		    KIND_VERIFY },
		{ "deliverable-but-not-cached", STATUS_DELIVERABLE,
		    KIND_VERIFY },
	};
	size_t	 i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strlen(words[i].word) == n &&
		    memcmp(words[i].word, p, n) == 0) {
			ev->status = words[i].status;
			ev->kind = words[i].kind;
			return 0;
		}
	return -1;
}

/*
 * Where the delivery went (event.h's hop), from the program (service) and
 * the relay: "name[addr]:port", "local", "virtual", a pipe transport's name.
 * A relay the operator named, and SMTP to this host, are content filters;
 * LMTP to this host (Dovecot) and local, virtual and pipe are mailboxes;
 * postfix/discard throws the mail away.
 */
static void
delivery_hop(const struct parse_ctx *ctx, const char *svc, size_t svclen,
    const char *r, const char *rend, struct event *ev)
{
	const struct parse_hops	*h = ctx != NULL ? ctx->hops : NULL;
	const char		*name = r, *nend, *addr = NULL, *aend = NULL;
	const char		*port = NULL;

	if (svclen == 7 && memcmp(svc, "discard", 7) == 0) {
		ev->hop = HOP_DISCARD;
		return;
	}
	if ((svclen == 5 && (memcmp(svc, "local", 5) == 0)) ||
	    (svclen == 7 && memcmp(svc, "virtual", 7) == 0) ||
	    (svclen == 4 && memcmp(svc, "pipe", 4) == 0))
		ev->hop = HOP_MAILBOX;
	if (r == NULL)
		return;
	if ((nend = memchr(r, '[', rend - r)) != NULL) {
		addr = nend + 1;
		if ((aend = memchr(addr, ']', rend - addr)) == NULL)
			return;
		if (aend + 1 < rend && aend[1] == ':')
			port = aend + 2;
	} else {
		nend = rend;
		if (svc == NULL && (pu_slice_is(r, rend, "local") ||
		    pu_slice_is(r, rend, "virtual")))
			ev->hop = HOP_MAILBOX;	/* no program name given */
	}
	if (h != NULL && h->n > 0 &&
	    pu_named_filter(ctx, name, nend, addr, aend, port, rend)) {
		ev->hop = HOP_FILTER;
		return;
	}
	if (addr == NULL || !pu_local_addr(addr, aend))
		return;
	if (svclen == 4 && memcmp(svc, "lmtp", 4) == 0)
		ev->hop = HOP_MAILBOX;
	else if (h == NULL || h->loopback)
		ev->hop = HOP_FILTER;
}

/*
 * "to=<...>, [orig_to=<...>, ]relay=..., ..., dsn=X.Y.Z, status=word
 * (text)", p after "to=<".
 */
static enum parse_result
delivery(const struct parse_ctx *ctx, const char *svc, size_t svclen,
    const char *p, const char *end, struct event *ev)
{
	const char	*q, *word, *at, *r, *relay = NULL, *relayend = NULL;
	char		 dsn[EVENT_ENHANCED_MAX + 1];
	int		 i;

	dsn[0] = '\0';
	if (p[-1] == '<')
		p = recipient(p, end, ev);
	else {
		/* Bare "to=addr," as some edited vectors show. */
		for (q = p, at = NULL; q < end && *q != ',' && *q != ' '; q++)
			if (*q == '@')
				at = q;
		if (at != NULL)
			pu_domain(at + 1, q, ev->domain);
		p = q;
	}
	if (p == NULL)
		return PARSE_UNRECOGNISED;
	for (i = 0; i < MAX_FIELDS; i++) {
		if ((p = PU_LIT(p, end, ", ")) == NULL)
			return PARSE_UNRECOGNISED;
		if ((q = PU_LIT(p, end, "status=")) != NULL)
			break;
		if ((q = PU_LIT(p, end, "orig_to=<")) != NULL) {
			if ((p = pu_angle_addr(q, end, &at)) == NULL)
				return PARSE_UNRECOGNISED;
			p++;
			continue;
		}
		if ((q = PU_LIT(p, end, "dsn=")) != NULL &&
		    pu_enhanced(q, end, dsn) == NULL)
			dsn[0] = '\0';
		/* relay=, delay=, delays=, conn_use=: values without ", " */
		if ((q = memchr(p, ',', end - p)) == NULL)
			return PARSE_UNRECOGNISED;
		if (relay == NULL && *p == 'r' &&
		    (r = PU_LIT(p, q, "relay=")) != NULL) {
			relay = r;
			relayend = q;
		} else if (*p == 'd')
			delay_field(p, q, ev);
		p = q;
	}
	if (i == MAX_FIELDS)
		return PARSE_UNRECOGNISED;

	for (word = q; q < end && ((*q >= 'a' && *q <= 'z') || *q == '-');)
		q++;
	if (status_word(word, q - word, ev) == -1)
		return PARSE_UNRECOGNISED;
	strcpy(ev->enhanced, dsn);
	if (relay != NULL && !pu_slice_is(relay, relayend, "none")) {
		ev->relay = relay;
		ev->relaylen = relayend - relay;
	}
	if (ev->kind != KIND_VERIFY)
		delivery_hop(ctx, svc, svclen, relay, relayend, ev);
	if ((p = PU_LIT(q, end, " (")) != NULL) {
		q = end;
		if (q > p && q[-1] == ')')
			q--;
		if (ev->status == STATUS_DEFERRED &&
		    PU_LIT(p, q, "delivery temporarily suspended: ") != NULL) {
			/* A replay of an earlier failure: no attempt made. */
			ev->kind = KIND_SKIP;
			ev->text = p;
			ev->textlen = q - p;
		} else
			delivery_text(p, q, ev);
	} else if (q != end && PU_LIT(q, end, ",") == NULL)
		return PARSE_UNRECOGNISED;
	return PARSE_EVENT;
}

/*
 * Step over text that may contain Postfix-quoted addresses ("<"...">")
 * looking for lit; a quoted local part is skipped whole so that what a
 * stranger put in it cannot look like a field.
 */
static const char *
find_outside_quotes(const char *p, const char *end, const char *lit,
    size_t n)
{
	for (; p < end; p++) {
		if (*p == '<' && p + 1 < end && p[1] == '"') {
			for (p += 2; p < end && *p != '"'; p++)
				if (*p == '\\' && p + 1 < end)
					p++;
			if (p >= end)
				return NULL;
			continue;
		}
		if ((size_t)(end - p) >= n && memcmp(p, lit, n) == 0)
			return p;
	}
	return NULL;
}

/* "; from=<...>[,] to=<...>" after a reply: the recipient's domain. */
static void
reject_recipient(const char *p, const char *end, struct event *ev)
{
	const char	*q, *at;

	while ((p = find_outside_quotes(p, end, "; from=<", 8)) != NULL) {
		q = pu_angle_addr(p + 8, end, &at);
		if (q == NULL)
			return;
		q++;
		if (q < end && *q == ',')
			q++;
		if ((q = PU_LIT(q, end, " to=<")) != NULL &&
		    recipient(q, end, ev) != NULL)
			return;
		p += 8;
	}
}

/*
 * "reject: STAGE from CLIENT: 554 5.7.1 text; from=<> to=<> proto=..."
 * (smtpd, postscreen, milter) or cleanup's "reject: header NAME: VALUE from
 * CLIENT; from=<> to=<> proto=... helo=<...>: 5.7.1 text".
 */
static enum parse_result
reject(const char *p, const char *end, struct event *ev)
{
	const char	*q, *r;
	char		 enh[EVENT_ENHANCED_MAX + 1];
	int		 reply = 0;

	ev->direction = DIR_IN;
	ev->kind = KIND_ATTEMPT;
	ev->status = STATUS_REJECTED;

	if (PU_LIT(p, end, "header ") != NULL ||
	    PU_LIT(p, end, "body ") != NULL) {
		/* The reply follows the last "helo=<...>: " or "proto=X: ". */
		for (q = end - 2; q > p; q--) {
			if (q[0] != ':' || q[1] != ' ')
				continue;
			if (pu_reply(q + 2, end, &reply, enh) != NULL)
				break;
			reply = 0;
			if (pu_enhanced(q + 2, end, enh) != NULL)
				break;
		}
		if (q <= p)
			return PARSE_UNRECOGNISED;
		ev->reply = reply;
		strcpy(ev->enhanced, enh);
		ev->text = q + 2;
		ev->textlen = end - (q + 2);
		reject_recipient(p, q, ev);
		return PARSE_EVENT;
	}

	/* STAGE from CLIENT: */
	for (q = p; q < end && *q >= 'A' && *q <= 'Z'; q++)
		;
	while (q < end && ((*q >= 'A' && *q <= 'Z') || *q == '-'))
		q++;
	if (q == p || (q = PU_LIT(q, end, " from ")) == NULL)
		return PARSE_UNRECOGNISED;
	/* client: "name[addr]" or postscreen "[addr]:port" */
	while (q < end && *q != ' ' && !(q[0] == ':' && q + 1 < end &&
	    q[1] == ' '))
		q++;
	if ((q = PU_LIT(q, end, ": ")) == NULL)
		return PARSE_UNRECOGNISED;
	ev->text = q;
	ev->textlen = end - q;
	/* the reply ends where Postfix's own "; from=<...>" fields begin */
	if ((r = find_outside_quotes(q, end, "; from=<", 8)) != NULL ||
	    (r = find_outside_quotes(q, end, "; proto=", 8)) != NULL)
		ev->textlen = r - q;
	if ((r = pu_reply(q, end, &reply, enh)) != NULL) {
		ev->reply = reply;
		strcpy(ev->enhanced, enh);
	} else if (pu_enhanced(q, end, enh) != NULL)
		strcpy(ev->enhanced, enh);	/* milter: enhanced code only */
	reject_recipient(q, end, ev);
	return PARSE_EVENT;
}

/* See the top of the file. */
enum parse_result
parse_postfix(const struct parse_ctx *ctx, const char *tag, size_t taglen,
    const char *p, const char *end, struct event *ev)
{
	const char	*q, *svc = NULL;
	size_t		 svclen = 0;

	ev->mta = MTA_POSTFIX;
	if ((q = PU_LIT(p, end, "NOQUEUE: ")) == NULL &&
	    (q = queue_id(p, end)) == NULL)
		return PARSE_IGNORED;	/* connect from, warning:, ... */
	p = q;
	if ((q = PU_LIT(p, end, "to=<")) != NULL ||
	    ((q = PU_LIT(p, end, "to=")) != NULL && q < end && *q != ' ')) {
		/* the program: "postfix/smtp", "postfix-out/lmtp" */
		if (tag != NULL) {
			for (svc = tag + taglen; svc > tag && svc[-1] != '/';)
				svc--;
			svclen = tag + taglen - svc;
		}
		return delivery(ctx, svc, svclen, q, end, ev);
	}
	if ((q = PU_LIT(p, end, "reject: ")) != NULL ||
	    (q = PU_LIT(p, end, "milter-reject: ")) != NULL)
		return reject(q, end, ev);
	if ((q = PU_LIT(p, end, "from=<")) != NULL) {
		/* qmgr: "from=<sender>, status=expired, returned to sender" */
		const char	*at;

		if ((q = pu_angle_addr(q, end, &at)) == NULL)
			return PARSE_UNRECOGNISED;
		if ((q = PU_LIT(q + 1, end, ", status=expired")) == NULL)
			return PARSE_IGNORED;	/* size=, nrcpt= */
		ev->kind = KIND_FINAL;
		ev->status = STATUS_EXPIRED;
		if ((q = PU_LIT(q, end, ", ")) != NULL) {
			ev->text = q;
			ev->textlen = end - q;
		}
		return PARSE_EVENT;
	}
	return PARSE_IGNORED;	/* client=, message-id=, removed, ... */
}
