"""Webhook bodies for the support team's chat: Slack-compatible by default, Microsoft Teams by host.

- Slack (and Mattermost, Rocket.Chat, Discord's /slack endpoint, most generic receivers):
  ``{"text": ..., "blocks": [...]}`` plus a structured ``preflight`` object for integrations.
- Teams "Incoming Webhook" connectors (``*.webhook.office.com``): a MessageCard.
- Teams Workflows / Power Automate (``*.logic.azure.com``, ``*.powerplatform.com``): a message with an Adaptive Card.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# Everything in a body may carry text a participant typed (name, help message): each format gets it
# escaped so it reads as text, never as a mention (<!channel>), a link (<https://evil|Open>) or markup.
_MARKDOWN = re.compile(r"([\\`*_\[\]()#~|])")


def slack_escape(text: str) -> str:
    """Slack mrkdwn: only &, < and > are control characters (mentions and links are <...>)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def teams_escape(text: str, html: bool = True) -> str:
    """Teams cards: backslash before markdown characters; entities for <>& where the card renders
    HTML (MessageCards)."""
    if html:
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKDOWN.sub(r"\\\1", text)


def flavour(url: str) -> str:
    """Which body format ``url`` expects: slack, teams-connector or teams-workflow."""
    host = (urlsplit(url).hostname or "").lower()
    if host.endswith("webhook.office.com") or host.endswith("outlook.office.com"):
        return "teams-connector"
    if host.endswith("logic.azure.com") or host.endswith("powerplatform.com") or host.endswith("powerautomate.com"):
        return "teams-workflow"
    return "slack"


def body(url: str, title: str, text: str, facts: list[tuple[str, str]], link: str, link_label: str, data: dict) -> dict:
    """The JSON body for ``url``: each fact once (title, optional text, facts, one link), escaped for the receiver."""
    kind = flavour(url)
    if kind != "slack":
        html = kind == "teams-connector"
        title, text = teams_escape(title, html), teams_escape(text, html)
        facts = [(teams_escape(n, html), teams_escape(v, html)) for n, v in facts]
    if kind == "teams-connector":
        return {
            "@type": "MessageCard",
            "@context": "https://schema.org/extensions",
            "summary": title,
            "themeColor": "CF222E",
            "title": title,
            **({"text": text.replace("\n", "  \n")} if text else {}),
            "sections": [{"facts": [{"name": n, "value": v} for n, v in facts]}] if facts else [],
            "potentialAction": [{"@type": "OpenUri", "name": link_label, "targets": [{"os": "default", "uri": link}]}],
        }
    if kind == "teams-workflow":
        card = {
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "type": "AdaptiveCard",
            "version": "1.4",
            "body": [
                {"type": "TextBlock", "text": title, "weight": "Bolder", "size": "Medium", "wrap": True},
                *([{"type": "TextBlock", "text": text, "wrap": True}] if text else []),
                *([{"type": "FactSet", "facts": [{"title": n, "value": v} for n, v in facts]}] if facts else []),
            ],
            "actions": [{"type": "Action.OpenUrl", "title": link_label, "url": link}],
        }
        return {
            "type": "message",
            "attachments": [
                {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
            ],
        }
    # The top-level text is only the notification's preview: the title, once (blocks carry the rest).
    blocks = [{"type": "header", "text": {"type": "plain_text", "text": title[:150]}}]
    if text:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": slack_escape(text)[:2900]}})
    if facts:
        blocks.append(
            {
                "type": "section",
                "fields": [
                    {"type": "mrkdwn", "text": f"*{slack_escape(n)}*\n{slack_escape(v)}"[:1900]} for n, v in facts[:10]
                ],
            }
        )
    blocks.append(
        {
            "type": "actions",
            "elements": [{"type": "button", "text": {"type": "plain_text", "text": link_label[:75]}, "url": link}],
        }
    )
    return {"text": slack_escape(title), "blocks": blocks, "preflight": data}
