/*
 * testd: the serving half alone, for the tests in tests/serve/.  It runs
 * http_new() on a database the test filled itself, until SIGTERM (http
 * serves on threads of its own; this loop only waits for the signal).
 *
 * Not the daemon: no ingest, no config file.  Limits come from options so
 * the hostile-client tests can make them small.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <event2/event.h>

#include "http.h"
#include "log.h"

/* SIGTERM or SIGINT: leave the loop so http_free removes the socket. */
static void
on_signal(evutil_socket_t sig, short events, void *arg)
{
	(void)sig;
	(void)events;
	event_base_loopbreak(arg);
}

/* Options into an http_config, then serve until a signal. */
int
main(int argc, char **argv)
{
	struct event_base	*base;
	struct event		*sigterm, *sigint;
	struct http_config	 c = { 0 };
	struct http		*h;
	char			*cause;
	int			 ch;

	while ((ch = getopt(argc, argv, "c:g:m:M:n:o:r:t:T:q:w:W:")) != -1) {
		switch (ch) {
		case 'c':
			c.max_clients = atoi(optarg);
			break;
		case 'g':
			c.socket_group = optarg;
			break;
		case 'm':
			c.metrics_listen = optarg;
			break;
		case 'M':
			c.socket_mode = (int)strtol(optarg, NULL, 8);
			break;
		case 'n':
			c.metrics_top = atoi(optarg);
			break;
		case 'r':
			c.max_rows = atoi(optarg);
			break;
		case 't':
			c.idle_timeout = atoi(optarg);
			break;
		case 'T':
			c.max_conn_time = atoi(optarg);
			break;
		case 'q':
			c.query_ms = atoi(optarg);
			break;
		case 'o':
			c.out_max = (size_t)strtoul(optarg, NULL, 10);
			break;
		case 'w':
			c.workers = atoi(optarg);
			break;
		case 'W':
			c.max_waiting = atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: testd [-c clients] [-g group] "
			    "[-m addr:port] [-M mode] [-n top] [-o bytes] [-r rows] "
			    "[-t idle] [-T conntime] [-q ms] [-w workers] "
			    "[-W waiting] db socket\n");
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 2) {
		fprintf(stderr, "usage: testd [options] db socket\n");
		return 2;
	}
	log_init("testd", 1, getenv("TESTD_DEBUG") != NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((base = event_base_new()) == NULL)
		return 1;
	c.socket_path = argv[1];
	if ((h = http_new(&c, argv[0], &cause)) == NULL) {
		fprintf(stderr, "testd: %s\n", cause ? cause : "failed");
		free(cause);
		return 1;
	}
	sigterm = evsignal_new(base, SIGTERM, on_signal, base);
	sigint = evsignal_new(base, SIGINT, on_signal, base);
	event_add(sigterm, NULL);
	event_add(sigint, NULL);
	event_base_dispatch(base);
	http_free(h);
	event_free(sigterm);
	event_free(sigint);
	event_base_free(base);
	return 0;
}
