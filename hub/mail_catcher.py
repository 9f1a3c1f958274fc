"""The demo's mail catcher: an SMTP server on 127.0.0.1 that keeps every email the hub sends,
so alerts, digests and reports of a demo can be read without sending anything to anyone.

Each message is kept twice in its folder (``var/mail`` for the demo): ``NNNN-recipient.eml``
exactly as it arrived (opens in any mail program) and ``NNNN-recipient.txt``, its headers and
plain-text part for reading in a terminal; ``tell`` hears one line per message. Numbering goes
on from the files already there, so a restarted demo adds to its mailbox. aiosmtpd is the
server (the ``demo`` extra), the same one the tests receive email with.
"""

from __future__ import annotations

import email
import re
import socket
from collections.abc import Callable
from email import policy
from email.message import EmailMessage
from pathlib import Path

_NUMBERED = re.compile(r"^(\d+)-")
_UNSAFE = re.compile(r"[^A-Za-z0-9@._+-]")


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


class MailCatcher:
    """``MailCatcher(folder).start()`` listens on ``host:port`` (a free port unless given)
    until ``stop()``."""

    def __init__(
        self,
        folder: Path,
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        tell: Callable[[str], None] = print,
    ) -> None:
        self.folder = Path(folder)
        self.host = host
        self.port = port or free_port(host)
        self.tell = tell
        self._controller = None

    def start(self) -> MailCatcher:
        from aiosmtpd.controller import Controller

        self.folder.mkdir(parents=True, exist_ok=True)
        controller = Controller(_Keeper(self), hostname=self.host, port=self.port, ready_timeout=10)
        controller.start()
        self._controller = controller
        return self

    def stop(self) -> None:
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    def keep(self, recipients: list[str], content: bytes) -> Path:
        """Write one message to the folder, tell about it; returns the readable file."""
        message = email.message_from_bytes(content, policy=policy.default)
        number = self._next_number()
        stem = f"{number:04d}-{_UNSAFE.sub('_', recipients[0] if recipients else 'nobody')}"
        (self.folder / f"{stem}.eml").write_bytes(content)
        readable = self.folder / f"{stem}.txt"
        readable.write_text(_readable(message, recipients), encoding="utf-8")
        subject = " ".join(str(message["Subject"] or "(no subject)").split())  # unfolded
        self.tell(f"mail {number} to {', '.join(recipients)}: {subject}  -> {readable}")
        return readable

    def _next_number(self) -> int:
        taken = [int(m.group(1)) for p in self.folder.iterdir() if (m := _NUMBERED.match(p.name))]
        return max(taken, default=0) + 1


class _Keeper:
    """aiosmtpd's handler: every message its server accepts goes to the catcher."""

    def __init__(self, catcher: MailCatcher) -> None:
        self.catcher = catcher

    async def handle_DATA(self, server, session, envelope) -> str:
        self.catcher.keep(list(envelope.rcpt_tos), envelope.content)
        return "250 Message accepted for delivery"


def _readable(message: EmailMessage, recipients: list[str]) -> str:
    lines = [
        f"{name}: {' '.join(str(message[name]).split())}" for name in ("Date", "From", "To", "Subject") if message[name]
    ]
    if not message["To"]:
        lines.append(f"To: {', '.join(recipients)}")
    body = message.get_body(preferencelist=("plain", "html"))
    text = body.get_content() if body is not None else ""
    return "\n".join(lines) + "\n\n" + text.rstrip("\n") + "\n"
