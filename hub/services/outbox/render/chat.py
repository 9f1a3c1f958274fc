"""Webhook bodies shaped for chat tools: Slack (Block Kit) and Microsoft Teams (an Adaptive
Card). Both render a subset of Markdown, so the customer's words are escaped to stay literal.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

ADAPTIVE_CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"


def as_json(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def slack_escape(text: str) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def teams_escape(text: str) -> str:
    out = str(text)
    for char in "\\*_[]()#>`~":
        out = out.replace(char, "\\" + char)
    return out


def slack(title: str, lines: Sequence[str], *, link: tuple[str, str] | None) -> dict[str, Any]:
    """A bold title, a section per line and a button (``link``: its label and URL); ``title``
    and ``lines`` escaped already."""
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": f"*{title}*"}}]
    blocks += [{"type": "section", "text": {"type": "mrkdwn", "text": line}} for line in lines]
    if link:
        label, url = link
        button = {"type": "button", "text": {"type": "plain_text", "text": label}, "url": url}
        blocks.append({"type": "actions", "elements": [button]})
    return {"text": title, "blocks": blocks}


def teams(title: str, lines: Sequence[str], *, link: tuple[str, str] | None) -> dict[str, Any]:
    """A message with an Adaptive Card: a bold title, a text block per line and an action
    that opens ``link``; ``title`` and ``lines`` escaped already."""
    body = [{"type": "TextBlock", "text": title, "weight": "Bolder", "wrap": True}]
    body += [{"type": "TextBlock", "text": line, "wrap": True} for line in lines]
    card: dict[str, Any] = {"type": "AdaptiveCard", "$schema": ADAPTIVE_CARD_SCHEMA, "version": "1.4", "body": body}
    if link:
        label, url = link
        card["actions"] = [{"type": "Action.OpenUrl", "title": label, "url": url}]
    return {
        "type": "message",
        "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "content": card}],
    }
