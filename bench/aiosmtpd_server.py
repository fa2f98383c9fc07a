#!/usr/bin/env python3
# SPDX-License-Identifier: BSL-1.0
"""The aiosmtpd server smtp_bench measures trap::smtp::Server against.

aiosmtpd's SMTP protocol on an asyncio server on 127.0.0.1, port 0, with a
handler that stores each message it accepts (its envelope and content, the
last 100,000 kept, as trap's log keeps them) and answers
"250 2.0.0 OK: queued", as trap's server does. Prints the port once it
listens, then serves until killed or its stdin closes.

Run with Debian's python3 (aiosmtpd is packaged there as python3-aiosmtpd):
  /usr/bin/python3 bench/aiosmtpd_server.py
"""
import asyncio
import collections
import sys

from aiosmtpd.smtp import SMTP


class StoringHandler:
    """Keeps what each accepted message was: envelope and content."""

    def __init__(self):
        self.messages = collections.deque(maxlen=100_000)

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 2.0.0 OK: queued"


async def serve():
    loop = asyncio.get_running_loop()
    handler = StoringHandler()
    # A fixed hostname: without one aiosmtpd asks the resolver for this
    # host's name on every connection.
    server = await loop.create_server(
        lambda: SMTP(handler, hostname="trap.test", ident="aiosmtpd"), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    print(port, flush=True)
    # Ends when the parent closes our stdin (or kills us).
    await loop.run_in_executor(None, sys.stdin.read)
    server.close()


if __name__ == "__main__":
    asyncio.run(serve())
