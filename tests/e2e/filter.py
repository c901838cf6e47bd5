#!/usr/bin/env python3
"""A content filter for the Postfix end-to-end test (tests/e2e/postfix.sh),
set up the way amavisd-new is: Postfix hands a message to it over SMTP on a
loopback port (content_filter, here chosen per message by a header_checks
FILTER action), it re-injects the message over SMTP into a second Postfix
smtpd on another loopback port, and it answers Postfix with that smtpd's
reply, as amavis does ("250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250
2.0.0 Ok: queued as ...").  It filters nothing: every message passes.

It is not a mail server: it listens only on loopback, keeps nothing, and
handles one SMTP command at a time (no PIPELINING advertised).  Python 3
standard library only.

usage: filter.py --listen PORT --reinject PORT [--pidfile F]
"""

import argparse
import os
import re
import signal
import smtplib
import socketserver
import sys

MAX_LINE = 4096
MAX_SIZE = 10 * 1024 * 1024
ADDR_RE = re.compile(r"<([^>]*)>")


class Handler(socketserver.StreamRequestHandler):
    """One SMTP session from Postfix's smtp client."""

    timeout = 120

    def say(self, text):
        self.wfile.write(text.encode() + b"\r\n")
        self.wfile.flush()

    def reinject(self, sender, rcpts, data):
        """Send the message on; the reply line to give the client."""
        port = self.server.reinject
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=60) as s:
                s.ehlo("filter.e2e.test")
                code, msg = s.mail(sender)
                if code != 250:
                    return "%d %s" % (code, msg.decode("latin-1"))
                ok = 0
                for r in rcpts:
                    code, msg = s.rcpt(r)
                    if code < 300:
                        ok += 1
                if ok == 0:
                    return "%d %s" % (code, msg.decode("latin-1"))
                code, msg = s.data(data)
                text = msg.decode("latin-1").replace("\n", " ")
                if code != 250:
                    return "%d %s" % (code, text)
                return ("250 2.0.0 from MTA(smtp:[127.0.0.1]:%d): %d %s"
                        % (port, code, text))
        except (OSError, smtplib.SMTPException) as e:
            return "451 4.5.0 Error in processing, id=e2e, forwarding " \
                "failed: %s" % str(e).replace("\n", " ")

    def handle(self):
        sender, rcpts = None, []
        self.say("220 filter.e2e.test ESMTP e2e content filter")
        while True:
            line = self.rfile.readline(MAX_LINE + 1)
            if not line:
                return
            cmd = line.decode("latin-1").rstrip("\r\n")
            verb = cmd[:4].upper()
            if verb == "EHLO":
                self.say("250-filter.e2e.test\r\n250-8BITMIME\r\n"
                         "250 ENHANCEDSTATUSCODES")
            elif verb == "HELO":
                self.say("250 filter.e2e.test")
            elif verb == "MAIL":
                m = ADDR_RE.search(cmd)
                sender, rcpts = (m.group(1) if m else ""), []
                self.say("250 2.1.0 Ok")
            elif verb == "RCPT":
                if sender is None:
                    self.say("503 5.5.1 Need MAIL first")
                    continue
                m = ADDR_RE.search(cmd)
                rcpts.append(m.group(1) if m else "")
                self.say("250 2.1.5 Ok")
            elif verb == "DATA":
                if not rcpts:
                    self.say("503 5.5.1 No recipients")
                    continue
                self.say("354 End data with <CR><LF>.<CR><LF>")
                body, size = [], 0
                while True:
                    ln = self.rfile.readline(MAX_LINE + 1)
                    if not ln:
                        return
                    if ln in (b".\r\n", b".\n"):
                        break
                    if ln.startswith(b".."):
                        ln = ln[1:]
                    size += len(ln)
                    if size <= MAX_SIZE:
                        body.append(ln)
                self.say(self.reinject(sender, rcpts, b"".join(body)))
                sender, rcpts = None, []
            elif verb == "RSET":
                sender, rcpts = None, []
                self.say("250 2.0.0 Ok")
            elif verb == "NOOP":
                self.say("250 2.0.0 Ok")
            elif verb == "QUIT":
                self.say("221 2.0.0 Bye")
                return
            else:
                self.say("502 5.5.1 Command not implemented")


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", type=int, required=True)
    ap.add_argument("--reinject", type=int, required=True)
    ap.add_argument("--pidfile")
    a = ap.parse_args()
    srv = Server(("127.0.0.1", a.listen), Handler)
    srv.reinject = a.reinject
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if a.pidfile:
        with open(a.pidfile + ".tmp", "w") as f:
            f.write("%d\n" % os.getpid())
        os.rename(a.pidfile + ".tmp", a.pidfile)
    srv.serve_forever()


if __name__ == "__main__":
    try:
        main()
    except OSError as e:
        print("filter: %s" % e, file=sys.stderr)
        sys.exit(1)
