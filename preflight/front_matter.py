"""Front matter of Markdown pages (guides, playbook), read without YAML's expansion tricks.

YAML aliases let a few hundred bytes of header expand into gigabytes once a value
is turned into text (the "billion laughs" pattern), and staff can edit playbook
pages in the browser. Pages here need plain scalars and short lists, so aliases
are refused outright and every value is size-checked.
"""

from __future__ import annotations

import frontmatter
import yaml
from frontmatter.default_handlers import YAMLHandler

MAX_HEADER_CHARS = 4000
MAX_VALUE_CHARS = 500


class _NoAliasLoader(yaml.SafeLoader):
    """A SafeLoader that refuses anchors' aliases instead of expanding them."""

    def compose_node(self, parent, index):  # noqa: D401 - yaml's hook
        if self.check_event(yaml.events.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(None, None, "aliases are not allowed", event.start_mark)
        return super().compose_node(parent, index)


class _StrictYAMLHandler(YAMLHandler):
    def load(self, fm: str, **kwargs: object):
        if len(fm) > MAX_HEADER_CHARS:
            raise yaml.YAMLError(f"the header is longer than {MAX_HEADER_CHARS} characters")
        kwargs["Loader"] = _NoAliasLoader
        return super().load(fm, **kwargs)


def _check_sizes(value, path: str = "") -> None:
    if isinstance(value, str):
        if len(value) > MAX_VALUE_CHARS:
            raise yaml.YAMLError(f"{path or 'a value'} is longer than {MAX_VALUE_CHARS} characters")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_sizes(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        if len(value) > 100:
            raise yaml.YAMLError(f"{path or 'a list'} has more than 100 items")
        for item in value:
            _check_sizes(item, path)


def loads(text: str) -> frontmatter.Post:
    """Parse a page; raises ``yaml.YAMLError`` for aliases, oversized values or broken YAML."""
    post = frontmatter.loads(text, handler=_StrictYAMLHandler())
    if not isinstance(post.metadata, dict):
        raise yaml.YAMLError("the header must be a mapping")
    _check_sizes(post.metadata)
    return post
