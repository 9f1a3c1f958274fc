"""Text messages (SMS) go out through a provider: the edge voxloop does not own (a gateway's
HTTP API, a modem). ``SmsProvider`` is all the hub asks of one: send one text to one number,
or raise ``DeliveryError`` (``permanent`` when trying again cannot help, such as a number the
gateway refuses).

The provider is handed to the hub's app as ``app.extensions["voxloop_sms"]`` by whoever runs it
with one (a deployment's plugin, the tests' recording double); without one, a text message
fails visibly on the deliveries page ("no SMS provider is configured") instead of waiting for
ever.
"""

from __future__ import annotations

from typing import Protocol

from flask import Flask

from hub.services.outbox.transports import DeliveryError


class SmsProvider(Protocol):
    def send(self, to: str, text: str) -> None:
        """Send ``text`` to the number ``to`` (+E.164); DeliveryError when it did not go out."""


class NoSmsProvider:
    def send(self, to: str, text: str) -> None:
        raise DeliveryError("no SMS provider is configured", permanent=True)


def sms_provider(app: Flask) -> SmsProvider:
    return app.extensions.get("voxloop_sms") or NoSmsProvider()
