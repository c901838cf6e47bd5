/*
 * check_reason: reply texts made fit to count.  Each case says where its
 * input comes from; the expected output is written by hand from the rule
 * at the top of src/reason.c (mask what varies, keep what identifies the
 * problem: the MX host, the blocklist, the help URL, provider codes).
 * The older cases in check_parse.c still hold.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "reason.h"

static const struct {
	const char	*in;
	const char	*want;
	const char	*source;
} cases[] = {
	/* trial-ux D26: the MX host stays, its address goes; no stray "]" */
	{ "connect to mivorros-nl.mail.protection.outlook.com[192.0.2.251]:25: "
	  "Connection refused",
	  "connect to mivorros-nl.mail.protection.outlook.com[IP]:25: "
	  "Connection refused", "trial D26, Postfix smtp_connect.c" },
	{ "conversation with mx.example.com[192.0.2.5] timed out while "
	  "sending end of data -- message may be sent more than once",
	  "conversation with mx.example.com[IP] timed out while sending end "
	  "of data -- message may be sent more than once", "trial D26" },
	{ "delivery temporarily suspended: host mx.example.com[192.0.2.5] "
	  "said: 451 4.7.0 try later",
	  "delivery temporarily suspended: host mx.example.com[IP] said: try "
	  "later", "trial D26, Postfix qmgr" },
	{ "connect to tecadmin.net[172.67.134.5]:25: Connection timed out",
	  "connect to tecadmin.net[IP]:25: Connection timed out",
	  "corpus:postfix/infohtreasure-postfix-maillog-dump.log:1233" },
	/* D26: every HELO name masked alike */
	{ "504 5.5.2 <vozskyfuvf>: Helo command rejected: need fully-qualified "
	  "hostname", "<HOST>: Helo command rejected: need fully-qualified "
	  "hostname", "corpus:postfix/pixelpark-postfix-logsums.log" },
	{ "504 5.5.2 <WIN-9QL4SDRB93L>: Helo command rejected: need "
	  "fully-qualified hostname", "<HOST>: Helo command rejected: need "
	  "fully-qualified hostname", "corpus:postfix/crowdsec-hub-postfix.log:3" },
	{ "550 5.5.3 <DATA>: Data command rejected: Multi-recipient bounce",
	  "<DATA>: Data command rejected: Multi-recipient bounce",
	  "corpus:postfix/fail2ban-postfix.log:18" },
	/* D26: Gmail's help URL is kept */
	{ "421-4.7.28 Gmail has detected an unusual rate of mail. For more "
	  "information, go to 421 4.7.28 "
	  "https://support.google.com/mail/?p=UnsolicitedRateLimitError "
	  "d2e1a72fcca58-7a3d9ed4b0asi123456b3a.99 - gsmtp",
	  "Gmail has detected an unusual rate of mail. For more information, "
	  "go to https://support.google.com/mail/?p=UnsolicitedRateLimitError "
	  "ID - gsmtp", "Google support.google.com/a/answer/3726730" },
	{ "550 5.7.1 see https://support.google.com/mail/answer/188131 for "
	  "more", "see https://support.google.com/mail/answer/188131 for more",
	  "Google" },
	/* D2: blocklist names stay whole, even with digits */
	{ "554 5.7.1 Service unavailable; Client host [192.0.2.25] blocked "
	  "using dnsbl-1.uceprotect.net",
	  "Service unavailable; Client host [IP] blocked using "
	  "dnsbl-1.uceprotect.net", "Postfix reject_rbl_client" },
	{ "550 5.7.1 Service unavailable; client [192.0.2.40] blocked using "
	  "zen.spamhaus.org", "Service unavailable; client [IP] blocked using "
	  "zen.spamhaus.org", "corpus:postfix/pixelpark-postfix-logsums.log:160" },
	/* a URL's query keeps its key, loses the address */
	{ "554 5.7.1 blocked; http://www.spamhaus.org/query/bl?ip=192.0.2.25",
	  "blocked; http://www.spamhaus.org/query/bl?ip=IP", "Spamhaus" },
	{ "554 5.7.1 see https://www.example.com/query/ip/192.0.2.182",
	  "see https://www.example.com/query/ip/IP",
	  "corpus:postfix/fail2ban-postfix.log:33" },
	/* provider codes kept: Yahoo, Microsoft, Apple */
	{ "421 4.7.0 [TSS04] Messages from 192.0.2.25 temporarily deferred",
	  "[TSS04] Messages from IP temporarily deferred", "Yahoo" },
	{ "550 5.7.1 on our block list (S3140). [DB5EUR03FT029.eop-EUR03.prod."
	  "protection.outlook.com]", "on our block list (S3140). "
	  "[ID.eop-EUR03.prod.protection.outlook.com]",
	  "corpus:postfix/lightmeter-controlcenter-scenarios.log:49" },
	{ "554 5.7.1 [HM08] Message rejected", "[HM08] Message rejected",
	  "Apple HT204137" },
	/* audit 5.6: a number that is not a code is not dropped */
	{ "552 5.3.4 message exceeds 500 bytes", "message exceeds N bytes",
	  "audit 5.6" },
	/* ... but a continuation line's code is, with or without an
	 * enhanced code, and the first line's code again */
	{ "451-You have been greylisted. 451-and your mail system should try "
	  "again later. We will accept 451 this mail in 42 seconds",
	  "You have been greylisted. and your mail system should try again "
	  "later. We will accept this mail in N seconds",
	  "corpus:postfix/lightmeter-controlcenter-scenarios.log:290" },
	/* Exim writes the lines of a multi-line reply with "\n" between */
	{ "550-First line\\n550 Second line", "First line Second line",
	  "Exim deliver.c string_printing of multi-line replies" },
	/* audit 5.6: ip:port, IPv6: prefix, hex-only ids */
	{ "450 host 192.0.2.1:2525 said no", "host IP said no", "audit 5.6" },
	{ "550 client [IPv6:2001:db8::1] refused", "client [IP] refused",
	  "audit 5.6" },
	{ "250 2.0.0 Ok: queued as deadbeefcafe", "Ok: queued as ID",
	  "audit 5.6" },
	{ "250 2.0.0 Ok: queued as added", "Ok: queued as added",
	  "a short hex-letter word is a word" },
	/* addresses inside commands */
	{ "SMTP timeout after RCPT TO:<bob@example.com>",
	  "SMTP timeout after RCPT TO:<ADDR>", "Exim" },
	/* host names with ids: labels masked, runs merged */
	{ "550 5.1.1 ok od20si504618ejb.621 - gsmtp", "ok ID - gsmtp",
	  "corpus:postfix/lightmeter-controlcenter-scenarios.log:52" },
	{ "554 mta1061.mail.ne1.yahoo.com busy", "ID.mail.ne1.yahoo.com busy",
	  "Yahoo" },
};

START_TEST(normalise)
{
	char	 out[REASON_MAX + 1];

	reason_normalise(cases[_i].in, strlen(cases[_i].in), out, sizeof out);
	ck_assert_msg(strcmp(out, cases[_i].want) == 0, "%s:\n got \"%s\"\n"
	    "want \"%s\"", cases[_i].source, out, cases[_i].want);
}
END_TEST

/* audit 5.6: the cut at REASON_MAX never splits a UTF-8 character and
 * stays within the bound; a buffer of one byte gets "". */
START_TEST(cut_utf8)
{
	char	 in[2 * REASON_MAX], out[REASON_MAX + 1], one[1];
	size_t	 i, n;

	for (i = 0; i + 3 <= sizeof in; i += 3)
		memcpy(in + i, "\xc3\xa9 ", 3);		/* "é " */
	n = reason_normalise(in, i, out, sizeof out);
	ck_assert_uint_le(n, REASON_MAX);
	ck_assert_uint_eq(strlen(out), n);
	ck_assert_int_eq((unsigned char)out[n - 1], 0xa9);
	/* a word that does not fit is dropped whole */
	memset(in, 'a', sizeof in);
	memcpy(in, "x \xc3\xa9", 4);
	n = reason_normalise(in, sizeof in, out, sizeof out);
	ck_assert_str_eq(out, "x");
	ck_assert_uint_eq(reason_normalise("abc", 3, one, sizeof one), 0);
	ck_assert_str_eq(one, "");
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("reason");
	TCase	*tc = tcase_create("reason");
	SRunner	*sr;
	int	 failed;

	tcase_add_loop_test(tc, normalise, 0, sizeof cases / sizeof cases[0]);
	tcase_add_test(tc, cut_utf8);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
