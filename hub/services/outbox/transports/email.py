"""Email over SMTP with smtplib: one connection for a run of messages, clear failures.

``SmtpSender.connect()`` opens a session (STARTTLS and login when configured); each
``send()`` hands over one message. A refused recipient (5xx) is permanent; a refused
connection, a timeout, a dropped session or a 4xx reply is temporary.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage

from hub.services.outbox.transports import DeliveryError


@dataclass(frozen=True)
class SmtpSender:
    host: str
    port: int = 25
    sender: str = "voxloop@localhost"
    username: str = ""
    password: str = ""
    starttls: bool = False
    timeout: float = 10.0

    @contextmanager
    def connect(self) -> Iterator[SmtpSession]:
        if not self.host:
            raise DeliveryError("no SMTP server is configured (VOXLOOP_SMTP_HOST)")
        try:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"SMTP server {self.host}:{self.port} unreachable: {_reason(exc)}") from None
        try:
            if self.starttls:
                client.starttls(context=ssl.create_default_context())
            if self.username:
                client.login(self.username, self.password)
            yield SmtpSession(client, self.sender)
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(f"SMTP login refused: {_reason(exc)}") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"SMTP session failed: {_reason(exc)}") from None
        finally:
            try:
                client.quit()
            except (OSError, smtplib.SMTPException):
                client.close()


@dataclass
class SmtpSession:
    client: smtplib.SMTP
    sender: str

    def send(self, message: EmailMessage) -> None:
        if "From" not in message:
            message["From"] = self.sender
        try:
            refused = self.client.send_message(message, from_addr=self.sender)
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            raise DeliveryError(f"recipient refused: {code} {_text(text)}", permanent=code >= 500) from None
        except smtplib.SMTPSenderRefused as exc:
            raise DeliveryError(f"sender refused: {exc.smtp_code} {_text(exc.smtp_error)}", permanent=False) from None
        except smtplib.SMTPDataError as exc:
            raise DeliveryError(
                f"message refused: {exc.smtp_code} {_text(exc.smtp_error)}", permanent=exc.smtp_code >= 500
            ) from None
        except (smtplib.SMTPServerDisconnected, TimeoutError, OSError) as exc:
            raise DeliveryError(f"SMTP connection lost: {_reason(exc)}") from None
        except smtplib.SMTPException as exc:
            raise DeliveryError(f"SMTP error: {_reason(exc)}") from None
        if refused:  # only some recipients were refused; each message has one recipient
            code, text = next(iter(refused.values()))
            raise DeliveryError(f"recipient refused: {code} {_text(text)}", permanent=code >= 500)


def _text(value: bytes | str) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
