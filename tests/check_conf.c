/*
 * check_conf: smtptallyd.conf parsing, every key, bound and error message;
 * the command line over the file; reload differences; and the man page and
 * the installed default file held to the key table.
 *
 * Expected values are written here by hand from smtptallyd.conf(5) (issue
 * 5: retention 90 days, line limit 64 KiB, ...), never read back from the
 * parser's output.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "conf.h"

#ifndef LOCALSTATEDIR
#define LOCALSTATEDIR	"/var"
#endif
#ifndef RUNSTATEDIR
#define RUNSTATEDIR	"/run"
#endif

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

/* Parse text as the file "t.conf"; return conf_parse's result. */
static int
parse(const char *text)
{
	return conf_parse(c, "t.conf", text, strlen(text), &errs);
}

/* Exactly one error, with this text. */
static void
one_error(const char *text, const char *want)
{
	conf_errors_init(&errs);
	ck_assert_int_eq(parse(text), -1);
	ck_assert_msg(errs.n == 1, "%s: %zu errors", text, errs.n);
	ck_assert_str_eq(errs.msg[0], want);
}

static int
field_int(const struct conf *x, enum conf_key k)
{
	const struct conf_keydef	*d = &conf_table(NULL)[k];
	int				 v;

	ck_assert_uint_eq(d->size, sizeof(int));
	memcpy(&v, (const char *)x + d->off, sizeof(v));
	return v;
}

static size_t
field_size(const struct conf *x, enum conf_key k)
{
	const struct conf_keydef	*d = &conf_table(NULL)[k];
	size_t				 v;

	ck_assert_uint_eq(d->size, sizeof(size_t));
	memcpy(&v, (const char *)x + d->off, sizeof(v));
	return v;
}

/* The table: names and options unique, rows in enum order, help given. */
START_TEST(table_unique)
{
	const struct conf_keydef	*t;
	size_t				 n, i, j;

	t = conf_table(&n);
	ck_assert_uint_eq(n, CONF_NKEYS);
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(t[i].key, (int)i);
		ck_assert_ptr_nonnull(t[i].help);
		ck_assert_ptr_nonnull(t[i].option);
		ck_assert_ptr_eq(conf_keydef(t[i].name), &t[i]);
		ck_assert_ptr_eq(conf_option_keydef(t[i].option), &t[i]);
		for (j = i + 1; j < n; j++) {
			ck_assert_str_ne(t[i].name, t[j].name);
			ck_assert_str_ne(t[i].option, t[j].option);
		}
	}
	ck_assert_ptr_null(conf_keydef("nosuchkey"));
}
END_TEST

/* Defaults, from issue 5 and the daemon's own limits. */
START_TEST(defaults)
{
	ck_assert_uint_eq(c->nfollow, 0);
	ck_assert_str_eq(c->state_directory, LOCALSTATEDIR "/lib/smtptally");
	ck_assert_str_eq(c->database, "smtptally.db");
	ck_assert_uint_eq(c->socket_mode, 0660);
	ck_assert_str_eq(c->socket_group, "");
	ck_assert_int_eq(c->retention_days, 90);
	ck_assert_int_eq(c->keep_days, 0);
	ck_assert_int_eq(c->commit_interval, 500);
	ck_assert_uint_eq(c->max_line, 64 * 1024);
	ck_assert_uint_eq(c->max_keys, 32768);
	ck_assert_int_eq(c->metrics_top, 20);
	ck_assert_str_eq(c->metrics_listen, "");
	ck_assert_int_eq(c->timezone.kind, CONF_TZ_LOCAL);
	ck_assert_int_eq(c->year, CONF_YEAR_MTIME);
	ck_assert_int_eq(c->from_end, 0);
	ck_assert_int_eq(c->backfill, 0);
	ck_assert_int_eq(c->quiet, 60);
	/* Fits sun_path, so it is the default, not an empty string. */
	if (strlen(RUNSTATEDIR "/smtptally/smtptally.sock") < 108)
		ck_assert_str_eq(c->socket,
		    RUNSTATEDIR "/smtptally/smtptally.sock");
}
END_TEST

/* One full file setting every key; each field checked by hand. */
START_TEST(every_key)
{
	static const char text[] =
	    "# a comment\n"
	    "\n"
	    "   # an indented comment\n"
	    "follow = postfix:/var/log/mail.log\n"
	    "follow=exim:/var/log/exim4/mainlog\n"
	    "\tfollow   =   /srv/log/other.log  \n"
	    "follow = auto:/srv/log/auto.log\n"
	    "state_directory = /srv/smtptally/\n"
	    "database = counts.db\n"
	    "socket = /run/st/st.sock\n"
	    "socket_mode = 0640\n"
	    "socket_group = adm\n"
	    "retention_days = 30\n"
	    "keep_days = 3650\n"
	    "commit_interval = 2s\n"
	    "max_line = 128K\n"
	    "max_keys = 5000\n"
	    "metrics_top = 50\n"
	    "metrics_listen = 9425\n"
	    "timezone = +01:00\n"
	    "year = now\n"
	    "from_end = yes\n"
	    "backfill = true\n"
	    "quiet = 120\r\n";

	ck_assert_int_eq(parse(text), 0);
	ck_assert_uint_eq(errs.n, 0);
	ck_assert_uint_eq(c->nfollow, 4);
	ck_assert_int_eq(c->follow[0].mta, MTA_POSTFIX);
	ck_assert_str_eq(c->follow[0].path, "/var/log/mail.log");
	ck_assert_int_eq(c->follow[0].line, 4);
	ck_assert_int_eq(c->follow[1].mta, MTA_EXIM);
	ck_assert_str_eq(c->follow[1].path, "/var/log/exim4/mainlog");
	ck_assert_int_eq(c->follow[2].mta, MTA_UNKNOWN);
	ck_assert_str_eq(c->follow[2].path, "/srv/log/other.log");
	ck_assert_int_eq(c->follow[3].mta, MTA_UNKNOWN);
	ck_assert_str_eq(c->follow[3].path, "/srv/log/auto.log");
	ck_assert_str_eq(c->state_directory, "/srv/smtptally");
	ck_assert_str_eq(c->socket, "/run/st/st.sock");
	ck_assert_uint_eq(c->socket_mode, 0640);
	ck_assert_str_eq(c->socket_group, "adm");
	ck_assert_int_eq(c->retention_days, 30);
	ck_assert_int_eq(c->keep_days, 3650);
	ck_assert_int_eq(c->commit_interval, 2000);
	ck_assert_uint_eq(c->max_line, 131072);
	ck_assert_uint_eq(c->max_keys, 5000);
	ck_assert_int_eq(c->metrics_top, 50);
	ck_assert_str_eq(c->metrics_listen, "127.0.0.1:9425");
	ck_assert_int_eq(c->timezone.kind, CONF_TZ_FIXED);
	ck_assert_int_eq(c->timezone.offset, 3600);
	ck_assert_int_eq(c->year, CONF_YEAR_NOW);
	ck_assert_int_eq(c->from_end, 1);
	ck_assert_int_eq(c->backfill, 1);
	ck_assert_int_eq(c->quiet, 120);
	ck_assert_int_eq(c->set[CONF_QUIET], 24);
	ck_assert_int_eq(c->set[CONF_FOLLOW], 7);
	ck_assert_int_eq(c->set[CONF_SOCKET_GROUP], 12);
	/* The relative database lands in the state directory. */
	ck_assert_int_eq(conf_finish(c, "t.conf", &errs), 0);
	ck_assert_str_eq(c->database, "/srv/smtptally/counts.db");
	/* ...and finishing twice changes nothing. */
	ck_assert_int_eq(conf_finish(c, "t.conf", &errs), 0);
	ck_assert_str_eq(c->database, "/srv/smtptally/counts.db");
}
END_TEST

/* Values in other spellings: (line, key, expected number in base unit). */
static const struct {
	const char	*line;
	enum conf_key	 key;
	long long	 want;
} spellings[] = {
	{ "commit_interval = 250", CONF_COMMIT_INTERVAL, 250 },
	{ "commit_interval = 250ms", CONF_COMMIT_INTERVAL, 250 },
	{ "commit_interval = 1m", CONF_COMMIT_INTERVAL, 60000 },
	{ "commit_interval = 60m", CONF_COMMIT_INTERVAL, 3600000 },
	{ "max_line = 256", CONF_MAX_LINE, 256 },
	{ "max_line = 64k", CONF_MAX_LINE, 65536 },
	{ "max_line = 64KiB", CONF_MAX_LINE, 65536 },
	{ "max_line = 16M", CONF_MAX_LINE, 16777216 },
	{ "max_line = 1MiB", CONF_MAX_LINE, 1048576 },
	{ "from_end = on", CONF_FROM_END, 1 },
	{ "from_end = 1", CONF_FROM_END, 1 },
	{ "from_end = off", CONF_FROM_END, 0 },
	{ "from_end = false", CONF_FROM_END, 0 },
	{ "backfill = 0", CONF_BACKFILL, 0 },
	{ "backfill = no", CONF_BACKFILL, 0 },
	{ "retention_days = 1", CONF_RETENTION_DAYS, 1 },
	{ "retention_days = 100000", CONF_RETENTION_DAYS, 100000 },
	{ "keep_days = 0", CONF_KEEP_DAYS, 0 },
	{ "keep_days = 1000000", CONF_KEEP_DAYS, 1000000 },
	{ "max_keys = 16", CONF_MAX_KEYS, 16 },
	{ "max_keys = 10000000", CONF_MAX_KEYS, 10000000 },
	{ "metrics_top = 1", CONF_METRICS_TOP, 1 },
	{ "metrics_top = 1000", CONF_METRICS_TOP, 1000 },
	{ "quiet = 1", CONF_QUIET, 1 },
	{ "quiet = 86400", CONF_QUIET, 86400 },
	{ "commit_interval = 10", CONF_COMMIT_INTERVAL, 10 },
	{ "retention_days = 007", CONF_RETENTION_DAYS, 7 },
};

START_TEST(spelling)
{
	const struct conf_keydef	*d = &conf_table(NULL)[spellings[_i].key];
	long long			 got;

	ck_assert_int_eq(parse(spellings[_i].line), 0);
	got = d->size == sizeof(int) ? field_int(c, d->key) :
	    (long long)field_size(c, d->key);
	ck_assert_msg(got == spellings[_i].want, "%s: got %lld",
	    spellings[_i].line, got);
}
END_TEST

/* Text values: (line, expected field contents). */
START_TEST(text_values)
{
	ck_assert_int_eq(parse("metrics_listen = 127.0.0.1:9100"), 0);
	ck_assert_str_eq(c->metrics_listen, "127.0.0.1:9100");
	conf_defaults(c);
	ck_assert_int_eq(parse("metrics_listen = localhost:1"), 0);
	ck_assert_str_eq(c->metrics_listen, "127.0.0.1:1");
	conf_defaults(c);
	ck_assert_int_eq(parse("metrics_listen = 0.0.0.0:65535"), 0);
	ck_assert_str_eq(c->metrics_listen, "0.0.0.0:65535");
	conf_defaults(c);
	ck_assert_int_eq(parse("metrics_listen = :9425"), 0);
	ck_assert_str_eq(c->metrics_listen, "127.0.0.1:9425");
	conf_defaults(c);
	/* smtptallyd.conf(5): a port alone listens on 127.0.0.1. */
	ck_assert_int_eq(parse("metrics_listen = 9425\n"), 0);
	ck_assert_str_eq(c->metrics_listen, "127.0.0.1:9425");
	conf_defaults(c);
	ck_assert_int_eq(parse("metrics_listen = off"), 0);
	ck_assert_str_eq(c->metrics_listen, "");
	conf_defaults(c);
	ck_assert_int_eq(parse("timezone = UTC"), 0);
	ck_assert_int_eq(c->timezone.kind, CONF_TZ_FIXED);
	ck_assert_int_eq(c->timezone.offset, 0);
	conf_defaults(c);
	ck_assert_int_eq(parse("timezone = -0530"), 0);
	ck_assert_int_eq(c->timezone.offset, -(5 * 3600 + 30 * 60));
	conf_defaults(c);
	ck_assert_int_eq(parse("timezone = +14:00"), 0);
	ck_assert_int_eq(c->timezone.offset, 14 * 3600);
	conf_defaults(c);
	ck_assert_int_eq(parse("timezone = -12"), 0);
	ck_assert_int_eq(c->timezone.offset, -12 * 3600);
	conf_defaults(c);
	ck_assert_int_eq(parse("timezone = local"), 0);
	ck_assert_int_eq(c->timezone.kind, CONF_TZ_LOCAL);
	conf_defaults(c);
	ck_assert_int_eq(parse("timezone = Europe/Berlin"), 0);
	ck_assert_int_eq(c->timezone.kind, CONF_TZ_NAMED);
	ck_assert_str_eq(c->timezone.name, "Europe/Berlin");
	conf_defaults(c);
	ck_assert_int_eq(parse("year = mtime"), 0);
	ck_assert_int_eq(c->year, CONF_YEAR_MTIME);
	conf_defaults(c);
	ck_assert_int_eq(parse("socket_mode = 600"), 0);
	ck_assert_uint_eq(c->socket_mode, 0600);
	conf_defaults(c);
	ck_assert_int_eq(parse("socket_mode = 0000"), 0);
	ck_assert_uint_eq(c->socket_mode, 0);
	conf_defaults(c);
	ck_assert_int_eq(parse("socket_mode = 0777"), 0);
	ck_assert_uint_eq(c->socket_mode, 0777);
	conf_defaults(c);
	ck_assert_int_eq(parse("socket_group = mail-readers_2.x"), 0);
	ck_assert_str_eq(c->socket_group, "mail-readers_2.x");
	conf_defaults(c);
	ck_assert_int_eq(parse("database = /abs/x.db\nstate_directory = /"),
	    0);
	ck_assert_int_eq(parse("follow = /x"), 0);
	ck_assert_int_eq(conf_finish(c, "t.conf", &errs), 0);
	ck_assert_str_eq(c->database, "/abs/x.db");
	conf_defaults(c);
	ck_assert_int_eq(parse("state_directory = /\nfollow = /x"), 0);
	ck_assert_int_eq(conf_finish(c, "t.conf", &errs), 0);
	ck_assert_str_eq(c->database, "/smtptally.db");
}
END_TEST

/* filter_relay repeats, keeps its order, prints back; filter_loopback is
 * on by default and turned off by "no". */
START_TEST(filter_relays)
{
	char	*buf = NULL;
	size_t	 len = 0, i;
	FILE	*fp;
	char	 text[4096] = "";

	ck_assert_int_eq(c->filter_loopback, 1);
	ck_assert_uint_eq(c->filter_relay.n, 0);
	ck_assert_int_eq(parse("filter_relay = 127.0.0.1:10024\n"
	    "filter_relay = [::1]:10024\nfilter_relay = private/amavis\n"
	    "filter_loopback = no\n"), 0);
	ck_assert_uint_eq(c->filter_relay.n, 3);
	ck_assert_str_eq(c->filter_relay.v[0], "127.0.0.1:10024");
	ck_assert_str_eq(c->filter_relay.v[1], "[::1]:10024");
	ck_assert_str_eq(c->filter_relay.v[2], "private/amavis");
	ck_assert_int_eq(c->filter_loopback, 0);
	ck_assert_ptr_nonnull(fp = open_memstream(&buf, &len));
	conf_print(fp, c);
	fclose(fp);
	ck_assert_ptr_nonnull(strstr(buf, "\nfilter_relay = 127.0.0.1:10024\n"
	    "filter_relay = [::1]:10024\nfilter_relay = private/amavis\n"));
	ck_assert_ptr_nonnull(strstr(buf, "\nfilter_loopback = no\n"));
	free(buf);
	/* at most 16 */
	conf_defaults(c);
	for (i = 0; i < 17; i++)
		strcat(text, "filter_relay = h:1\n");
	one_error(text, "t.conf:17: filter_relay: more than 16 filter relays");
}
END_TEST

/* Every error message, exactly (file name and line included). */
static const struct {
	const char	*text;
	const char	*want;
} bad[] = {
	/* syntax */
	{ "bogus = 1", "t.conf:1: unknown key 'bogus'" },
	{ "\n\nRetention_days = 1", "t.conf:3: unknown key 'Retention_days'" },
	{ "retention_days 90", "t.conf:1: expected 'key = value'" },
	{ " = 90", "t.conf:1: expected 'key = value'" },
	{ "retention_days =", "t.conf:1: retention_days: missing value" },
	{ "retention_days =   \t", "t.conf:1: retention_days: missing value" },
	{ "retention_days = 9\0010", "t.conf:1: control character in line" },
	{ "retention_days = 9\x7f", "t.conf:1: control character in line" },
	{ "# ok\nquiet = 5\nquiet = 6",
	  "t.conf:3: quiet: duplicate key (first on line 2)" },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=1",
	  "t.conf:1: unknown key 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...'" },
	/* numbers and bounds */
	{ "retention_days = 0",
	  "t.conf:1: retention_days: '0' is out of range (1 to 100000)" },
	{ "retention_days = 100001",
	  "t.conf:1: retention_days: '100001' is out of range (1 to 100000)" },
	{ "retention_days = -1",
	  "t.conf:1: retention_days: '-1' is not a number" },
	{ "retention_days = 99999999999999999999",
	  "t.conf:1: retention_days: '99999999999999999999' is not a number" },
	{ "keep_days = 1000001",
	  "t.conf:1: keep_days: '1000001' is out of range (0 to 1000000)" },
	{ "keep_days = x", "t.conf:1: keep_days: 'x' is not a number" },
	{ "commit_interval = 9",
	  "t.conf:1: commit_interval: '9' is out of range (10 to 3600000 "
	  "milliseconds)" },
	{ "commit_interval = 61m",
	  "t.conf:1: commit_interval: '61m' is out of range (10 to 3600000 "
	  "milliseconds)" },
	{ "commit_interval = 1h",
	  "t.conf:1: commit_interval: '1h' is not a duration (500ms, 2s, 1m)" },
	{ "commit_interval = s",
	  "t.conf:1: commit_interval: 's' is not a duration (500ms, 2s, 1m)" },
	{ "max_line = 255",
	  "t.conf:1: max_line: '255' is out of range (256 to 16777216 bytes)" },
	{ "max_line = 17M",
	  "t.conf:1: max_line: '17M' is out of range (256 to 16777216 bytes)" },
	{ "max_line = 1G",
	  "t.conf:1: max_line: '1G' is not a size (65536, 64K, 1M)" },
	{ "max_keys = 15",
	  "t.conf:1: max_keys: '15' is out of range (16 to 10000000)" },
	{ "max_keys = 10000001",
	  "t.conf:1: max_keys: '10000001' is out of range (16 to 10000000)" },
	{ "metrics_top = 0",
	  "t.conf:1: metrics_top: '0' is out of range (1 to 1000)" },
	{ "metrics_top = 1001",
	  "t.conf:1: metrics_top: '1001' is out of range (1 to 1000)" },
	{ "quiet = 0", "t.conf:1: quiet: '0' is out of range (1 to 86400)" },
	{ "quiet = 86401",
	  "t.conf:1: quiet: '86401' is out of range (1 to 86400)" },
	{ "from_end = maybe", "t.conf:1: from_end: 'maybe' is not yes or no" },
	{ "backfill = YES", "t.conf:1: backfill: 'YES' is not yes or no" },
	/* socket */
	{ "socket_mode = 0660x",
	  "t.conf:1: socket_mode: '0660x' is not an octal mode like 0660" },
	{ "socket_mode = 0680",
	  "t.conf:1: socket_mode: '0680' is not an octal mode like 0660" },
	{ "socket_mode = 66",
	  "t.conf:1: socket_mode: '66' is not an octal mode like 0660" },
	{ "socket_mode = 1777",
	  "t.conf:1: socket_mode: '1777' is out of range (0000 to 0777)" },
	{ "socket_group = -adm",
	  "t.conf:1: socket_group: '-adm' is not a group name" },
	{ "socket_group = a dm",
	  "t.conf:1: socket_group: 'a dm' is not a group name" },
	{ "socket_group = abcdefghijabcdefghijabcdefghijabc",
	  "t.conf:1: socket_group: group name longer than 32 bytes" },
	{ "socket = run/x.sock",
	  "t.conf:1: socket: 'run/x.sock' is not an absolute path" },
	{ "socket = /0123456789012345678901234567890123456789012345678901234"
	  "567890123456789012345678901234567890123456789012345678",
	  "t.conf:1: socket: path longer than 107 bytes (the limit of a Unix "
	  "socket address)" },
	/* paths */
	{ "state_directory = var/lib",
	  "t.conf:1: state_directory: 'var/lib' is not an absolute path" },
	{ "follow = mail.log",
	  "t.conf:1: follow: 'mail.log' is not an absolute path" },
	{ "follow = postfix:mail.log",
	  "t.conf:1: follow: 'mail.log' is not an absolute path" },
	{ "follow = syslog:/var/log/syslog",
	  "t.conf:1: follow: unknown format 'syslog' (postfix, exim or auto)" },
	{ "follow = /var/log/mail.log\nfollow = exim:/var/log/mail.log/",
	  "t.conf:2: follow: /var/log/mail.log is already followed (line 1)" },
	/* filter relays (smtptallyd.conf(5) "Where a delivery went") */
	{ "filter_relay = 127.0.0.1:10024 10025",
	  "t.conf:1: filter_relay: '127.0.0.1:10024 10025' is not HOST:PORT, "
	  "[IPV6]:PORT, HOST or a socket path" },
	{ "filter_relay = [::1]x",
	  "t.conf:1: filter_relay: '[::1]x' is not HOST:PORT, [IPV6]:PORT, "
	  "HOST or a socket path" },
	{ "filter_relay = :10024",
	  "t.conf:1: filter_relay: ':10024' is not HOST:PORT, [IPV6]:PORT, "
	  "HOST or a socket path" },
	{ "filter_loopback = off-ish",
	  "t.conf:1: filter_loopback: 'off-ish' is not yes or no" },
	/* listener */
	{ "metrics_listen = yes",
	  "t.conf:1: metrics_listen: 'yes' is not off, PORT or ADDRESS:PORT" },
	{ "metrics_listen = 0",
	  "t.conf:1: metrics_listen: port 0 is out of range (1 to 65535)" },
	{ "metrics_listen = 127.0.0.1:65536",
	  "t.conf:1: metrics_listen: port 65536 is out of range (1 to 65535)" },
	{ "metrics_listen = [::1]:9425",
	  "t.conf:1: metrics_listen: '[::1]' is not an IPv4 address" },
	{ "metrics_listen = example.org:9425",
	  "t.conf:1: metrics_listen: 'example.org' is not an IPv4 address" },
	/* time */
	{ "timezone = Europe/../../etc/passwd",
	  "t.conf:1: timezone: 'Europe/../../etc/passwd' is not local, UTC, "
	  "a zone like Europe/Berlin or an offset like +01:00" },
	{ "timezone = Europe/Paris;x",
	  "t.conf:1: timezone: 'Europe/Paris;x' is not local, UTC, a zone "
	  "like Europe/Berlin or an offset like +01:00" },
	{ "timezone = +1",
	  "t.conf:1: timezone: '+1' is not local, UTC, a zone like "
	  "Europe/Berlin or an offset like +01:00" },
	{ "timezone = +01:",
	  "t.conf:1: timezone: '+01:' is not local, UTC, a zone like "
	  "Europe/Berlin or an offset like +01:00" },
	{ "timezone = +01:60",
	  "t.conf:1: timezone: '+01:60' is not local, UTC, a zone like "
	  "Europe/Berlin or an offset like +01:00" },
	{ "timezone = +14:01",
	  "t.conf:1: timezone: '+14:01' is out of range (-12:00 to +14:00)" },
	{ "timezone = -12:30",
	  "t.conf:1: timezone: '-12:30' is out of range (-12:00 to +14:00)" },
	{ "year = 2026", "t.conf:1: year: '2026' is not mtime or now" },
};

START_TEST(bad_value)
{
	/* The text may hold a NUL-free control byte; length is strlen. */
	one_error(bad[_i].text, bad[_i].want);
}
END_TEST

/* A bad value leaves the default alone; later good lines still apply. */
START_TEST(bad_keeps_default)
{
	ck_assert_int_eq(parse("retention_days = 0\nquiet = 7\n"
	    "follow = rel\nfollow = /ok\n"), -1);
	ck_assert_uint_eq(errs.n, 2);
	ck_assert_str_eq(errs.msg[0],
	    "t.conf:1: retention_days: '0' is out of range (1 to 100000)");
	ck_assert_str_eq(errs.msg[1],
	    "t.conf:3: follow: 'rel' is not an absolute path");
	ck_assert_int_eq(c->retention_days, 90);
	ck_assert_int_eq(c->quiet, 7);
	ck_assert_uint_eq(c->nfollow, 1);
	ck_assert_str_eq(c->follow[0].path, "/ok");
}
END_TEST

/* A line over the limit is one error; the next line is read. */
START_TEST(long_line)
{
	char	*text;
	size_t	 n = CONF_LINE_MAX + 1;

	text = malloc(n + 32);
	ck_assert_ptr_nonnull(text);
	memset(text, '#', n);
	strcpy(text + n, "\nquiet = 9\n");
	one_error(text, "t.conf:1: line longer than 4096 bytes");
	ck_assert_int_eq(c->quiet, 9);
	/* Exactly at the limit: a comment, no error. */
	conf_errors_init(&errs);
	text[CONF_LINE_MAX] = '\n';
	ck_assert_int_eq(parse(text), 0);
	free(text);
}
END_TEST

/* At most CONF_FOLLOW_MAX follow lines; errors beyond the kept ones are
 * counted. */
START_TEST(limits)
{
	char	line[64];
	int	i;

	for (i = 0; i < CONF_FOLLOW_MAX; i++) {
		snprintf(line, sizeof(line), "follow = /log/%d", i);
		ck_assert_int_eq(parse(line), 0);
	}
	one_error("follow = /log/one-more",
	    "t.conf:1: follow: more than 64 files to follow");
	conf_errors_init(&errs);
	for (i = 0; i < CONF_ERRORS_MAX + 5; i++)
		ck_assert_int_eq(parse("x = 1"), -1);
	ck_assert_uint_eq(errs.n, CONF_ERRORS_MAX);
	ck_assert_uint_eq(errs.dropped, 5);
}
END_TEST

/* Checks after the merge: something to follow; database length. */
START_TEST(finish_errors)
{
	char	text[2 * CONF_PATH_MAX];

	ck_assert_int_eq(conf_finish(c, "t.conf", &errs), -1);
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_str_eq(errs.msg[0], "t.conf: nothing to follow: add a line "
	    "'follow = [postfix:|exim:]/path' or give --follow");
	conf_errors_init(&errs);
	ck_assert_int_eq(conf_finish(c, NULL, &errs), -1);
	ck_assert_str_eq(errs.msg[0], "smtptallyd: nothing to follow: add a "
	    "line 'follow = [postfix:|exim:]/path' or give --follow");
	/* state_directory and database each fit, together they do not. */
	conf_defaults(c);
	conf_errors_init(&errs);
	memset(text, 0, sizeof(text));
	strcpy(text, "follow = /x\nstate_directory = /");
	memset(text + strlen(text), 'd', 600);
	strcat(text, "\ndatabase = ");
	memset(text + strlen(text), 'b', 600);
	ck_assert_int_eq(parse(text), 0);
	ck_assert_int_eq(conf_finish(c, "t.conf", &errs), -1);
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_msg(strstr(errs.msg[0], "t.conf: database: /ddd") ==
	    errs.msg[0] && strstr(errs.msg[0], " is longer than 1023 bytes")
	    != NULL, "%s", errs.msg[0]);
}
END_TEST

/* The command line wins key by key; any --follow replaces the file's. */
START_TEST(option_wins)
{
	struct conf	*cl;
	struct option	 lo[CONF_NKEYS + 1];
	size_t		 n, i;

	cl = malloc(sizeof(*cl));
	ck_assert_ptr_nonnull(cl);
	conf_defaults(cl);
	ck_assert_int_eq(conf_option(cl, conf_option_keydef("retention-days"),
	    "7", NULL, &errs), 0);
	ck_assert_int_eq(conf_option(cl, conf_option_keydef("follow"),
	    "exim:/cl/mainlog", NULL, &errs), 0);
	ck_assert_int_eq(conf_option(cl, conf_option_keydef("from-end"), NULL,
	    NULL, &errs), 0);
	ck_assert_int_eq(conf_option(cl, conf_option_keydef("db"), "/cl/db",
	    NULL, &errs), 0);
	ck_assert_int_eq(conf_option(cl, conf_option_keydef("max-line"), "1K",
	    NULL, &errs), 0);
	ck_assert_uint_eq(errs.n, 0);
	ck_assert_int_eq(conf_option(cl, conf_option_keydef("quiet"), "0",
	    NULL, &errs), -1);
	ck_assert_str_eq(errs.msg[0],
	    "--quiet: '0' is out of range (1 to 86400)");
	ck_assert_int_eq(conf_option(cl, conf_option_keydef("follow"),
	    "/cl/mainlog", NULL, &errs), -1);
	ck_assert_str_eq(errs.msg[1],
	    "--follow: /cl/mainlog is already followed");

	ck_assert_int_eq(parse("retention_days = 30\nkeep_days = 400\n"
	    "follow = /f/a\nfollow = /f/b\nmax_line = 2K"), 0);
	conf_merge(c, cl);
	ck_assert_int_eq(c->retention_days, 7);
	ck_assert_int_eq(c->keep_days, 400);
	ck_assert_int_eq(c->from_end, 1);
	ck_assert_uint_eq(c->max_line, 1024);
	ck_assert_uint_eq(c->nfollow, 1);
	ck_assert_str_eq(c->follow[0].path, "/cl/mainlog");
	ck_assert_int_eq(c->follow[0].mta, MTA_EXIM);
	ck_assert_int_eq(c->set[CONF_RETENTION_DAYS], -1);
	ck_assert_int_eq(c->set[CONF_KEEP_DAYS], 2);
	ck_assert_int_eq(conf_finish(c, "t.conf", &errs), 0);
	ck_assert_str_eq(c->database, "/cl/db");

	/* getopt entries: one per key, flags without an argument. */
	n = conf_longopts(lo, CONF_NKEYS);
	ck_assert_uint_eq(n, CONF_NKEYS);
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(lo[i].val, CONF_OPT_BASE + (int)i);
		ck_assert_int_eq(lo[i].has_arg, i == CONF_FROM_END ||
		    i == CONF_BACKFILL ? no_argument : required_argument);
	}
	ck_assert_uint_eq(conf_longopts(lo, 3), 3);
	free(cl);
}
END_TEST

/* On the command line relative paths are taken from the working
 * directory; without one (or in the file) they are errors. */
START_TEST(option_cwd)
{
	const struct conf_keydef	*follow = conf_option_keydef("follow");

	ck_assert_int_eq(conf_option(c, follow, "postfix:log/mail.log",
	    "/home/pm", &errs), 0);
	ck_assert_int_eq(conf_option(c, follow, "mainlog", "/", &errs), 0);
	ck_assert_int_eq(conf_option(c, follow, "exim:/abs/mainlog",
	    "/home/pm", &errs), 0);
	ck_assert_int_eq(conf_option(c, conf_option_keydef("db"), "st/x.db",
	    "/home/pm", &errs), 0);
	ck_assert_int_eq(conf_option(c, conf_option_keydef("socket"), "s",
	    "/tmp", &errs), 0);
	ck_assert_uint_eq(errs.n, 0);
	ck_assert_uint_eq(c->nfollow, 3);
	ck_assert_int_eq(c->follow[0].mta, MTA_POSTFIX);
	ck_assert_str_eq(c->follow[0].path, "/home/pm/log/mail.log");
	ck_assert_int_eq(c->follow[1].mta, MTA_UNKNOWN);
	ck_assert_str_eq(c->follow[1].path, "/mainlog");
	ck_assert_str_eq(c->follow[2].path, "/abs/mainlog");
	ck_assert_str_eq(c->database, "/home/pm/st/x.db");
	ck_assert_str_eq(c->socket, "/tmp/s");
	/* Not a path key: the working directory does not matter. */
	ck_assert_int_eq(conf_option(c, conf_option_keydef("quiet"), "5",
	    "/tmp", &errs), 0);
	ck_assert_int_eq(c->quiet, 5);
	ck_assert_int_eq(conf_option(c, follow, "rel", NULL, &errs), -1);
	ck_assert_str_eq(errs.msg[0],
	    "--follow: 'rel' is not an absolute path");
}
END_TEST

/* The trial's D7, D8, D22: an unknown format prefix on the command line
 * is refused, not made a relative path; a '#' after white space starts a
 * comment; a database directory that does not exist is named. */
START_TEST(trial_fixes)
{
	const struct conf_keydef	*follow = conf_option_keydef("follow");
	char				 why[4096];

	ck_assert_int_eq(conf_option(c, follow, "nginx:/tmp/x", "/home/pm",
	    &errs), -1);
	ck_assert_str_eq(errs.msg[0], "--follow: unknown format 'nginx' "
	    "(postfix, exim or auto)");
	ck_assert_int_eq(conf_option(c, follow, "Postfix:/tmp/x", "/home/pm",
	    &errs), -1);
	/* A relative path with a colon after a slash is still a path. */
	ck_assert_int_eq(conf_option(c, follow, "log/a:b", "/home/pm",
	    &errs), 0);
	ck_assert_str_eq(c->follow[0].path, "/home/pm/log/a:b");

	conf_defaults(c);
	ck_assert_int_eq(parse("socket = /tmp/c2.sock # the socket\n"
	    "database = /tmp/a#b.db\t# hash inside a word stays\n"), 0);
	ck_assert_str_eq(c->socket, "/tmp/c2.sock");
	ck_assert_str_eq(c->database, "/tmp/a#b.db");
	conf_defaults(c);
	ck_assert_int_eq(parse("retention_days = 90 # days\n"), 0);
	ck_assert_int_eq(c->retention_days, 90);
	conf_defaults(c);
	ck_assert_int_eq(parse("socket = # nothing but a comment\n"), -1);

	conf_defaults(c);
	snprintf(c->database, sizeof c->database, "/nonexistent-dir/x.db");
	ck_assert_int_eq(conf_check_dirs(c, 1, why, sizeof why), -1);
	ck_assert_ptr_nonnull(strstr(why, "/nonexistent-dir: the directory "
	    "for the database"));
	snprintf(c->database, sizeof c->database, "/tmp/x.db");
	ck_assert_int_eq(conf_check_dirs(c, 1, why, sizeof why), 0);
	snprintf(c->database, sizeof c->database, "/etc/passwd/x.db");
	ck_assert_int_eq(conf_check_dirs(c, 1, why, sizeof why), -1);
	/* -n: the default directory is the package's to make. */
	ck_assert_int_eq(conf_check_dirs(c, 0, why, sizeof why), 0);
}
END_TEST

/* Reload: files added and removed, keys that need a restart. */
START_TEST(diff)
{
	struct conf		*n;
	struct conf_diff	 d;
	const char		*text;

	n = malloc(sizeof(*n));
	ck_assert_ptr_nonnull(n);
	ck_assert_int_eq(parse("follow = postfix:/a\nfollow = /b\n"
	    "follow = /c\nretention_days = 10"), 0);
	conf_defaults(n);
	text = "follow = /c\nfollow = exim:/b\nfollow = /d\n"
	    "retention_days = 20\nsocket = /s\ncommit_interval = 5s\n"
	    "max_keys = 99\n";
	ck_assert_int_eq(conf_parse(n, "t.conf", text, strlen(text), &errs),
	    0);
	conf_diff(c, n, &d);
	ck_assert_uint_eq(d.nadded, 2);		/* exim:/b, /d */
	ck_assert_uint_eq(d.added[0], 1);
	ck_assert_uint_eq(d.added[1], 2);
	ck_assert_uint_eq(d.nremoved, 2);	/* postfix:/a, /b */
	ck_assert_uint_eq(d.removed[0], 0);
	ck_assert_uint_eq(d.removed[1], 1);
	ck_assert_int_eq(d.nrestart, 2);
	ck_assert_int_eq(d.restart[CONF_SOCKET], 1);
	ck_assert_int_eq(d.restart[CONF_MAX_KEYS], 1);
	ck_assert_int_eq(d.restart[CONF_RETENTION_DAYS], 0);
	ck_assert_int_eq(d.restart[CONF_COMMIT_INTERVAL], 0);
	/* The same text twice: nothing to do. */
	conf_diff(n, n, &d);
	ck_assert_uint_eq(d.nadded + d.nremoved, 0);
	ck_assert_int_eq(d.nrestart, 0);
	free(n);
}
END_TEST

/* Fixed zones ignore the clock; local asks the C library. */
START_TEST(utc_offset)
{
	ck_assert_int_eq(parse("timezone = -03:30"), 0);
	ck_assert_int_eq(conf_utc_offset(c, 0), -12600);
	conf_defaults(c);
	setenv("TZ", "UTC0", 1);
	tzset();
	ck_assert_int_eq(conf_utc_offset(c, 1795824000), 0);
	/* POSIX TZ string: 2 hours east of UTC, no DST. */
	setenv("TZ", "XXX-2", 1);
	tzset();
	ck_assert_int_eq(conf_utc_offset(c, 1795824000), 7200);
}
END_TEST

static char	 scratch_dir[256];

/* Text of a file in this test's own directory (mkdtemp under TMPDIR: a
 * predictable name in /tmp could be a symlink put there by another). */
static char *
scratch_file(const char *name, const char *text)
{
	static char	 path[512];
	const char	*tmp = getenv("TMPDIR");
	FILE		*fp;

	if (scratch_dir[0] == '\0') {
		snprintf(scratch_dir, sizeof(scratch_dir), "%s/check_conf.XXXXXX",
		    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
		ck_assert_ptr_nonnull(mkdtemp(scratch_dir));
	}
	snprintf(path, sizeof(path), "%s/%s", scratch_dir, name);
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	fputs(text, fp);
	fclose(fp);
	return path;
}

/* The file shell: missing, required, a directory, too big, good. */
START_TEST(read_file)
{
	struct conf	*cl;
	char		*p, want[512];
	FILE		*fp;
	int		 i;

	ck_assert_int_eq(conf_read(c, "/nonexistent/smtptallyd.conf", 0,
	    &errs), 0);
	ck_assert_uint_eq(errs.n, 0);
	ck_assert_int_eq(conf_read(c, "/nonexistent/smtptallyd.conf", 1,
	    &errs), -1);
	ck_assert_str_eq(errs.msg[0], "/nonexistent/smtptallyd.conf: "
	    "No such file or directory");
	conf_errors_init(&errs);
	ck_assert_int_eq(conf_read(c, "/", 1, &errs), -1);
	ck_assert_str_eq(errs.msg[0], "/: not a regular file");

	p = scratch_file("big", "");
	ck_assert_ptr_nonnull(fp = fopen(p, "w"));
	for (i = 0; i < CONF_FILE_MAX / 8 + 1; i++)
		fputs("#######\n", fp);
	fclose(fp);
	conf_errors_init(&errs);
	ck_assert_int_eq(conf_read(c, p, 1, &errs), -1);
	snprintf(want, sizeof(want), "%s: larger than 1048576 bytes", p);
	ck_assert_str_eq(errs.msg[0], want);
	unlink(p);

	/* conf_load: file, then command line, then checks. */
	p = scratch_file("good", "follow = /var/log/mail.log\n"
	    "retention_days = 12\nquiet = 3\n");
	cl = malloc(sizeof(*cl));
	ck_assert_ptr_nonnull(cl);
	conf_defaults(cl);
	conf_errors_init(&errs);
	ck_assert_int_eq(conf_option(cl, conf_option_keydef("quiet"), "4",
	    NULL, &errs), 0);
	ck_assert_int_eq(conf_load(c, p, 1, cl, &errs), 0);
	ck_assert_int_eq(c->retention_days, 12);
	ck_assert_int_eq(c->quiet, 4);
	ck_assert_str_eq(c->database, LOCALSTATEDIR
	    "/lib/smtptally/smtptally.db");
	unlink(p);
	p = scratch_file("bad", "retention_days = 12\nretention_days = 13\n");
	conf_errors_init(&errs);
	ck_assert_int_eq(conf_load(c, p, 1, cl, &errs), -1);
	ck_assert_uint_eq(errs.n, 2);
	snprintf(want, sizeof(want), "%s:2: retention_days: duplicate key "
	    "(first on line 1)", p);
	ck_assert_str_eq(errs.msg[0], want);
	snprintf(want, sizeof(want), "%s: nothing to follow: add a line "
	    "'follow = [postfix:|exim:]/path' or give --follow", p);
	ck_assert_str_eq(errs.msg[1], want);
	unlink(p);
	rmdir(scratch_dir);
	free(cl);
}
END_TEST

/* A whole file from the build tree; NULL (and a skip note) if absent. */
static char *
slurp(const char *dirvar, const char *rel, size_t *len)
{
	const char	*dir = getenv(dirvar);
	char		 path[1024], *buf;
	FILE		*fp;
	long		 n;

	snprintf(path, sizeof(path), "%s/%s", dir != NULL ? dir : ".", rel);
	if ((fp = fopen(path, "r")) == NULL)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, fp), (size_t)n);
	buf[n] = '\0';
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

/* The installed default file shows every key with its real default, and
 * with every "#key = value" line uncommented it still parses. */
START_TEST(default_file)
{
	const struct conf_keydef	*t;
	char				*text, *p, want[CONF_PATH_MAX + 64];
	size_t				 len, i;

	text = slurp("top_builddir", "etc/smtptallyd.conf", &len);
	ck_assert_msg(text != NULL, "etc/smtptallyd.conf not built");
	t = conf_table(NULL);
	for (i = 0; i < CONF_NKEYS; i++) {
		if (t[i].def != NULL)
			snprintf(want, sizeof(want), "\n#%s = %s\n", t[i].name,
			    t[i].def);
		else
			snprintf(want, sizeof(want), "\n#%s = ", t[i].name);
		ck_assert_msg(strstr(text, want) != NULL,
		    "etc/smtptallyd.conf lacks '%s'", want + 1);
	}
	for (p = text; (p = strstr(p, "\n#")) != NULL; p++)
		if (p[2] >= 'a' && p[2] <= 'z' && strchr(p + 2, '=') != NULL &&
		    strchr(p + 2, '=') < strchr(p + 2, '\n'))
			p[1] = ' ';
	ck_assert_int_eq(conf_parse(c, "smtptallyd.conf", text, len, &errs),
	    0);
	ck_assert_uint_eq(c->nfollow, 2);
	ck_assert_int_eq(conf_finish(c, "smtptallyd.conf", &errs), 0);
	free(text);
}
END_TEST

/* smtptallyd.conf(5) documents every key; smtptallyd(8) every option. */
START_TEST(man_pages)
{
	const struct conf_keydef	*t;
	char				*five, *eight, *entry, *next, want[128];
	size_t				 len, i;

	five = slurp("top_builddir", "man/smtptallyd.conf.5", &len);
	eight = slurp("top_builddir", "man/smtptallyd.8", &len);
	ck_assert_msg(five != NULL && eight != NULL, "man pages not built");
	t = conf_table(NULL);
	for (i = 0; i < CONF_NKEYS; i++) {
		snprintf(want, sizeof(want), "\n.It Ic %s ", t[i].name);
		entry = strstr(five, want);
		ck_assert_msg(entry != NULL,
		    "smtptallyd.conf(5) lacks '%s'", want + 1);
		/* The default is said in the key's own entry, up to the
		 * next item: keys that share a default do not pass on
		 * each other's words. */
		entry += strlen(want);
		if ((next = strstr(entry, "\n.It ")) != NULL)
			*next = '\0';
		if (t[i].def != NULL && t[i].type != CONF_T_PATH &&
		    t[i].type != CONF_T_SOCKPATH) {
			snprintf(want, sizeof(want), "default %s", t[i].def);
			ck_assert_msg(strstr(entry, want) != NULL,
			    "smtptallyd.conf(5) lacks '%s' in the entry of "
			    "key %s", want, t[i].name);
		}
		if (next != NULL)
			*next = '\n';
		snprintf(want, sizeof(want), "\n.It Fl \\-%s", t[i].option);
		ck_assert_msg(strstr(eight, want) != NULL,
		    "smtptallyd(8) lacks '%s'", want + 1);
	}
	free(five);
	free(eight);
}
END_TEST

/* --help lists every option with its argument name. */
START_TEST(usage_text)
{
	const struct conf_keydef	*t = conf_table(NULL);
	char				*buf = NULL, want[128];
	size_t				 len = 0, i;
	FILE				*fp;

	ck_assert_ptr_nonnull(fp = open_memstream(&buf, &len));
	conf_usage(fp);
	fclose(fp);
	for (i = 0; i < CONF_NKEYS; i++) {
		snprintf(want, sizeof(want), "  --%s%s%s ", t[i].option,
		    t[i].arg != NULL ? " " : "", t[i].arg != NULL ? t[i].arg :
		    "");
		ck_assert_msg(strstr(buf, want) != NULL, "--help lacks %s",
		    want);
	}
	ck_assert_ptr_nonnull(strstr(buf, "--retention-days days "));
	ck_assert_ptr_nonnull(strstr(buf, "[90]"));
	free(buf);
}
END_TEST

/* conf_print writes a file conf_parse reads back to the same values. */
START_TEST(print_roundtrip)
{
	struct conf	*back;
	char		*buf = NULL;
	size_t		 len = 0;
	FILE		*fp;

	ck_assert_int_eq(parse("follow = postfix:/a\nfollow = /b\n"
	    "timezone = -05:30\nsocket_group = adm\nmetrics_listen = 9\n"
	    "socket_mode = 0600\nfrom_end = yes\nmax_line = 1M\n"), 0);
	ck_assert_ptr_nonnull(fp = open_memstream(&buf, &len));
	conf_print(fp, c);
	fclose(fp);
	back = malloc(sizeof(*back));
	ck_assert_ptr_nonnull(back);
	conf_defaults(back);
	ck_assert_int_eq(conf_parse(back, "p", buf, len, &errs), 0);
	ck_assert_uint_eq(back->nfollow, 2);
	ck_assert_int_eq(back->follow[0].mta, MTA_POSTFIX);
	ck_assert_int_eq(back->timezone.offset, -(5 * 3600 + 30 * 60));
	ck_assert_str_eq(back->socket_group, "adm");
	ck_assert_str_eq(back->metrics_listen, "127.0.0.1:9");
	ck_assert_uint_eq(back->socket_mode, 0600);
	ck_assert_int_eq(back->from_end, 1);
	ck_assert_uint_eq(back->max_line, 1048576);
	free(back);
	free(buf);
}
END_TEST

static Suite *
conf_suite(void)
{
	Suite	*s = suite_create("conf");
	TCase	*tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, table_unique);
	tcase_add_test(tc, defaults);
	tcase_add_test(tc, every_key);
	tcase_add_loop_test(tc, spelling, 0,
	    (int)(sizeof(spellings) / sizeof(spellings[0])));
	tcase_add_test(tc, text_values);
	tcase_add_loop_test(tc, bad_value, 0,
	    (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, bad_keeps_default);
	tcase_add_test(tc, long_line);
	tcase_add_test(tc, limits);
	tcase_add_test(tc, finish_errors);
	tcase_add_test(tc, option_wins);
	tcase_add_test(tc, option_cwd);
	tcase_add_test(tc, trial_fixes);
	tcase_add_test(tc, diff);
	tcase_add_test(tc, utc_offset);
	tcase_add_test(tc, read_file);
	tcase_add_test(tc, default_file);
	tcase_add_test(tc, man_pages);
	tcase_add_test(tc, usage_text);
	tcase_add_test(tc, print_roundtrip);
	tcase_add_test(tc, filter_relays);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(conf_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
