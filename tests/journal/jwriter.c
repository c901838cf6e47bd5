/*
 * jwriter: the journal writer of the journal tests, and their oracle.
 *
 * Sends Postfix and Exim entries to a journald through its native
 * protocol socket (-u /run/systemd/journal.NS/socket), or prints them in
 * the journal export format (-e, for systemd-journal-remote), and appends
 * to a record file one line per entry sent, in the format of
 * tests/writer.c's records (so the ingest helpers compare them):
 *
 *	SEQ DOMAIN REPLY ENH STATUS KIND DIR MTA HOST HOUR EPOCH -
 *				a delivery the daemon must count once
 *	SEQ - KIND		an entry it must not count
 *
 * HOUR and EPOCH are the UTC hour and second at which journald took the
 * entry (its realtime stamp is the time of reception): the writer does
 * not send in the two seconds before an hour ends and the first after,
 * so a backlog in journald's socket cannot move an entry across the hour
 * it recorded.  HOST is -H, else this machine's name (journald's
 * _HOSTNAME); there is no stamp in the MESSAGE ("-").
 *
 * An entry is recorded after journald took it (the datagram was sent) or
 * after it was printed.  Each entry carries its number in the field
 * JW_SEQ and its -t tag in JW_TAG, so a test can ask journalctl which
 * entries are still there, or export one writer's entries.
 * Domains are "TAG-BLOCK-K.example" (BLOCK = seq /
 * 1000): a count that is off points at the block where it happened.
 *
 * Options:
 *	-u SOCKET | -e		native socket, or export format on stdout
 *	-c N, -s SEQ		N entries, the first with sequence number SEQ
 *	-t TAG			tag in the domain names (j)
 *	-r FILE			record file (appended)
 *	-N N			1 entry in N another program's (dovecot)
 *	-x N			1 entry in N Exim's (exim4), else Postfix
 *	-B N			1 entry in N a MESSAGE with a NUL byte
 *	-L N:BYTES		1 entry in N a MESSAGE of BYTES bytes
 *	-H HOST			the host recorded (export: _HOSTNAME)
 *	-T USEC			export only: the first realtime stamp
 *				(one entry per millisecond)
 *
 * Not a benchmark generator; it knows nothing of the daemon.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <time.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void __attribute__((__noreturn__, __format__(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list	ap;

	fprintf(stderr, "jwriter: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static const int replies[] = { 250, 451, 550, 250, 421, 554, 250 };
#define NREPLIES	(sizeof(replies) / sizeof(replies[0]))

/* Exim's message id: 6, 6 and 2 base-62 digits. */
static void
exim_id(unsigned long long seq, char *out)
{
	static const char	 d[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz";
	char			 mid[7];
	int			 i;

	for (i = 5; i >= 0; i--) {
		mid[i] = d[seq % 62];
		seq /= 62;
	}
	mid[6] = '\0';
	snprintf(out, 32, "1rJnLm-%s-Qz", mid);
}

/* The MESSAGE of a delivery of seq to domain with reply. */
static int
delivery(char *buf, size_t sz, int exim, unsigned long long seq,
    const char *dom, int reply)
{
	char	id[32];

	if (exim) {
		exim_id(seq, id);
		if (reply / 100 == 2)
			return snprintf(buf, sz, "%s => u%llu@%s R=dnslookup "
			    "T=remote_smtp H=mx.%s [192.0.2.9] C=\"%d 2.0.0 Ok: "
			    "queued as Q%llu\"", id, seq, dom, dom, reply, seq);
		if (reply / 100 == 4)
			return snprintf(buf, sz, "%s == u%llu@%s R=dnslookup "
			    "T=remote_smtp defer (-44) H=mx.%s [192.0.2.9]: "
			    "SMTP error from remote mail server after RCPT "
			    "TO:<u%llu@%s>: %d 4.7.1 Try again later", id, seq,
			    dom, dom, seq, dom, reply);
		return snprintf(buf, sz, "%s ** u%llu@%s R=dnslookup "
		    "T=remote_smtp H=mx.%s [192.0.2.9]: SMTP error from remote "
		    "mail server after RCPT TO:<u%llu@%s>: %d 5.7.1 Refused",
		    id, seq, dom, dom, seq, dom, reply);
	}
	if (reply / 100 == 2)
		return snprintf(buf, sz, "%010llX: to=<u%llu@%s>, "
		    "relay=mx.%s[192.0.2.9]:25, delay=0.4, "
		    "delays=0.1/0/0.1/0.2, dsn=2.0.0, status=sent (%d 2.0.0 Ok: "
		    "queued as Q%llu)", seq, seq, dom, dom, reply, seq);
	if (reply / 100 == 4)
		return snprintf(buf, sz, "%010llX: to=<u%llu@%s>, "
		    "relay=mx.%s[192.0.2.9]:25, delay=0.4, "
		    "delays=0.1/0/0.1/0.2, dsn=4.7.1, status=deferred (host "
		    "mx.%s[192.0.2.9] said: %d 4.7.1 Try again later (in reply "
		    "to RCPT TO command))", seq, seq, dom, dom, dom, reply);
	return snprintf(buf, sz, "%010llX: to=<u%llu@%s>, "
	    "relay=mx.%s[192.0.2.9]:25, delay=0.4, delays=0.1/0/0.1/0.2, "
	    "dsn=5.7.1, status=bounced (host mx.%s[192.0.2.9] said: %d 5.7.1 "
	    "<u%llu@%s>: Refused (in reply to RCPT TO command))", seq, seq,
	    dom, dom, dom, reply, seq, dom);
}

/* A field in the native protocol's binary form (any bytes). */
static size_t
field_bin(char *out, const char *name, const char *v, size_t len)
{
	size_t		n = strlen(name), i;
	uint64_t	l = len;

	memcpy(out, name, n);
	out[n++] = '\n';
	for (i = 0; i < 8; i++)
		out[n++] = (char)((l >> (8 * i)) & 0xff);
	memcpy(out + n, v, len);
	n += len;
	out[n++] = '\n';
	return n;
}

/* Wait while the hour is about to turn (journald stamps the entry when
 * it reads it); the second the entry is taken at. */
static time_t
hour_safe(void)
{
	time_t	now;

	for (;;) {
		now = time(NULL);
		if (now % 3600 < 3598 && now % 3600 >= 1)
			return now;
		usleep(200000);
	}
}

int
main(int argc, char *argv[])
{
	struct sockaddr_un	 sun;
	unsigned long long	 seq = 1, count = 0, i, s;
	unsigned long long	 noise = 0, eximn = 0, binn = 0, longn = 0;
	unsigned long long	 usec = 0;
	size_t			 longlen = 0, n, mlen;
	const char		*sock = NULL, *tag = "j", *recpath = NULL;
	const char		*host = NULL, *ident, *kind;
	char			 dom[128], *msg, *dgram, *p;
	FILE			*rec = NULL;
	int			 ch, fd = -1, export = 0, reply, exim, b;
	char			 hostbuf[256];
	const char		*enh, *status;
	time_t			 now = 0;

	while ((ch = getopt(argc, argv, "u:ec:s:t:r:N:x:B:L:H:T:")) != -1) {
		switch (ch) {
		case 'u':
			sock = optarg;
			break;
		case 'e':
			export = 1;
			break;
		case 'c':
			count = strtoull(optarg, NULL, 10);
			break;
		case 's':
			seq = strtoull(optarg, NULL, 10);
			break;
		case 't':
			tag = optarg;
			break;
		case 'r':
			recpath = optarg;
			break;
		case 'N':
			noise = strtoull(optarg, NULL, 10);
			break;
		case 'x':
			eximn = strtoull(optarg, NULL, 10);
			break;
		case 'B':
			binn = strtoull(optarg, NULL, 10);
			break;
		case 'L':
			longn = strtoull(optarg, &p, 10);
			if (*p != ':')
				die("-L N:BYTES");
			longlen = strtoul(p + 1, NULL, 10);
			break;
		case 'H':
			host = optarg;
			break;
		case 'T':
			usec = strtoull(optarg, NULL, 10);
			break;
		default:
			die("usage: jwriter -u socket|-e -c N [-s seq] [-r rec]");
		}
	}
	if (host == NULL) {
		if (gethostname(hostbuf, sizeof hostbuf) == -1)
			die("gethostname: %s", strerror(errno));
		hostbuf[sizeof hostbuf - 1] = '\0';
		host = hostbuf;
	}
	if ((sock == NULL) == !export)
		die("one of -u socket and -e");
	if (recpath != NULL && (rec = fopen(recpath, "a")) == NULL)
		die("%s: %s", recpath, strerror(errno));
	if (sock != NULL) {
		if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
			die("socket: %s", strerror(errno));
		memset(&sun, 0, sizeof sun);
		sun.sun_family = AF_UNIX;
		if (strlen(sock) >= sizeof sun.sun_path)
			die("%s: path too long", sock);
		strcpy(sun.sun_path, sock);
	}
	n = longlen + 4096;
	if ((msg = malloc(n)) == NULL || (dgram = malloc(2 * n)) == NULL)
		die("out of memory");
	for (i = 0; i < count; i++, seq++) {
		s = seq;
		reply = 0;
		exim = eximn > 0 && s % eximn == 0;
		ident = exim ? "exim4" : "postfix/smtp";
		kind = NULL;
		if (noise > 0 && s % noise == 1) {
			ident = "dovecot";
			kind = "foreign";
			mlen = (size_t)snprintf(msg, n, "imap(u%llu): Logged out "
			    "status=sent (250 not mail)", s);
		} else if (binn > 0 && s % binn == 2) {
			kind = "binary";
			mlen = (size_t)snprintf(msg, n, "%010llX: to=<u%llu@x>, "
			    "status=sent (250 ok)", s, s);
			msg[12] = '\0';
		} else if (longn > 0 && s % longn == 3) {
			kind = "long";
			memset(msg, 'x', longlen);
			mlen = longlen;
		} else {
			snprintf(dom, sizeof dom, "%s-%llu-%llu.example", tag,
			    s / 1000, s % 5);
			reply = replies[s % NREPLIES];
			mlen = (size_t)delivery(msg, n, exim, s, dom, reply);
		}
		if (export) {
			/* one entry per millisecond from -T, two hosts'
			 * streams interleave by time */
			printf("__CURSOR=s=0;i=%llx\n__REALTIME_TIMESTAMP=%llu\n"
			    "__MONOTONIC_TIMESTAMP=%llu\n_BOOT_ID="
			    "0123456789abcdef0123456789abcdef\n_HOSTNAME=%s\n"
			    "SYSLOG_IDENTIFIER=%s\nJW_SEQ=%llu\n", s,
			    usec + s * 1000, s * 1000, host, ident, s);
			if (memchr(msg, '\0', mlen) != NULL) {
				fputs("MESSAGE\n", stdout);
				for (b = 0; b < 8; b++)
					putchar((int)((mlen >> (8 * b)) & 0xff));
				fwrite(msg, 1, mlen, stdout);
				fputs("\n\n", stdout);
			} else
				printf("MESSAGE=%.*s\n\n", (int)mlen, msg);
		} else {
			now = hour_safe();
			p = dgram;
			p += sprintf(p, "SYSLOG_IDENTIFIER=%s\nPRIORITY=6\n"
			    "JW_SEQ=%llu\nJW_TAG=%s\n", ident, s, tag);
			p += field_bin(p, "MESSAGE", msg, mlen);
			while (sendto(fd, dgram, (size_t)(p - dgram), 0,
			    (struct sockaddr *)&sun, sizeof sun) == -1) {
				if (errno == EINTR || errno == EAGAIN ||
				    errno == ENOBUFS) {
					usleep(1000);
					continue;
				}
				die("%s: %s", sock, strerror(errno));
			}
		}
		if (rec != NULL) {
			if (kind != NULL)
				fprintf(rec, "%llu - %s\n", s, kind);
			else {
				enh = reply / 100 == 2 ? "2.0.0" : reply / 100 ==
				    4 ? "4.7.1" : "5.7.1";
				status = reply / 100 == 2 ? "sent" : reply / 100 ==
				    4 ? "deferred" : "bounced";
				if (export)
					now = (time_t)((usec + s * 1000) /
					    1000000);
				fprintf(rec, "%llu %s %d %s %s attempt out %s %s "
				    "%lld %lld -\n", s, dom, reply, enh, status,
				    exim ? "exim" : "postfix", host,
				    (long long)(now - now % 3600),
				    (long long)now);
			}
		}
	}
	free(msg);
	free(dgram);
	if (fd != -1)
		close(fd);
	if (export && fflush(stdout) != 0)
		die("stdout: %s", strerror(errno));
	if (rec != NULL && fclose(rec) != 0)
		die("%s: %s", recpath, strerror(errno));
	return 0;
}
