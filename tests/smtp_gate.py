"""An aiosmtpd handler for the tests: a Maildir like aiosmtpd's Mailbox,
whose second and later messages wait at RCPT while a gate file exists,
and which refuses one recipient address for good (550), if given.

The test kills `sigap notify` while it waits there: the first message is
stored and recorded as sent, the second was never given to the server.
"""

import asyncio
import os

from aiosmtpd.handlers import Mailbox


class GatedMailbox(Mailbox):
    def __init__(self, mail_dir, gate, refuse=None):
        super().__init__(mail_dir)
        self.gate = gate
        self.refuse = refuse
        self.recipients = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == self.refuse:
            return "550 5.1.1 mailbox unavailable"
        self.recipients += 1
        if self.recipients > 1:
            while os.path.exists(self.gate):
                await asyncio.sleep(0.02)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    @classmethod
    def from_cli(cls, parser, *args):
        if len(args) not in (2, 3):
            parser.error("GatedMailbox takes MAILDIR GATEFILE [REFUSED_ADDRESS]")
        return cls(*args)
