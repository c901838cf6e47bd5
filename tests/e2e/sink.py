#!/usr/bin/env python3
"""SMTP sink for the end-to-end tests of smtptally (tests/e2e/).

A loopback SMTP server that answers each recipient with a code chosen by the
recipient's domain, and appends every final per-recipient reply it gives to
a record file.  The record is the oracle of the e2e tests: what the remote
side actually said, independent of the MTA's log and of smtptally.

It is not a mail server: it keeps no mail, speaks no TLS and no AUTH, and is
meant to be reached only from 127.0.0.0/8.  Python 3 standard library only
(asyncio; not smtpd, which was removed in Python 3.12).

The domain names the behaviour (lower case, first label):
  r<code>.*   RCPT TO is answered <code>; when <code> is 2xx the end of DATA
              is answered 250.
  d<code>.*   RCPT TO is answered 250; the end of DATA is answered <code>.
  grey.*      the first RCPT TO of each address is answered 451 4.7.1, later
              ones 250 (deferred, then delivered on a retry).
  a domain of the --replies table (tests/data/replies-e2e.txt) with phase
              rcpt or data: that phase is answered with the table's reply,
              its lines as they are there (multi-line: "550-..." lines, then
              "550 ..."), the other phase 250.
  anything else: 250 at RCPT and at the end of DATA.
After a 421 reply the sink closes the connection, as real servers do.

Record lines, one per reply that decides a recipient's attempt:
  <domain> TAB <code> TAB <enhanced>
A RCPT reply is recorded when it is not 2xx; an end-of-DATA reply is
recorded once per recipient accepted in that transaction (the MTA logs one
line per recipient).  A 250 to RCPT is not a final reply and is not recorded.
Recipients accepted but left without an end-of-DATA reply (connection lost)
have no record.

usage: sink.py --record FILE [--addr 127.0.0.2] [--pidfile F]
               [--replies TABLE] PORT...
"""

import argparse
import asyncio
import os
import re
import signal
import sys

# code -> (enhanced, text) for RCPT; DATA overrides below.
REPLIES = {
    250: ("2.1.5", "Recipient ok"),
    421: ("4.3.2", "Service shutting down, closing transmission channel"),
    450: ("4.2.1", "Mailbox temporarily unavailable, try again later"),
    451: ("4.3.0", "Local error in processing, try again later"),
    452: ("4.2.2", "Mailbox full, try again later"),
    455: ("4.5.4", "Server unable to accommodate parameters"),
    500: ("5.5.2", "Syntax error, command unrecognised"),
    501: ("5.5.4", "Syntax error in parameters or arguments"),
    502: ("5.5.1", "Command not implemented"),
    503: ("5.5.1", "Bad sequence of commands"),
    541: ("5.7.1", "Recipient address rejected by policy"),
    550: ("5.1.1", "Mailbox does not exist"),
    551: ("5.1.6", "User not local, please try another path"),
    552: ("5.2.2", "Mailbox full, quota exceeded"),
    553: ("5.1.3", "Mailbox name not allowed"),
    554: ("5.7.1", "Transaction failed, rejected by policy"),
}
DATA_REPLIES = {
    250: ("2.0.0", "Ok: queued"),
    552: ("5.3.4", "Message too big for system"),
}
GREY = (451, "4.7.1", "Greylisted, try again later")
MAX_LINE = 4096
MAX_RCPT = 1000
IDLE = 120

DOMAIN_RE = re.compile(r"^([rd])(\d{3})\.")


# domain -> (phase, [reply lines]) from the --replies table.
TABLE = {}
TABLE_LINE_RE = re.compile(r"^(\d{3})[ -](?:(\d\.\d{1,3}\.\d{1,3}) )?")


def load_table(path):
    """The provider-style replies of the e2e table (lines "domain | phase |
    reply | ..."); only domains whose phase is rcpt or data and that are
    not the sink's own r<code>/d<code>/grey/ok ones."""
    with open(path) as f:
        for raw in f:
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            fld = [x.strip() for x in line.split(" | ")]
            if len(fld) < 3 or fld[1] not in ("rcpt", "data"):
                continue
            dom = fld[0].lower()
            if DOMAIN_RE.match(dom) or dom in ("ok.test", "grey.test"):
                continue
            lines = fld[2].split("\\n")
            for ln in lines:
                if not TABLE_LINE_RE.match(ln):
                    raise ValueError("%s: bad reply line %r" % (path, ln))
            TABLE[dom] = (fld[1], lines)


def table_reply(lines):
    """(code, enhanced of the last line, reply bytes) of table lines."""
    m = TABLE_LINE_RE.match(lines[-1])
    data = b"".join(ln.encode() + b"\r\n" for ln in lines)
    return int(m.group(1)), m.group(2) or "", data


def reply_for(code, phase):
    """Enhanced code and text for a reply code in a phase."""
    if phase == "data" and code in DATA_REPLIES:
        return DATA_REPLIES[code]
    return REPLIES.get(code, ("5.5.0", "Unknown"))


class Sink:
    """One listening sink: the record file and per-address state."""

    def __init__(self, record):
        self.record = open(record, "a", buffering=1)
        self.seen = set()

    def note(self, domain, code, enhanced):
        self.record.write("%s\t%d\t%s\n" % (domain, code, enhanced))
        self.record.flush()
        os.fsync(self.record.fileno())

    def rcpt_decision(self, addr, domain):
        """(rcpt code, enhanced, text, data code) for one recipient."""
        m = DOMAIN_RE.match(domain)
        if domain in TABLE:
            phase, lines = TABLE[domain]
            if phase == "rcpt":
                code, enh, data = table_reply(lines)
                return (code, enh, data, None if code >= 300 else 250)
            return (250,) + REPLIES[250] + (domain,)
        if domain.startswith("grey."):
            if addr not in self.seen:
                self.seen.add(addr)
                return GREY + (None,)
            return (250,) + REPLIES[250] + (250,)
        if m and int(m.group(2)) in REPLIES:
            code = int(m.group(2))
            if m.group(1) == "r":
                if code < 300:
                    return (code,) + REPLIES[code] + (250,)
                return (code,) + REPLIES[code] + (None,)
            return (250,) + REPLIES[250] + (code,)
        return (250,) + REPLIES[250] + (250,)

    async def session(self, reader, writer):
        rcpts = []          # (domain, data code) accepted this transaction
        in_mail = False

        async def say(code, enhanced, text):
            if isinstance(text, bytes):     # whole lines, from the table
                writer.write(text)
            elif enhanced:
                writer.write(b"%d %s %s\r\n" % (code, enhanced.encode(),
                                                 text.encode()))
            else:
                writer.write(b"%d %s\r\n" % (code, text.encode()))
            await writer.drain()

        async def close_after_421():
            # Half-close and drain, so the 421 is not lost to a reset.
            try:
                writer.write_eof()
                await asyncio.wait_for(reader.read(), 5)
            except Exception:
                pass
            writer.close()

        try:
            await say(220, None, "sink.e2e.test ESMTP smtptally e2e sink")
            while True:
                try:
                    line = await asyncio.wait_for(reader.readline(), IDLE)
                except asyncio.TimeoutError:
                    await say(421, "4.4.2", "Idle timeout")
                    break
                if not line:
                    break
                if len(line) > MAX_LINE:
                    await say(500, "5.5.6", "Line too long")
                    continue
                cmd = line.decode("latin-1").rstrip("\r\n")
                verb = cmd[:4].upper()
                if verb == "EHLO":
                    writer.write(b"250-sink.e2e.test\r\n250-PIPELINING\r\n"
                                 b"250-8BITMIME\r\n250-SIZE 10240000\r\n"
                                 b"250 ENHANCEDSTATUSCODES\r\n")
                    await writer.drain()
                elif verb == "HELO":
                    await say(250, None, "sink.e2e.test")
                elif verb == "MAIL":
                    rcpts, in_mail = [], True
                    await say(250, "2.1.0", "Sender ok")
                elif verb == "RCPT":
                    m = re.search(r"<([^>]*)>", cmd)
                    addr = (m.group(1) if m else "").lower()
                    domain = addr.rpartition("@")[2].rstrip(".")
                    if not in_mail:
                        await say(503, "5.5.1", "Need MAIL first")
                        continue
                    if len(rcpts) >= MAX_RCPT:
                        await say(452, "4.5.3", "Too many recipients")
                        self.note(domain, 452, "4.5.3")
                        continue
                    code, enh, text, data = self.rcpt_decision(addr, domain)
                    if code >= 300:
                        self.note(domain, code, enh)
                    await say(code, enh, text)
                    if code == 421:
                        await close_after_421()
                        return
                    if code < 300:
                        rcpts.append((domain, data))
                elif verb == "DATA":
                    if not rcpts:
                        await say(503, "5.5.1", "No valid recipients")
                        continue
                    await say(354, None, "End data with <CR><LF>.<CR><LF>")
                    while True:
                        body = await asyncio.wait_for(reader.readline(), IDLE)
                        if not body or body in (b".\r\n", b".\n"):
                            break
                    if not body:
                        break
                    # One reply for the transaction; the first accepted
                    # recipient's domain chooses it (one domain per
                    # transaction in these tests).
                    code = rcpts[0][1]
                    if isinstance(code, str):   # a table domain's DATA
                        code, enh, text = table_reply(TABLE[code][1])
                    else:
                        enh, text = reply_for(code, "data")
                    for domain, _ in rcpts:
                        self.note(domain, code, enh)
                    await say(code, enh, text)
                    rcpts, in_mail = [], False
                    if code == 421:
                        await close_after_421()
                        return
                elif verb == "RSET":
                    rcpts, in_mail = [], False
                    await say(250, "2.0.0", "Ok")
                elif verb == "NOOP":
                    await say(250, "2.0.0", "Ok")
                elif verb == "QUIT":
                    await say(221, "2.0.0", "Bye")
                    break
                else:
                    await say(502, "5.5.1", "Command not implemented")
        except (ConnectionError, asyncio.TimeoutError):
            pass
        try:
            writer.close()
        except Exception:
            pass


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--record", required=True)
    ap.add_argument("--addr", default="127.0.0.2")
    ap.add_argument("--pidfile")
    ap.add_argument("--replies")
    ap.add_argument("ports", nargs="+", type=int)
    a = ap.parse_args()
    if a.replies:
        load_table(a.replies)
    sink = Sink(a.record)
    servers = []
    for p in a.ports:
        servers.append(await asyncio.start_server(sink.session, a.addr, p,
                                                  reuse_address=True))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for s in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(s, stop.set)
    if a.pidfile:
        with open(a.pidfile + ".tmp", "w") as f:
            f.write("%d\n" % os.getpid())
        os.rename(a.pidfile + ".tmp", a.pidfile)
    await stop.wait()
    for s in servers:
        s.close()
    sink.record.close()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except OSError as e:
        print("sink: %s" % e, file=sys.stderr)
        sys.exit(1)
