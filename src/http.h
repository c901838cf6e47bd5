/*
 * http: the daemon's HTTP/1.1 service (libevent evhttp) on a Unix socket,
 * and optionally /metrics on a loopback TCP port.
 *
 * It owns the socket (created with a tight umask, mode 0660, a chosen
 * group; a stale socket is removed only when nothing answers on it), the
 * limits (clients at once, header and body size, time per connection,
 * requests waiting, bytes of answers buffered, accept back-off on EMFILE),
 * the threads that serve, and the translation of requests into
 * query_run() calls.  It does not build SQL or JSON itself (query.c does),
 * and it shares nothing with the daemon's event loop.
 */
#ifndef SMTPTALLY_HTTP_H
#define SMTPTALLY_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "api.h"

/* Where the daemon listens unless told otherwise (api.h). */
#define HTTP_SOCKET_DEFAULT	API_SOCKET_DEFAULT

struct http;
struct live;

struct http_config {
	const char	*socket_path;	/* required */
	const char	*socket_group;	/* NULL or "" = leave the group alone */
	int		 socket_mode;	/* permission bits (0 = 0660) */
	int		 max_clients;	/* connections at once (0 = 64) */
	int		 idle_timeout;	/* seconds without progress (0 = 10) */
	int		 max_conn_time;	/* seconds per connection (0 = 30) */
	int		 max_header;	/* bytes of request headers (0 = 8192) */
	int		 max_body;	/* bytes of request body (0 = 4096) */
	int		 max_rows;	/* rows per response (0 = 1000) */
	int		 query_ms;	/* time per query (0 = 5000), and the
					 * longest a request waits for a
					 * query thread before a 503 */
	int		 workers;	/* query threads (0 = 2) */
	int		 max_waiting;	/* requests waiting for a query thread
					 * (0 = 8); more get a 503 */
	size_t		 out_max;	/* bytes of answers buffered for all
					 * clients (0 = 16 MiB); more: 503 */
	int		 metrics_top;	/* domains in /metrics (0 = 20) */
	unsigned	 metrics_compat; /* METRICS_COMPAT_* (query.h) */
	const char	*metrics_listen; /* "127.0.0.1:9425", "9425" (loopback),
					  * NULL, "" or "off" = no listener */
	/* Counters only the daemon's memory knows (may be NULL).  Called
	 * from a query thread: it must be safe to call from any thread. */
	int64_t		(*commit_failures)(void *);
	void		*arg;
	struct live	*live;		/* the daemon's state for /v1/status
					 * and /metrics: paths in error, lines
					 * not recognised, journal lags
					 * (live.h: safe from any thread), or
					 * NULL */
};

/*
 * Listen on the socket and serve the database at the given path (read
 * only), on threads of its own: one runs the connections (its own event
 * base), each of the workers runs queries on its own read-only
 * connection.  Nothing of it runs in the caller's event loop, so a slow
 * query or a hostile client never delays ingest.  NULL and an allocated
 * *cause (the caller frees it) on failure.  Signals stay with the caller's
 * threads.
 */
struct http	*http_new(const struct http_config *, const char *, char **);
/* Stop the threads, close every connection and the listeners, and remove
 * the socket. */
void		 http_free(struct http *);

#endif
