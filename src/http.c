/*
 * http: evhttp glue.  One Unix socket listener (and, when configured, one
 * loopback TCP listener serving /metrics only) feeding query_run().
 *
 * Threads.  The connections run on a thread of their own with an event
 * base of their own (the server thread); each query runs on one of a few
 * worker threads, each with its own read-only SQLite connection (the
 * database is in WAL mode, so readers never wait for the writer).  The
 * daemon's event loop (ingest, commits, the watchdog) shares nothing with
 * either, so a slow query or a hostile client cannot delay it.  A request
 * becomes a job: the server thread copies its path and parameters into
 * it and puts it on the waiting queue; a worker runs it and renders the
 * answer to bytes; the server thread, woken through a pipe, sends them.
 * The queue and the lists are under one mutex; a job's request and slot
 * are the server thread's only, its answer the worker's until it is done.
 *
 * Limits.  evhttp bounds header and body sizes and idle time itself.  It
 * has no limit on connections at once or on a connection's total age, so
 * this module tracks connections in a fixed table of slots: a slot is
 * taken when evhttp asks for a connection's bufferevent (bevcb), the
 * connection's close callback frees it, and a one-second sweep drops
 * connections older than max_conn_time (a slow-header client that trickles
 * bytes never goes idle) and reclaims slots whose connection died before
 * the close callback could be set.  Against a flood of slow clients:
 * when every slot is taken a new client takes the slot of the connection
 * idle the longest (one with a request in a query thread is never
 * dropped), and while three quarters of the slots are taken a connection
 * gets HTTP_PRESSURE_SECS to send its request.  Only when every slot has
 * a request in progress is the listener disabled (waiting clients stay in
 * the kernel's backlog); the same happens for a second after accept fails
 * with EMFILE/ENFILE.
 *
 * Against clients that send faster than they read: evhttp reads the next
 * request of a connection only after the answer to the last one is
 * written, and a read high-water mark stops reading from a connection
 * past one request's worth of bytes, so one connection holds at most one
 * answer and one request; all answers buffered together are bounded by
 * out_max (more: 503).  Requests waiting for a worker are bounded by
 * max_waiting and in time by query_ms (more, or longer: 503 with
 * Retry-After).
 *
 * Not here: SQL, JSON building (query.c), the daemon's event loop.
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
#include <pthread.h>
#include <signal.h>
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

#include "hook.h"
#include "http.h"
#include "log.h"
#include "query.h"

#define HTTP_PRESSURE_SECS	2	/* to send a request, when crowded */
#define HTTP_YOUNG_MS		250	/* never evicted before this age */
#define HTTP_WORKERS_MAX	16

struct http;
struct job;

struct slot {
	struct http		*http;
	struct bufferevent	*bev;		/* our reference or NULL */
	struct evhttp_connection *evcon;	/* once known */
	struct event		*arm;		/* finds evcon */
	struct job		*job;		/* its request in a worker */
	long long		 since;		/* accepted (ms) */
	long long		 active;	/* accepted or last answered */
};

/* What /v1/status says of the server, as the server thread saw it. */
struct http_stats {
	int			 clients, max_clients, waiting, running;
	uint64_t		 requests, limit_reached, dropped_slow,
				 dropped_idle, untracked, refused_busy,
				 refused_output;
};

enum job_state { JOB_WAITING, JOB_RUNNING, JOB_DONE };

struct job {
	TAILQ_ENTRY(job)	 entry;
	enum job_state		 state;		/* under the lock */
	/* The server thread's. */
	struct slot		*slot;		/* NULL: the client left */
	struct evhttp_request	*req;		/* NULL: the client left */
	struct timespec		 queued;
	/* The request, copied; read by the worker. */
	const char		*path;
	struct query_param	 p[QUERY_PARAMS_MAX];
	size_t			 np;
	int64_t			 now;
	struct http_stats	 stats;
	/* The answer: the worker's until the job is done. */
	int			 status;
	int			 text;		/* Prometheus text, not JSON */
	char			*body;
	size_t			 len;
	char			 strings[];	/* path, keys and values */
};
TAILQ_HEAD(jobs, job);

struct worker {
	struct http		*http;
	struct query		*query;
	pthread_t		 thread;
	int			 started;
};

struct http {
	struct event_base	*base;		/* the server thread's */
	struct http_config	 conf;
	char			*path;		/* our socket */
	struct evhttp		*evh;		/* Unix socket */
	struct evhttp		*mevh;		/* TCP, /metrics */
	struct evconnlistener	*lev;
	struct evconnlistener	*mlev;
	struct event		*sweep;
	struct event		*resume;	/* after EMFILE */
	struct event		*recheck;	/* while every slot is taken */
	struct event		*wake_ev;	/* a worker finished */
	int			 wake[2];	/* the pipe it writes */
	struct slot		*slots;
	int			 nslots;
	int			 active;
	int			 full;		/* listeners off: no slot */
	int			 emfile;	/* listeners off: no fd */
	size_t			 read_max;	/* high-water mark per client */
	struct http_stats	 st;		/* counters */

	pthread_t		 thread;	/* the server thread */
	int			 started;
	struct worker		 workers[HTTP_WORKERS_MAX];
	int			 nworkers;

	pthread_mutex_t		 lock;		/* guards what follows */
	pthread_cond_t		 cond;		/* a job waits, or stop */
	struct jobs		 waiting;
	struct jobs		 done;
	int			 nwaiting;
	int			 nrunning;
	int			 stopping;
};

/*
 * The listener's error callback gets the listener's argument, which evhttp
 * owns (it is the struct evhttp).  So the instances are kept here to find
 * ours from the listener; a process has one or two.  Written only while
 * no server thread runs.
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

static void	reply_busy(struct http *, struct evhttp_request *,
		    const char *);

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

/* Milliseconds on the monotonic clock: ages ignore clock steps. */
static long long
mono_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds since a point on the monotonic clock. */
static long long
ms_since(const struct timespec *then)
{
	struct timespec	 now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long long)(now.tv_sec - then->tv_sec) * 1000 +
	    (now.tv_nsec - then->tv_nsec) / 1000000;
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

/* May this slot's connection make way for a new one?  Not while its
 * request is in a worker, nor before its connection is known, nor in its
 * first HTTP_YOUNG_MS: a client that sends its request at once (every
 * honest one) is never dropped before it could be read. */
static int
slot_evictable(const struct slot *s, long long now)
{
	return s->bev != NULL && s->evcon != NULL && s->job == NULL &&
	    now - s->since >= HTTP_YOUNG_MS;
}

/* Is there a slot for one more connection, free or to be freed? */
static int
slot_available(const struct http *h)
{
	long long	 now = mono_ms();
	int		 i;

	for (i = 0; i < h->nslots; i++)
		if (h->slots[i].bev == NULL || slot_evictable(&h->slots[i],
		    now))
			return 1;
	return 0;
}

/* After a slot was freed or may have become evictable: listen again if
 * paused. */
static void
slot_recheck(struct http *h)
{
	if (h->full && slot_available(h)) {
		h->full = 0;
		listeners_update(h);
	}
}

/* Every slot taken: stop accepting; look again in a moment, as the young
 * connections age into evictable ones. */
static void
slots_full(struct http *h)
{
	struct timeval	 tv = { 0, HTTP_YOUNG_MS * 1000 / 2 };

	if (!h->full) {
		h->full = 1;
		h->st.limit_reached++;
		listeners_update(h);
	}
	evtimer_add(h->recheck, &tv);
}

/* The timer slots_full set. */
static void
recheck(evutil_socket_t fd, short events, void *arg)
{
	struct http	*h = arg;

	(void)fd;
	(void)events;
	slot_recheck(h);
	if (h->full)
		slots_full(h);
}

/* A job and its answer. */
static void
job_free(struct job *j)
{
	if (j == NULL)
		return;
	free(j->body);
	free(j);
}

/* The client of a job left: forget it; a waiting job goes at once, a
 * running or done one when its answer arrives. */
static void
job_cancel(struct http *h, struct job *j)
{
	int	 waiting;

	j->slot = NULL;
	j->req = NULL;
	pthread_mutex_lock(&h->lock);
	if ((waiting = j->state == JOB_WAITING)) {
		TAILQ_REMOVE(&h->waiting, j, entry);
		h->nwaiting--;
	}
	pthread_mutex_unlock(&h->lock);
	if (waiting)
		job_free(j);
}

/* Give a slot back; the bufferevent goes when evhttp lets go too. */
static void
slot_release(struct slot *s)
{
	struct http	*h = s->http;

	if (s->bev == NULL)
		return;
	if (s->job != NULL) {
		job_cancel(h, s->job);
		s->job = NULL;
	}
	event_del(s->arm);
	bufferevent_decref(s->bev);
	s->bev = NULL;
	s->evcon = NULL;
	h->active--;
	slot_recheck(h);
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
	if (s->bev == NULL || s->evcon != NULL)
		return;
	if ((s->evcon = bev_owner(s->bev)) == NULL) {
		slot_release(s);	/* died already */
		return;
	}
	evhttp_connection_set_closecb(s->evcon, conn_closed, s);
	slot_recheck(s->http);		/* it may make way now */
}

/* Drop a slot's connection (the close callback frees the slot). */
static void
slot_drop(struct slot *s)
{
	struct evhttp_connection	*evcon;

	if ((evcon = bev_owner(s->bev)) != NULL)
		evhttp_connection_free(evcon);	/* calls conn_closed */
	if (s->bev != NULL)
		slot_release(s);
}

/* Every slot taken: free the one idle the longest, if any may go. */
static struct slot *
slot_evict(struct http *h)
{
	struct slot	*s, *old = NULL;
	long long	 now = mono_ms();
	int		 i;

	for (i = 0; i < h->nslots; i++) {
		s = &h->slots[i];
		if (slot_evictable(s, now) && (old == NULL || s->active <
		    old->active))
			old = s;
	}
	if (old == NULL)
		return NULL;
	h->st.dropped_idle++;
	log_debug("http: every slot taken, dropped the connection idle "
	    "for %lld ms", now - old->active);
	slot_drop(old);
	return old->bev == NULL ? old : NULL;
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
	/* Read no more than one request ahead of the answers. */
	bufferevent_setwatermark(bev, EV_READ, 0, h->read_max);
	for (i = 0; i < h->nslots; i++)
		if (h->slots[i].bev == NULL) {
			s = &h->slots[i];
			break;
		}
	if (s == NULL && (s = slot_evict(h)) == NULL) {
		h->st.untracked++;	/* accepted in one burst */
		slots_full(h);
		return bev;
	}
	bufferevent_incref(bev);
	s->bev = bev;
	s->evcon = NULL;
	s->job = NULL;
	s->since = s->active = mono_ms();
	event_add(s->arm, &now);
	if (++h->active >= h->nslots && !slot_available(h))
		slots_full(h);
	return bev;
}

/* The slot of a request's connection, or NULL (untracked). */
static struct slot *
slot_of(struct http *h, struct evhttp_request *req)
{
	struct evhttp_connection	*evcon;
	struct bufferevent		*bev;
	struct slot			*s;
	int				 i;

	if ((evcon = evhttp_request_get_connection(req)) == NULL)
		return NULL;
	bev = evhttp_connection_get_bufferevent(evcon);
	for (i = 0; i < h->nslots; i++) {
		s = &h->slots[i];
		if (s->bev == NULL || s->bev != bev)
			continue;
		if (s->evcon == NULL) {	/* asked before slot_arm ran */
			s->evcon = evcon;
			evhttp_connection_set_closecb(evcon, conn_closed, s);
		}
		return s;
	}
	return NULL;
}

/* Requests that waited past their time get a 503 (server thread). */
static void
expire_waiting(struct http *h)
{
	struct jobs	 old;
	struct job	*j, *next;

	TAILQ_INIT(&old);
	pthread_mutex_lock(&h->lock);
	for (j = TAILQ_FIRST(&h->waiting); j != NULL; j = next) {
		next = TAILQ_NEXT(j, entry);
		if (ms_since(&j->queued) < h->conf.query_ms)
			continue;
		TAILQ_REMOVE(&h->waiting, j, entry);
		h->nwaiting--;
		TAILQ_INSERT_TAIL(&old, j, entry);
	}
	pthread_mutex_unlock(&h->lock);
	while ((j = TAILQ_FIRST(&old)) != NULL) {
		TAILQ_REMOVE(&old, j, entry);
		h->st.refused_busy++;
		if (j->slot != NULL) {
			j->slot->job = NULL;
			j->slot->active = mono_ms();
		}
		if (j->req != NULL)
			reply_busy(h, j->req, "every query thread is busy; "
			    "try again");
		job_free(j);
	}
	slot_recheck(h);
}

/* Once a second: drop connections past their time, reclaim dead slots,
 * answer requests that waited too long. */
static void
sweep(evutil_socket_t fd, short events, void *arg)
{
	struct http		*h = arg;
	struct slot		*s;
	long long		 now = mono_ms();
	int			 i, crowded;

	(void)fd;
	(void)events;
	expire_waiting(h);
	crowded = h->active * 4 >= h->nslots * 3;
	for (i = 0; i < h->nslots; i++) {
		s = &h->slots[i];
		if (s->bev == NULL)
			continue;
		if (bev_owner(s->bev) == NULL) {
			slot_release(s);
			continue;
		}
		if (s->job != NULL)	/* bounded by the query's limits */
			continue;
		if (now - s->since >= h->conf.max_conn_time * 1000LL) {
			h->st.dropped_slow++;
			log_debug("http: connection open %lld ms, dropped",
			    now - s->since);
			slot_drop(s);
		} else if (crowded && now - s->active >= HTTP_PRESSURE_SECS *
		    1000LL) {
			h->st.dropped_slow++;
			log_debug("http: crowded, connection without a "
			    "request for %lld ms dropped", now - s->active);
			slot_drop(s);
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

/* 503 with Retry-After: the server is too busy for this request now. */
static void
reply_busy(struct http *h, struct evhttp_request *req, const char *why)
{
	char	 secs[16];
	int	 n = h->conf.query_ms / 1000;

	snprintf(secs, sizeof secs, "%d", n < 1 ? 1 : n);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Retry-After", secs);
	reply_json(req, 503, query_error(why));
}

/* Bytes of answers buffered for every client. */
static size_t
output_total(const struct http *h)
{
	size_t	 n = 0;
	int	 i;

	for (i = 0; i < h->nslots; i++)
		if (h->slots[i].bev != NULL)
			n += evbuffer_get_length(bufferevent_get_output(
			    h->slots[i].bev));
	return n;
}

/* Server-side counters added to /v1/status. */
static void
add_server_stats(const struct http_stats *st, json_t *o)
{
	json_object_set_new(o, "server", json_pack("{s:i s:i s:i s:i s:I s:I"
	    " s:I s:I s:I s:I s:I}",
	    "clients", st->clients,
	    "max_clients", st->max_clients,
	    "waiting", st->waiting,
	    "running", st->running,
	    "requests", (json_int_t)st->requests,
	    "limit_reached", (json_int_t)st->limit_reached,
	    "dropped_slow", (json_int_t)st->dropped_slow,
	    "dropped_idle", (json_int_t)st->dropped_idle,
	    "untracked", (json_int_t)st->untracked,
	    "refused_busy", (json_int_t)st->refused_busy,
	    "refused_output", (json_int_t)st->refused_output));
}

/* A worker: run one job on our own connection, render the answer. */
static void
job_run(struct worker *w, struct job *j)
{
	struct http		*h = w->http;
	struct query_result	 r;

	HOOK_SLEEP(j->path);
	if (h->conf.commit_failures != NULL)
		query_set_commit_failures(w->query,
		    h->conf.commit_failures(h->conf.arg));
	query_set_live(w->query, h->conf.live);
	query_run(w->query, j->path, j->p, j->np, j->now, &r);
	j->status = r.status;
	if (r.text != NULL) {
		j->text = 1;
		j->body = r.text;
		j->len = r.textlen;
		r.text = NULL;
	} else {
		if (r.status == 200 && strcmp(j->path, "/v1/status") == 0)
			add_server_stats(&j->stats, r.json);
		if ((j->body = json_dumps(r.json, JSON_COMPACT)) == NULL) {
			j->status = 500;
			j->body = strdup("{\"error\":\"out of memory\"}");
		}
		j->len = j->body != NULL ? strlen(j->body) : 0;
	}
	query_result_clear(&r);
}

/* A worker thread: take waiting jobs until told to stop. */
static void *
worker_main(void *arg)
{
	struct worker	*w = arg;
	struct http	*h = w->http;
	struct job	*j;

	for (;;) {
		pthread_mutex_lock(&h->lock);
		while (!h->stopping && TAILQ_EMPTY(&h->waiting))
			pthread_cond_wait(&h->cond, &h->lock);
		if (h->stopping) {
			pthread_mutex_unlock(&h->lock);
			break;
		}
		j = TAILQ_FIRST(&h->waiting);
		TAILQ_REMOVE(&h->waiting, j, entry);
		h->nwaiting--;
		h->nrunning++;
		j->state = JOB_RUNNING;
		pthread_mutex_unlock(&h->lock);

		job_run(w, j);

		pthread_mutex_lock(&h->lock);
		j->state = JOB_DONE;
		h->nrunning--;
		TAILQ_INSERT_TAIL(&h->done, j, entry);
		pthread_mutex_unlock(&h->lock);
		/* A full pipe already says there is work: no need to wait. */
		while (write(h->wake[1], "", 1) == -1 && errno == EINTR)
			continue;
	}
	return NULL;
}

/* Send a done job's answer, if its client is still there. */
static void
job_answer(struct http *h, struct job *j)
{
	struct slot	*s = j->slot;

	if (j->req == NULL) {		/* the client left */
		job_free(j);
		return;
	}
	s->job = NULL;
	s->active = mono_ms();
	if (j->body == NULL)
		reply_json(j->req, 500, query_error("out of memory"));
	else if (output_total(h) + j->len > h->conf.out_max) {
		h->st.refused_output++;
		reply_busy(h, j->req, "too many answers are waiting to be "
		    "read; try again");
	} else if (j->text)
		reply(j->req, j->status, "text/plain; version=0.0.4; "
		    "charset=utf-8", j->body, j->len, 0);
	else
		reply(j->req, j->status, "application/json", j->body, j->len,
		    1);
	job_free(j);
}

/* The wake-up pipe: answer the done jobs, or leave the loop to stop. */
static void
wake(evutil_socket_t fd, short events, void *arg)
{
	struct http	*h = arg;
	struct jobs	 done;
	struct job	*j;
	char		 buf[64];
	int		 stopping;

	(void)events;
	while (read(fd, buf, sizeof buf) > 0)
		continue;
	TAILQ_INIT(&done);
	pthread_mutex_lock(&h->lock);
	TAILQ_CONCAT(&done, &h->done, entry);
	stopping = h->stopping;
	pthread_mutex_unlock(&h->lock);
	while ((j = TAILQ_FIRST(&done)) != NULL) {
		TAILQ_REMOVE(&done, j, entry);
		job_answer(h, j);
	}
	slot_recheck(h);
	if (stopping)
		event_base_loopbreak(h->base);
}

/* Copy a request into a new job, or NULL. */
static struct job *
job_new(const char *path, const struct query_param *p, size_t n)
{
	struct job	*j;
	size_t		 len, i, k, v;
	char		*cp;

	len = strlen(path) + 1;
	for (i = 0; i < n; i++)
		len += strlen(p[i].key) + strlen(p[i].value) + 2;
	if ((j = calloc(1, sizeof *j + len)) == NULL)
		return NULL;
	cp = j->strings;
	memcpy(cp, path, strlen(path) + 1);
	j->path = cp;
	cp += strlen(path) + 1;
	for (i = 0; i < n; i++) {
		k = strlen(p[i].key) + 1;
		v = strlen(p[i].value) + 1;
		memcpy(cp, p[i].key, k);
		j->p[i].key = cp;
		cp += k;
		memcpy(cp, p[i].value, v);
		j->p[i].value = cp;
		cp += v;
	}
	j->np = n;
	return j;
}

/* Queue a request for a worker; 503 when the queue is full. */
static void
submit(struct http *h, struct evhttp_request *req, const char *path,
    const struct query_param *p, size_t n)
{
	struct slot	*s;
	struct job	*j;
	int		 full;

	if ((s = slot_of(h, req)) == NULL) {	/* past every limit */
		h->st.refused_busy++;
		reply_busy(h, req, "too many clients; try again");
		return;
	}
	if ((j = job_new(path, p, n)) == NULL) {
		reply_json(req, 500, query_error("out of memory"));
		return;
	}
	j->now = (int64_t)time(NULL);
	j->slot = s;
	j->req = req;
	clock_gettime(CLOCK_MONOTONIC, &j->queued);
	pthread_mutex_lock(&h->lock);
	if (!(full = h->nwaiting >= h->conf.max_waiting)) {
		h->st.waiting = h->nwaiting;
		h->st.running = h->nrunning;
		h->st.clients = h->active;
		h->st.max_clients = h->conf.max_clients;
		j->stats = h->st;
		j->state = JOB_WAITING;
		TAILQ_INSERT_TAIL(&h->waiting, j, entry);
		h->nwaiting++;
		pthread_cond_signal(&h->cond);
	}
	pthread_mutex_unlock(&h->lock);
	if (full) {
		h->st.refused_busy++;
		job_free(j);
		reply_busy(h, req, "too many requests waiting; try again");
		return;
	}
	s->job = j;
}

/* Every request: check method and size, split the URI, queue it. */
static void
handle(struct http *h, struct evhttp_request *req, int metrics_only)
{
	const struct evhttp_uri	*uri;
	const char		*path, *qs;
	struct evkeyvalq	 kv;
	struct evkeyval		*e;
	struct query_param	 p[QUERY_PARAMS_MAX];
	size_t			 n = 0;
	enum evhttp_cmd_type	 cmd;

	h->st.requests++;
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
	submit(h, req, path, p, n);
	evhttp_clear_headers(&kv);
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
	/* A deep backlog: under a flood of connections a fresh client
	 * waits its turn there instead of being refused (EAGAIN). */
	if (listen(fd, SOMAXCONN) == -1 || evutil_make_socket_nonblocking(fd) ==
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

/* The server thread: run the connections until http_free says stop. */
static void *
server_main(void *arg)
{
	struct http	*h = arg;

	event_base_dispatch(h->base);
	return NULL;
}

/* Start a thread with every signal blocked: they are the caller's. */
static int
thread_start(pthread_t *t, void *(*fn)(void *), void *arg)
{
	sigset_t	 all, old;
	int		 e;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	e = pthread_create(t, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return e;
}

/* Socket, listeners, limits, the query threads and the server thread, or
 * a cause. */
struct http *
http_new(const struct http_config *conf, const char *dbpath, char **cause)
{
	struct http		*h;
	struct query_limits	 ql;
	struct timeval		 tv = { 1, 0 };
	int			 fd, i, e;

	*cause = NULL;
	if (conf->socket_path == NULL || dbpath == NULL) {
		*cause = strdup("http: no socket or database path");
		return NULL;
	}
	if ((h = calloc(1, sizeof *h)) == NULL)
		goto nomem;
	h->wake[0] = h->wake[1] = -1;
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->cond, NULL);
	TAILQ_INIT(&h->waiting);
	TAILQ_INIT(&h->done);
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
	DEFAULT(workers, 2);
	DEFAULT(max_waiting, 8);
	DEFAULT(metrics_top, 20);
#undef DEFAULT
	if (h->conf.out_max == 0)
		h->conf.out_max = 16 * 1024 * 1024;
	if (h->conf.workers > HTTP_WORKERS_MAX)
		h->conf.workers = HTTP_WORKERS_MAX;
	/* One request's worth: evhttp refuses more than this itself. */
	h->read_max = (size_t)h->conf.max_header + 4 *
	    (size_t)h->conf.max_body + 4096;
	memset(&ql, 0, sizeof ql);
	ql.max_rows = h->conf.max_rows;
	ql.time_ms = h->conf.query_ms;
	ql.busy_ms = h->conf.query_ms / 2;
	ql.metrics_top = h->conf.metrics_top;
	ql.metrics_compat = h->conf.metrics_compat;
	for (i = 0; i < h->conf.workers; i++) {
		h->workers[i].http = h;
		if ((h->workers[i].query = query_new(dbpath, &ql)) == NULL)
			goto nomem;
	}
	h->nworkers = h->conf.workers;

	if ((h->base = event_base_new()) == NULL)
		goto nomem;
	if (pipe2(h->wake, O_NONBLOCK | O_CLOEXEC) == -1) {
		if (asprintf(cause, "http: pipe: %s", strerror(errno)) == -1)
			*cause = NULL;
		http_free(h);
		return NULL;
	}
	if ((h->wake_ev = event_new(h->base, h->wake[0], EV_READ | EV_PERSIST,
	    wake, h)) == NULL)
		goto nomem;
	event_add(h->wake_ev, NULL);

	h->nslots = h->conf.max_clients;
	if ((h->slots = calloc(h->nslots, sizeof *h->slots)) == NULL)
		goto nomem;
	for (i = 0; i < h->nslots; i++) {
		h->slots[i].http = h;
		if ((h->slots[i].arm = evtimer_new(h->base, slot_arm,
		    &h->slots[i])) == NULL)
			goto nomem;
	}
	if ((h->sweep = event_new(h->base, -1, EV_PERSIST, sweep, h)) ==
	    NULL || (h->resume = evtimer_new(h->base, resume, h)) == NULL ||
	    (h->recheck = evtimer_new(h->base, recheck, h)) == NULL)
		goto nomem;
	event_add(h->sweep, &tv);

	if ((h->evh = evhttp_new(h->base)) == NULL)
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
	h->lev = evconnlistener_new(h->base, NULL, NULL,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd);	/* 0: listen() done */
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

	for (i = 0; i < h->nworkers; i++) {
		if ((e = thread_start(&h->workers[i].thread, worker_main,
		    &h->workers[i])) != 0)
			goto nothread;
		h->workers[i].started = 1;
	}
	if ((e = thread_start(&h->thread, server_main, h)) != 0)
		goto nothread;
	h->started = 1;
	log_info("http: listening on %s (%d query threads)", h->path,
	    h->nworkers);
	return h;
nothread:
	if (asprintf(cause, "http: cannot start a thread: %s",
	    strerror(e)) == -1)
		*cause = NULL;
	http_free(h);
	return NULL;
nomem:
	http_free(h);
	free(*cause);
	*cause = strdup("http: out of memory");
	return NULL;
}

/* Stop the server thread and the workers; then tear down in the order
 * evhttp needs, and remove the socket. */
void
http_free(struct http *h)
{
	struct evconnlistener	*lev, *mlev;
	struct job		*j;
	int			 i;

	if (h == NULL)
		return;
	pthread_mutex_lock(&h->lock);
	h->stopping = 1;
	pthread_cond_broadcast(&h->cond);
	pthread_mutex_unlock(&h->lock);
	if (h->started) {
		while (write(h->wake[1], "", 1) == -1 && errno == EINTR)
			continue;
		pthread_join(h->thread, NULL);
	}
	for (i = 0; i < h->nworkers; i++)
		if (h->workers[i].started)
			pthread_join(h->workers[i].thread, NULL);
	/* From here on this is the only thread. */
	for (i = 0; i < HTTP_INSTANCES; i++)
		if (instances[i] == h)
			instances[i] = NULL;
	/*
	 * evhttp_free frees the listeners bound to it, then its connections,
	 * whose close callbacks may try to re-enable the listeners: forget
	 * them first.  The close callbacks cancel the connections' jobs.
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
	while ((j = TAILQ_FIRST(&h->waiting)) != NULL) {
		TAILQ_REMOVE(&h->waiting, j, entry);
		job_free(j);
	}
	while ((j = TAILQ_FIRST(&h->done)) != NULL) {
		TAILQ_REMOVE(&h->done, j, entry);
		job_free(j);
	}
	if (h->sweep != NULL)
		event_free(h->sweep);
	if (h->resume != NULL)
		event_free(h->resume);
	if (h->recheck != NULL)
		event_free(h->recheck);
	if (h->wake_ev != NULL)
		event_free(h->wake_ev);
	if (h->base != NULL)
		event_base_free(h->base);
	if (h->wake[0] != -1)
		close(h->wake[0]);
	if (h->wake[1] != -1)
		close(h->wake[1]);
	if (h->path != NULL) {
		unlink(h->path);
		free(h->path);
	}
	for (i = 0; i < HTTP_WORKERS_MAX; i++)
		query_free(h->workers[i].query);
	pthread_cond_destroy(&h->cond);
	pthread_mutex_destroy(&h->lock);
	free(h);
}
