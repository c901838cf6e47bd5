/*
 * client_http: the only part of the client that knows HTTP and the Unix
 * socket.  A request target is built from encoded parameters; one request
 * per connection (HTTP/1.0: the daemon closes after the answer, so the
 * body is everything after the headers); the answer's API version is
 * checked; every failure to reach the daemon says what is wrong and what
 * to do about it.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "api.h"
#include "client.h"

#define ANSWER_MAX	(64 * 1024 * 1024)	/* bytes we accept back */
#define TIMEOUT_MS	30000
#define START_WAIT_MS	2000	/* a starting daemon: bound, not listening */

/* Percent-encode everything outside RFC 3986's unreserved set. */
void
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
		die(EXIT_USAGE, "--%s: value too long (at most %d bytes)", key,
		    API_VALUE_MAX);
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

/* A page's cursor: the daemon's own word, longer than a value may be. */
void
target_add_cursor(struct target *t, const char *cursor)
{
	size_t	 have = strlen(t->buf);
	int	 n;

	if (strlen(cursor) > API_CURSOR_MAX ||
	    strspn(cursor, "0123456789abcdef") != strlen(cursor))
		die(EXIT_DAEMON, "the daemon's page cursor is not one");
	n = snprintf(t->buf + have, sizeof t->buf - have, "%cafter=%s",
	    t->nparam++ ? '&' : '?', cursor);
	if (n < 0 || (size_t)n >= sizeof t->buf - have)
		t->overflow = 1;
}

/* Numbers go through the same encoder as text. */
void
target_add_int(struct target *t, const char *key, int64_t v)
{
	char	 buf[32];

	snprintf(buf, sizeof buf, "%lld", (long long)v);
	target_add(t, key, buf);
}

/* Start a request target at an endpoint path. */
void
target_init(struct target *t, const char *path)
{
	memset(t, 0, sizeof *t);
	snprintf(t->buf, sizeof t->buf, "%s", path);
}

/* The range and every filter given, walked from the shared table. */
void
target_common(struct target *t, const struct opts *o, const char *skip)
{
	size_t	 i;

	if (o->has_since)
		target_add_int(t, "since", o->since);
	if (o->has_until)
		target_add_int(t, "until", o->until);
	for (i = 0; i < API_F_COUNT; i++)
		if (skip == NULL || strcmp(api_filters[i].name, skip) != 0)
			target_add(t, api_filters[i].name, o->filter[i]);
}

/* Why permission was denied, in words that lead to a fix. */
static void __attribute__((__noreturn__))
denied(const char *path)
{
	struct stat	 sb;
	struct group	*gr;
	struct passwd	*pw;

	if (stat(path, &sb) == -1)
		die(EXIT_DAEMON, "permission denied on %s: a directory on "
		    "the way is closed to you; join the socket's group or run "
		    "as root", path);
	if ((sb.st_mode & 060) != 060) {
		pw = getpwuid(sb.st_uid);
		die(EXIT_DAEMON, "permission denied on %s: the socket is mode "
		    "%04o, so only its owner '%s' and root may ask; run as "
		    "one of them, or give the group access with socket_mode "
		    "= 0660 in smtptallyd.conf", path,
		    (unsigned)(sb.st_mode & 07777),
		    pw != NULL ? pw->pw_name : "?");
	}
	if ((gr = getgrgid(sb.st_gid)) != NULL)
		die(EXIT_DAEMON, "permission denied on %s: join group '%s' "
		    "(then log in again) or run as root", path, gr->gr_name);
	die(EXIT_DAEMON, "permission denied on %s: join the socket's group "
	    "or run as root", path);
}

/* Say why the socket cannot be reached, and what to do. */
static void __attribute__((__noreturn__))
connect_failed(const char *path, int e)
{
	struct stat	 sb;

	switch (e) {
	case ENOENT:
		die(EXIT_DAEMON, "no socket at %s: smtptallyd is not running "
		    "or listens elsewhere; start it (systemctl start "
		    "smtptallyd) or give its socket with -s", path);
	case ECONNREFUSED:
		if (stat(path, &sb) == 0 && !S_ISSOCK(sb.st_mode))
			die(EXIT_DAEMON, "%s is not a socket: wrong path? "
			    "give the daemon's socket with -s", path);
		die(EXIT_DAEMON, "nothing answers on %s (waited %d s): "
		    "smtptallyd is not running and the socket is left over; "
		    "start it", path, START_WAIT_MS / 1000);
	case EACCES:
	case EPERM:
		denied(path);
	case ENOTDIR:
	case ENOTSOCK:
		die(EXIT_DAEMON, "%s is not a socket: wrong path? give the "
		    "daemon's socket with -s", path);
	default:
		die(EXIT_DAEMON, "cannot connect to %s: %s", path,
		    strerror(e));
	}
}

/* Connect; a socket that refuses is given a moment, because a starting
 * daemon binds its socket before it listens. */
static int
connect_sock(const char *sock)
{
	struct sockaddr_un	 sun;
	struct timespec		 ts = { 0, 100 * 1000000L };
	int			 fd, waited = 0;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(sock) >= sizeof sun.sun_path)
		die(EXIT_USAGE, "socket path too long: %s", sock);
	strcpy(sun.sun_path, sock);
	for (;;) {
		if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
			die(EXIT_DAEMON, "socket: %s", strerror(errno));
		if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0)
			return fd;
		if (errno != ECONNREFUSED || waited >= START_WAIT_MS)
			connect_failed(sock, errno);
		close(fd);
		nanosleep(&ts, NULL);
		waited += 100;
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

/* Read until the daemon closes; the whole answer, NUL-terminated. */
static char *
read_all(int fd, const char *sock, size_t *lenp)
{
	struct pollfd	 pfd;
	char		*buf = NULL, *nbuf;
	size_t		 len = 0, cap = 0;
	ssize_t		 n;

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
				die(EXIT_DAEMON, "answer larger than %d MB: "
				    "narrow the request (--top, --since)",
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
	if (buf == NULL)
		die(EXIT_DAEMON, "%s closed the connection without an answer: "
		    "not smtptallyd, or it dropped us (too many clients?)",
		    sock);
	buf[len] = '\0';
	*lenp = len;
	return buf;
}

/* One request, one connection.  Returns the status; *body allocated. */
static int
fetch(const char *sock, const char *target, char **body, size_t *bodylen)
{
	char	 req[TARGET_MAX + 256], *buf, *p, *hdr, *line, *next;
	size_t	 len;
	int	 fd, status, api = -1;

	fd = connect_sock(sock);
	snprintf(req, sizeof req, "GET %s HTTP/1.0\r\nHost: localhost\r\n"
	    "User-Agent: smtptally/%s\r\nAccept: application/json\r\n\r\n",
	    target, PACKAGE_VERSION);
	if (write_all(fd, req, strlen(req)) == -1)
		die(EXIT_DAEMON, "sending to %s: %s", sock, strerror(errno));
	buf = read_all(fd, sock, &len);
	close(fd);
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
		if (strncasecmp(line, API_HEADER ":",
		    sizeof API_HEADER) == 0)
			api = atoi(line + sizeof API_HEADER);
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
json_t *
client_ask(const struct opts *o, struct target *t)
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
			die(EXIT_USAGE, "%s: the daemon refused the request: "
			    "%s", o->cmd, json_is_string(e) ?
			    json_string_value(e) : "?");
		die(EXIT_DAEMON, "the daemon answered %d: %s", status,
		    json_is_string(e) ? json_string_value(e) :
		    "no explanation");
	}
	if (j == NULL || !json_is_object(j))
		die(EXIT_DAEMON, "the daemon's answer is not JSON: %s",
		    jerr.text);
	return j;
}
