"""A real SMTP server for Consol's e-mail tests: aiosmtpd's own server
(Debian's python3-aiosmtpd) with a handler that writes each accepted message
to a directory as <n>.eml, exactly the bytes received, and its envelope
recipients to <n>.rcpt. Started by the tests as

    /usr/bin/python3 -m aiosmtpd -n -l 127.0.0.1:PORT -c smtp_sink.Sink DIR

with PYTHONPATH pointing at this directory. Two control files in DIR change
its answers, so a test can make the server misbehave:

- DIR/reject: its text (such as "451 4.3.0 Try again later") is the reply
  to DATA, and nothing is written;
- DIR/delay: a number of seconds to wait after writing the message and
  before answering 250 (a client killed during the wait has been delivered
  but never hears so).
"""

import asyncio
import os


class Sink:
    def __init__(self, directory):
        self.directory = directory
        os.makedirs(directory, exist_ok=True)

    @classmethod
    def from_cli(cls, parser, *args):
        if len(args) != 1:
            parser.error("smtp_sink.Sink takes one argument: the directory")
        return cls(args[0])

    def _control(self, name):
        try:
            with open(os.path.join(self.directory, name)) as f:
                return f.read().strip()
        except FileNotFoundError:
            return None

    async def handle_DATA(self, server, session, envelope):
        reject = self._control("reject")
        if reject:
            return reject
        n = len([f for f in os.listdir(self.directory) if f.endswith(".eml")]) + 1
        base = os.path.join(self.directory, "%d" % n)
        with open(base + ".rcpt.tmp", "w") as f:
            f.write("\n".join(envelope.rcpt_tos))
        os.rename(base + ".rcpt.tmp", base + ".rcpt")
        with open(base + ".eml.tmp", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.rename(base + ".eml.tmp", base + ".eml")
        delay = self._control("delay")
        if delay:
            await asyncio.sleep(float(delay))
        return "250 2.0.0 Ok: stored as %d.eml" % n
