/*
 * failsync.so: an LD_PRELOAD shim for tests/ingest/fsync_fail.sh.  While
 * the file named by $FAILSYNC_FLAG exists, fsync(2) and fdatasync(2) fail
 * with EIO, as they do when a disk drops a write; each failed call
 * appends a line to $FAILSYNC_LOG when that is set.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int
failsync_now(const char *call)
{
	const char	*flag, *log;
	int		 fd, save = errno;

	if ((flag = getenv("FAILSYNC_FLAG")) == NULL ||
	    access(flag, F_OK) != 0) {
		errno = save;
		return 0;
	}
	if ((log = getenv("FAILSYNC_LOG")) != NULL &&
	    (fd = open(log, O_WRONLY | O_APPEND | O_CREAT, 0600)) != -1) {
		(void)write(fd, call, strlen(call));
		(void)write(fd, "\n", 1);
		close(fd);
	}
	errno = EIO;
	return 1;
}

int
fsync(int fd)
{
	static int	(*real)(int);

	if (failsync_now("fsync"))
		return -1;
	if (real == NULL)
		real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
	return real(fd);
}

int
fdatasync(int fd)
{
	static int	(*real)(int);

	if (failsync_now("fdatasync"))
		return -1;
	if (real == NULL)
		real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
	return real(fd);
}
