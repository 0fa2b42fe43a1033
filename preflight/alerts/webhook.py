"""Webhook bodies for the support team's chat: Slack-compatible by default, Microsoft Teams by host.

- Slack (and Mattermost, Rocket.Chat, Discord's /slack endpoint, most generic receivers):
  ``{"text": ..., "blocks": [...]}`` plus a structured ``preflight`` object for integrations.
- Teams "Incoming Webhook" connectors (``*.webhook.office.com``): a MessageCard.
- Teams Workflows / Power Automate (``*.logic.azure.com``, ``*.powerplatform.com``): a message with an Adaptive Card.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

# Markdown that Teams renders (MessageCard text, Adaptive Card TextBlock) and that data could abuse:
# links, emphasis, headings, code. A backslash before each makes it literal.
_MARKDOWN = re.compile(r"([\\`*_\[\]()#])")


def slack_escape(text: str) -> str:
    """Text for Slack mrkdwn: ``<!channel>``, ``<@U123>`` and ``<https://x|label>`` become literal."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def teams_markdown_escape(text: str) -> str:
    """Text for Teams' Markdown: no links, emphasis or headings from the data; no HTML either."""
    return _MARKDOWN.sub(r"\\\1", html.escape(text, quote=False))


def flavour(url: str) -> str:
    """Which body format ``url`` expects: slack, teams-connector or teams-workflow."""
    host = (urlsplit(url).hostname or "").lower()
    if host.endswith("webhook.office.com") or host.endswith("outlook.office.com"):
        return "teams-connector"
    if host.endswith("logic.azure.com") or host.endswith("powerplatform.com") or host.endswith("powerautomate.com"):
        return "teams-workflow"
    return "slack"


def body(url: str, title: str, text: str, facts: list[tuple[str, str]], link: str, link_label: str, data: dict) -> dict:
    """The JSON body for ``url``: same content (title, text, facts, one link) in the receiver's format.

    ``title``, ``text`` and ``facts`` carry what participants typed (names, help messages): they are
    escaped for the receiver's markup here, so nobody can ping a channel or plant a link.
    """
    kind = flavour(url)
    if kind == "teams-connector":
        return {
            "@type": "MessageCard",
            "@context": "https://schema.org/extensions",
            "summary": teams_markdown_escape(title),
            "themeColor": "CF222E",
            "title": teams_markdown_escape(title),
            "text": teams_markdown_escape(text).replace("\n", "  \n"),
            "sections": [{"facts": [{"name": teams_markdown_escape(n), "value": teams_markdown_escape(v)} for n, v in facts]}] if facts else [],
            "potentialAction": [{"@type": "OpenUri", "name": link_label, "targets": [{"os": "default", "uri": link}]}],
        }
    if kind == "teams-workflow":
        card = {
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "type": "AdaptiveCard",
            "version": "1.4",
            "body": [
                {"type": "TextBlock", "text": teams_markdown_escape(title), "weight": "Bolder", "size": "Medium", "wrap": True},
                {"type": "TextBlock", "text": teams_markdown_escape(text), "wrap": True},
                {"type": "FactSet", "facts": [{"title": teams_markdown_escape(n), "value": teams_markdown_escape(v)} for n, v in facts]},
            ],
            "actions": [{"type": "Action.OpenUrl", "title": link_label, "url": link}],
        }
        return {"type": "message", "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}]}
    # Slack: the header is plain_text (never parsed); text, fallback and fields are mrkdwn.
    fallback = slack_escape(f"{title}\n{text}") + f"\n{link}"
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": slack_escape(text)[:2900]}},
    ]
    if facts:
        blocks.append({"type": "section", "fields": [{"type": "mrkdwn", "text": f"*{slack_escape(n)}*\n{slack_escape(v)}"[:1900]}
                                                      for n, v in facts[:10]]})
    blocks.append({"type": "actions", "elements": [{"type": "button", "text": {"type": "plain_text", "text": link_label[:75]}, "url": link}]})
    return {"text": fallback, "blocks": blocks, "preflight": data}
