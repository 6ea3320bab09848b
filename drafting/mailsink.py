"""A local SMTP server that keeps what it receives (aiosmtpd; a dev dependency), for tests and bench."""

from __future__ import annotations

import email
import socket
import threading
from email.message import EmailMessage
from email.policy import default


class MailSink:
    """Receives mail on 127.0.0.1:`port`; `refuse` makes it answer every message with a 554."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refused = 0
        self.refuse = False
        self.arrived = threading.Condition()
        self.port = 0
        self._controller = None

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's name
        with self.arrived:
            if self.refuse:
                self.refused += 1
                self.arrived.notify_all()
                return "554 5.0.0 Refused by the test server"
            self.messages.append(email.message_from_bytes(envelope.content, policy=default))
            self.arrived.notify_all()
        return "250 OK"

    def wait_for(self, count: int, timeout: float = 30) -> bool:
        """Wait until `count` messages have arrived (True) or the timeout passes (False)."""
        with self.arrived:
            return self.arrived.wait_for(lambda: len(self.messages) >= count, timeout)

    def wait_for_mail(self, match, timeout: float = 30) -> EmailMessage | None:
        """Wait for a message that `match(message)` accepts; None if none came in time."""
        def found():
            return next((m for m in self.messages if match(m)), None)

        with self.arrived:
            if self.arrived.wait_for(lambda: found() is not None, timeout):
                return found()
            return None

    def start(self) -> MailSink:
        from aiosmtpd.controller import Controller

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
