/*
 * conf: the key table of smtptallyd.conf(5) and its parser.
 *
 * Every key is one row of conf_keys[]: its name in the file, its long
 * option, type, default, bounds, whether SIGHUP applies it, and its help
 * line.  The parser, the command-line overrides (conf_option), the merge
 * (command line wins), `--help` (conf_usage) and `-n -v` (conf_print) all
 * walk this one table; tests/check_conf.c holds the man page and the
 * installed default file to it.
 *
 * Pure except conf_read() (reads the file) and conf_utc_offset() (asks the
 * C library for the local zone): no allocation in the parser, no logging,
 * no globals written.  Errors are "file:line: key: why" strings.
 *
 * Not here: applying the values, group lookups, checking that followed
 * files exist (a log may appear later).
 */
#include "config.h"

#include <sys/stat.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"

#ifndef LOCALSTATEDIR
#define LOCALSTATEDIR	"/var"
#endif
#ifndef RUNSTATEDIR
#define RUNSTATEDIR	"/run"
#endif

#define CONF_WHY_LEN	(CONF_PATH_MAX + 128)

#define F(field)	offsetof(struct conf, field), \
			sizeof(((struct conf *)0)->field)

/* The one table.  Bounds are in the type's base unit (days, ms, bytes,
 * seconds, seconds east of UTC); 0/0 for types without numeric bounds. */
static const struct conf_keydef conf_keys[CONF_NKEYS] = {
	{ CONF_FOLLOW, "follow", "follow", CONF_T_FOLLOW, NULL,
	  0, 0, 1, F(follow), "[postfix:|exim:]path|journal[:NS]",
	  "a log file or journal to follow; repeat for more" },
	{ CONF_STATE_DIRECTORY, "state_directory", "state-directory",
	  CONF_T_PATH, LOCALSTATEDIR "/lib/smtptally",
	  0, 0, 0, F(state_directory), "dir",
	  "directory of the database and its lock file" },
	{ CONF_DATABASE, "database", "db", CONF_T_PATH, "smtptally.db",
	  0, 0, 0, F(database), "path",
	  "the SQLite database; relative to state_directory" },
	{ CONF_SOCKET, "socket", "socket", CONF_T_SOCKPATH,
	  RUNSTATEDIR "/smtptally/smtptally.sock",
	  0, 0, 0, F(socket), "path",
	  "the Unix socket clients ask" },
	{ CONF_SOCKET_MODE, "socket_mode", "socket-mode", CONF_T_MODE, "0660",
	  0, 0777, 0, F(socket_mode), "mode",
	  "permission bits of the socket (octal)" },
	{ CONF_SOCKET_GROUP, "socket_group", "socket-group", CONF_T_GROUP,
	  NULL, 0, 0, 0, F(socket_group), "group",
	  "group of the socket (default: the daemon's group)" },
	{ CONF_RETENTION_DAYS, "retention_days", "retention-days", CONF_T_INT,
	  "90", 1, 100000, 1, F(retention_days), "days",
	  "days of hourly counts before they roll up into days" },
	{ CONF_KEEP_DAYS, "keep_days", "keep-days", CONF_T_INT, "0",
	  0, 1000000, 1, F(keep_days), "days",
	  "days of daily counts kept (0 = forever)" },
	{ CONF_COMMIT_INTERVAL, "commit_interval", "commit-interval",
	  CONF_T_MSEC, "500", 10, 3600000, 1, F(commit_interval), "ms",
	  "longest time between commits while lines arrive" },
	{ CONF_MAX_LINE, "max_line", "max-line", CONF_T_SIZE, "65536",
	  256, 16777216, 0, F(max_line), "bytes",
	  "longer log lines are counted and skipped" },
	{ CONF_MAX_KEYS, "max_keys", "max-keys", CONF_T_INT, "32768",
	  16, 10000000, 0, F(max_keys), "n",
	  "distinct counters held in memory between commits" },
	{ CONF_METRICS_TOP, "metrics_top", "metrics-top", CONF_T_INT, "20",
	  1, 1000, 0, F(metrics_top), "n",
	  "domains with their own series in /metrics" },
	{ CONF_METRICS_LISTEN, "metrics_listen", "metrics-listen",
	  CONF_T_LISTEN, "off", 1, 65535, 0, F(metrics_listen),
	  "[address:]port",
	  "TCP listener for /metrics only (loopback unless told)" },
	{ CONF_TIMEZONE, "timezone", "timezone", CONF_T_TIMEZONE, "local",
	  -43200, 50400, 1, F(timezone), "zone",
	  "zone of log stamps without one: local, UTC, Area/City, +HH:MM" },
	{ CONF_YEAR, "year", "year", CONF_T_YEAR, "mtime",
	  0, 0, 1, F(year), "mtime|now",
	  "year-less stamps: at most a week after the file's mtime or now" },
	{ CONF_FROM_END, "from_end", "from-end", CONF_T_BOOL, "no",
	  0, 1, 0, F(from_end), NULL,
	  "a file seen for the first time is read from its end" },
	{ CONF_BACKFILL, "backfill", "backfill", CONF_T_BOOL, "no",
	  0, 1, 0, F(backfill), NULL,
	  "first sight: also read rotated siblings, oldest first" },
	{ CONF_QUIET, "quiet", "quiet", CONF_T_INT, "60",
	  1, 86400, 0, F(quiet), "seconds",
	  "a drained rotated log is closed after this long" },
	{ CONF_RULES, "rules", "rules", CONF_T_PATH,
	  SYSCONFDIR "/smtptally/rules", 0, 0, 1, F(rules), "path",
	  "the shipped rules that classify replies" },
	{ CONF_RULES_LOCAL, "rules_local", "rules-local", CONF_T_PATH,
	  SYSCONFDIR "/smtptally/rules.local", 0, 0, 1, F(rules_local), "path",
	  "the postmaster's rules, tried first (may be absent)" },
	{ CONF_JOURNAL_MATCH, "journal_match", "journal-match", CONF_T_MATCH,
	  NULL, 0, 0, 0, F(journal_match), "FIELD=VALUE",
	  "journal entries to read (default: Postfix and Exim); repeatable" },
	{ CONF_FILTER_RELAY, "filter_relay", "filter-relay", CONF_T_RELAY,
	  NULL, 0, 0, 1, F(filter_relay), "host:port",
	  "a content filter's relay (amavis); repeat for more" },
	{ CONF_FILTER_LOOPBACK, "filter_loopback", "filter-loopback",
	  CONF_T_BOOL, "yes", 0, 1, 1, F(filter_loopback), "yes|no",
	  "SMTP to a loopback address or socket is a content filter" },
	{ CONF_METRICS_COMPAT, "metrics_compat", "metrics-compat",
	  CONF_T_COMPAT, "none", 0, 0, 0, F(metrics_compat),
	  "none|postfix_exporter,exim_exporter",
	  "also serve these exporters' metric names in /metrics" },
};

#undef F

/* The table for --help, the man page test and the daemon's getopt. */
const struct conf_keydef *
conf_table(size_t *n)
{
	if (n != NULL)
		*n = CONF_NKEYS;
	return conf_keys;
}

/* A key by its name in the file; NULL if there is none. */
const struct conf_keydef *
conf_keydef(const char *name)
{
	size_t	i;

	for (i = 0; i < CONF_NKEYS; i++)
		if (strcmp(conf_keys[i].name, name) == 0)
			return &conf_keys[i];
	return NULL;
}

/* A key by its long option (without "--"); NULL if there is none. */
const struct conf_keydef *
conf_option_keydef(const char *option)
{
	size_t	i;

	for (i = 0; i < CONF_NKEYS; i++)
		if (conf_keys[i].option != NULL &&
		    strcmp(conf_keys[i].option, option) == 0)
			return &conf_keys[i];
	return NULL;
}

/* getopt_long entries for every key, val = CONF_OPT_BASE + key; the
 * caller adds its own options and the terminating zero entry. */
size_t
conf_longopts(struct option *o, size_t n)
{
	size_t	i, k = 0;

	for (i = 0; i < CONF_NKEYS && k < n; i++) {
		if (conf_keys[i].option == NULL)
			continue;
		o[k].name = conf_keys[i].option;
		/* a flag sets a boolean; one that is on by default takes
		 * its value (--filter-loopback no) */
		o[k].has_arg = conf_keys[i].type == CONF_T_BOOL &&
		    (conf_keys[i].def == NULL ||
		    strcmp(conf_keys[i].def, "yes") != 0) ?
		    no_argument : required_argument;
		o[k].flag = NULL;
		o[k].val = CONF_OPT_BASE + (int)conf_keys[i].key;
		k++;
	}
	return k;
}

/* Empty the error list. */
void
conf_errors_init(struct conf_errors *e)
{
	e->n = 0;
	e->dropped = 0;
}

/* Keep one error message; beyond the limit only count it. */
static void __attribute__((__format__(printf, 2, 3)))
conf_err(struct conf_errors *e, const char *fmt, ...)
{
	va_list	ap;

	if (e->n == CONF_ERRORS_MAX) {
		e->dropped++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(e->msg[e->n++], CONF_ERROR_LEN, fmt, ap);
	va_end(ap);
}

/* One message a line, and how many were not kept. */
void
conf_errors_print(FILE *fp, const struct conf_errors *e)
{
	size_t	i;

	for (i = 0; i < e->n; i++)
		fprintf(fp, "%s\n", e->msg[i]);
	if (e->dropped > 0)
		fprintf(fp, "(%zu more errors not shown)\n", e->dropped);
}

/* Copy a string into a field, or say why it does not fit. */
static int
conf_copy(char *dst, size_t dstsz, const char *v, const char *what,
    char *why)
{
	size_t	len = strlen(v);

	if (len >= dstsz) {
		snprintf(why, CONF_WHY_LEN, "%s longer than %zu bytes", what,
		    dstsz - 1);
		return -1;
	}
	memset(dst, 0, dstsz);
	memcpy(dst, v, len);
	return 0;
}

/* An absolute path without trailing slashes (but "/" stays). */
static int
conf_abspath(char *dst, size_t dstsz, const char *v, char *why)
{
	size_t	len;

	if (v[0] != '/') {
		snprintf(why, CONF_WHY_LEN, "'%s' is not an absolute path", v);
		return -1;
	}
	if (conf_copy(dst, dstsz, v, "path", why) == -1)
		return -1;
	len = strlen(dst);
	while (len > 1 && dst[len - 1] == '/')
		dst[--len] = '\0';
	return 0;
}

/* Leading decimal digits; -1 when there are none or they overflow. */
static int
conf_digits(const char *v, const char **rest, long long *out)
{
	long long	n = 0;
	const char	*p = v;

	if (*p < '0' || *p > '9')
		return -1;
	while (*p >= '0' && *p <= '9') {
		if (n > 1000000000000LL)
			return -1;
		n = n * 10 + (*p++ - '0');
	}
	*rest = p;
	*out = n;
	return 0;
}

/* Bounds check with a message in the key's unit. */
static int
conf_bounds(const struct conf_keydef *k, const char *v, long long n,
    const char *unit, char *why)
{
	if (n < k->min || n > k->max) {
		snprintf(why, CONF_WHY_LEN, "'%s' is out of range (%lld to "
		    "%lld%s)", v, k->min, k->max, unit);
		return -1;
	}
	return 0;
}

/* "30", "500ms", "2s", "1m" in milliseconds. */
static int
conf_msec(const char *v, long long *out)
{
	const char	*rest;
	long long	 n;

	if (conf_digits(v, &rest, &n) == -1)
		return -1;
	if (*rest == '\0' || strcmp(rest, "ms") == 0)
		*out = n;
	else if (strcmp(rest, "s") == 0)
		*out = n * 1000;
	else if (strcmp(rest, "m") == 0)
		*out = n * 60000;
	else
		return -1;
	return 0;
}

/* "65536", "64K", "64KiB", "1M", "1MiB" in bytes. */
static int
conf_size(const char *v, long long *out)
{
	const char	*rest;
	long long	 n;

	if (conf_digits(v, &rest, &n) == -1)
		return -1;
	if (*rest == '\0')
		*out = n;
	else if (strcmp(rest, "K") == 0 || strcmp(rest, "k") == 0 ||
	    strcmp(rest, "KiB") == 0)
		*out = n * 1024;
	else if (strcmp(rest, "M") == 0 || strcmp(rest, "MiB") == 0)
		*out = n * 1024 * 1024;
	else
		return -1;
	return 0;
}

/* yes/no and the usual spellings. */
static int
conf_bool(const char *v, int *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t			 i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcmp(v, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcmp(v, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

/* A portable group name: letters, digits, '.', '_', '-', not '-' first. */
static int
conf_groupname(const char *v)
{
	const char	*p;

	if (*v == '\0' || *v == '-')
		return -1;
	for (p = v; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' ||
		    *p == '-'))
			return -1;
	return 0;
}

/* "off", "PORT", "ADDRESS:PORT" (IPv4, "localhost") to "a.b.c.d:port". */
static int
conf_listen(const struct conf_keydef *k, char *dst, size_t dstsz,
    const char *v, char *why)
{
	char		 addr[CONF_LISTEN_MAX];
	struct in_addr	 in;
	const char	*colon, *p, *rest;
	long long	 port;
	size_t		 alen;

	if (strcmp(v, "off") == 0 || strcmp(v, "no") == 0) {
		memset(dst, 0, dstsz);
		return 0;
	}
	colon = strrchr(v, ':');
	p = colon != NULL ? colon + 1 : v;
	alen = colon != NULL ? (size_t)(colon - v) : 0;
	if (conf_digits(p, &rest, &port) == -1 || *rest != '\0' ||
	    alen >= sizeof(addr)) {
		snprintf(why, CONF_WHY_LEN, "'%s' is not off, PORT or "
		    "ADDRESS:PORT", v);
		return -1;
	}
	if (port < k->min || port > k->max) {
		snprintf(why, CONF_WHY_LEN, "port %lld is out of range (%lld "
		    "to %lld)", port, k->min, k->max);
		return -1;
	}
	memcpy(addr, v, alen);
	addr[alen] = '\0';
	if (alen == 0 || strcmp(addr, "localhost") == 0)
		strcpy(addr, "127.0.0.1");
	if (inet_pton(AF_INET, addr, &in) != 1) {
		snprintf(why, CONF_WHY_LEN, "'%s' is not an IPv4 address",
		    addr);
		return -1;
	}
	memset(dst, 0, dstsz);
	snprintf(dst, dstsz, "%s:%lld", addr, port);
	return 0;
}

/* "local", "UTC", "Z", "+HH:MM", "-HHMM", "+HH". */
static int
conf_timezone(const struct conf_keydef *k, struct conf_tz *tz,
    const char *v, char *why)
{
	struct conf_tz	 t;
	const char	*p = v;
	int		 sign, h, m = 0;

	memset(&t, 0, sizeof(t));
	if (strcmp(v, "local") == 0)
		t.kind = CONF_TZ_LOCAL;
	else if (((*v >= 'A' && *v <= 'Z') || (*v >= 'a' && *v <= 'z')) &&
	    strcmp(v, "UTC") != 0 && strcmp(v, "utc") != 0 &&
	    strcmp(v, "Z") != 0) {
		/* a tzdata name; smtptallyd reads the zone file at start */
		if (strlen(v) >= sizeof(t.name) || strstr(v, "..") != NULL ||
		    strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuv"
		    "wxyz0123456789/_+-") != strlen(v))
			goto bad;
		t.kind = CONF_TZ_NAMED;
		memcpy(t.name, v, strlen(v) + 1);
	}
	else if (strcmp(v, "UTC") == 0 || strcmp(v, "utc") == 0 ||
	    strcmp(v, "Z") == 0)
		t.kind = CONF_TZ_FIXED;
	else {
		if (*p != '+' && *p != '-')
			goto bad;
		sign = *p++ == '-' ? -1 : 1;
		if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9')
			goto bad;
		h = (p[0] - '0') * 10 + (p[1] - '0');
		p += 2;
		if (*p == ':')
			p++;
		if (*p != '\0') {
			if (p[0] < '0' || p[0] > '5' || p[1] < '0' ||
			    p[1] > '9' || p[2] != '\0')
				goto bad;
			m = (p[0] - '0') * 10 + (p[1] - '0');
		} else if (p[-1] == ':')
			goto bad;
		t.kind = CONF_TZ_FIXED;
		t.offset = sign * (h * 3600L + m * 60L);
		if (t.offset < k->min || t.offset > k->max) {
			snprintf(why, CONF_WHY_LEN, "'%s' is out of range "
			    "(-12:00 to +14:00)", v);
			return -1;
		}
	}
	memcpy(tz, &t, sizeof(t));
	return 0;
bad:
	snprintf(why, CONF_WHY_LEN, "'%s' is not local, UTC, a zone like "
	    "Europe/Berlin or an offset like +01:00", v);
	return -1;
}

/* Whether a follow value names a journal: journal, journal:NS or
 * journal-dir:PATH. */
int
conf_is_journal(const char *v)
{
	return strcmp(v, "journal") == 0 || strncmp(v, "journal:", 8) == 0 ||
	    strncmp(v, "journal-dir:", 12) == 0;
}

/* journal, journal:NAMESPACE, journal-dir:/path, normalised into dst;
 * refused with a clear cause by a build without libsystemd. */
static int
conf_journal(char *dst, size_t dstsz, const char *v, char *why)
{
	char		 path[CONF_PATH_MAX];
	const char	*ns;

#ifndef HAVE_JOURNAL
	(void)dst;
	(void)dstsz;
	(void)path;
	(void)ns;
	snprintf(why, CONF_WHY_LEN, "'%s': this smtptallyd was built without "
	    "the systemd journal (configure found no libsystemd; install "
	    "libsystemd-dev and build again)", v);
	return -1;
#else
	if (strncmp(v, "journal-dir:", 12) == 0) {
		if (conf_abspath(path, sizeof(path), v + 12, why) == -1)
			return -1;
		if (strlen(path) + 12 >= dstsz) {
			snprintf(why, CONF_WHY_LEN, "path longer than %zu "
			    "bytes", dstsz - 13);
			return -1;
		}
		memset(dst, 0, dstsz);
		snprintf(dst, dstsz, "journal-dir:%s", path);
		return 0;
	}
	if (strncmp(v, "journal:", 8) == 0) {
		/* journald's own rule for namespace names */
		ns = v + 8;
		if (*ns == '\0' || strlen(ns) > 64 || *ns == '.' ||
		    strspn(ns, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") != strlen(ns)) {
			snprintf(why, CONF_WHY_LEN, "'%s' is not a journal "
			    "namespace (letters, digits, '_', '-', '.')", ns);
			return -1;
		}
	}
	return conf_copy(dst, dstsz, v, "journal", why);
#endif
}

/* "FIELD=VALUE" as sd_journal_add_match takes it: a field name of upper
 * case letters, digits and '_', not starting with a digit. */
static int
conf_match(struct conf_matches *m, const char *v, char *why)
{
	const char	*eq = strchr(v, '=');
	size_t		 flen;

	flen = eq != NULL ? (size_t)(eq - v) : 0;
	if (flen == 0 || flen > 64 || (v[0] >= '0' && v[0] <= '9') ||
	    strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != flen) {
		snprintf(why, CONF_WHY_LEN, "'%s' is not FIELD=VALUE (an upper "
		    "case field name such as _SYSTEMD_UNIT)", v);
		return -1;
	}
	if (m->n == CONF_MATCH_MAX) {
		snprintf(why, CONF_WHY_LEN, "more than %d journal matches",
		    CONF_MATCH_MAX);
		return -1;
	}
	if (conf_copy(m->m[m->n], sizeof(m->m[0]), v, "match", why) == -1)
		return -1;
	m->n++;
	return 0;
}

/* "[postfix:|exim:|auto:]/path" or a journal, appended unless already
 * followed. */
static int
conf_follow(struct conf *c, const char *v, int line, char *why)
{
	struct conf_follow	*f;
	enum mta		 mta = MTA_UNKNOWN;
	const char		*path = v, *colon;
	size_t			 i;
	int			 journal = conf_is_journal(v);

	if (!journal && v[0] != '/' && (colon = strchr(v, ':')) != NULL) {
		if (strncmp(v, "postfix:", 8) == 0)
			mta = MTA_POSTFIX;
		else if (strncmp(v, "exim:", 5) == 0)
			mta = MTA_EXIM;
		else if (strncmp(v, "auto:", 5) != 0) {
			snprintf(why, CONF_WHY_LEN, "unknown format '%.*s' "
			    "(postfix, exim or auto)", (int)(colon - v), v);
			return -1;
		}
		path = colon + 1;
	}
	if (c->nfollow == CONF_FOLLOW_MAX) {
		snprintf(why, CONF_WHY_LEN, "more than %d files to follow",
		    CONF_FOLLOW_MAX);
		return -1;
	}
	f = &c->follow[c->nfollow];
	if (journal) {
		if (conf_journal(f->path, sizeof(f->path), v, why) == -1)
			return -1;
	} else if (conf_abspath(f->path, sizeof(f->path), path, why) == -1)
		return -1;
	for (i = 0; i < c->nfollow; i++) {
		if (strcmp(c->follow[i].path, f->path) != 0)
			continue;
		if (c->follow[i].line > 0)
			snprintf(why, CONF_WHY_LEN, "%s is already followed "
			    "(line %d)", f->path, c->follow[i].line);
		else
			snprintf(why, CONF_WHY_LEN, "%s is already followed",
			    f->path);
		memset(f, 0, sizeof(*f));
		return -1;
	}
	f->mta = mta;
	f->line = line;
	c->nfollow++;
	return 0;
}

/* One filter_relay value: "HOST:PORT", "[IPV6]:PORT", "HOST" or a socket
 * path, appended. */
static int
conf_relay(struct conf_relays *r, const char *v, char *why)
{
	const char	*b;
	size_t		 n = strlen(v);

	if (r->n == CONF_RELAYS_MAX) {
		snprintf(why, CONF_WHY_LEN, "more than %d filter relays",
		    CONF_RELAYS_MAX);
		return -1;
	}
	if (n >= CONF_RELAY_LEN) {
		snprintf(why, CONF_WHY_LEN, "longer than %d bytes",
		    CONF_RELAY_LEN - 1);
		return -1;
	}
	if (strpbrk(v, " \t,") != NULL || v[0] == ':' ||
	    (v[0] == '[' && ((b = strchr(v, ']')) == NULL || b == v + 1 ||
	    (b[1] != '\0' && (b[1] != ':' || b[2] == '\0' ||
	    strspn(b + 2, "0123456789") != strlen(b + 2)))))) {
		snprintf(why, CONF_WHY_LEN, "'%s' is not HOST:PORT, "
		    "[IPV6]:PORT, HOST or a socket path", v);
		return -1;
	}
	memcpy(r->v[r->n++], v, n + 1);
	return 0;
}

/* "none" or a comma-separated list of exporter names: the bits. */
static int
conf_compat(unsigned int *out, const char *v, char *why)
{
	static const struct {
		const char	*name;
		unsigned int	 bit;
	} names[] = {
		{ "postfix_exporter", CONF_COMPAT_POSTFIX },
		{ "exim_exporter", CONF_COMPAT_EXIM },
	};
	unsigned int	 bits = 0;
	const char	*p = v, *e;
	size_t		 i, n;

	if (strcmp(v, "none") == 0) {
		*out = 0;
		return 0;
	}
	while (*p != '\0') {
		while (*p == ' ' || *p == '\t')
			p++;
		for (e = p; *e != '\0' && *e != ',' && *e != ' ' &&
		    *e != '\t'; e++)
			;
		n = (size_t)(e - p);
		for (i = 0; i < sizeof names / sizeof names[0]; i++)
			if (strlen(names[i].name) == n &&
			    strncmp(names[i].name, p, n) == 0)
				break;
		if (n == 0 || i == sizeof names / sizeof names[0]) {
			snprintf(why, CONF_WHY_LEN, "'%.*s' is not "
			    "postfix_exporter or exim_exporter (or none)",
			    (int)n, p);
			return -1;
		}
		bits |= names[i].bit;
		for (p = e; *p == ' ' || *p == '\t'; p++)
			;
		if (*p == ',')
			p++;
		else if (*p != '\0') {
			snprintf(why, CONF_WHY_LEN, "names are separated by "
			    "commas");
			return -1;
		}
	}
	*out = bits;
	return 0;
}

/* Set one key from its text; on error fill why and change nothing. */
static int
conf_set(struct conf *c, const struct conf_keydef *k, const char *v,
    int line, char *why)
{
	char		*field = (char *)c + k->off;
	long long	 n = 0;
	const char	*rest;
	unsigned int	 mode;
	int		 b;

	switch (k->type) {
	case CONF_T_FOLLOW:
		return conf_follow(c, v, line, why);
	case CONF_T_MATCH:
		return conf_match(&c->journal_match, v, why);
	case CONF_T_RELAY:
		return conf_relay((struct conf_relays *)(void *)field, v, why);
	case CONF_T_PATH:
		if (k->key == CONF_DATABASE && v[0] != '/')
			/* relative to state_directory, joined later */
			return conf_copy(field, k->size, v, "path", why);
		return conf_abspath(field, k->size, v, why);
	case CONF_T_SOCKPATH:
		if (strlen(v) >= k->size) {
			snprintf(why, CONF_WHY_LEN, "path longer than %zu bytes "
			    "(the limit of a Unix socket address)",
			    k->size - 1);
			return -1;
		}
		return conf_abspath(field, k->size, v, why);
	case CONF_T_MODE:
		if (strlen(v) < 3 || strlen(v) > 4 ||
		    strspn(v, "01234567") != strlen(v)) {
			snprintf(why, CONF_WHY_LEN, "'%s' is not an octal mode "
			    "like 0660", v);
			return -1;
		}
		mode = (unsigned int)strtoul(v, NULL, 8);
		if ((long long)mode < k->min || (long long)mode > k->max) {
			snprintf(why, CONF_WHY_LEN, "'%s' is out of range "
			    "(0000 to %04llo)", v, k->max);
			return -1;
		}
		memcpy(field, &mode, sizeof(mode));
		return 0;
	case CONF_T_GROUP:
		if (conf_groupname(v) == -1) {
			snprintf(why, CONF_WHY_LEN, "'%s' is not a group name",
			    v);
			return -1;
		}
		return conf_copy(field, k->size, v, "group name", why);
	case CONF_T_INT:
		if (conf_digits(v, &rest, &n) == -1 || *rest != '\0') {
			snprintf(why, CONF_WHY_LEN, "'%s' is not a number", v);
			return -1;
		}
		if (conf_bounds(k, v, n, "", why) == -1)
			return -1;
		break;
	case CONF_T_MSEC:
		if (conf_msec(v, &n) == -1) {
			snprintf(why, CONF_WHY_LEN, "'%s' is not a duration "
			    "(500ms, 2s, 1m)", v);
			return -1;
		}
		if (conf_bounds(k, v, n, " milliseconds", why) == -1)
			return -1;
		break;
	case CONF_T_SIZE:
		if (conf_size(v, &n) == -1) {
			snprintf(why, CONF_WHY_LEN, "'%s' is not a size (65536, "
			    "64K, 1M)", v);
			return -1;
		}
		if (conf_bounds(k, v, n, " bytes", why) == -1)
			return -1;
		break;
	case CONF_T_BOOL:
		if (conf_bool(v, &b) == -1) {
			snprintf(why, CONF_WHY_LEN, "'%s' is not yes or no", v);
			return -1;
		}
		n = b;
		break;
	case CONF_T_LISTEN:
		return conf_listen(k, field, k->size, v, why);
	case CONF_T_TIMEZONE:
		return conf_timezone(k, (struct conf_tz *)(void *)field, v,
		    why);
	case CONF_T_COMPAT:
		return conf_compat(&c->metrics_compat, v, why);
	case CONF_T_YEAR:
		if (strcmp(v, "mtime") == 0)
			c->year = CONF_YEAR_MTIME;
		else if (strcmp(v, "now") == 0)
			c->year = CONF_YEAR_NOW;
		else {
			snprintf(why, CONF_WHY_LEN, "'%s' is not mtime or now",
			    v);
			return -1;
		}
		return 0;
	}
	/* Numbers: store in the field's own width. */
	if (k->size == sizeof(int)) {
		b = (int)n;
		memcpy(field, &b, sizeof(b));
	} else {
		size_t	z = (size_t)n;

		memcpy(field, &z, sizeof(z));
	}
	return 0;
}

/* Every key at its default; follow empty, nothing "set". */
void
conf_defaults(struct conf *c)
{
	char	why[CONF_WHY_LEN];
	size_t	i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < CONF_NKEYS; i++)
		if (conf_keys[i].def != NULL)
			(void)conf_set(c, &conf_keys[i], conf_keys[i].def, 0,
			    why);
}

/* Spaces and tabs off both ends of [*p, *end). */
static void
conf_trim(const char **p, const char **end)
{
	while (*p < *end && (**p == ' ' || **p == '\t'))
		(*p)++;
	while (*end > *p && ((*end)[-1] == ' ' || (*end)[-1] == '\t'))
		(*end)--;
}

/* One line (without its newline) of the file. */
static void
conf_line(struct conf *c, const char *file, int lineno, const char *p,
    const char *end, int *seen, struct conf_errors *e)
{
	const struct conf_keydef	*k;
	char				 key[64], val[CONF_LINE_MAX + 1];
	char				 why[CONF_WHY_LEN];
	const char			*q, *eq, *kend, *vstart;
	size_t				 klen;

	for (q = p; q < end; q++)
		if ((unsigned char)*q < 0x20 && *q != '\t') {
			conf_err(e, "%s:%d: control character in line", file,
			    lineno);
			return;
		} else if ((unsigned char)*q == 0x7f) {
			conf_err(e, "%s:%d: control character in line", file,
			    lineno);
			return;
		}
	conf_trim(&p, &end);
	if (p == end || *p == '#')
		return;
	if ((eq = memchr(p, '=', (size_t)(end - p))) == NULL) {
		conf_err(e, "%s:%d: expected 'key = value'", file, lineno);
		return;
	}
	kend = eq;
	conf_trim(&p, &kend);
	klen = (size_t)(kend - p);
	if (klen == 0) {
		conf_err(e, "%s:%d: expected 'key = value'", file, lineno);
		return;
	}
	if (klen >= sizeof(key)) {
		conf_err(e, "%s:%d: unknown key '%.*s...'", file, lineno, 32, p);
		return;
	}
	memcpy(key, p, klen);
	key[klen] = '\0';
	if ((k = conf_keydef(key)) == NULL) {
		conf_err(e, "%s:%d: unknown key '%s'", file, lineno, key);
		return;
	}
	vstart = eq + 1;
	/* A '#' after white space starts a comment, also after a value;
	 * a '#' inside a word (a path "a#b") stays. */
	for (q = vstart; q < end; q++)
		if (*q == '#' && (q == vstart || q[-1] == ' ' ||
		    q[-1] == '\t')) {
			end = q;
			break;
		}
	conf_trim(&vstart, &end);
	if (vstart == end) {
		conf_err(e, "%s:%d: %s: missing value", file, lineno, key);
		return;
	}
	if (k->type != CONF_T_FOLLOW && k->type != CONF_T_MATCH &&
	    k->type != CONF_T_RELAY &&
	    seen[k->key] != 0) {
		conf_err(e, "%s:%d: %s: duplicate key (first on line %d)",
		    file, lineno, key, seen[k->key]);
		return;
	}
	memcpy(val, vstart, (size_t)(end - vstart));
	val[end - vstart] = '\0';
	if (conf_set(c, k, val, lineno, why) == -1) {
		conf_err(e, "%s:%d: %s: %s", file, lineno, key, why);
		return;
	}
	seen[k->key] = lineno;
	c->set[k->key] = lineno;
}

/* Parse a whole file's text over c (start from conf_defaults); every
 * error is kept, the good lines still apply.  -1 if any line was bad. */
int
conf_parse(struct conf *c, const char *file, const char *text, size_t len,
    struct conf_errors *e)
{
	const char	*p = text, *end = text + len, *nl, *lend;
	int		 seen[CONF_NKEYS], lineno = 0;
	size_t		 before = e->n + e->dropped;

	memset(seen, 0, sizeof(seen));
	while (p < end) {
		lineno++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		lend = nl;
		if (lend > p && lend[-1] == '\r')
			lend--;
		if (lend - p > CONF_LINE_MAX)
			conf_err(e, "%s:%d: line longer than %d bytes", file,
			    lineno, CONF_LINE_MAX);
		else
			conf_line(c, file, lineno, p, lend, seen, e);
		p = nl + 1;
	}
	return e->n + e->dropped > before ? -1 : 0;
}

/* Does a follow value start with a word and a colon before any slash,
 * the word not a format we know? */
static int
conf_unknown_prefix(const char *v)
{
	const char	*colon = strchr(v, ':'), *slash = strchr(v, '/');

	if (conf_is_journal(v) || colon == NULL || colon == v ||
	    (slash != NULL && slash < colon))
		return 0;
	return strncmp(v, "postfix:", 8) != 0 && strncmp(v, "exim:", 5) != 0 &&
	    strncmp(v, "auto:", 5) != 0;
}

/* A command-line option for a key (arg NULL for a flag): it will win
 * over the file in conf_merge.  With cwd, a relative path (also after a
 * "postfix:" prefix) is taken from there, as a shell user expects; the
 * file only takes absolute paths.  Errors name the option. */
int
conf_option(struct conf *c, const struct conf_keydef *k, const char *arg,
    const char *cwd, struct conf_errors *e)
{
	char		 why[CONF_WHY_LEN], joined[2 * CONF_PATH_MAX + 16];
	const char	*path = arg;
	size_t		 plen = 0;

	if (arg == NULL)
		arg = path = "yes";
	if (cwd != NULL && (k->type == CONF_T_FOLLOW ||
	    k->type == CONF_T_PATH || k->type == CONF_T_SOCKPATH)) {
		if (k->type == CONF_T_FOLLOW && (strncmp(arg, "postfix:", 8) ==
		    0 || strncmp(arg, "exim:", 5) == 0 ||
		    strncmp(arg, "auto:", 5) == 0))
			plen = (size_t)(strchr(arg, ':') - arg) + 1;
		path = arg + plen;
		/* "nginx:/x" or "postfx:/x" is a format not known, not a
		 * relative path: conf_follow says so. */
		if (k->type == CONF_T_FOLLOW && plen == 0 &&
		    conf_unknown_prefix(arg))
			path = "/";
		if (*path != '/' && *path != '\0' && !conf_is_journal(arg) &&
		    strlen(cwd) + strlen(arg) + 2 < sizeof(joined)) {
			snprintf(joined, sizeof(joined), "%.*s%s/%s", (int)plen,
			    arg, strcmp(cwd, "/") == 0 ? "" : cwd, path);
			arg = joined;
		}
	}
	if (conf_set(c, k, arg, 0, why) == -1) {
		conf_err(e, "--%s: %s", k->option != NULL ? k->option :
		    k->name, why);
		return -1;
	}
	c->set[k->key] = -1;
	return 0;
}

/* Keys set in src (the command line) replace those of dst (the file);
 * any --follow replaces every follow line. */
void
conf_merge(struct conf *dst, const struct conf *src)
{
	size_t	i;

	for (i = 0; i < CONF_NKEYS; i++) {
		if (src->set[i] == 0)
			continue;
		if (conf_keys[i].key == CONF_FOLLOW) {
			memcpy(dst->follow, src->follow, sizeof(dst->follow));
			dst->nfollow = src->nfollow;
		} else
			memcpy((char *)dst + conf_keys[i].off,
			    (const char *)src + conf_keys[i].off,
			    conf_keys[i].size);
		dst->set[i] = src->set[i];
	}
}

/* Checks across keys and derived values, after the merge: something to
 * follow, the database path made absolute. */
int
conf_finish(struct conf *c, const char *file, struct conf_errors *e)
{
	char	path[CONF_PATH_MAX + CONF_PATH_MAX + 2];
	int	rc = 0;

	if (file == NULL)
		file = "smtptallyd";
	if (c->nfollow == 0) {
		conf_err(e, "%s: nothing to follow: add a line 'follow = "
		    "[postfix:|exim:]/path' or give --follow", file);
		rc = -1;
	}
	if (c->socket[0] == '\0') {
		conf_err(e, "%s: socket: no path", file);
		rc = -1;
	}
	if (c->database[0] == '\0') {
		conf_err(e, "%s: database: no path", file);
		rc = -1;
	} else if (c->database[0] != '/') {
		snprintf(path, sizeof(path), "%s/%s", strcmp(c->state_directory,
		    "/") == 0 ? "" : c->state_directory, c->database);
		if (strlen(path) >= sizeof(c->database)) {
			conf_err(e, "%s: database: %s/%s is longer than %zu "
			    "bytes", file, c->state_directory, c->database,
			    sizeof(c->database) - 1);
			rc = -1;
		} else {
			memset(c->database, 0, sizeof(c->database));
			memcpy(c->database, path, strlen(path));
		}
	}
	return rc;
}

/* Does the directory that holds the database exist?  Checked at start,
 * so a typo in state_directory is named, not met as a lock file that
 * cannot be created; by -n (all 0) only when state_directory or database
 * was given, as the default one is made by the package or systemd. */
int
conf_check_dirs(const struct conf *c, int all, char *why, size_t len)
{
	char		 dir[CONF_PATH_MAX + 1], *slash;
	struct stat	 sb;

	if (!all && c->set[CONF_STATE_DIRECTORY] == 0 &&
	    c->set[CONF_DATABASE] == 0)
		return 0;

	snprintf(dir, sizeof(dir), "%s", c->database);
	if ((slash = strrchr(dir, '/')) == NULL)
		return 0;
	if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	if (stat(dir, &sb) == -1) {
		snprintf(why, len, "%s: the directory for the database %s: %s; "
		    "create it (install -d -o smtptally %s) or set "
		    "state_directory or database", dir, c->database,
		    strerror(errno), dir);
		return -1;
	}
	if (!S_ISDIR(sb.st_mode)) {
		snprintf(why, len, "%s: not a directory; set state_directory "
		    "or database", dir);
		return -1;
	}
	return 0;
}

/* Read a file (at most CONF_FILE_MAX bytes) and parse it over c.  A
 * missing file that is not required is no error. */
int
conf_read(struct conf *c, const char *file, int required,
    struct conf_errors *e)
{
	struct stat	 sb;
	char		*buf;
	size_t		 have = 0;
	ssize_t		 r;
	int		 fd, rc;

	if ((fd = open(file, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT && !required)
			return 0;
		conf_err(e, "%s: %s", file, strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) == -1) {
		conf_err(e, "%s: %s", file, strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(sb.st_mode)) {
		conf_err(e, "%s: not a regular file", file);
		close(fd);
		return -1;
	}
	if (sb.st_size > CONF_FILE_MAX) {
		conf_err(e, "%s: larger than %d bytes", file, CONF_FILE_MAX);
		close(fd);
		return -1;
	}
	if ((buf = malloc((size_t)sb.st_size + 1)) == NULL) {
		conf_err(e, "%s: out of memory", file);
		close(fd);
		return -1;
	}
	/* The file may grow while we read: never past the size we saw. */
	while (have < (size_t)sb.st_size) {
		r = read(fd, buf + have, (size_t)sb.st_size - have);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			conf_err(e, "%s: %s", file, strerror(errno));
			free(buf);
			close(fd);
			return -1;
		}
		if (r == 0)
			break;
		have += (size_t)r;
	}
	close(fd);
	rc = conf_parse(c, file, buf, have, e);
	free(buf);
	return rc;
}

/* The whole load, for start-up, -n and SIGHUP: defaults, the file (if
 * any), the command line on top, the checks.  -1 if anything is wrong;
 * the caller then keeps its old configuration. */
int
conf_load(struct conf *c, const char *file, int required,
    const struct conf *cmdline, struct conf_errors *e)
{
	size_t	before = e->n + e->dropped;

	conf_defaults(c);
	if (file != NULL)
		(void)conf_read(c, file, required, e);
	if (cmdline != NULL)
		conf_merge(c, cmdline);
	(void)conf_finish(c, file, e);
	return e->n + e->dropped > before ? -1 : 0;
}

/* Same file with the same format in both lists? */
static int
conf_has_follow(const struct conf *c, const struct conf_follow *f)
{
	size_t	i;

	for (i = 0; i < c->nfollow; i++)
		if (c->follow[i].mta == f->mta &&
		    strcmp(c->follow[i].path, f->path) == 0)
			return 1;
	return 0;
}

/* What a reload from old to new means: files to add and to release (a
 * changed format is both), and keys that changed but need a restart. */
void
conf_diff(const struct conf *old, const struct conf *new,
    struct conf_diff *d)
{
	size_t	i;

	memset(d, 0, sizeof(*d));
	for (i = 0; i < new->nfollow; i++)
		if (!conf_has_follow(old, &new->follow[i]))
			d->added[d->nadded++] = i;
	for (i = 0; i < old->nfollow; i++)
		if (!conf_has_follow(new, &old->follow[i]))
			d->removed[d->nremoved++] = i;
	for (i = 0; i < CONF_NKEYS; i++) {
		if (conf_keys[i].reload)
			continue;
		if (memcmp((const char *)old + conf_keys[i].off,
		    (const char *)new + conf_keys[i].off,
		    conf_keys[i].size) != 0) {
			d->restart[i] = 1;
			d->nrestart++;
		}
	}
}

/* Seconds east of UTC for stamps without an offset, at time t. */
long
conf_utc_offset(const struct conf *c, time_t t)
{
	struct tm	tm;

	if (c->timezone.kind == CONF_TZ_FIXED)
		return c->timezone.offset;
	if (c->timezone.kind == CONF_TZ_NAMED)
		return 0;	/* the daemon reads the zone's own rules */
	if (localtime_r(&t, &tm) == NULL)
		return 0;
	return tm.tm_gmtoff;
}

/* The options part of --help, from the table. */
void
conf_usage(FILE *fp)
{
	char	left[64];
	size_t	i;

	fprintf(fp, "options (each is also a key of smtptallyd.conf(5); "
	    "the command line wins):\n");
	for (i = 0; i < CONF_NKEYS; i++) {
		const struct conf_keydef *k = &conf_keys[i];

		if (k->option == NULL)
			continue;
		snprintf(left, sizeof(left), "--%s%s%s", k->option,
		    k->arg != NULL ? " " : "", k->arg != NULL ? k->arg : "");
		fprintf(fp, "  %-30s %s", left, k->help);
		if (k->def != NULL && k->type != CONF_T_BOOL)
			fprintf(fp, " [%s]", k->def);
		fputc('\n', fp);
	}
}

/* The effective configuration in the file's own syntax (for -n -v). */
void
conf_print(FILE *fp, const struct conf *c)
{
	const struct conf_keydef	*k;
	const char			*v;
	long				 off;
	size_t				 i, j;
	int				 n;

	for (i = 0; i < CONF_NKEYS; i++) {
		k = &conf_keys[i];
		v = (const char *)c + k->off;
		switch (k->type) {
		case CONF_T_MATCH:
			for (j = 0; j < c->journal_match.n; j++)
				fprintf(fp, "%s = %s\n", k->name,
				    c->journal_match.m[j]);
			break;
		case CONF_T_FOLLOW:
			for (j = 0; j < c->nfollow; j++)
				fprintf(fp, "follow = %s%s\n",
				    c->follow[j].mta == MTA_POSTFIX ?
				    "postfix:" : c->follow[j].mta == MTA_EXIM ?
				    "exim:" : "", c->follow[j].path);
			break;
		case CONF_T_PATH:
		case CONF_T_SOCKPATH:
			fprintf(fp, "%s = %s\n", k->name, v);
			break;
		case CONF_T_GROUP:
			if (*v != '\0')
				fprintf(fp, "%s = %s\n", k->name, v);
			else
				fprintf(fp, "# %s = (the daemon's group)\n",
				    k->name);
			break;
		case CONF_T_LISTEN:
			fprintf(fp, "%s = %s\n", k->name, *v != '\0' ? v :
			    "off");
			break;
		case CONF_T_MODE:
			fprintf(fp, "%s = %04o\n", k->name, c->socket_mode);
			break;
		case CONF_T_BOOL:
			memcpy(&n, v, sizeof(n));
			fprintf(fp, "%s = %s\n", k->name, n ? "yes" : "no");
			break;
		case CONF_T_TIMEZONE:
			off = c->timezone.offset;
			if (c->timezone.kind == CONF_TZ_LOCAL)
				fprintf(fp, "%s = local\n", k->name);
			else if (c->timezone.kind == CONF_TZ_NAMED)
				fprintf(fp, "%s = %s\n", k->name,
				    c->timezone.name);
			else if (off == 0)
				fprintf(fp, "%s = UTC\n", k->name);
			else
				fprintf(fp, "%s = %c%02ld:%02ld\n", k->name,
				    off < 0 ? '-' : '+', labs(off) / 3600,
				    labs(off) % 3600 / 60);
			break;
		case CONF_T_COMPAT:
			fprintf(fp, "%s = %s%s%s\n", k->name,
			    c->metrics_compat == 0 ? "none" : "",
			    c->metrics_compat & CONF_COMPAT_POSTFIX ?
			    "postfix_exporter" : "",
			    c->metrics_compat == (CONF_COMPAT_POSTFIX |
			    CONF_COMPAT_EXIM) ? ", exim_exporter" :
			    c->metrics_compat == CONF_COMPAT_EXIM ?
			    "exim_exporter" : "");
			break;
		case CONF_T_YEAR:
			fprintf(fp, "%s = %s\n", k->name,
			    c->year == CONF_YEAR_NOW ? "now" : "mtime");
			break;
		case CONF_T_RELAY:
			for (j = 0; j < c->filter_relay.n; j++)
				fprintf(fp, "%s = %s\n", k->name,
				    c->filter_relay.v[j]);
			break;
		case CONF_T_INT:
		case CONF_T_MSEC:
		case CONF_T_SIZE:
			if (k->size == sizeof(int)) {
				memcpy(&n, v, sizeof(n));
				fprintf(fp, "%s = %d\n", k->name, n);
			} else {
				size_t	z;

				memcpy(&z, v, sizeof(z));
				fprintf(fp, "%s = %zu\n", k->name, z);
			}
			break;
		}
	}
}
