/*
 * check_journal: the journal sources as the configuration names them
 * (follow = journal, journal:NS, journal-dir:PATH, journal_match), in a
 * build with libsystemd and in one without (which must refuse them with a
 * cause that says why).  Reading a real journal is tested against a real
 * systemd-journald in tests/journal/ (shell).
 *
 * Expected values are written by hand from smtptallyd.conf(5) and issue 13.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "conf.h"
#include "journal.h"

static struct conf		*c;
static struct conf_errors	 errs;

static void
setup(void)
{
	c = malloc(sizeof(*c));
	ck_assert_ptr_nonnull(c);
	conf_defaults(c);
	conf_errors_init(&errs);
}

static void
teardown(void)
{
	free(c);
}

static int
parse(const char *text)
{
	return conf_parse(c, "t.conf", text, strlen(text), &errs);
}

#ifdef HAVE_JOURNAL
/* The three kinds of journal source, kept as written (the directory's
 * trailing slash dropped), next to a file. */
START_TEST(follow_journals)
{
	ck_assert_int_eq(parse("follow = journal\n"
	    "follow = journal:mail-ns_1.x\n"
	    "follow = journal-dir:/var/log/journal/remote/\n"
	    "follow = postfix:/var/log/mail.log\n"), 0);
	ck_assert_uint_eq(c->nfollow, 4);
	ck_assert_str_eq(c->follow[0].path, "journal");
	ck_assert_str_eq(c->follow[1].path, "journal:mail-ns_1.x");
	ck_assert_str_eq(c->follow[2].path,
	    "journal-dir:/var/log/journal/remote");
	ck_assert_int_eq(conf_is_journal(c->follow[2].path), 1);
	ck_assert_int_eq(conf_is_journal(c->follow[3].path), 0);
	ck_assert_int_eq(conf_is_journal("journalx"), 0);
	ck_assert_int_eq(conf_finish(c, "t.conf", &errs), 0);
}
END_TEST

/* Bad journal specs: each one error with its line. */
static const struct {
	const char	*text;
	const char	*want;
} bad[] = {
	{ "follow = journal:",
	  "t.conf:1: follow: '' is not a journal namespace (letters, digits, "
	  "'_', '-', '.')" },
	{ "follow = journal:a/b",
	  "t.conf:1: follow: 'a/b' is not a journal namespace (letters, "
	  "digits, '_', '-', '.')" },
	{ "follow = journal-dir:relative",
	  "t.conf:1: follow: 'relative' is not an absolute path" },
	{ "follow = journal\nfollow = journal",
	  "t.conf:2: follow: journal is already followed (line 1)" },
	{ "journal_match = _systemd_unit=x",
	  "t.conf:1: journal_match: '_systemd_unit=x' is not FIELD=VALUE (an "
	  "upper case field name such as _SYSTEMD_UNIT)" },
	{ "journal_match = NOEQUALS",
	  "t.conf:1: journal_match: 'NOEQUALS' is not FIELD=VALUE (an upper "
	  "case field name such as _SYSTEMD_UNIT)" },
	{ "journal_match = =x",
	  "t.conf:1: journal_match: '=x' is not FIELD=VALUE (an upper case "
	  "field name such as _SYSTEMD_UNIT)" },
};

START_TEST(follow_bad)
{
	ck_assert_int_eq(parse(bad[_i].text), -1);
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_str_eq(errs.msg[0], bad[_i].want);
}
END_TEST

/* journal_match repeats (unlike other keys), in order, up to 16. */
START_TEST(matches)
{
	char	text[2048];
	size_t	i, off = 0;

	ck_assert_int_eq(parse("journal_match = _SYSTEMD_UNIT=postfix@-.service\n"
	    "journal_match = SYSLOG_IDENTIFIER=postfix/smtp\n"), 0);
	ck_assert_uint_eq(c->journal_match.n, 2);
	ck_assert_str_eq(c->journal_match.m[0],
	    "_SYSTEMD_UNIT=postfix@-.service");
	ck_assert_str_eq(c->journal_match.m[1],
	    "SYSLOG_IDENTIFIER=postfix/smtp");
	conf_defaults(c);
	for (i = 0; i < 17; i++)
		off += (size_t)snprintf(text + off, sizeof text - off,
		    "journal_match = F=%zu\n", i);
	ck_assert_int_eq(parse(text), -1);
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_str_eq(errs.msg[0], "t.conf:17: journal_match: more than "
	    "16 journal matches");
}
END_TEST

/* --follow journal is not made a path under the working directory. */
START_TEST(option)
{
	const struct conf_keydef	*k = conf_option_keydef("follow");

	ck_assert_ptr_nonnull(k);
	ck_assert_int_eq(conf_option(c, k, "journal:mail", "/home/x", &errs),
	    0);
	ck_assert_str_eq(c->follow[0].path, "journal:mail");
	ck_assert_int_eq(journal_supported(), 1);
}
END_TEST
#else
/* Without libsystemd the journal is refused, saying why and what to do. */
START_TEST(refused)
{
	ck_assert_int_eq(parse("follow = journal:mail\n"), -1);
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_str_eq(errs.msg[0], "t.conf:1: follow: 'journal:mail': this "
	    "smtptallyd was built without the systemd journal (configure found "
	    "no libsystemd; install libsystemd-dev and build again)");
	ck_assert_int_eq(journal_supported(), 0);
	ck_assert_int_eq(parse("follow = /var/log/mail.log\n"), 0);
}
END_TEST
#endif

static Suite *
journal_suite(void)
{
	Suite	*s = suite_create("journal");
	TCase	*tc = tcase_create("conf");

	tcase_add_checked_fixture(tc, setup, teardown);
#ifdef HAVE_JOURNAL
	tcase_add_test(tc, follow_journals);
	tcase_add_loop_test(tc, follow_bad, 0, sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, matches);
	tcase_add_test(tc, option);
#else
	tcase_add_test(tc, refused);
#endif
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(journal_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
