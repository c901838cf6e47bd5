/*
 * check_notify: the sd_notify datagrams, as a systemd listening on
 * $NOTIFY_SOCKET would receive them (a path socket and an abstract one),
 * and the watchdog interval from $WATCHDOG_USEC / $WATCHDOG_PID.
 *
 * Expected bytes are the protocol's own (sd_notify(3)): "READY=1" etc.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "notify.h"

static int	 fd = -1;
static char	 dir[96];	/* the test's own, under a short TMPDIR */
static char	 path[108];	/* a socket path has at most 107 bytes */

/* A datagram socket bound where $NOTIFY_SOCKET says. */
static void
listen_at(const char *addr)
{
	struct sockaddr_un	sun;
	socklen_t		len;
	struct timeval		tv = { 5, 0 };

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	ck_assert_uint_lt(strlen(addr), sizeof(sun.sun_path));
	memcpy(sun.sun_path, addr, strlen(addr));
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
	    strlen(addr) + 1);
	if (addr[0] == '@') {
		sun.sun_path[0] = '\0';
		len--;
	}
	ck_assert_int_ne(fd = socket(AF_UNIX, SOCK_DGRAM, 0), -1);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, len), 0);
	/* Never hang the test run if a message does not come. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", addr, 1), 0);
}

/* The next datagram, as a string. */
static void
expect(const char *want)
{
	char	buf[2048];
	ssize_t	n;

	n = recv(fd, buf, sizeof(buf) - 1, 0);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	ck_assert_str_eq(buf, want);
}

static void
teardown(void)
{
	if (fd != -1)
		close(fd);
	fd = -1;
	if (path[0] != '\0')
		unlink(path);
	path[0] = '\0';
	if (dir[0] != '\0')
		rmdir(dir);
	dir[0] = '\0';
	unsetenv("NOTIFY_SOCKET");
}

START_TEST(no_socket)
{
	unsetenv("NOTIFY_SOCKET");
	ck_assert_int_eq(notify_ready(), 0);
	ck_assert_int_eq(notify_status("x"), 0);
	setenv("NOTIFY_SOCKET", "", 1);
	ck_assert_int_eq(notify_stopping(), 0);
}
END_TEST

START_TEST(path_socket)
{
	const char	*tmp = getenv("TMPDIR");

	if (tmp == NULL || *tmp == '\0' || strlen(tmp) > 64)
		tmp = "/tmp";
	snprintf(dir, sizeof(dir), "%s/check_notify.XXXXXX", tmp);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/sock", dir);
	listen_at(path);
	ck_assert_int_eq(notify_ready(), 0);
	expect("READY=1");
	ck_assert_int_eq(notify_watchdog(), 0);
	expect("WATCHDOG=1");
	ck_assert_int_eq(notify_stopping(), 0);
	expect("STOPPING=1");
	ck_assert_int_eq(notify_status("following %d files\n(2 new)", 3), 0);
	expect("STATUS=following 3 files (2 new)");
	ck_assert_int_eq(notify_send("EXTEND_TIMEOUT_USEC=5000000"), 0);
	expect("EXTEND_TIMEOUT_USEC=5000000");
}
END_TEST

START_TEST(abstract_socket)
{
	char	addr[64], buf[128];
	ssize_t	n;

	snprintf(addr, sizeof(addr), "@smtptally/check_notify/%ld",
	    (long)getpid());
	listen_at(addr);
	ck_assert_int_eq(notify_ready(), 0);
	expect("READY=1");
	ck_assert_int_eq(notify_reloading(), 0);
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	ck_assert_msg(strncmp(buf, "RELOADING=1\nMONOTONIC_USEC=", 27) == 0 &&
	    strlen(buf) > 27, "%s", buf);
}
END_TEST

START_TEST(bad_socket)
{
	setenv("NOTIFY_SOCKET", "relative/path", 1);
	errno = 0;
	ck_assert_int_eq(notify_ready(), -1);
	ck_assert_int_eq(errno, EINVAL);
	setenv("NOTIFY_SOCKET", "/nonexistent/notify.sock", 1);
	ck_assert_int_eq(notify_ready(), -1);
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

START_TEST(watchdog_usec)
{
	char	pid[32];

	unsetenv("WATCHDOG_PID");
	unsetenv("WATCHDOG_USEC");
	ck_assert_uint_eq(notify_watchdog_usec(), 0);
	setenv("WATCHDOG_USEC", "30000000", 1);
	ck_assert_uint_eq(notify_watchdog_usec(), 30000000);
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	setenv("WATCHDOG_PID", pid, 1);
	ck_assert_uint_eq(notify_watchdog_usec(), 30000000);
	snprintf(pid, sizeof(pid), "%ld", (long)getpid() + 1);
	setenv("WATCHDOG_PID", pid, 1);
	ck_assert_uint_eq(notify_watchdog_usec(), 0);
	unsetenv("WATCHDOG_PID");
	setenv("WATCHDOG_USEC", "-5", 1);
	ck_assert_uint_eq(notify_watchdog_usec(), 0);
	setenv("WATCHDOG_USEC", "12x", 1);
	ck_assert_uint_eq(notify_watchdog_usec(), 0);
	unsetenv("WATCHDOG_USEC");
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("notify");
	TCase	*tc = tcase_create("core");
	SRunner	*sr;
	int	 failed;

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, no_socket);
	tcase_add_test(tc, path_socket);
	tcase_add_test(tc, abstract_socket);
	tcase_add_test(tc, bad_socket);
	tcase_add_test(tc, watchdog_usec);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
