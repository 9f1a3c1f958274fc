"""A real SMTP server for tests: aiosmtpd on 127.0.0.1, keeping every message it accepts.

``Inbox`` can be stopped and started again on the same port (an SMTP outage), refuse chosen
recipients with a 550 (a mailbox that does not exist), and answer slowly (``delay`` seconds
before it accepts a message's data). A client that gives up before the answer (its timeout) is
not delivered to: the server drops the transaction, as an MTA does when the client leaves
before it confirmed.
"""

from __future__ import annotations

import asyncio
import email
import socket
import threading
import time
from email import policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Handler:
    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.inbox.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.inbox.delay:
            await asyncio.sleep(self.inbox.delay)
            if server.transport is None or server.transport.is_closing():
                return "421 client went away"
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        with self.inbox.lock:
            self.inbox.messages.append(message)
            self.inbox.arrivals.append(time.monotonic())
        return "250 Message accepted for delivery"


class Inbox:
    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.messages: list[EmailMessage] = []
        self.arrivals: list[float] = []  # time.monotonic() when each message was accepted
        self.refuse: set[str] = set()
        self.delay = 0.0
        self.lock = threading.Lock()
        self._controller: Controller | None = None

    def start(self) -> Inbox:
        controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port, ready_timeout=10)
        controller.start()
        self._controller = controller
        return self

    def stop(self) -> None:
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    @property
    def running(self) -> bool:
        return self._controller is not None

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for m in self.messages if m["To"] == address]

    def wait_for(self, count: int, timeout: float = 10) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.02)
        raise AssertionError(f"expected {count} messages within {timeout} s, got {len(self.messages)}")


def text_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("html",)).get_content()
