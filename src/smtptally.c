/*
 * smtptally: the client a postmaster types.  It asks smtptallyd over its
 * Unix socket (HTTP/1.0, one request per connection, JSON answers) and
 * prints aligned tables, CSV, raw JSON, or the plain-text report for cron
 * mail; `explain` answers from the built-in code dictionary without asking
 * the daemon.
 *
 * Exit status: 0 done, 1 the daemon could not be asked or answered badly,
 * 2 usage error.  Every failure to reach the daemon says what is wrong and
 * what to do about it.
 *
 * Not here: SQL, the counting rules (the daemon's query.c owns them).
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "api.h"
#include "codes.h"
#include "timespec.h"

#define ANSWER_MAX	(64 * 1024 * 1024)	/* bytes we accept back */
#define TIMEOUT_MS	30000
#define TARGET_MAX	4096
#define WIDTH		80
#define SPARK_MAX	60	/* sparkline columns */

enum { EXIT_OK = 0, EXIT_DAEMON = 1, EXIT_USAGE = 2 };

int	 cmd_classify(int, char **);	/* client_classify.c */

struct opts {
	const char	*sock;
	int		 json, csv;
	const char	*by;
	int		 top;
	int64_t		 since, until;
	int		 has_since, has_until;
	const char	*domain, *host, *reply, *enhanced, *class, *status,
			*kind, *direction, *mta;
};

/* A request target under construction: path plus encoded parameters. */
struct target {
	char	 buf[TARGET_MAX];
	int	 nparam;
	int	 overflow;
};

static const char *progname = "smtptally";

static void usage(int) __attribute__((__noreturn__));

/* Print a message and leave with the given status. */
static void __attribute__((__format__(printf, 2, 3), __noreturn__))
die(int code, const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

/* The usage: on stdout when asked for (--help), else on stderr. */
static void
usage(int code)
{
	fprintf(code == EXIT_OK ? stdout : stderr,
	    "usage: smtptally [-s socket] command [options]\n"
	    "       smtptally --help | --version\n"
	    "commands:\n"
	    "  summary            counts by class (or --by KEY,...)\n"
	    "  top                busiest domains, deferral and bounce "
	    "shares\n"
	    "  domain NAME        one domain: codes and reasons\n"
	    "  reasons            normalised reply texts with counts\n"
	    "  status             the daemon: files, offsets, lag\n"
	    "  report             plain-text report for cron mail\n"
	    "  explain CODE [ENHANCED]   what a reply code means\n"
	    "  classify 'REPLY'   category, blame and the rule that "
	    "matched\n"
	    "options: --since T --until T (1h 24h 7d today yesterday "
	    "RFC3339)\n"
	    "  --by KEYS (class reply enhanced domain status kind direction "
	    "mta host hour day)\n"
	    "  --top N --domain D --host H --reply N --enhanced C --class "
	    "4xx\n"
	    "  --status S --kind K --direction out|in --mta postfix|exim\n"
	    "  --json --csv\n");
	exit(code);
}

/* Percent-encode everything outside RFC 3986's unreserved set. */
static void
target_add(struct target *t, const char *key, const char *value)
{
	static const char hex[] = "0123456789ABCDEF";
	char		 enc[3 * API_VALUE_MAX + 1];
	size_t		 i, o = 0, have;
	unsigned char	 c;
	int		 n;

	if (value == NULL)
		return;
	if (strlen(value) > API_VALUE_MAX)
		die(EXIT_USAGE, "%s: value too long", key);
	for (i = 0; value[i] != '\0'; i++) {
		c = (unsigned char)value[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~')
			enc[o++] = (char)c;
		else {
			enc[o++] = '%';
			enc[o++] = hex[c >> 4];
			enc[o++] = hex[c & 15];
		}
	}
	enc[o] = '\0';
	have = strlen(t->buf);
	n = snprintf(t->buf + have, sizeof t->buf - have, "%c%s=%s",
	    t->nparam++ ? '&' : '?', key, enc);
	if (n < 0 || (size_t)n >= sizeof t->buf - have)
		t->overflow = 1;
}

/* Numbers go through the same encoder as text. */
static void
target_add_int(struct target *t, const char *key, int64_t v)
{
	char	 buf[32];

	snprintf(buf, sizeof buf, "%lld", (long long)v);
	target_add(t, key, buf);
}

/* Start a request target at an endpoint path. */
static void
target_init(struct target *t, const char *path)
{
	memset(t, 0, sizeof *t);
	snprintf(t->buf, sizeof t->buf, "%s", path);
}

/* The range and filters every counting command passes on. */
static void
target_common(struct target *t, const struct opts *o)
{
	if (o->has_since)
		target_add_int(t, "since", o->since);
	if (o->has_until)
		target_add_int(t, "until", o->until);
	target_add(t, "domain", o->domain);
	target_add(t, "host", o->host);
	target_add(t, "reply", o->reply);
	target_add(t, "enhanced", o->enhanced);
	target_add(t, "class", o->class);
	target_add(t, "status", o->status);
	target_add(t, "kind", o->kind);
	target_add(t, "direction", o->direction);
	target_add(t, "mta", o->mta);
}

/* Say why the socket cannot be reached, and what to do. */
static void __attribute__((__noreturn__))
connect_failed(const char *path, int e)
{
	struct stat	 sb;
	struct group	*gr;

	switch (e) {
	case ENOENT:
		die(EXIT_DAEMON, "no socket at %s: smtptallyd is not running "
		    "or listens elsewhere; start it (systemctl start "
		    "smtptallyd) or give its socket with -s", path);
	case ECONNREFUSED:
		if (stat(path, &sb) == 0 && !S_ISSOCK(sb.st_mode))
			die(EXIT_DAEMON, "%s is not a socket: wrong path? "
			    "give the daemon's socket with -s", path);
		die(EXIT_DAEMON, "nothing answers on %s: smtptallyd is not "
		    "running (the socket is left over); start it", path);
	case EACCES:
	case EPERM:
		if (stat(path, &sb) == 0 &&
		    (gr = getgrgid(sb.st_gid)) != NULL)
			die(EXIT_DAEMON, "permission denied on %s: join group "
			    "'%s' (then log in again) or run as root", path,
			    gr->gr_name);
		die(EXIT_DAEMON, "permission denied on %s: join the socket's "
		    "group or run as root", path);
	case ENOTDIR:
	case ENOTSOCK:
		die(EXIT_DAEMON, "%s is not a socket: wrong path? give the "
		    "daemon's socket with -s", path);
	default:
		die(EXIT_DAEMON, "cannot connect to %s: %s", path,
		    strerror(e));
	}
}

/* Write all of buf, or fail. */
static int
write_all(int fd, const char *buf, size_t len)
{
	ssize_t	 n;

	while (len > 0) {
		if ((n = write(fd, buf, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * One request, one connection.  HTTP/1.0 keeps the reading simple: the
 * daemon closes after the answer, so the body is everything after the
 * headers.  Returns the status code; *body is allocated.
 */
static int
fetch(const char *sock, const char *target, char **body, size_t *bodylen)
{
	struct sockaddr_un	 sun;
	struct pollfd		 pfd;
	char			 req[TARGET_MAX + 256], *buf = NULL, *p, *hdr;
	char			*nbuf, *line, *next;
	size_t			 len = 0, cap = 0;
	ssize_t			 n;
	int			 fd, status, api = -1;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(sock) >= sizeof sun.sun_path)
		die(EXIT_USAGE, "socket path too long: %s", sock);
	strcpy(sun.sun_path, sock);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		die(EXIT_DAEMON, "socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == -1)
		connect_failed(sock, errno);
	snprintf(req, sizeof req, "GET %s HTTP/1.0\r\nHost: localhost\r\n"
	    "User-Agent: smtptally/%s\r\nAccept: application/json\r\n\r\n",
	    target, PACKAGE_VERSION);
	if (write_all(fd, req, strlen(req)) == -1)
		die(EXIT_DAEMON, "sending to %s: %s", sock, strerror(errno));
	for (;;) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if ((n = poll(&pfd, 1, TIMEOUT_MS)) == -1) {
			if (errno == EINTR)
				continue;
			die(EXIT_DAEMON, "poll: %s", strerror(errno));
		}
		if (n == 0)
			die(EXIT_DAEMON, "no answer from %s in %d seconds: the "
			    "daemon is stuck or overloaded", sock,
			    TIMEOUT_MS / 1000);
		if (cap - len < 65536) {
			if (cap >= ANSWER_MAX)
				die(EXIT_DAEMON, "answer larger than %d MB",
				    ANSWER_MAX >> 20);
			cap = cap ? cap * 2 : 65536 * 2;
			if ((nbuf = realloc(buf, cap + 1)) == NULL)
				die(EXIT_DAEMON, "out of memory");
			buf = nbuf;
		}
		if ((n = read(fd, buf + len, cap - len)) == -1) {
			if (errno == EINTR)
				continue;
			die(EXIT_DAEMON, "reading from %s: %s", sock,
			    strerror(errno));
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (buf == NULL)
		die(EXIT_DAEMON, "%s closed the connection without an answer: "
		    "not smtptallyd, or it dropped us (too many clients?)",
		    sock);
	buf[len] = '\0';
	if (strncmp(buf, "HTTP/1.", 7) != 0 || len < 12 ||
	    sscanf(buf + 9, "%3d", &status) != 1 ||
	    (p = strstr(buf, "\r\n\r\n")) == NULL)
		die(EXIT_DAEMON, "%s answered something that is not HTTP: "
		    "wrong socket?", sock);
	*p = '\0';
	hdr = strstr(buf, "\r\n");
	for (line = hdr != NULL ? hdr + 2 : p; line < p; line = next) {
		if ((next = strstr(line, "\r\n")) == NULL)
			next = p;
		else
			*next = '\0', next += 2;
		if (strncasecmp(line, "X-Smtptally-Api:", 16) == 0)
			api = atoi(line + 16);
	}
	if (api == -1)
		die(EXIT_DAEMON, "the server on %s does not say which smtptally "
		    "API it speaks: it is not smtptallyd, or one older than "
		    "this client (%s); upgrade smtptallyd", sock,
		    PACKAGE_VERSION);
	if (api != API_VERSION)
		die(EXIT_DAEMON, "smtptallyd on %s speaks API %d, this client "
		    "(%s) speaks API %d: install matching versions of "
		    "smtptally and smtptallyd", sock, api, PACKAGE_VERSION,
		    API_VERSION);
	p += 4;
	*bodylen = len - (size_t)(p - buf);
	if ((*body = malloc(*bodylen + 1)) == NULL)
		die(EXIT_DAEMON, "out of memory");
	memcpy(*body, p, *bodylen + 1);
	free(buf);
	return status;
}

/* Ask and parse; any failure ends the program with a clear message. */
static json_t *
ask(const struct opts *o, struct target *t)
{
	char		*body;
	size_t		 len;
	int		 status;
	json_t		*j, *e;
	json_error_t	 jerr;

	if (t->overflow)
		die(EXIT_USAGE, "request too long");
	status = fetch(o->sock, t->buf, &body, &len);
	j = json_loadb(body, len, 0, &jerr);
	free(body);
	if (status != 200) {
		e = j != NULL ? json_object_get(j, "error") : NULL;
		if (status == 400)
			die(EXIT_USAGE, "the daemon refused the request: %s",
			    json_is_string(e) ? json_string_value(e) : "?");
		die(EXIT_DAEMON, "the daemon answered %d: %s", status,
		    json_is_string(e) ? json_string_value(e) :
		    "no explanation");
	}
	if (j == NULL || !json_is_object(j))
		die(EXIT_DAEMON, "the daemon's answer is not JSON: %s",
		    jerr.text);
	return j;
}

/* Integer member, 0 when absent. */
static json_int_t
jint(json_t *o, const char *k)
{
	json_t	*v = json_object_get(o, k);

	if (json_is_integer(v))
		return json_integer_value(v);
	if (json_is_real(v))
		return (json_int_t)json_real_value(v);
	return 0;
}

/* String member, "" when absent, so printing never sees NULL. */
static const char *
jtext(json_t *o, const char *k)
{
	json_t	*v = json_object_get(o, k);

	return json_is_string(v) ? json_string_value(v) : "";
}

/* 1234567 -> "1,234,567": counts are read by eye. */
static const char *
grouped(json_int_t v, char *buf, size_t len)
{
	char	 tmp[32];
	size_t	 i, n, o = 0;
	int	 neg = v < 0;

	snprintf(tmp, sizeof tmp, "%lld", neg ? -(long long)v : (long long)v);
	n = strlen(tmp);
	if (neg && o + 1 < len)
		buf[o++] = '-';
	for (i = 0; i < n && o + 2 < len; i++) {
		buf[o++] = tmp[i];
		if ((n - i - 1) % 3 == 0 && i + 1 < n)
			buf[o++] = ',';
	}
	buf[o] = '\0';
	return buf;
}

/* Shares are shown with one decimal. */
static const char *
percent(double share, char *buf, size_t len)
{
	snprintf(buf, len, "%.1f%%", share * 100.0);
	return buf;
}

/* "2026-11-29T14:00:00Z" -> "2026-11-29 14:00" (or the date for days). */
static const char *
short_time(const char *s, int day, char *buf, size_t len)
{
	if (strlen(s) < 16) {
		snprintf(buf, len, "%s", s);
		return buf;
	}
	snprintf(buf, len, "%.10s%s%.5s", s, day ? "" : " ", day ? "" : s + 11);
	return buf;
}

/* ---- a tiny table printer: collect cells, measure, print ------------ */

#define COLS_MAX	8

struct table {
	size_t		 ncol;
	const char	*head[COLS_MAX];
	int		 right[COLS_MAX];
	int		 maxw[COLS_MAX];	/* 0 = no limit */
	char		**cell;
	size_t		 nrow, cap;
};

/* An empty table of ncol columns. */
static void
table_init(struct table *t, size_t ncol)
{
	memset(t, 0, sizeof *t);
	t->ncol = ncol;
}

/* Name a column, its alignment and its widest cell. */
static void
table_col(struct table *t, size_t i, const char *head, int right, int maxw)
{
	t->head[i] = head;
	t->right[i] = right;
	t->maxw[i] = maxw;
}

/* Add one row of ncol strings (copied). */
static void
table_row(struct table *t, const char **cells)
{
	size_t	 i;

	if (t->nrow == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->cell = realloc(t->cell, t->cap * t->ncol * sizeof *t->cell);
		if (t->cell == NULL)
			die(EXIT_DAEMON, "out of memory");
	}
	for (i = 0; i < t->ncol; i++)
		if ((t->cell[t->nrow * t->ncol + i] = strdup(cells[i] ?
		    cells[i] : "")) == NULL)
			die(EXIT_DAEMON, "out of memory");
	t->nrow++;
}

/* Display width: count UTF-8 lead bytes, not continuation bytes. */
static size_t
width(const char *s)
{
	size_t	 n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

/* Print, cutting over-wide cells with "..." so lines stay short. */
static void
table_print(struct table *t, FILE *f, int indent)
{
	size_t	 w[COLS_MAX], r, i, cw;
	char	*c;

	for (i = 0; i < t->ncol; i++) {
		w[i] = width(t->head[i]);
		for (r = 0; r < t->nrow; r++) {
			c = t->cell[r * t->ncol + i];
			if (t->maxw[i] > 0 && width(c) > (size_t)t->maxw[i]) {
				/* Cut at a byte that starts a character. */
				size_t	 keep = 0, n = 0;

				while (c[keep] != '\0' && n < (size_t)t->maxw[i]
				    - 3) {
					keep++;
					while (((unsigned char)c[keep] & 0xC0)
					    == 0x80)
						keep++;
					n++;
				}
				strcpy(c + keep, "...");
			}
			if ((cw = width(c)) > w[i])
				w[i] = cw;
		}
	}
	for (r = 0; r <= t->nrow; r++) {
		fprintf(f, "%*s", indent, "");
		for (i = 0; i < t->ncol; i++) {
			const char	*v = r == 0 ? t->head[i] :
			    t->cell[(r - 1) * t->ncol + i];

			cw = width(v);
			if (t->right[i])
				fprintf(f, "%*s%s", (int)(w[i] - cw), "", v);
			else if (i + 1 < t->ncol)
				fprintf(f, "%s%*s", v, (int)(w[i] - cw), "");
			else
				fputs(v, f);
			if (i + 1 < t->ncol)
				fputs("  ", f);
		}
		fputc('\n', f);
	}
	for (r = 0; r < t->nrow * t->ncol; r++)
		free(t->cell[r]);
	free(t->cell);
	t->cell = NULL;
	t->nrow = t->cap = 0;
}

/* One CSV field: quoted when it holds a comma, quote or line break. */
static void
csv_field(FILE *f, const char *s, int last)
{
	if (strpbrk(s, ",\"\r\n") != NULL) {
		fputc('"', f);
		for (; *s != '\0'; s++) {
			if (*s == '"')
				fputc('"', f);
			fputc(*s, f);
		}
		fputc('"', f);
	} else
		fputs(s, f);
	fputc(last ? '\n' : ',', f);
}

/* The rows of an answer as CSV: the keys of the first row, in order. */
static void
print_csv(json_t *rows)
{
	json_t		*row, *first, *v;
	const char	*k;
	size_t		 i, n;
	char		 buf[64];

	if ((first = json_array_get(rows, 0)) == NULL)
		return;
	n = json_object_size(first);
	i = 0;
	json_object_foreach(first, k, v)
		csv_field(stdout, k, ++i == n);
	json_array_foreach(rows, i, row) {
		size_t	 j = 0;

		json_object_foreach(first, k, v) {
			v = json_object_get(row, k);
			if (json_is_string(v))
				csv_field(stdout, json_string_value(v),
				    ++j == n);
			else if (json_is_integer(v)) {
				snprintf(buf, sizeof buf, "%lld",
				    (long long)json_integer_value(v));
				csv_field(stdout, buf, ++j == n);
			} else if (json_is_real(v)) {
				snprintf(buf, sizeof buf, "%.6f",
				    json_real_value(v));
				csv_field(stdout, buf, ++j == n);
			} else if (json_is_true(v))
				csv_field(stdout, "true", ++j == n);
			else
				csv_field(stdout, "", ++j == n);
		}
	}
}

/* The answer unchanged, indented for people and jq. */
static void
print_json(json_t *j)
{
	json_dumpf(j, stdout, JSON_INDENT(2));
	fputc('\n', stdout);
}

/*
 * Sparklines are drawn with printable ASCII only, from light to heavy:
 * they must survive plain-text cron mail, where 8-bit or UTF-8 block
 * characters can be mangled by a charset conversion, a quoted-printable
 * encoder or a terminal without the glyphs.  Ten levels; a blank means
 * nothing at all, so any non-zero value shows at least a dot.
 */
static const char spark_ramp[] = " .:-=+*#%@";

/* Attempts relative to the busiest column, on the ASCII ramp. */
static char
spark_char(double v, double max)
{
	int	 i;

	if (v <= 0 || max <= 0)
		return spark_ramp[0];
	i = 1 + (int)(v / max * 8.999);
	if (i > 9)
		i = 9;
	return spark_ramp[i];
}

/*
 * Failure shares on fixed steps rather than a straight line: a few per
 * cent of deferrals already matter to a postmaster, and a linear ramp
 * would draw them all as dots.  Steps in per cent for levels 2 to 9.
 */
static const double share_steps[] = { 1, 2, 5, 10, 20, 35, 50, 75 };

/* A failure share on the fixed steps above. */
static char
share_char(double part, double whole)
{
	double	 pc;
	int	 i;

	if (part <= 0 || whole <= 0)
		return spark_ramp[0];
	pc = part * 100.0 / whole;
	for (i = 7; i >= 0; i--)
		if (pc >= share_steps[i])
			return spark_ramp[i + 2];
	return spark_ramp[1];
}

/* Buckets of a period: attempts and failures, re-binned to fit a line. */
struct spark {
	int64_t		 start, step;
	int		 n;
	double		 attempts[SPARK_MAX], fail4[SPARK_MAX],
			 fail5[SPARK_MAX];
};

/* Columns for [since, until): hours or days, merged to fit SPARK_MAX. */
static void
spark_init(struct spark *s, int64_t since, int64_t until)
{
	int64_t	 span = until - since;

	static const int hours[] = { 1, 2, 3, 4, 6, 8, 12, 24 };
	size_t		 i;

	memset(s, 0, sizeof *s);
	/* The finest step that fits: hours that divide a day, then days. */
	for (i = 0; i < sizeof hours / sizeof hours[0]; i++) {
		s->step = hours[i] * 3600;
		if (span <= s->step * SPARK_MAX)
			break;
	}
	while (span > s->step * SPARK_MAX)
		s->step += 86400;
	s->start = since - since % s->step;
	s->n = (int)((until - s->start + s->step - 1) / s->step);
	if (s->n > SPARK_MAX)
		s->n = SPARK_MAX;
	if (s->n < 1)
		s->n = 1;
}

/* One bucket's count of one class ('2', '4' or '5'). */
static void
spark_add(struct spark *s, int64_t at, int class, double count)
{
	int	 col;

	if (at < s->start)
		return;
	col = (int)((at - s->start) / s->step);
	if (col >= s->n)
		return;
	s->attempts[col] += count;
	if (class == '4')
		s->fail4[col] += count;
	else if (class == '5')
		s->fail5[col] += count;
}

/* Ask by=hour,class for the period and fill the columns. */
static void
spark_fill(const struct opts *o, int64_t since, int64_t until,
    struct spark *s)
{
	struct target	 t;
	struct opts	 ro = *o;
	json_t		*j, *row;
	size_t		 i;
	int64_t		 at;

	spark_init(s, since, until);
	ro.since = since;
	ro.until = until;
	ro.has_since = ro.has_until = 1;
	target_init(&t, "/v1/summary");
	target_common(&t, &ro);
	target_add(&t, "by", "hour,class");
	j = ask(o, &t);
	json_array_foreach(json_object_get(j, "rows"), i, row) {
		if (timespec_parse(jtext(row, "hour"), 0, &at) == -1)
			continue;
		spark_add(s, at, jtext(row, "class")[0],
		    (double)jint(row, "count"));
	}
	json_decref(j);
}

/* Two lines: attempts (relative to the busiest bucket), failure share. */
static void
spark_print(const struct spark *s, FILE *f)
{
	char	 a[SPARK_MAX + 1], fl[SPARK_MAX + 1], from[40], to[40];
	double	 max = 0;
	int	 i;

	for (i = 0; i < s->n; i++)
		if (s->attempts[i] > max)
			max = s->attempts[i];
	for (i = 0; i < s->n; i++) {
		a[i] = spark_char(s->attempts[i], max);
		fl[i] = share_char(s->fail4[i] + s->fail5[i],
		    s->attempts[i]);
	}
	a[s->n] = fl[s->n] = '\0';
	timespec_format(s->start, from, sizeof from);
	timespec_format(s->start + (int64_t)s->n * s->step, to, sizeof to);
	from[10] = to[10] = ' ';
	fprintf(f, "  one column = %lld %s, from %.16s to %.16s UTC\n",
	    (long long)(s->step % 86400 == 0 ? s->step / 86400 :
	    s->step / 3600), s->step % 86400 == 0 ? "day(s)" : "hour(s)",
	    from, to);
	fprintf(f, "  attempts  |%s|\n", a);
	fprintf(f, "  4xx+5xx   |%s|\n", fl);
	fprintf(f, "  attempts: \"%s\" from few to the busiest column\n",
	    spark_ramp + 1);
	fprintf(f, "  4xx+5xx share:  . >0%%  : 1%%  - 2%%  = 5%%  + 10%%  "
	    "* 20%%  # 35%%  %% 50%%  @ 75%%\n");
}

/* ---- commands -------------------------------------------------------- */

/* summary --by hour|day in a terminal: pivot classes, add a bar. */
static int
summary_series(const struct opts *o, const char *key)
{
	struct target	 t;
	json_t		*j, *rows, *row;
	struct table	 tb;
	size_t		 i, n = 0, k;
	char		 b[5][64], bar[41];
	const char	*cells[6], *ts;
	struct {
		char	 when[40];
		double	 c[3];
	} *acc = NULL;
	double		 max = 0, tot;
	int		 c, day = strcmp(key, "day") == 0, len;
	char		 by[32];

	snprintf(by, sizeof by, "%s,class", key);
	target_init(&t, "/v1/summary");
	target_common(&t, o);
	target_add(&t, "by", by);
	j = ask(o, &t);
	rows = json_object_get(j, "rows");
	if ((acc = calloc(json_array_size(rows) + 1, sizeof *acc)) == NULL)
		die(EXIT_DAEMON, "out of memory");
	json_array_foreach(rows, i, row) {
		ts = jtext(row, key);
		if (n == 0 || strcmp(acc[n - 1].when, ts) != 0)
			snprintf(acc[n++].when, sizeof acc->when, "%s", ts);
		c = jtext(row, "class")[0];
		acc[n - 1].c[c == '2' ? 0 : c == '4' ? 1 : 2] +=
		    (double)jint(row, "count");
	}
	for (k = 0; k < n; k++)
		if ((tot = acc[k].c[0] + acc[k].c[1] + acc[k].c[2]) > max)
			max = tot;
	table_init(&tb, 6);
	table_col(&tb, 0, key, 0, 0);
	table_col(&tb, 1, "attempts", 1, 0);
	table_col(&tb, 2, "2xx", 1, 0);
	table_col(&tb, 3, "4xx", 1, 0);
	table_col(&tb, 4, "5xx", 1, 0);
	table_col(&tb, 5, "(- 2xx  + 4xx  # 5xx)", 0, 0);
	for (k = 0; k < n; k++) {
		tot = acc[k].c[0] + acc[k].c[1] + acc[k].c[2];
		cells[0] = short_time(acc[k].when, day, b[0], sizeof b[0]);
		cells[1] = grouped((json_int_t)tot, b[1], sizeof b[1]);
		cells[2] = grouped((json_int_t)acc[k].c[0], b[2], sizeof b[2]);
		cells[3] = grouped((json_int_t)acc[k].c[1], b[3], sizeof b[3]);
		cells[4] = grouped((json_int_t)acc[k].c[2], b[4], sizeof b[4]);
		/* A bar of up to 30 columns, 5xx then 4xx then 2xx. */
		len = max > 0 ? (int)(tot / max * 30 + 0.5) : 0;
		if (len == 0 && tot > 0)
			len = 1;	/* something happened: show it */
		memset(bar, 0, sizeof bar);
		for (c = 0; c < len; c++) {
			double	 x = (c + 0.5) / len * tot;

			bar[c] = x < acc[k].c[2] ? '#' : x < acc[k].c[2] +
			    acc[k].c[1] ? '+' : '-';
		}
		cells[5] = bar;
		table_row(&tb, cells);
	}
	table_print(&tb, stdout, 0);
	printf("total %s\n", grouped(jint(j, "total"), b[0], sizeof b[0]));
	if (n > 1) {
		struct spark	 sp;
		int64_t		 first, last, at;

		if (timespec_parse(acc[0].when, 0, &first) == 0 &&
		    timespec_parse(acc[n - 1].when, 0, &last) == 0) {
			spark_init(&sp, first, last + (day ? 86400 : 3600));
			for (k = 0; k < n; k++) {
				if (timespec_parse(acc[k].when, 0, &at) == -1)
					continue;
				spark_add(&sp, at, '2', acc[k].c[0]);
				spark_add(&sp, at, '4', acc[k].c[1]);
				spark_add(&sp, at, '5', acc[k].c[2]);
			}
			printf("\n");
			spark_print(&sp, stdout);
		}
	}
	free(acc);
	json_decref(j);
	return EXIT_OK;
}

/* summary: counts grouped by --by, with shares. */
static int
cmd_summary(const struct opts *o)
{
	struct target	 t;
	json_t		*j, *rows, *row, *v;
	struct table	 tb;
	const char	*by = o->by != NULL ? o->by : "class", *k;
	const char	*cells[COLS_MAX];
	char		 b[COLS_MAX][128], keylist[API_VALUE_MAX + 1], *p,
			*tok, *names[API_BY_MAX + 1];
	size_t		 i, nk = 0, c;
	json_int_t	 total;

	/* In a terminal a time series gets bars and a sparkline; scripts
	 * reading a pipe get the plain table. */
	if (!o->json && !o->csv && isatty(STDOUT_FILENO) &&
	    (strcmp(by, "hour") == 0 || strcmp(by, "day") == 0))
		return summary_series(o, by);
	target_init(&t, "/v1/summary");
	target_common(&t, o);
	target_add(&t, "by", by);
	if (o->top > 0)
		target_add_int(&t, "top", o->top);
	j = ask(o, &t);
	rows = json_object_get(j, "rows");
	if (o->json) {
		print_json(j);
		json_decref(j);
		return EXIT_OK;
	}
	if (o->csv) {
		print_csv(rows);
		json_decref(j);
		return EXIT_OK;
	}
	snprintf(keylist, sizeof keylist, "%s", by);
	for (p = keylist; (tok = strsep(&p, ",")) != NULL && nk <
	    API_BY_MAX;)
		if (*tok != '\0')
			names[nk++] = tok;
	total = jint(j, "total");
	table_init(&tb, nk + 2);
	for (c = 0; c < nk; c++)
		table_col(&tb, c, names[c], strcmp(names[c], "reply") == 0, 40);
	table_col(&tb, nk, "count", 1, 0);
	table_col(&tb, nk + 1, "share", 1, 0);
	json_array_foreach(rows, i, row) {
		for (c = 0; c < nk; c++) {
			k = names[c];
			v = json_object_get(row, k);
			if (json_is_integer(v))
				snprintf(b[c], sizeof b[c], "%lld",
				    (long long)json_integer_value(v));
			else if (strcmp(k, "hour") == 0 || strcmp(k, "day") == 0)
				short_time(json_string_value(v), k[0] == 'd',
				    b[c], sizeof b[c]);
			else if (json_is_string(v))
				snprintf(b[c], sizeof b[c], "%s",
				    *json_string_value(v) ?
				    json_string_value(v) : "-");
			else
				snprintf(b[c], sizeof b[c], "-");
			cells[c] = b[c];
		}
		cells[nk] = grouped(jint(row, "count"), b[nk], sizeof b[nk]);
		cells[nk + 1] = percent(total ? (double)jint(row, "count") /
		    total : 0, b[nk + 1], sizeof b[nk + 1]);
		table_row(&tb, cells);
	}
	table_print(&tb, stdout, 0);
	printf("total %s%s\n", grouped(total, b[0], sizeof b[0]),
	    json_is_true(json_object_get(j, "truncated")) ?
	    " (more rows than shown; use --top)" : "");
	json_decref(j);
	return EXIT_OK;
}

/* The domains table, shared by `top` and the report. */
static void
domains_table(json_t *rows, json_int_t total, FILE *f, int indent)
{
	struct table	 tb;
	json_t		*row;
	size_t		 i;
	char		 b[5][64];
	const char	*cells[5];

	table_init(&tb, 5);
	table_col(&tb, 0, "domain", 0, 36);
	table_col(&tb, 1, "attempts", 1, 0);
	table_col(&tb, 2, "share", 1, 0);
	table_col(&tb, 3, "deferred", 1, 0);
	table_col(&tb, 4, "bounced", 1, 0);
	json_array_foreach(rows, i, row) {
		if (json_is_true(json_object_get(row, "other")))
			snprintf(b[0], sizeof b[0], "(%lld other domains)",
			    (long long)jint(row, "domains"));
		else
			snprintf(b[0], sizeof b[0], "%s", jtext(row, "domain"));
		cells[0] = b[0];
		cells[1] = grouped(jint(row, "attempts"), b[1], sizeof b[1]);
		cells[2] = percent(total ? (double)jint(row, "attempts") /
		    total : 0, b[2], sizeof b[2]);
		cells[3] = percent(json_real_value(json_object_get(row,
		    "deferred_share")), b[3], sizeof b[3]);
		cells[4] = percent(json_real_value(json_object_get(row,
		    "bounced_share")), b[4], sizeof b[4]);
		table_row(&tb, cells);
	}
	table_print(&tb, f, indent);
}

/* top: the busiest domains and their deferral and bounce shares. */
static int
cmd_top(const struct opts *o)
{
	struct target	 t;
	json_t		*j;
	char		 b[64];

	target_init(&t, "/v1/domains");
	target_common(&t, o);
	if (o->top > 0)
		target_add_int(&t, "top", o->top);
	j = ask(o, &t);
	if (o->json)
		print_json(j);
	else if (o->csv)
		print_csv(json_object_get(j, "rows"));
	else {
		domains_table(json_object_get(j, "rows"), jint(j, "total"),
		    stdout, 0);
		printf("total %s attempts to %lld domains\n",
		    grouped(jint(j, "total"), b, sizeof b),
		    (long long)jint(j, "domains"));
	}
	json_decref(j);
	return EXIT_OK;
}

/* A reasons table, with the text cut to fit the line. */
static void
reasons_table(json_t *rows, FILE *f, int indent, int textw)
{
	struct table	 tb;
	json_t		*row;
	size_t		 i;
	char		 b[3][64];
	const char	*cells[4];

	table_init(&tb, 4);
	table_col(&tb, 0, "count", 1, 0);
	table_col(&tb, 1, "reply", 1, 0);
	table_col(&tb, 2, "enh.", 0, 0);
	table_col(&tb, 3, "text", 0, textw);
	json_array_foreach(rows, i, row) {
		cells[0] = grouped(jint(row, "count"), b[0], sizeof b[0]);
		snprintf(b[1], sizeof b[1], "%lld",
		    (long long)jint(row, "reply"));
		cells[1] = b[1];
		cells[2] = *jtext(row, "enhanced") ? jtext(row, "enhanced") :
		    "-";
		cells[3] = jtext(row, "text");
		table_row(&tb, cells);
	}
	table_print(&tb, f, indent);
}

/* reasons: the normalised texts remote servers gave. */
static int
cmd_reasons(const struct opts *o)
{
	struct target	 t;
	json_t		*j;

	target_init(&t, "/v1/reasons");
	target_common(&t, o);
	if (o->top > 0)
		target_add_int(&t, "top", o->top);
	j = ask(o, &t);
	if (o->json)
		print_json(j);
	else if (o->csv)
		print_csv(json_object_get(j, "rows"));
	else
		reasons_table(json_object_get(j, "rows"), stdout, 0, 50);
	json_decref(j);
	return EXIT_OK;
}

/*
 * Print "label  text" wrapped at WIDTH columns, continuation lines under
 * the text, so explanations read well in an 80-column mail.
 */
static void
wrapped(FILE *f, int indent, int labelw, const char *label, const char *text)
{
	int		 col, room, n;
	const char	*p = text, *sp;

	fprintf(f, "%*s%-*s  ", indent, "", labelw, label);
	col = indent + labelw + 2;
	room = WIDTH - 1 - col;
	while (*p != '\0') {
		n = (int)strlen(p);
		if (n > room) {
			/* Break at the last space that fits. */
			for (sp = p + room; sp > p && *sp != ' '; sp--)
				;
			n = sp > p ? (int)(sp - p) : room;
		}
		fprintf(f, "%.*s\n", n, p);
		p += n;
		while (*p == ' ')
			p++;
		if (*p != '\0')
			fprintf(f, "%*s", col, "");
	}
	if (*text == '\0')
		fputc('\n', f);
}

/* One line of words for a reply code and an enhanced code. */
static void
explain_line(FILE *f, int indent, json_int_t reply, const char *enh)
{
	const struct codes_entry	*r = codes_reply((int)reply);
	const struct codes_entry	*e = codes_enhanced(enh);

	char	 label[16];

	snprintf(label, sizeof label, "%lld", (long long)reply);
	if (r != NULL)
		wrapped(f, indent, 6, label, r->meaning);
	if (e != NULL)
		wrapped(f, indent, 6, enh, e->meaning);
}

/* domain NAME: its codes, what they mean, and its reasons. */
static int
cmd_domain(struct opts *o, const char *name)
{
	struct target	 t;
	json_t		*j, *r, *rows, *row;
	size_t		 i;
	struct table	 tb;
	char		 b[4][64];
	const char	*cells[4];
	json_int_t	 total;

	o->domain = name;
	target_init(&t, "/v1/summary");
	target_common(&t, o);
	target_add(&t, "by", "class,reply,enhanced");
	j = ask(o, &t);
	target_init(&t, "/v1/reasons");
	target_common(&t, o);
	target_add_int(&t, "top", o->top > 0 ? o->top : 10);
	r = ask(o, &t);
	if (o->json) {
		json_t	*both = json_pack("{s:s s:O s:O}", "domain", name,
		    "summary", j, "reasons", r);

		print_json(both);
		json_decref(both);
	} else if (o->csv)
		print_csv(json_object_get(j, "rows"));
	else {
		total = jint(j, "total");
		printf("%s: %s attempts\n\n", name,
		    grouped(total, b[0], sizeof b[0]));
		rows = json_object_get(j, "rows");
		table_init(&tb, 4);
		table_col(&tb, 0, "reply", 1, 0);
		table_col(&tb, 1, "enh.", 0, 0);
		table_col(&tb, 2, "count", 1, 0);
		table_col(&tb, 3, "share", 1, 0);
		json_array_foreach(rows, i, row) {
			snprintf(b[0], sizeof b[0], "%lld",
			    (long long)jint(row, "reply"));
			cells[0] = b[0];
			cells[1] = *jtext(row, "enhanced") ?
			    jtext(row, "enhanced") : "-";
			cells[2] = grouped(jint(row, "count"), b[2],
			    sizeof b[2]);
			cells[3] = percent(total ? (double)jint(row, "count") /
			    total : 0, b[3], sizeof b[3]);
			table_row(&tb, cells);
		}
		table_print(&tb, stdout, 2);
		printf("\nWhat the codes mean:\n");
		json_array_foreach(rows, i, row)
			explain_line(stdout, 2, jint(row, "reply"),
			    jtext(row, "enhanced"));
		if (json_array_size(json_object_get(r, "rows")) > 0) {
			printf("\nReasons given:\n");
			reasons_table(json_object_get(r, "rows"), stdout, 2,
			    50);
		}
	}
	json_decref(j);
	json_decref(r);
	return EXIT_OK;
}

/* status: the daemon, its files and whether it has caught up. */
static int
cmd_status(const struct opts *o)
{
	struct target	 t;
	json_t		*j, *files, *f;
	size_t		 i;
	struct table	 tb;
	char		 b[5][64];
	const char	*cells[6];
	json_int_t	 lines, unrec;

	target_init(&t, "/v1/status");
	j = ask(o, &t);
	if (o->json) {
		print_json(j);
		json_decref(j);
		return EXIT_OK;
	}
	files = json_object_get(j, "files");
	if (o->csv) {
		print_csv(files);
		json_decref(j);
		return EXIT_OK;
	}
	lines = jint(j, "lines_total");
	unrec = jint(j, "unrecognised_total");
	printf("smtptallyd %s (API %lld), database %s bytes\n",
	    jtext(j, "version"), (long long)jint(j, "api"),
	    grouped(jint(j, "db_bytes"), b[0], sizeof b[0]));
	printf("last commit: %s\n", *jtext(j, "last_commit") ?
	    jtext(j, "last_commit") : "never");
	printf("lines read: %s, not recognised: %s (%s)\n",
	    grouped(lines, b[0], sizeof b[0]), grouped(unrec, b[1],
	    sizeof b[1]), percent(lines ? (double)unrec / lines : 0, b[2],
	    sizeof b[2]));
	if (json_is_true(json_object_get(j, "caught_up")))
		printf("caught up: every followed file is read to its end\n");
	else
		printf("behind by %s bytes\n", grouped(jint(j, "lag_bytes"),
		    b[0], sizeof b[0]));
	printf("\n");
	table_init(&tb, 6);
	table_col(&tb, 0, "state", 0, 0);
	table_col(&tb, 1, "offset", 1, 0);
	table_col(&tb, 2, "size", 1, 0);
	table_col(&tb, 3, "lines", 1, 0);
	table_col(&tb, 4, "unrec.", 1, 0);
	table_col(&tb, 5, "path", 0, 40);
	json_array_foreach(files, i, f) {
		cells[0] = jtext(f, "state");
		cells[1] = grouped(jint(f, "offset"), b[0], sizeof b[0]);
		if (json_is_integer(json_object_get(f, "size")))
			cells[2] = grouped(jint(f, "size"), b[1], sizeof b[1]);
		else
			cells[2] = "-";
		cells[3] = grouped(jint(f, "lines"), b[2], sizeof b[2]);
		cells[4] = grouped(jint(f, "unrecognised"), b[3], sizeof b[3]);
		cells[5] = jtext(f, "path");
		table_row(&tb, cells);
	}
	table_print(&tb, stdout, 0);
	json_decref(j);
	return EXIT_OK;
}

/* Class counts of one period: [0] 2xx, [1] 4xx, [2] 5xx. */
static void
class_counts(const struct opts *o, int64_t since, int64_t until,
    json_int_t c[3])
{
	struct target	 t;
	struct opts	 ro = *o;
	json_t		*j, *row;
	size_t		 i;
	int		 k;

	ro.since = since;
	ro.until = until;
	ro.has_since = ro.has_until = 1;
	target_init(&t, "/v1/summary");
	target_common(&t, &ro);
	target_add(&t, "by", "class");
	j = ask(o, &t);
	c[0] = c[1] = c[2] = 0;
	json_array_foreach(json_object_get(j, "rows"), i, row) {
		k = jtext(row, "class")[0];
		c[k == '2' ? 0 : k == '4' ? 1 : 2] += jint(row, "count");
	}
	json_decref(j);
}

/* Lines read and lines not recognised in a period. */
static void
line_counts(const struct opts *o, int64_t since, int64_t until,
    json_int_t *total, json_int_t *unrec)
{
	struct target	 t;
	json_t		*j, *row;
	size_t		 i;

	target_init(&t, "/v1/lines");
	target_add_int(&t, "since", since);
	target_add_int(&t, "until", until);
	j = ask(o, &t);
	*total = jint(j, "total");
	*unrec = 0;
	json_array_foreach(json_object_get(j, "rows"), i, row)
		if (strcmp(jtext(row, "result"), "unrecognised") == 0)
			*unrec += jint(row, "count");
	json_decref(j);
}

/* Change against the previous period, or "new" when it had none. */
static const char *
change(json_int_t now, json_int_t before, char *buf, size_t len)
{
	if (before == 0)
		snprintf(buf, len, "%s", now == 0 ? "-" : "new");
	else
		snprintf(buf, len, "%+.1f%%", ((double)now - before) * 100.0 /
		    before);
	return buf;
}

/* Domains sorted by a share, with their top reasons. */
static void
report_domains(const struct opts *o, json_t *rows, const char *what,
    const char *status, json_t *codes)
{
	struct target	 t;
	json_t		*row, *r, *rr;
	size_t		 i, k, shown = 0;
	char		 b[3][64];
	const char	*share = status[0] == 'd' ? "deferred_share" :
			    "bounced_share";
	const char	*count = status[0] == 'd' ? "deferred" : "bounced";

	printf("\nTop %s domains\n", what);
	for (k = 0; k < 5; k++) {
		json_t		*best = NULL;
		json_int_t	 bestn = 0;

		/* Pick the k-th largest by count, skipping shown ones. */
		json_array_foreach(rows, i, row) {
			if (json_is_true(json_object_get(row, "other")) ||
			    json_is_true(json_object_get(row, "_shown")))
				continue;
			if (jint(row, count) > bestn) {
				bestn = jint(row, count);
				best = row;
			}
		}
		if (best == NULL)
			break;
		json_object_set_new(best, "_shown", json_true());
		shown++;
		printf("  %-32.32s %9s of %9s attempts (%s)\n",
		    jtext(best, "domain"), grouped(bestn, b[0], sizeof b[0]),
		    grouped(jint(best, "attempts"), b[1], sizeof b[1]),
		    percent(json_real_value(json_object_get(best, share)),
		    b[2], sizeof b[2]));
		target_init(&t, "/v1/reasons");
		target_common(&t, o);
		target_add(&t, "domain", jtext(best, "domain"));
		target_add(&t, "class", status[0] == 'd' ? "4xx" : "5xx");
		target_add(&t, "top", "2");
		r = ask(o, &t);
		json_array_foreach(json_object_get(r, "rows"), i, rr) {
			const char	*text = jtext(rr, "text");

			printf("    %7s x %3lld %-6s %.*s%s\n",
			    grouped(jint(rr, "count"), b[0], sizeof b[0]),
			    (long long)jint(rr, "reply"),
			    jtext(rr, "enhanced"), strlen(text) > 52 ? 49 : 52,
			    text, strlen(text) > 52 ? "..." : "");
			json_array_append_new(codes, json_pack("[I s]",
			    (json_int_t)jint(rr, "reply"),
			    jtext(rr, "enhanced")));
		}
		json_decref(r);
	}
	json_array_foreach(rows, i, row)
		json_object_del(row, "_shown");
	if (shown == 0)
		printf("  none\n");
}

/* report: the plain-text summary of a period for cron mail. */
static int
cmd_report(struct opts *o)
{
	struct target	 t;
	json_t		*j, *codes, *c, *byclass, *row;
	json_int_t	 now_c[3], prev_c[3], nt, pt, lt, lu, plt, plu;
	int64_t		 since, until, span, now = time(NULL);
	char		 from[40], to[40], b[4][64], host[256];
	const char	*names[3] = { "2xx  delivered", "4xx  deferred",
			    "5xx  failed" };
	struct spark	 sp;
	size_t		 i, k;
	double		 ushare, pshare;
	int		 seen[1000];

	if (o->json || o->csv)
		die(EXIT_USAGE, "report: plain text only (use summary, top "
		    "or reasons with --json)");
	/* The report is about our deliveries: rejections by our own smtpd
	 * (direction in) would pass for bounces.  --direction in asks. */
	if (o->direction == NULL)
		o->direction = "out";
	until = o->has_until ? o->until : now;
	since = o->has_since ? o->since : until - 86400;
	span = until - since;
	o->since = since;
	o->until = until;
	o->has_since = o->has_until = 1;

	class_counts(o, since, until, now_c);
	class_counts(o, since - span, since, prev_c);
	nt = now_c[0] + now_c[1] + now_c[2];
	pt = prev_c[0] + prev_c[1] + prev_c[2];
	timespec_format(since, from, sizeof from);
	timespec_format(until, to, sizeof to);
	if (gethostname(host, sizeof host) == -1)
		snprintf(host, sizeof host, "this host");
	host[sizeof host - 1] = '\0';
	printf("smtptally report for %.30s\n", host);
	from[10] = to[10] = ' ';
	if (span % 86400 == 0 && span > 2 * 86400)
		snprintf(b[0], sizeof b[0], "%lld days",
		    (long long)(span / 86400));
	else if (span % 3600 == 0)
		snprintf(b[0], sizeof b[0], "%lld hours",
		    (long long)(span / 3600));
	else
		snprintf(b[0], sizeof b[0], "%lld minutes",
		    (long long)(span / 60));
	printf("period %.16s to %.16s UTC (%s),\n"
	    "compared with the %s before\n\n", from, to, b[0], b[0]);
	printf("Delivery attempts      %12s  %6s  %12s  %7s\n", "count",
	    "share", "previous", "change");
	for (k = 0; k < 3; k++)
		printf("  %-20s %12s  %6s  %12s  %7s\n", names[k],
		    grouped(now_c[k], b[0], sizeof b[0]),
		    percent(nt ? (double)now_c[k] / nt : 0, b[1],
		    sizeof b[1]),
		    grouped(prev_c[k], b[2], sizeof b[2]),
		    change(now_c[k], prev_c[k], b[3], sizeof b[3]));
	printf("  %-20s %12s  %6s  %12s  %7s\n", "total",
	    grouped(nt, b[0], sizeof b[0]), "", grouped(pt, b[2],
	    sizeof b[2]), change(nt, pt, b[3], sizeof b[3]));

	printf("\nThe period at a glance\n");
	spark_fill(o, since, until, &sp);
	spark_print(&sp, stdout);

	codes = json_array();
	target_init(&t, "/v1/domains");
	target_common(&t, o);
	target_add(&t, "top", "200");
	j = ask(o, &t);
	report_domains(o, json_object_get(j, "rows"), "deferring",
	    "deferred", codes);
	report_domains(o, json_object_get(j, "rows"), "bouncing",
	    "bounced", codes);
	json_decref(j);

	/* Explain the most common failure codes of the period too. */
	target_init(&t, "/v1/summary");
	target_common(&t, o);
	target_add(&t, "by", "reply,enhanced");
	target_add(&t, "top", "8");
	byclass = ask(o, &t);
	json_array_foreach(json_object_get(byclass, "rows"), i, row)
		if (jint(row, "reply") != 250 && jint(row, "reply") / 100 != 2)
			json_array_append_new(codes, json_pack("[I s]",
			    (json_int_t)jint(row, "reply"),
			    jtext(row, "enhanced")));
	json_decref(byclass);
	printf("\nCodes seen, in words\n");
	memset(seen, 0, sizeof seen);
	k = 0;
	json_array_foreach(codes, i, c) {
		json_int_t	 rc = json_integer_value(json_array_get(c, 0));
		const char	*enh = json_string_value(json_array_get(c, 1));
		const struct codes_entry *e = codes_enhanced(enh);

		if (rc >= 0 && rc < 1000 && !seen[rc]) {
			seen[rc] = 1;
			if (codes_reply((int)rc) != NULL) {
				char	 label[16];

				snprintf(label, sizeof label, "%lld",
				    (long long)rc);
				wrapped(stdout, 2, 6, label,
				    codes_reply((int)rc)->meaning);
				k++;
			}
		}
		if (e != NULL && enh != NULL) {
			/* Enhanced codes: once each, by text. */
			size_t	 j2;
			json_t	*c2;
			int	 dup = 0;

			json_array_foreach(codes, j2, c2) {
				if (j2 >= i)
					break;
				if (strcmp(json_string_value(json_array_get(c2,
				    1)), enh) == 0)
					dup = 1;
			}
			if (!dup) {
				wrapped(stdout, 2, 6, enh, e->meaning);
				k++;
			}
		}
	}
	if (k == 0)
		printf("  no failures to explain\n");
	json_decref(codes);

	line_counts(o, since, until, &lt, &lu);
	line_counts(o, since - span, since, &plt, &plu);
	ushare = lt ? (double)lu / lt : 0;
	pshare = plt ? (double)plu / plt : 0;
	printf("\nLog lines read: %s, not recognised: %s (%s; before: %s)\n",
	    grouped(lt, b[0], sizeof b[0]), grouped(lu, b[1], sizeof b[1]),
	    percent(ushare, b[2], sizeof b[2]),
	    percent(pshare, b[3], sizeof b[3]));
	if (lu > 0 && ushare > pshare * 1.5 && ushare > 0.001)
		printf("WARNING: the share of log lines smtptally cannot read "
		    "has risen.\n  Has the MTA or its log format changed? "
		    "Counts may be missing:\n  see `smtptally status` and "
		    "report an example line.\n");
	if (lt == 0)
		printf("WARNING: no log lines were read in this period: is "
		    "smtptallyd following\n  the right files?\n");
	return EXIT_OK;
}

/* explain CODE [ENHANCED]: no daemon needed. */
static int
cmd_explain(int argc, char **argv)
{
	const struct codes_entry	*e;
	long				 code;
	char				*end;
	int				 i, any = 0;

	if (argc < 1 || argc > 2)
		usage(EXIT_USAGE);
	for (i = 0; i < argc; i++) {
		if (codes_enhanced_valid(argv[i])) {
			printf("%s  %s\n", argv[i],
			    codes_class_name(argv[i][0] - '0'));
			if ((e = codes_enhanced(argv[i])) != NULL) {
				wrapped(stdout, 2, 8, "meaning:", e->meaning);
				wrapped(stdout, 2, 8, "usually:", e->action);
			}
			else
				printf("  not in the registry; the class "
				    "digit is all it says\n");
			any = 1;
			continue;
		}
		errno = 0;
		code = strtol(argv[i], &end, 10);
		if (errno != 0 || *end != '\0' || end == argv[i] ||
		    (code != 0 && (code < 200 || code > 599)))
			die(EXIT_USAGE, "explain: %s is neither a reply code "
			    "(250, 0 for none) nor an enhanced code (5.1.1)",
			    argv[i]);
		if (code == 0)
			printf("0  no reply\n");
		else
			printf("%ld  %s\n", code, codes_class_name((int)code /
			    100));
		if ((e = codes_reply((int)code)) != NULL) {
			wrapped(stdout, 2, 8, "meaning:", e->meaning);
			wrapped(stdout, 2, 8, "usually:", e->action);
		}
		else
			printf("  not a code the RFCs define; the first digit "
			    "is all it says\n");
		any = 1;
	}
	return any ? EXIT_OK : EXIT_USAGE;
}

/* --since/--until into UTC seconds here, so both periods agree. */
static void
set_time(const char *opt, const char *v, int64_t now, int64_t *t, int *has)
{
	if (timespec_parse(v, now, t) == -1)
		die(EXIT_USAGE, "%s %s: not a time (1h, 24h, 7d, today, "
		    "yesterday, 2026-11-29T00:00:00Z)", opt, v);
	*has = 1;
}

/* Global options, then the command and its options. */
int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "since", required_argument, NULL, 'S' },
		{ "until", required_argument, NULL, 'U' },
		{ "by", required_argument, NULL, 'b' },
		{ "top", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "csv", no_argument, NULL, 'c' },
		{ "domain", required_argument, NULL, 'D' },
		{ "host", required_argument, NULL, 'H' },
		{ "reply", required_argument, NULL, 'R' },
		{ "enhanced", required_argument, NULL, 'E' },
		{ "class", required_argument, NULL, 'C' },
		{ "status", required_argument, NULL, 'T' },
		{ "kind", required_argument, NULL, 'K' },
		{ "direction", required_argument, NULL, 'I' },
		{ "mta", required_argument, NULL, 'M' },
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	static const struct option globalopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct opts	 o;
	const char	*cmd, *since_arg = NULL;
	char		*end;
	int64_t		 now = time(NULL), midnight;
	int		 ch;

	memset(&o, 0, sizeof o);
	if ((o.sock = getenv("SMTPTALLY_SOCKET")) == NULL)
		o.sock = API_SOCKET_DEFAULT;
	/* Global options before the command. */
	while ((ch = getopt_long(argc, argv, "+s:hV", globalopts, NULL)) !=
	    -1) {
		if (ch == 's')
			o.sock = optarg;
		else if (ch == 'V') {
			printf("smtptally %s\n", PACKAGE_VERSION);
			return EXIT_OK;
		} else
			usage(ch == 'h' ? EXIT_OK : EXIT_USAGE);
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage(EXIT_USAGE);
	cmd = argv[0];
	if (strcmp(cmd, "explain") == 0)
		return cmd_explain(argc - 1, argv + 1);
	if (strcmp(cmd, "classify") == 0)		/* client_classify.c */
		return cmd_classify(argc, argv);
	optind = 1;
	while ((ch = getopt_long(argc, argv, "s:jc", longopts, NULL)) != -1) {
		switch (ch) {
		case 'S':
			since_arg = optarg;
			set_time("--since", optarg, now, &o.since,
			    &o.has_since);
			break;
		case 'U':
			set_time("--until", optarg, now, &o.until,
			    &o.has_until);
			break;
		case 'b':
			o.by = optarg;
			break;
		case 'n':
			o.top = (int)strtol(optarg, &end, 10);
			if (*end != '\0' || o.top < 1 || o.top > 100000)
				die(EXIT_USAGE, "--top %s: want 1..100000",
				    optarg);
			break;
		case 'j':
			o.json = 1;
			break;
		case 'c':
			o.csv = 1;
			break;
		case 'D':
			o.domain = optarg;
			break;
		case 'H':
			o.host = optarg;
			break;
		case 'R':
			o.reply = optarg;
			break;
		case 'E':
			o.enhanced = optarg;
			break;
		case 'C':
			o.class = optarg;
			break;
		case 'T':
			o.status = optarg;
			break;
		case 'K':
			o.kind = optarg;
			break;
		case 'I':
			o.direction = optarg;
			break;
		case 'M':
			o.mta = optarg;
			break;
		case 's':
			o.sock = optarg;
			break;
		case 'h':
			usage(EXIT_OK);
		default:
			usage(EXIT_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (o.json && o.csv)
		die(EXIT_USAGE, "--json and --csv: choose one");
	/* "--since yesterday" alone means all of yesterday. */
	if (since_arg != NULL && strcmp(since_arg, "yesterday") == 0 &&
	    !o.has_until) {
		midnight = now - now % 86400;
		o.until = midnight;
		o.has_until = 1;
	}
	if (o.has_since && o.has_until && o.since >= o.until)
		die(EXIT_USAGE, "--since must be before --until");

	if (strcmp(cmd, "summary") == 0 && argc == 0)
		return cmd_summary(&o);
	if (strcmp(cmd, "top") == 0 && argc == 0)
		return cmd_top(&o);
	if (strcmp(cmd, "domain") == 0 && argc == 1)
		return cmd_domain(&o, argv[0]);
	if (strcmp(cmd, "reasons") == 0 && argc == 0)
		return cmd_reasons(&o);
	if (strcmp(cmd, "status") == 0 && argc == 0)
		return cmd_status(&o);
	if (strcmp(cmd, "report") == 0 && argc == 0)
		return cmd_report(&o);
	usage(EXIT_USAGE);
}
