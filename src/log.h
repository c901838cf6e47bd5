/*
 * log: OpenBSD-style logging for the daemon.
 *
 * Messages go to stderr in the foreground (for the journal) and to syslog
 * otherwise.  log_warn appends strerror(errno), log_warnx does not.  This
 * module does not rate-limit; callers log once per state change.
 */
#ifndef SMTPTALLY_LOG_H
#define SMTPTALLY_LOG_H

#include <stdarg.h>

void	log_init(const char *, int, int);
void	log_setverbose(int);
int	log_getverbose(void);
void	log_warn(const char *, ...)
	    __attribute__((__format__(printf, 1, 2)));
void	log_warnx(const char *, ...)
	    __attribute__((__format__(printf, 1, 2)));
void	log_info(const char *, ...)
	    __attribute__((__format__(printf, 1, 2)));
void	log_debug(const char *, ...)
	    __attribute__((__format__(printf, 1, 2)));
void	fatal(const char *, ...)
	    __attribute__((__format__(printf, 1, 2), __noreturn__));
void	fatalx(const char *, ...)
	    __attribute__((__format__(printf, 1, 2), __noreturn__));

#endif
