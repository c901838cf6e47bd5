/*
 * notify: the sd_notify(3) protocol without libsystemd.
 *
 * When systemd starts the daemon with Type=notify it puts the address of a
 * datagram socket in $NOTIFY_SOCKET (a path, or an abstract name written
 * with a leading '@') and, with WatchdogSec=, the ping interval in
 * $WATCHDOG_USEC.  Each notify_* call sends one "KEY=value" datagram.
 * Without $NOTIFY_SOCKET every call is a no-op that succeeds, so the
 * daemon calls them unconditionally.
 *
 * Not here: timers (the daemon schedules the watchdog pings), logging.
 */
#ifndef SMTPTALLY_NOTIFY_H
#define SMTPTALLY_NOTIFY_H

#include <stdint.h>

#define NOTIFY_MSG_MAX	1024	/* bytes of one datagram */

int		 notify_send(const char *);
int		 notify_ready(void);
int		 notify_reloading(void);
int		 notify_stopping(void);
int		 notify_watchdog(void);
int		 notify_status(const char *, ...)
		    __attribute__((__format__(printf, 1, 2)));
uint64_t	 notify_watchdog_usec(void);

#endif
