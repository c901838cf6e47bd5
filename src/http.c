/*
 * http: evhttp glue.  One Unix socket listener (and, when configured, one
 * loopback TCP listener serving /metrics only) feeding query_run().
 *
 * Limits.  evhttp bounds header and body sizes and idle time itself.  It
 * has no limit on connections at once or on a connection's total age, so
 * this module tracks connections in a fixed table of slots: a slot is
 * taken when evhttp asks for a connection's bufferevent (bevcb), the
 * connection's close callback frees it, and a one-second sweep drops
 * connections older than max_conn_time (a slow-header client that trickles
 * bytes never goes idle) and reclaims slots whose connection died before
 * the close callback could be set.  When every slot is taken the listener
 * is disabled and waiting clients stay in the kernel's backlog; the same
 * happens for a second after accept fails with EMFILE/ENFILE.
 *
 * Not here: SQL, JSON building (query.c), the event loop (the daemon's).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <jansson.h>

#include "http.h"
#include "log.h"
#include "query.h"

#define SLOT_SLACK	16	/* accepted in one batch after the limit */

struct http;

struct slot {
	struct http		*http;
	struct bufferevent	*bev;		/* our reference or NULL */
	struct evhttp_connection *evcon;	/* once known */
	struct event		*arm;		/* finds evcon */
	time_t			 since;
};

struct http {
	struct event_base	*base;
	struct http_config	 conf;
	char			*path;		/* our socket */
	struct evhttp		*evh;		/* Unix socket */
	struct evhttp		*mevh;		/* TCP, /metrics */
	struct evconnlistener	*lev;
	struct evconnlistener	*mlev;
	struct query		*query;
	struct event		*sweep;
	struct event		*resume;	/* after EMFILE */
	struct slot		*slots;
	int			 nslots;
	int			 active;
	int			 full;		/* listeners off: no slot */
	int			 emfile;	/* listeners off: no fd */
	uint64_t		 requests, refused_full, dropped_slow,
				 untracked;
};

/*
 * The listener's error callback gets the listener's argument, which evhttp
 * owns (it is the struct evhttp).  So the instances are kept here to find
 * ours from the listener; a process has one or two.
 */
#define HTTP_INSTANCES	4
static struct http	*instances[HTTP_INSTANCES];

static const struct {
	int		 code;
	const char	*reason;
} reasons[] = {
	{ 200, "OK" }, { 400, "Bad Request" }, { 404, "Not Found" },
	{ 405, "Method Not Allowed" }, { 413, "Payload Too Large" },
	{ 500, "Internal Server Error" }, { 503, "Service Unavailable" },
};

/* The reason phrase for a status we send. */
static const char *
reason_phrase(int code)
{
	size_t	 i;

	for (i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
		if (reasons[i].code == code)
			return reasons[i].reason;
	return "Error";
}

/* Listeners on or off, from the two reasons to pause them. */
static void
listeners_update(struct http *h)
{
	int	 on = !h->full && !h->emfile;

	if (h->lev != NULL)
		(on ? evconnlistener_enable : evconnlistener_disable)(h->lev);
	if (h->mlev != NULL)
		(on ? evconnlistener_enable : evconnlistener_disable)(h->mlev);
}

/* Give a slot back; the bufferevent goes when evhttp lets go too. */
static void
slot_release(struct slot *s)
{
	struct http	*h = s->http;

	if (s->bev == NULL)
		return;
	event_del(s->arm);
	bufferevent_decref(s->bev);
	s->bev = NULL;
	s->evcon = NULL;
	h->active--;
	if (h->full && h->active < h->conf.max_clients) {
		h->full = 0;
		listeners_update(h);
	}
}

/* evhttp is freeing the connection. */
static void
conn_closed(struct evhttp_connection *evcon, void *arg)
{
	struct slot	*s = arg;

	(void)evcon;
	slot_release(s);
}

/* Has evhttp freed this bufferevent?  It clears the callbacks when so. */
static struct evhttp_connection *
bev_owner(struct bufferevent *bev)
{
	bufferevent_data_cb	 rd, wr;
	bufferevent_event_cb	 ev;
	void			*arg = NULL;

	bufferevent_getcb(bev, &rd, &wr, &ev, &arg);
	if (ev == NULL && arg == NULL)
		return NULL;
	return arg;
}

/* Just after accept: evhttp has set itself as the callbacks' argument. */
static void
slot_arm(evutil_socket_t fd, short events, void *arg)
{
	struct slot	*s = arg;

	(void)fd;
	(void)events;
	if (s->bev == NULL)
		return;
	if ((s->evcon = bev_owner(s->bev)) == NULL) {
		slot_release(s);	/* died already */
		return;
	}
	evhttp_connection_set_closecb(s->evcon, conn_closed, s);
}

/* evhttp asks for a bufferevent for each new connection: count it. */
static struct bufferevent *
conn_new(struct event_base *base, void *arg)
{
	struct http		*h = arg;
	struct bufferevent	*bev;
	struct slot		*s = NULL;
	struct timeval		 now = { 0, 0 };
	int			 i;

	bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL)
		return NULL;
	for (i = 0; i < h->nslots; i++)
		if (h->slots[i].bev == NULL) {
			s = &h->slots[i];
			break;
		}
	if (s == NULL) {
		h->untracked++;	/* accepted in one burst past the slack */
		return bev;
	}
	bufferevent_incref(bev);
	s->bev = bev;
	s->evcon = NULL;
	s->since = time(NULL);
	event_add(s->arm, &now);
	if (++h->active >= h->conf.max_clients && !h->full) {
		h->full = 1;
		h->refused_full++;
		listeners_update(h);
	}
	return bev;
}

/* Once a second: drop connections past their time, reclaim dead slots. */
static void
sweep(evutil_socket_t fd, short events, void *arg)
{
	struct http		*h = arg;
	struct slot		*s;
	struct evhttp_connection *evcon;
	time_t			 now = time(NULL);
	int			 i;

	(void)fd;
	(void)events;
	for (i = 0; i < h->nslots; i++) {
		s = &h->slots[i];
		if (s->bev == NULL)
			continue;
		if ((evcon = bev_owner(s->bev)) == NULL) {
			slot_release(s);
			continue;
		}
		if (now - s->since >= h->conf.max_conn_time) {
			h->dropped_slow++;
			log_debug("http: connection open %llds, dropped",
			    (long long)(now - s->since));
			evhttp_connection_free(evcon);	/* calls conn_closed */
			if (s->bev != NULL)
				slot_release(s);
		}
	}
}

/* After EMFILE: try accepting again. */
static void
resume(evutil_socket_t fd, short events, void *arg)
{
	struct http	*h = arg;

	(void)fd;
	(void)events;
	h->emfile = 0;
	listeners_update(h);
}

/* accept(2) failed: out of descriptors means pause, not spin. */
static void
accept_error(struct evconnlistener *lev, void *arg)
{
	struct http	*h = NULL;
	struct timeval	 tv = { 1, 0 };
	int		 e = EVUTIL_SOCKET_ERROR(), i;

	(void)arg;	/* evhttp's, not ours */
	for (i = 0; i < HTTP_INSTANCES; i++)
		if (instances[i] != NULL && (instances[i]->lev == lev ||
		    instances[i]->mlev == lev))
			h = instances[i];
	if (h == NULL) {
		log_warnx("http: accept: %s", strerror(e));
		return;
	}
	if (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM) {
		if (!h->emfile)
			log_warnx("http: accept: %s; pausing for a second",
			    strerror(e));
		h->emfile = 1;
		listeners_update(h);
		evtimer_add(h->resume, &tv);
		return;
	}
	log_warnx("http: accept: %s", strerror(e));
}

/* Send a body with the headers every answer carries. */
static void
reply(struct evhttp_request *req, int code, const char *ctype,
    const char *body, size_t len, int newline)
{
	struct evkeyvalq	*out = evhttp_request_get_output_headers(req);
	struct evbuffer		*buf;

	evhttp_add_header(out, "Content-Type", ctype);
	evhttp_add_header(out, "Cache-Control", "no-store");
	evhttp_add_header(out, "Server", "smtptallyd/" PACKAGE_VERSION);
	evhttp_add_header(out, "X-Smtptally-Api", "1");
	if ((buf = evbuffer_new()) == NULL) {
		evhttp_send_error(req, 500, NULL);
		return;
	}
	if (evhttp_request_get_command(req) != EVHTTP_REQ_HEAD) {
		evbuffer_add(buf, body, len);
		if (newline)	/* friendlier to a terminal and to jq */
			evbuffer_add(buf, "\n", 1);
	}
	evhttp_send_reply(req, code, reason_phrase(code), buf);
	evbuffer_free(buf);
}

/* A JSON body; takes the reference. */
static void
reply_json(struct evhttp_request *req, int code, json_t *j)
{
	char	*s;

	if (j == NULL || (s = json_dumps(j, JSON_COMPACT)) == NULL) {
		json_decref(j);
		reply(req, 500, "application/json",
		    "{\"error\":\"out of memory\"}", 25, 1);
		return;
	}
	json_decref(j);
	reply(req, code, "application/json", s, strlen(s), 1);
	free(s);
}

/* Server-side counters added to /v1/status. */
static void
add_server_stats(struct http *h, json_t *o)
{
	json_object_set_new(o, "server", json_pack("{s:i s:i s:I s:I s:I s:I}",
	    "clients", h->active,
	    "max_clients", h->conf.max_clients,
	    "requests", (json_int_t)h->requests,
	    "limit_reached", (json_int_t)h->refused_full,
	    "dropped_slow", (json_int_t)h->dropped_slow,
	    "untracked", (json_int_t)h->untracked));
}

/* Every request: check method and size, split the URI, ask query. */
static void
handle(struct http *h, struct evhttp_request *req, int metrics_only)
{
	const struct evhttp_uri	*uri;
	const char		*path, *qs;
	struct evkeyvalq	 kv;
	struct evkeyval		*e;
	struct query_param	 p[QUERY_PARAMS_MAX];
	struct query_result	 r;
	size_t			 n = 0;
	enum evhttp_cmd_type	 cmd;

	h->requests++;
	if (evbuffer_get_length(evhttp_request_get_input_buffer(req)) >
	    (size_t)h->conf.max_body) {
		reply_json(req, 413, query_error("request body too large"));
		return;
	}
	cmd = evhttp_request_get_command(req);
	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Allow", "GET, HEAD");
		reply_json(req, 405, query_error("only GET is served"));
		return;
	}
	if ((uri = evhttp_request_get_evhttp_uri(req)) == NULL ||
	    (path = evhttp_uri_get_path(uri)) == NULL) {
		reply_json(req, 400, query_error("malformed request target"));
		return;
	}
	if (metrics_only && strcmp(path, "/metrics") != 0) {
		reply_json(req, 404, query_error("only /metrics is served "
		    "here"));
		return;
	}
	TAILQ_INIT(&kv);
	if ((qs = evhttp_uri_get_query(uri)) != NULL && *qs != '\0' &&
	    evhttp_parse_query_str(qs, &kv) == -1) {
		evhttp_clear_headers(&kv);
		reply_json(req, 400, query_error("malformed query string"));
		return;
	}
	TAILQ_FOREACH(e, &kv, next) {
		if (n == QUERY_PARAMS_MAX) {
			evhttp_clear_headers(&kv);
			reply_json(req, 400, query_error("too many "
			    "parameters"));
			return;
		}
		p[n].key = e->key;
		p[n].value = e->value;
		n++;
	}
	if (h->conf.commit_failures != NULL)
		query_set_commit_failures(h->query,
		    h->conf.commit_failures(h->conf.arg));
	query_set_journal_lag(h->query, h->conf.journal_lag, h->conf.arg);
	query_run(h->query, path, p, n, (int64_t)time(NULL), &r);
	evhttp_clear_headers(&kv);
	if (r.text != NULL)
		reply(req, r.status, "text/plain; version=0.0.4; "
		    "charset=utf-8", r.text, r.textlen, 0);
	else {
		if (r.status == 200 && strcmp(path, "/v1/status") == 0)
			add_server_stats(h, r.json);
		reply_json(req, r.status, json_incref(r.json));
	}
	query_result_clear(&r);
}

/* The Unix socket serves every endpoint. */
static void
handle_unix(struct evhttp_request *req, void *arg)
{
	handle(arg, req, 0);
}

/* The TCP listener serves /metrics only. */
static void
handle_tcp(struct evhttp_request *req, void *arg)
{
	handle(arg, req, 1);
}

/* Apply the request limits to one evhttp instance. */
static void
evh_setup(struct http *h, struct evhttp *evh,
    void (*cb)(struct evhttp_request *, void *))
{
	/*
	 * libevent 2.1 answers its own refusals (headers too large, a body
	 * past its limit, a malformed request line) with a short HTML page;
	 * it has no hook to make them JSON.  So its body limit is a hard
	 * stop above ours, and handle() refuses bodies over max_body in JSON.
	 */
	evhttp_set_max_headers_size(evh, h->conf.max_header);
	evhttp_set_max_body_size(evh, (ev_ssize_t)h->conf.max_body * 4);
	evhttp_set_timeout(evh, h->conf.idle_timeout);
	evhttp_set_allowed_methods(evh, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD |
	    EVHTTP_REQ_POST | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	    EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
	evhttp_set_bevcb(evh, conn_new, h);
	evhttp_set_gencb(evh, cb, h);
}

/*
 * Make the listening socket.  An existing path is only removed when it is
 * a socket nobody answers on (ECONNREFUSED): a live daemon keeps its
 * socket, and a regular file with that name is never deleted.
 */
static int
socket_create(const struct http_config *c, char **cause)
{
	struct sockaddr_un	 sun;
	struct stat		 sb;
	struct group		*gr;
	mode_t			 old;
	int			 fd, probe, e;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(c->socket_path) >= sizeof sun.sun_path) {
		if (asprintf(cause, "socket %s: path too long",
		    c->socket_path) == -1)
			*cause = NULL;
		return -1;
	}
	strcpy(sun.sun_path, c->socket_path);

	if (lstat(c->socket_path, &sb) == 0) {
		if (!S_ISSOCK(sb.st_mode)) {
			if (asprintf(cause, "socket %s: exists and is not a "
			    "socket", c->socket_path) == -1)
				*cause = NULL;
			return -1;
		}
		if ((probe = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
			goto fail;
		if (connect(probe, (struct sockaddr *)&sun, sizeof sun) == 0) {
			close(probe);
			if (asprintf(cause, "socket %s: another daemon is "
			    "answering on it", c->socket_path) == -1)
				*cause = NULL;
			return -1;
		}
		e = errno;
		close(probe);
		if (e != ECONNREFUSED) {
			errno = e;
			goto fail;
		}
		if (unlink(c->socket_path) == -1)
			goto fail;
		log_info("http: removed stale socket %s", c->socket_path);
	}

	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		goto fail;
	/* Never more than the mode asks for, even for a moment. */
	old = umask(~(mode_t)c->socket_mode & 0777);
	if (bind(fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		e = errno;
		umask(old);
		close(fd);
		errno = e;
		goto fail;
	}
	umask(old);
	if (chmod(c->socket_path, (mode_t)c->socket_mode) == -1)
		goto fail_unlink;
	if (c->socket_group != NULL && *c->socket_group != '\0') {
		if ((gr = getgrnam(c->socket_group)) == NULL) {
			unlink(c->socket_path);
			close(fd);
			if (asprintf(cause, "socket %s: no group %s",
			    c->socket_path, c->socket_group) == -1)
				*cause = NULL;
			return -1;
		}
		if (chown(c->socket_path, (uid_t)-1, gr->gr_gid) == -1)
			goto fail_unlink;
	}
	if (listen(fd, 128) == -1 || evutil_make_socket_nonblocking(fd) ==
	    -1 || evutil_make_socket_closeonexec(fd) == -1)
		goto fail_unlink;
	return fd;

fail_unlink:
	e = errno;
	unlink(c->socket_path);
	close(fd);
	errno = e;
fail:
	if (asprintf(cause, "socket %s: %s", c->socket_path,
	    strerror(errno)) == -1)
		*cause = NULL;
	return -1;
}

/* The optional /metrics listener: "host:port", loopback by default. */
static int
metrics_listen(struct http *h, char **cause)
{
	char			 host[64], *colon;
	struct sockaddr_in	 sin;
	long			 port;
	char			*end;

	if (strlen(h->conf.metrics_listen) >= sizeof host)
		goto bad;
	strcpy(host, h->conf.metrics_listen);
	if ((colon = strrchr(host, ':')) == NULL) {
		colon = host - 1;
		port = strtol(host, &end, 10);
		strcpy(host, "127.0.0.1");
	} else {
		*colon = '\0';
		port = strtol(colon + 1, &end, 10);
		if (*host == '\0')
			strcpy(host, "127.0.0.1");
	}
	if (*end != '\0' || port < 1 || port > 65535)
		goto bad;
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &sin.sin_addr) != 1)
		goto bad;
	if ((h->mevh = evhttp_new(h->base)) == NULL)
		goto nomem;
	evh_setup(h, h->mevh, handle_tcp);
	h->mlev = evconnlistener_new_bind(h->base, NULL, NULL,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_REUSEABLE,
	    64, (struct sockaddr *)&sin, sizeof sin);
	if (h->mlev == NULL) {
		if (asprintf(cause, "metrics listener %s: %s",
		    h->conf.metrics_listen, strerror(errno)) == -1)
			*cause = NULL;
		return -1;
	}
	if (evhttp_bind_listener(h->mevh, h->mlev) == NULL) {
		evconnlistener_free(h->mlev);
		h->mlev = NULL;
		goto nomem;
	}
	evconnlistener_set_error_cb(h->mlev, accept_error);
	log_info("http: metrics on %s:%ld", host, port);
	return 0;
bad:
	if (asprintf(cause, "metrics listener %s: want ADDRESS:PORT",
	    h->conf.metrics_listen) == -1)
		*cause = NULL;
	return -1;
nomem:
	*cause = strdup("metrics listener: out of memory");
	return -1;
}

/* Socket, listeners, limits and the query connection, or a cause. */
struct http *
http_new(struct event_base *base, const struct http_config *conf,
    const char *dbpath, char **cause)
{
	struct http		*h;
	struct query_limits	 ql;
	struct timeval		 tv = { 1, 0 };
	int			 fd, i;

	*cause = NULL;
	if (conf->socket_path == NULL || dbpath == NULL) {
		*cause = strdup("http: no socket or database path");
		return NULL;
	}
	if ((h = calloc(1, sizeof *h)) == NULL)
		goto nomem;
	h->base = base;
	h->conf = *conf;
#define DEFAULT(f, v) do { if (h->conf.f <= 0) h->conf.f = (v); } while (0)
	DEFAULT(socket_mode, 0660);
	h->conf.socket_mode &= 0777;
	DEFAULT(max_clients, 64);
	DEFAULT(idle_timeout, 10);
	DEFAULT(max_conn_time, 30);
	DEFAULT(max_header, 8192);
	DEFAULT(max_body, 4096);
	DEFAULT(max_rows, 1000);
	DEFAULT(query_ms, 5000);
	DEFAULT(metrics_top, 20);
#undef DEFAULT
	/*
	 * A query runs inside the event loop: while it runs no timer fires,
	 * and the connection's idle timer would expire the moment it ends,
	 * before the answer is written.  So the idle time, and the time a
	 * connection may live, are longer than the longest query.
	 */
	if (h->conf.idle_timeout < h->conf.query_ms / 1000 + 2)
		h->conf.idle_timeout = h->conf.query_ms / 1000 + 2;
	if (h->conf.max_conn_time < h->conf.idle_timeout + 1)
		h->conf.max_conn_time = h->conf.idle_timeout + 1;
	memset(&ql, 0, sizeof ql);
	ql.max_rows = h->conf.max_rows;
	ql.time_ms = h->conf.query_ms;
	ql.busy_ms = h->conf.query_ms / 2;
	ql.metrics_top = h->conf.metrics_top;
	if ((h->query = query_new(dbpath, &ql)) == NULL)
		goto nomem;

	h->nslots = h->conf.max_clients + SLOT_SLACK;
	if ((h->slots = calloc(h->nslots, sizeof *h->slots)) == NULL)
		goto nomem;
	for (i = 0; i < h->nslots; i++) {
		h->slots[i].http = h;
		if ((h->slots[i].arm = evtimer_new(base, slot_arm,
		    &h->slots[i])) == NULL)
			goto nomem;
	}
	if ((h->sweep = event_new(base, -1, EV_PERSIST, sweep, h)) == NULL ||
	    (h->resume = evtimer_new(base, resume, h)) == NULL)
		goto nomem;
	event_add(h->sweep, &tv);

	if ((h->evh = evhttp_new(base)) == NULL)
		goto nomem;
	evh_setup(h, h->evh, handle_unix);
	if ((fd = socket_create(&h->conf, cause)) == -1) {
		http_free(h);
		return NULL;
	}
	if ((h->path = strdup(conf->socket_path)) == NULL) {
		close(fd);
		unlink(conf->socket_path);
		goto nomem;
	}
	h->lev = evconnlistener_new(base, NULL, NULL, LEV_OPT_CLOSE_ON_FREE |
	    LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	if (h->lev == NULL) {
		close(fd);
		goto nomem;
	}
	if (evhttp_bind_listener(h->evh, h->lev) == NULL) {
		evconnlistener_free(h->lev);	/* not evhttp's yet */
		h->lev = NULL;
		goto nomem;
	}
	evconnlistener_set_error_cb(h->lev, accept_error);
	if (h->conf.metrics_listen != NULL && *h->conf.metrics_listen != '\0' &&
	    strcmp(h->conf.metrics_listen, "off") != 0 &&
	    metrics_listen(h, cause) == -1) {
		http_free(h);
		return NULL;
	}
	for (i = 0; i < HTTP_INSTANCES; i++)
		if (instances[i] == NULL) {
			instances[i] = h;
			break;
		}
	log_info("http: listening on %s", h->path);
	return h;
nomem:
	http_free(h);
	free(*cause);
	*cause = strdup("http: out of memory");
	return NULL;
}

/* Tear down in the order evhttp needs; removes the socket. */
void
http_free(struct http *h)
{
	struct evconnlistener	*lev, *mlev;
	int			 i;

	if (h == NULL)
		return;
	for (i = 0; i < HTTP_INSTANCES; i++)
		if (instances[i] == h)
			instances[i] = NULL;
	/*
	 * evhttp_free frees the listeners bound to it, then its connections,
	 * whose close callbacks may try to re-enable the listeners: forget
	 * them first.
	 */
	lev = h->lev;
	mlev = h->mlev;
	h->lev = h->mlev = NULL;
	h->full = h->emfile = 1;
	if (h->evh != NULL)
		evhttp_free(h->evh);
	else if (lev != NULL)
		evconnlistener_free(lev);
	if (h->mevh != NULL)
		evhttp_free(h->mevh);
	else if (mlev != NULL)
		evconnlistener_free(mlev);
	for (i = 0; h->slots != NULL && i < h->nslots; i++) {
		if (h->slots[i].bev != NULL) {
			bufferevent_decref(h->slots[i].bev);
			h->slots[i].bev = NULL;
		}
		if (h->slots[i].arm != NULL)
			event_free(h->slots[i].arm);
	}
	free(h->slots);
	if (h->sweep != NULL)
		event_free(h->sweep);
	if (h->resume != NULL)
		event_free(h->resume);
	if (h->path != NULL) {
		unlink(h->path);
		free(h->path);
	}
	query_free(h->query);
	free(h);
}
