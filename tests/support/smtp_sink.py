#!/usr/bin/python3
# An SMTP server for tests (tests/support/smtp_server.h), on Debian's
# aiosmtpd: stores each message it accepts in DIR as <n>.json (envelope,
# TLS, AUTH user, the raw message, and its headers and parts as Python's
# email parser reads them).
#
# A file DIR/rcpt.reply or DIR/data.reply holding e.g. "550 5.1.1 no such
# user" makes the server answer RCPT TO or DATA with it instead.
#
# Run it with /usr/bin/python3 (aiosmtpd is the Debian package
# python3-aiosmtpd, not in a pyenv). Writes DIR/ready.<port> once it listens.
import argparse
import asyncio
import email
import email.policy
import json
import os
import signal
import ssl

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


def write_atomically(path, data):
    temp = path + ".tmp"
    with open(temp, "wb") as f:
        f.write(data)
    os.replace(temp, path)


class Sink:
    def __init__(self, directory):
        self.directory = directory
        self.count = 0

    def reply(self, name):
        try:
            with open(os.path.join(self.directory, name + ".reply")) as f:
                return f.read().strip() or None
        except FileNotFoundError:
            return None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.reply("rcpt")
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        reply = self.reply("data")
        if reply:
            return reply
        raw = envelope.original_content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        parts = {}
        for part in message.walk():
            if not part.is_multipart():
                parts[part.get_content_type()] = part.get_content()
        auth = session.auth_data
        self.count += 1
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "tls": server.transport.get_extra_info("ssl_object") is not None,
            "auth_user": auth.login.decode() if isinstance(auth, LoginPassword) else None,
            "raw": raw.decode("latin-1"),
            "headers": {k: str(v) for k, v in message.items()},
            "defects": [str(d) for d in message.defects],
            "parts": parts,
        }
        write_atomically(os.path.join(self.directory, "%06d.json" % self.count),
                         json.dumps(record).encode())
        return "250 2.0.0 OK queued as %d" % self.count


def tls_context(cert, key):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--starttls", nargs=2, metavar=("CERT", "KEY"))
    parser.add_argument("--smtps", nargs=2, metavar=("CERT", "KEY"))
    parser.add_argument("--auth", metavar="USER:PASSWORD")
    args = parser.parse_args()

    sink = Sink(args.dir)
    authenticator = None
    if args.auth:
        user, password = args.auth.split(":", 1)

        def authenticator(server, session, envelope, mechanism, data):
            ok = (isinstance(data, LoginPassword) and data.login == user.encode()
                  and data.password == password.encode())
            # handled=False: aiosmtpd answers 535 itself on failure.
            return AuthResult(success=ok, handled=False, auth_data=data)

    def factory():
        return SMTP(sink, hostname="localhost",
                    tls_context=tls_context(*args.starttls) if args.starttls else None,
                    # STARTTLS mode refuses mail until TLS is up, so a test
                    # that gets its message knows TLS was used.
                    require_starttls=bool(args.starttls),
                    authenticator=authenticator, auth_required=bool(args.auth),
                    # aiosmtpd counts only STARTTLS as TLS; SMTPS is TLS
                    # from the start, so AUTH may be offered at once.
                    auth_require_tls=bool(args.starttls))

    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(loop.create_server(
        factory, host="127.0.0.1", port=args.port,
        ssl=tls_context(*args.smtps) if args.smtps else None))
    write_atomically(os.path.join(args.dir, "ready.%d" % args.port), b"")
    loop.add_signal_handler(signal.SIGTERM, loop.stop)
    loop.add_signal_handler(signal.SIGINT, loop.stop)
    loop.run_forever()
    server.close()


if __name__ == "__main__":
    main()
