/*
 * check_tally: keys, sums, the bound on distinct keys, clearing, reasons.
 *
 * Events are built by hand here (no parser); expected counts come from the
 * test's own arithmetic.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "parse.h"
#include "tally.h"

/* A sent attempt to dom at time t; the other fields fixed. */
static void
ev_make(struct event *ev, int64_t t, const char *dom, int reply,
    const char *enh, const char *text)
{
	memset(ev, 0, sizeof(*ev));
	ev->time = t;
	ev->mta = MTA_POSTFIX;
	ev->direction = DIR_OUT;
	ev->kind = KIND_ATTEMPT;
	ev->status = reply / 100 == 2 ? STATUS_SENT : reply / 100 == 4 ?
	    STATUS_DEFERRED : STATUS_BOUNCED;
	ev->reply = reply;
	snprintf(ev->enhanced, sizeof(ev->enhanced), "%s", enh);
	snprintf(ev->domain, sizeof(ev->domain), "%s", dom);
	snprintf(ev->host, sizeof(ev->host), "mx1");
	ev->text = text;
	ev->textlen = text != NULL ? strlen(text) : 0;
	/* as the parser gives a line without delays */
	ev->delay_ms = EVENT_DELAY_NONE;
	ev->stage_ms[0] = ev->stage_ms[1] = ev->stage_ms[2] =
	    ev->stage_ms[3] = EVENT_DELAY_NONE;
}

/* Sum of all counts for a domain (any hour, any key). */
static uint64_t
sum_domain(const struct tally *t, const char *dom)
{
	struct tally_count	c;
	size_t			it = 0;
	uint64_t		n = 0;

	while (tally_next_count(t, &it, &c))
		if (strcmp(c.domain, dom) == 0)
			n += c.n;
	return n;
}

/* Table: (time, domain, reply) added in order; then expected keys. */
static const struct {
	int64_t		 t;
	const char	*dom;
	int		 reply;
} adds[] = {
	{ 7200, "a.example", 250 },
	{ 7201, "a.example", 250 },	/* same hour: same key */
	{ 10799, "a.example", 250 },	/* still hour 7200 */
	{ 10800, "a.example", 250 },	/* next hour: new key */
	{ 7200, "b.example", 250 },	/* other domain: new key */
	{ 7200, "a.example", 451 },	/* other code: new key */
};

START_TEST(test_keys)
{
	struct tally		*t = tally_new(1000);
	struct tally_count	 c;
	struct tally_lines	 l;
	struct event		 ev;
	size_t			 i, it = 0, nkeys = 0;
	uint64_t		 h7200 = 0, lines = 0;

	ck_assert_ptr_nonnull(t);
	for (i = 0; i < sizeof(adds) / sizeof(*adds); i++) {
		ev_make(&ev, adds[i].t, adds[i].dom, adds[i].reply, "", NULL);
		ck_assert_int_eq(tally_add(t, &ev, 1), TALLY_OK);
	}
	while (tally_next_count(t, &it, &c)) {
		nkeys++;
		ck_assert_int_eq(c.hour % 3600, 0);
		if (c.hour == 7200 && strcmp(c.domain, "a.example") == 0 &&
		    c.reply == 250) {
			h7200 = c.n;
			ck_assert_str_eq(c.host, "mx1");
			ck_assert_int_eq(c.mta, MTA_POSTFIX);
			ck_assert_int_eq(c.status, STATUS_SENT);
		}
	}
	ck_assert_uint_eq(nkeys, 4);
	ck_assert_uint_eq(h7200, 3);
	ck_assert_uint_eq(sum_domain(t, "a.example"), 5);
	ck_assert_uint_eq(tally_events(t), 6);
	for (it = 0; tally_next_lines(t, &it, &l);) {
		ck_assert_int_eq(l.result, TALLY_LINE_EVENT);
		ck_assert_int_eq(l.source, 1);
		lines += l.n;
	}
	ck_assert_uint_eq(lines, 6);
	tally_free(t);
}
END_TEST

START_TEST(test_bound)
{
	struct tally	*t = tally_new(16);
	struct event	 ev;
	char		 dom[32];
	size_t		 before;
	int		 i, r = TALLY_OK, added = 0;

	/* Each new domain in the same hour is one count key; the line key
	 * (hour, file, event) is shared.  So 1 + n keys after n domains. */
	for (i = 0; i < 100 && r == TALLY_OK; i++) {
		snprintf(dom, sizeof(dom), "d%d.example", i);
		ev_make(&ev, 3600, dom, 250, "", NULL);
		before = tally_keys(t);
		r = tally_add(t, &ev, 1);
		if (r == TALLY_OK)
			added++;
	}
	ck_assert_int_eq(r, TALLY_FULL);
	/* Full is refused before 16 is passed, and changes nothing. */
	ck_assert_uint_le(tally_keys(t), 16);
	ck_assert_uint_eq(tally_keys(t), before);
	ck_assert_uint_eq(tally_events(t), (uint64_t)added);
	/* An existing key is also refused when a new one might not fit
	 * (an add may need a count and a line key): the caller commits and
	 * retries, nothing is dropped or counted twice. */
	snprintf(dom, sizeof(dom), "d0.example");
	ev_make(&ev, 3600, dom, 250, "", NULL);
	before = tally_keys(t);
	ck_assert_int_eq(tally_add(t, &ev, 1), TALLY_FULL);
	ck_assert_uint_eq(sum_domain(t, dom), 1);
	ck_assert_uint_eq(tally_keys(t), before);
	tally_clear(t);
	ck_assert_uint_eq(tally_keys(t), 0);
	ck_assert_int_eq(tally_add(t, &ev, 1), TALLY_OK);
	ck_assert_uint_eq(sum_domain(t, dom), 1);
	tally_free(t);
}
END_TEST

START_TEST(test_clear)
{
	struct tally	*t = tally_new(0);
	struct event	 ev;
	size_t		 it = 0;
	struct tally_count c;
	int		 i;

	for (i = 0; i < 5000; i++) {
		char dom[32];
		snprintf(dom, sizeof(dom), "x%d.example", i % 700);
		ev_make(&ev, 3600 * (i % 3), dom, 250, "2.0.0", NULL);
		ck_assert_int_eq(tally_add(t, &ev, 2), TALLY_OK);
	}
	/* 700 domains x 3 hours, but i%700 and i%3 pair up as i%2100. */
	ck_assert_uint_eq(tally_keys(t), 2100 + 3);
	tally_clear(t);
	ck_assert_uint_eq(tally_keys(t), 0);
	ck_assert_uint_eq(tally_events(t), 0);
	ck_assert_int_eq(tally_next_count(t, &it, &c), 0);
	ev_make(&ev, 0, "again.example", 250, "", NULL);
	ck_assert_int_eq(tally_add(t, &ev, 2), TALLY_OK);
	ck_assert_uint_eq(sum_domain(t, "again.example"), 1);
	tally_free(t);
}
END_TEST

/* Which events carry a reason: class 4 or 5 with a text.  The reason is
 * part of the count's key, normalised (reason.c masks the numbers). */
static const struct {
	int		 reply;
	const char	*text;
	const char	*want;
} reasons[] = {
	{ 250, "250 2.0.0 Ok: queued", "" },
	{ 450, "4.2.0 mailbox busy", "mailbox busy" },
	{ 550, "5.1.1 user unknown", "user unknown" },
	{ 550, NULL, "" },
};

START_TEST(test_reason)
{
	struct tally		*t = tally_new(100);
	struct tally_count	 c;
	struct event		 ev;
	size_t			 it = 0, n = 0;

	ev_make(&ev, 90000, "r.example", reasons[_i].reply, "",
	    reasons[_i].text);
	ck_assert_int_eq(tally_add(t, &ev, 1), TALLY_OK);
	ck_assert_int_eq(tally_add(t, &ev, 1), TALLY_OK);
	while (tally_next_count(t, &it, &c)) {
		n++;
		ck_assert_int_eq(c.hour, 90000);	/* 25 h, an hour start */
		ck_assert_uint_eq(c.n, 2);
		ck_assert_str_eq(c.domain, "r.example");
		ck_assert_str_eq(c.reason, reasons[_i].want);
	}
	ck_assert_uint_eq(n, 1);
	tally_free(t);
}
END_TEST

/* The hop is part of the key; the next hop's name is not, and the first
 * one seen is kept. */
START_TEST(test_hop_relay)
{
	struct tally		*t = tally_new(100);
	struct tally_count	 c;
	struct event		 ev;
	size_t			 it = 0, n = 0;
	static const char	 r1[] = "aspmx.l.google.com[1.2.3.4]:25";

	ev_make(&ev, 3600, "h.example", 250, "", NULL);
	ev.relay = r1;
	ev.relaylen = 18;		/* "aspmx.l.google.com" */
	ck_assert_int_eq(tally_add(t, &ev, 1), TALLY_OK);
	ev.relay = "other.example";
	ev.relaylen = 13;
	ck_assert_int_eq(tally_add(t, &ev, 1), TALLY_OK);
	ev.hop = HOP_FILTER;
	ck_assert_int_eq(tally_add(t, &ev, 1), TALLY_OK);
	while (tally_next_count(t, &it, &c)) {
		n++;
		if (c.hop == HOP_REMOTE) {
			ck_assert_uint_eq(c.n, 2);
			ck_assert_str_eq(c.relay, "aspmx.l.google.com");
		} else {
			ck_assert_int_eq(c.hop, HOP_FILTER);
			ck_assert_uint_eq(c.n, 1);
			ck_assert_str_eq(c.relay, "other.example");
		}
	}
	ck_assert_uint_eq(n, 2);
	tally_free(t);
}
END_TEST

START_TEST(test_lines)
{
	struct tally		*t = tally_new(200);
	struct tally_lines	 l;
	size_t			 it = 0;
	uint64_t		 n[5] = { 0 };

	uint64_t		 other = 0;
	int			 i;

	ck_assert_int_eq(tally_add_line(t, 3601, 7, TALLY_LINE_LONG), 0);
	ck_assert_int_eq(tally_add_line(t, 7199, 7, TALLY_LINE_LONG), 0);
	ck_assert_int_eq(tally_add_line(t, 3600, 7, TALLY_LINE_FOREIGN), 0);
	/* The remembered last key must not swallow another hour, source
	 * or result, also when the table grows in between. */
	for (i = 0; i < 3000; i++) {
		ck_assert_int_eq(tally_add_line(t, 3600, 7,
		    TALLY_LINE_FOREIGN), 0);
		ck_assert_int_eq(tally_add_line(t, 7200 + 3600 * (i % 50), 8,
		    TALLY_LINE_IGNORED), 0);
	}
	while (tally_next_lines(t, &it, &l)) {
		if (l.source == 8) {
			ck_assert_int_eq(l.result, TALLY_LINE_IGNORED);
			ck_assert_uint_eq(l.n, 60);
			other += l.n;
			continue;
		}
		ck_assert_int_eq(l.hour, 3600);
		n[l.result] += l.n;
	}
	ck_assert_uint_eq(other, 3000);
	ck_assert_uint_eq(n[TALLY_LINE_LONG], 2);
	ck_assert_uint_eq(n[TALLY_LINE_FOREIGN], 3001);
	ck_assert_str_eq(tally_line_name(TALLY_LINE_UNRECOGNISED),
	    "unrecognised");
	tally_free(t);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("tally");
	TCase	*tc = tcase_create("tally");
	SRunner	*sr;
	int	 failed;

	tcase_add_test(tc, test_keys);
	tcase_add_test(tc, test_bound);
	tcase_add_test(tc, test_clear);
	tcase_add_loop_test(tc, test_reason, 0,
	    sizeof(reasons) / sizeof(*reasons));
	tcase_add_test(tc, test_hop_relay);
	tcase_add_test(tc, test_lines);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
