/*
 * notify: sd_notify(3) messages to $NOTIFY_SOCKET, by hand.
 *
 * The protocol is one AF_UNIX datagram per message, newline-separated
 * KEY=value assignments; the kernel attaches our credentials, systemd
 * checks the sender is the main process (NotifyAccess=main).  An address
 * starting with '@' is in the abstract namespace: the '@' becomes a NUL
 * and the address length counts only the name, with no trailing NUL.
 *
 * Not here: libsystemd, file descriptor passing, timers.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "notify.h"

/* Send one message; 0 when sent or when no one asked for messages,
 * -1 with errno set when $NOTIFY_SOCKET is set but unusable. */
int
notify_send(const char *msg)
{
	struct sockaddr_un	 sun;
	const char		*addr;
	socklen_t		 len;
	size_t			 alen, mlen;
	ssize_t			 r;
	int			 fd, e;

	if ((addr = getenv("NOTIFY_SOCKET")) == NULL || *addr == '\0')
		return 0;
	alen = strlen(addr);
	mlen = strlen(msg);
	if ((addr[0] != '/' && addr[0] != '@') || alen < 2 ||
	    alen > sizeof(sun.sun_path) || (addr[0] == '/' &&
	    alen == sizeof(sun.sun_path)) || mlen > NOTIFY_MSG_MAX) {
		errno = EINVAL;
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, addr, alen);
	if (addr[0] == '@') {
		sun.sun_path[0] = '\0';
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
		    alen);
	} else
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
		    alen + 1);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	do
		r = sendto(fd, msg, mlen, MSG_NOSIGNAL,
		    (struct sockaddr *)&sun, len);
	while (r == -1 && errno == EINTR);
	e = errno;
	close(fd);
	if (r == -1) {
		errno = e;
		return -1;
	}
	if ((size_t)r != mlen) {
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

/* The store is open and the socket listens: start-up is over. */
int
notify_ready(void)
{
	return notify_send("READY=1");
}

/* A SIGHUP is being handled; systemd wants the monotonic time with it
 * (Type=notify-reload); READY=1 follows when done. */
int
notify_reloading(void)
{
	struct timespec	ts;
	char		msg[64];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000ULL +
	    (unsigned long long)ts.tv_nsec / 1000ULL);
	return notify_send(msg);
}

/* Shutdown has begun (SIGTERM): committing, then exiting. */
int
notify_stopping(void)
{
	return notify_send("STOPPING=1");
}

/* The event loop is alive. */
int
notify_watchdog(void)
{
	return notify_send("WATCHDOG=1");
}

/* One line for `systemctl status`; control characters become spaces. */
int
notify_status(const char *fmt, ...)
{
	char	msg[NOTIFY_MSG_MAX];
	va_list	ap;
	size_t	i;

	memcpy(msg, "STATUS=", 7);
	va_start(ap, fmt);
	vsnprintf(msg + 7, sizeof(msg) - 7, fmt, ap);
	va_end(ap);
	for (i = 7; msg[i] != '\0'; i++)
		if ((unsigned char)msg[i] < 0x20)
			msg[i] = ' ';
	return notify_send(msg);
}

/* The watchdog interval in microseconds, 0 when there is none or it is
 * meant for another process ($WATCHDOG_PID).  Ping at half of it. */
uint64_t
notify_watchdog_usec(void)
{
	const char		*s;
	char			*end;
	unsigned long long	 usec;
	long			 pid;

	if ((s = getenv("WATCHDOG_PID")) != NULL && *s != '\0') {
		errno = 0;
		pid = strtol(s, &end, 10);
		if (errno != 0 || *end != '\0' || pid != (long)getpid())
			return 0;
	}
	if ((s = getenv("WATCHDOG_USEC")) == NULL || *s < '0' || *s > '9')
		return 0;
	errno = 0;
	usec = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return 0;
	return (uint64_t)usec;
}
