/*
 * hammer: hostile clients for tests/serve/hostile.sh.  Each mode prints
 * one line of figures and exits 0 when the daemon behaved, 1 otherwise.
 *
 *   hammer SOCK connect N     N connections; every 2nd sends a request
 *                             and must get a 200, the others just close
 *   hammer SOCK slow N SECS   N clients trickling header bytes; all must
 *                             be dropped by the daemon within SECS
 *   hammer SOCK big BYTES     one request with a BYTES-long header; must
 *                             not get a 200
 *   hammer SOCK half N        N requests then shutdown(SHUT_WR); each
 *                             must still get its 200; plus N connections
 *                             half-closed before sending anything
 *   hammer SOCK parallel N PATH SECS
 *                             N connections each send one request for PATH
 *                             before any answer is read; every one must be
 *                             answered (a 200, or a 503 with Retry-After)
 *                             within SECS; prints how many of each and
 *                             when the last 503 came (busy_ms=);
 *                             creates $HAMMER_SENT once all are sent,
 *                             $HAMMER_BUSY at the first 503
 *   hammer SOCK pipeline N SECS
 *                             N connections pipeline requests as fast as
 *                             the daemon takes them, never reading, for
 *                             SECS; prints the most bytes one connection
 *                             got the daemon to take
 *   hammer SOCK loris N SECS  N connections trickle header bytes, and
 *                             reconnect when dropped, for SECS; prints
 *                             how often they were dropped
 *   hammer SOCK garbage N SECS
 *                             N connections send random bytes (binary
 *                             noise, broken request lines, huge and
 *                             malformed headers) and reconnect when
 *                             dropped, for SECS; prints how many bytes
 *                             were sent and how often they were dropped
 *
 * Every mode is bounded by alarm(2): a hung daemon fails the test rather
 * than hanging it.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define REQUEST	"GET /v1/status HTTP/1.0\r\nHost: x\r\n\r\n"

static const char	*sockpath;

/* Connect to the daemon's socket, or -1. */
static int
dial(void)
{
	struct sockaddr_un	 sun;
	int			 fd;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", sockpath);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Read to EOF (bounded); 1 if the answer starts with a 200. */
static int
read_answer(int fd)
{
	char	 buf[4096];
	size_t	 have = 0;
	ssize_t	 n;

	while ((n = read(fd, buf + have, sizeof buf - 1 - have)) > 0) {
		have += (size_t)n;
		if (have == sizeof buf - 1)
			have = 16;	/* keep the status line only */
	}
	buf[have] = '\0';
	return strncmp(buf, "HTTP/1.1 200", 12) == 0 ||
	    strncmp(buf, "HTTP/1.0 200", 12) == 0;
}

/* Blocking write of everything, or -1. */
static int
write_all(int fd, const char *p, size_t len)
{
	ssize_t	 n;

	while (len > 0) {
		if ((n = write(fd, p, len)) <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Many short connections; half of them ask and must get a 200. */
static int
mode_connect(int n)
{
	int	 i, fd, ok = 0, failed = 0, asked = 0;

	for (i = 0; i < n; i++) {
		if ((fd = dial()) == -1) {
			failed++;
			continue;
		}
		if (i % 2 == 0) {
			asked++;
			if (write_all(fd, REQUEST, strlen(REQUEST)) == 0 &&
			    read_answer(fd))
				ok++;
		}
		close(fd);
	}
	printf("connect: %d connections, %d refused, %d requests, %d "
	    "answered 200\n", n, failed, asked, ok);
	return failed == 0 && ok == asked ? 0 : 1;
}

/* Clients that never finish their headers must be dropped. */
static int
mode_slow(int n, int secs)
{
	int		*fd, i, open_left, dropped = 0;
	time_t		 start = time(NULL);
	char		 c;
	const char	*head = "GET /v1/status HTTP/1.1\r\nX-Slow: ";

	if ((fd = calloc(n, sizeof *fd)) == NULL)
		return 1;
	for (i = 0; i < n; i++) {
		if ((fd[i] = dial()) == -1) {
			printf("slow: connect %d failed: %s\n", i,
			    strerror(errno));
			return 1;
		}
		fcntl(fd[i], F_SETFL, O_NONBLOCK);
		write_all(fd[i], head, strlen(head));
	}
	open_left = n;
	while (open_left > 0 && time(NULL) - start < secs) {
		for (i = 0; i < n; i++) {
			if (fd[i] == -1)
				continue;
			/* One byte now and then: never idle, never done. */
			if (write(fd[i], "a", 1) == -1 ||
			    (read(fd[i], &c, 1) == 0)) {
				close(fd[i]);
				fd[i] = -1;
				dropped++;
				open_left--;
			}
		}
		usleep(200000);
	}
	printf("slow: %d clients, %d dropped by the daemon in %lds\n", n,
	    dropped, (long)(time(NULL) - start));
	for (i = 0; i < n; i++)
		if (fd[i] != -1)
			close(fd[i]);
	free(fd);
	return dropped == n ? 0 : 1;
}

/* A header far past the limit must not be served. */
static int
mode_big(long bytes)
{
	char	*buf;
	int	 fd, ok;
	long	 sent = 0;
	ssize_t	 w;
	const char *head = "GET /v1/status HTTP/1.1\r\nHost: x\r\nX-Big: ";

	if ((fd = dial()) == -1 || (buf = malloc(65536)) == NULL)
		return 1;
	memset(buf, 'a', 65536);
	write_all(fd, head, strlen(head));
	while (sent < bytes) {
		w = write(fd, buf, (size_t)(bytes - sent < 65536 ?
		    bytes - sent : 65536));
		if (w <= 0)
			break;	/* the daemon closed on us: good */
		sent += w;
	}
	if (sent == bytes)
		write_all(fd, "\r\n\r\n", 4);
	ok = read_answer(fd);
	printf("big: %ld of %ld header bytes accepted before the daemon "
	    "stopped reading; answered 200: %s\n", sent, bytes,
	    ok ? "yes" : "no");
	close(fd);
	free(buf);
	return ok ? 1 : 0;
}

/* Half-closed sockets: answered when they asked, closed when not. */
static int
mode_half(int n)
{
	int	 i, fd, ok = 0, closed = 0;
	char	 c;

	for (i = 0; i < n; i++) {
		if ((fd = dial()) == -1)
			continue;
		write_all(fd, REQUEST, strlen(REQUEST));
		shutdown(fd, SHUT_WR);
		ok += read_answer(fd);
		close(fd);
	}
	for (i = 0; i < n; i++) {
		if ((fd = dial()) == -1)
			continue;
		shutdown(fd, SHUT_WR);
		if (read(fd, &c, 1) == 0)
			closed++;
		close(fd);
	}
	printf("half: %d/%d half-closed requests answered 200, %d/%d empty "
	    "half-closed connections closed by the daemon\n", ok, n, closed,
	    n);
	return ok == n && closed == n ? 0 : 1;
}

/* Milliseconds on the monotonic clock. */
static long long
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Has an HTTP answer's header block a Retry-After line?  (A 16 KiB
 * prefix holds it.) */
static int
has_retry_after(const char *buf)
{
	const char	*end = strstr(buf, "\r\n\r\n"), *p;

	for (p = buf; (p = strstr(p, "\r\n")) != NULL && (end == NULL ||
	    p < end); p += 2)
		if (strncasecmp(p + 2, "Retry-After:", 12) == 0)
			return 1;
	return 0;
}

/* Slow requests all at once: each answered in time, 200 or a 503 that
 * says when to come back. */
static int
mode_parallel(int n, const char *path, int secs)
{
	struct pollfd	*pfd;
	char		**buf, req[512];
	size_t		*have;
	const char	*mark;
	long long	 start, slowest = 0, slowbusy = 0;
	int		 i, left, ok = 0, busy = 0, bad = 0, lost = 0;
	ssize_t		 r;

	pfd = calloc(n, sizeof *pfd);
	buf = calloc(n, sizeof *buf);
	have = calloc(n, sizeof *have);
	if (pfd == NULL || buf == NULL || have == NULL)
		return 1;
	snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: x\r\n"
	    "Connection: close\r\n\r\n", path);
	for (i = 0; i < n; i++) {
		if ((pfd[i].fd = dial()) == -1 ||
		    (buf[i] = calloc(1, 16384)) == NULL) {
			printf("parallel: connect %d failed: %s\n", i,
			    strerror(errno));
			return 1;
		}
		pfd[i].events = POLLIN;
	}
	start = now_ms();
	for (i = 0; i < n; i++)
		if (write_all(pfd[i].fd, req, strlen(req)) == -1) {
			printf("parallel: send %d failed\n", i);
			return 1;
		}
	/* Tell a waiting test that every request is out. */
	if ((mark = getenv("HAMMER_SENT")) != NULL)
		close(open(mark, O_WRONLY | O_CREAT, 0644));
	left = n;
	while (left > 0 && now_ms() - start < secs * 1000LL) {
		if (poll(pfd, n, 200) == -1 && errno != EINTR)
			return 1;
		for (i = 0; i < n; i++) {
			if (pfd[i].fd == -1 || pfd[i].revents == 0)
				continue;
			r = read(pfd[i].fd, buf[i] + have[i], 16383 - have[i]);
			if (r > 0) {
				have[i] += (size_t)r;
				if (have[i] < 16383)
					continue;
			}
			/* EOF (Connection: close), or enough to judge. */
			close(pfd[i].fd);
			pfd[i].fd = -1;
			left--;
			if (now_ms() - start > slowest)
				slowest = now_ms() - start;
			if (strncmp(buf[i], "HTTP/1.1 200", 12) == 0)
				ok++;
			else if (strncmp(buf[i], "HTTP/1.1 503", 12) == 0 &&
			    has_retry_after(buf[i])) {
				if (now_ms() - start > slowbusy)
					slowbusy = now_ms() - start;
				/* The first refusal: the queue is full now. */
				if (busy++ == 0 &&
				    (mark = getenv("HAMMER_BUSY")) != NULL)
					close(open(mark, O_WRONLY | O_CREAT,
					    0644));
			} else
				bad++;
		}
	}
	for (i = 0; i < n; i++) {
		if (pfd[i].fd != -1) {
			lost++;
			close(pfd[i].fd);
		}
		free(buf[i]);
	}
	printf("parallel: %d requests for %s: %d answered 200, %d 503 with "
	    "Retry-After, %d other, %d unanswered after %ds; last answer "
	    "after %lld ms\n", n, path, ok, busy, bad, lost, secs, slowest);
	printf("ok=%d busy=%d busy_ms=%lld\n", ok, busy, slowbusy);
	free(pfd);
	free(buf);
	free(have);
	return bad == 0 && lost == 0 ? 0 : 1;
}

/* Pipelined requests, answers never read: how much does the daemon take
 * in?  It should stop reading a connection whose answers wait. */
static int
mode_pipeline(int n, int secs)
{
	static char	 chunk[65536];
	const char	*one = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
	size_t		 len = strlen(one), off;
	long long	*sent, most = 0, total = 0, start;
	int		*fd, i;
	ssize_t		 w;

	for (off = 0; off + len <= sizeof chunk; off += len)
		memcpy(chunk + off, one, len);
	if ((fd = calloc(n, sizeof *fd)) == NULL ||
	    (sent = calloc(n, sizeof *sent)) == NULL)
		return 1;
	for (i = 0; i < n; i++) {
		if ((fd[i] = dial()) == -1) {
			printf("pipeline: connect %d failed\n", i);
			return 1;
		}
		fcntl(fd[i], F_SETFL, O_NONBLOCK);
	}
	start = now_ms();
	while (now_ms() - start < secs * 1000LL) {
		for (i = 0; i < n; i++) {
			if (fd[i] == -1)
				continue;
			w = write(fd[i], chunk, off);
			if (w > 0)
				sent[i] += w;
			else if (w == -1 && errno != EAGAIN) {
				close(fd[i]);	/* dropped: fine */
				fd[i] = -1;
			}
		}
		usleep(1000);
	}
	for (i = 0; i < n; i++) {
		total += sent[i];
		if (sent[i] > most)
			most = sent[i];
		if (fd[i] != -1)
			close(fd[i]);
	}
	printf("pipeline: %d connections for %ds: %lld bytes taken in all, "
	    "at most %lld by one\n", n, secs, total, most);
	printf("most=%lld\n", most);
	free(fd);
	free(sent);
	return 0;
}

/* Slowloris: never finish a request, come back when dropped. */
static int
mode_loris(int n, int secs)
{
	const char	*head = "GET /v1/status HTTP/1.1\r\nX-Slow: ";
	long long	 start = now_ms();
	int		*fd, i, drops = 0;
	char		 c;

	if ((fd = calloc(n, sizeof *fd)) == NULL)
		return 1;
	for (i = 0; i < n; i++)
		fd[i] = -1;
	while (now_ms() - start < secs * 1000LL) {
		for (i = 0; i < n; i++) {
			if (fd[i] == -1) {
				if ((fd[i] = dial()) == -1)
					continue;
				fcntl(fd[i], F_SETFL, O_NONBLOCK);
				(void)write(fd[i], head, strlen(head));
				continue;
			}
			if (write(fd[i], "a", 1) == -1 ||
			    read(fd[i], &c, 1) == 0) {
				close(fd[i]);
				fd[i] = -1;
				drops++;
			}
		}
		usleep(100000);
	}
	for (i = 0; i < n; i++)
		if (fd[i] != -1)
			close(fd[i]);
	printf("loris: %d connections for %ds, dropped %d times\n", n, secs,
	    drops);
	free(fd);
	return 0;
}

/* Noise on one connection: random bytes, or the pieces of a request
 * put together wrongly.  The daemon may answer or drop; it must not
 * grow or stall (judged by the caller). */
static size_t
garbage_chunk(char *buf, size_t size, unsigned *seed)
{
	static const char *const bits[] = {
		"GET ", "POST ", "/v1/summary?by=", "/v1/status", "/metrics",
		" HTTP/1.1\r\n", " HTTP/9.9\r\n", "Host: x\r\n",
		"Content-Length: 99999999999999999999\r\n",
		"Transfer-Encoding: chunked\r\n", "\r\n", "\r\n\r\n",
		"%00%ff%", "?since=-99999999999&until=x&limit=-1&",
		"\xc0\x80\xe2\x80\xae\xc2\x9b", ": : :\r\n"
	};
	size_t	 len = 0, n, k;

	while (len + 64 < size) {
		if (rand_r(seed) % 3 == 0) {
			n = 1 + rand_r(seed) % 63;
			for (k = 0; k < n; k++)
				buf[len++] = (char)rand_r(seed);
		} else {
			k = rand_r(seed) % (sizeof bits / sizeof *bits);
			n = strlen(bits[k]);
			if (len + n >= size)
				break;
			memcpy(buf + len, bits[k], n);
			len += n;
		}
		if (rand_r(seed) % 8 == 0)
			break;
	}
	return len;
}

/* Garbage: noise on N connections, come back when dropped. */
static int
mode_garbage(int n, int secs)
{
	long long	 start = now_ms(), bytes = 0;
	unsigned	 seed = (unsigned)getpid();
	int		*fd, i, drops = 0;
	char		 buf[4096];
	ssize_t		 w;
	size_t		 len;

	if ((fd = calloc(n, sizeof *fd)) == NULL)
		return 1;
	for (i = 0; i < n; i++)
		fd[i] = -1;
	while (now_ms() - start < secs * 1000LL) {
		for (i = 0; i < n; i++) {
			if (fd[i] == -1) {
				if ((fd[i] = dial()) == -1)
					continue;
				fcntl(fd[i], F_SETFL, O_NONBLOCK);
			}
			len = garbage_chunk(buf, sizeof buf, &seed);
			w = write(fd[i], buf, len);
			if (w > 0)
				bytes += w;
			/* drain what the daemon says; EOF: dropped */
			while ((w = read(fd[i], buf, sizeof buf)) > 0)
				;
			if (w == 0 || (w == -1 && errno != EAGAIN) ||
			    rand_r(&seed) % 16 == 0) {
				close(fd[i]);
				fd[i] = -1;
				drops++;
			}
		}
		usleep(20000);
	}
	for (i = 0; i < n; i++)
		if (fd[i] != -1)
			close(fd[i]);
	printf("garbage: %d connections for %ds, %lld bytes sent, dropped or "
	    "closed %d times\n", n, secs, bytes, drops);
	free(fd);
	return 0;
}

/* One mode per run, bounded by alarm(2). */
int
main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	alarm(50);
	if (argc < 4)
		goto usage;
	sockpath = argv[1];
	if (strcmp(argv[2], "connect") == 0)
		return mode_connect(atoi(argv[3]));
	if (strcmp(argv[2], "slow") == 0 && argc == 5)
		return mode_slow(atoi(argv[3]), atoi(argv[4]));
	if (strcmp(argv[2], "big") == 0)
		return mode_big(atol(argv[3]));
	if (strcmp(argv[2], "half") == 0)
		return mode_half(atoi(argv[3]));
	if (strcmp(argv[2], "parallel") == 0 && argc == 6)
		return mode_parallel(atoi(argv[3]), argv[4], atoi(argv[5]));
	if (strcmp(argv[2], "pipeline") == 0 && argc == 5)
		return mode_pipeline(atoi(argv[3]), atoi(argv[4]));
	if (strcmp(argv[2], "loris") == 0 && argc == 5)
		return mode_loris(atoi(argv[3]), atoi(argv[4]));
	if (strcmp(argv[2], "garbage") == 0 && argc == 5)
		return mode_garbage(atoi(argv[3]), atoi(argv[4]));
usage:
	fprintf(stderr, "usage: hammer socket connect|slow|big|half|parallel|"
	    "pipeline|loris|garbage ...\n");
	return 2;
}
