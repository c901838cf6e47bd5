/*
 * http: the daemon's HTTP/1.1 service (libevent evhttp) on a Unix socket,
 * and optionally /metrics on a loopback TCP port.
 *
 * It owns the socket (created with a tight umask, mode 0660, a chosen
 * group; a stale socket is removed only when nothing answers on it), the
 * limits (clients at once, header and body size, time per connection,
 * accept back-off on EMFILE) and the translation of requests into
 * query_run() calls.  It does not build SQL or JSON itself (query.c does),
 * and it does not own the event base.
 */
#ifndef SMTPTALLY_HTTP_H
#define SMTPTALLY_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "api.h"

/* Where the daemon listens unless told otherwise (api.h). */
#define HTTP_SOCKET_DEFAULT	API_SOCKET_DEFAULT

struct event_base;
struct http;

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
	int		 query_ms;	/* time per query (0 = 5000); the event
					 * loop waits for it, so keep it short */
	int		 metrics_top;	/* domains in /metrics (0 = 20) */
	const char	*metrics_listen; /* "127.0.0.1:9425", "9425" (loopback),
					  * NULL, "" or "off" = no listener */
	/* Counters only the daemon's memory knows (may be NULL). */
	int64_t		(*commit_failures)(void *);
	int64_t		(*journal_lag)(void *, const char *);
	void		*arg;
};

/* Listen on the socket and serve the database at the given path (read
 * only); NULL and an allocated *cause (the caller frees it) on failure. */
struct http	*http_new(struct event_base *, const struct http_config *,
		     const char *, char **);
/* Close every connection, the listeners, and remove the socket. */
void		 http_free(struct http *);

#endif
