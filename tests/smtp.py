"""A real SMTP server for the mail tests (aiosmtpd, on a free local port): Django sends to it over SMTP
and the tests read what it received, parsed."""

from __future__ import annotations

import asyncio
import email
import email.policy
import logging
import socket
import threading
import time
from collections.abc import Iterator
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


class Inbox:
    """The messages the server accepted, in order; `fail` makes it refuse the next ones (a broken relay)."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.fail = False
        # While `hold` is set, a recipient is answered only once it is cleared (or after 30 s): a sender stuck
        # mid-transaction, before any mail is delivered. `held` counts the senders that got stuck.
        self.hold = threading.Event()
        self.held = 0
        self.url = ""
        self._lock = threading.Lock()

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if self.hold.is_set():
            self.held += 1
            deadline = time.monotonic() + 30
            while self.hold.is_set() and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.fail:
            return "451 Requested action aborted: try again later"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.messages.append(message)
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp(settings) -> Iterator[Inbox]:
    """Start an SMTP server and point Django's mail at it; `inbox.url` is its EMAIL_URL, for child processes."""
    inbox = Inbox()
    # aiosmtpd logs every SMTP command with the peer's address at INFO.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 10
    inbox.url = f"smtp://127.0.0.1:{controller.port}"
    try:
        yield inbox
    finally:
        inbox.hold.clear()
        controller.stop()
