"""French typography: the non-breaking spaces a French reader expects (checked by ``flask i18n check``).

French puts a space before ``: ; ? ! %`` and inside « guillemets », and that space must not
break: a "?" alone at the start of a line on a 320 px phone reads as an error. The rules used
(Imprimerie nationale, as most French style guides): a narrow no-break space (U+202F) before
``; ? !``, a no-break space (U+00A0) before ``:`` and ``%`` and inside « ». Either no-break
space is accepted before any of these marks; an ordinary space or no space at all is not.

What is not prose is left alone: placeholders (``%(name)s``, ``{value}``), URLs and paths,
times (10:30), Markdown link targets, inline code, and heading ids (``{#id}``).
"""

from __future__ import annotations

import re

NBSP = "\u00a0"
NNBSP = "\u202f"
NO_BREAK = NBSP + NNBSP

# Text that is not French prose: masked before checking (its length kept, so positions stay).
_NOT_PROSE = re.compile(
    r"%\([A-Za-z_][A-Za-z0-9_]*\)[-#0 +]*\d*(?:\.\d+)?[a-zA-Z]"  # %(name)s
    r"|\{[A-Za-z_#][^{}]*\}"  # {value}, {#heading-id}
    r"|`[^`]*`"  # inline code
    r"|\]\([^)]*\)"  # Markdown link target
    r"|<[^<>]*>"  # HTML tags
    r"|[a-z][a-z0-9+.-]*://\S+"  # URLs
    r"|\b(?:mailto|tel):\S+"
    r"|\b\d{1,2}:\d{2}\b"  # times
    r"|!\["  # Markdown image
)

# A mark that needs a no-break space before it, and what stands before it.
_HIGH_MARK = re.compile(r"(?P<before>[^\s\u00a0\u202f]?)(?P<space>[ \t]*)(?P<mark>[:;?!%»])")
_OPENING = re.compile(r"«(?P<space>[ \t]*)(?=\S)")


def _mask(text: str) -> str:
    def blank(match: re.Match) -> str:
        kept = match.group(0)
        return "%%" if kept == "%%" else "\x00" * len(kept)

    return _NOT_PROSE.sub(blank, text)


def problems(text: str) -> list[str]:
    """Each place ``text`` breaks French typography, as a short quote; empty when it is right."""
    masked = _mask(text)
    found = [_quote(text, m.start("mark")) for m in _HIGH_MARK.finditer(masked) if _needs_space(masked, m)]
    found += [_quote(text, m.start()) for m in _OPENING.finditer(masked) if m.group("space") not in (NBSP, NNBSP)]
    return found


def fix(text: str) -> str:
    """``text`` with the right no-break space before ``: ; ? ! % »`` and after «, where one is missing."""
    masked = _mask(text)
    out, last = [], 0
    for match in _HIGH_MARK.finditer(masked):
        if not _needs_space(masked, match):
            continue
        out.append(text[last : match.start("space")])
        out.append(NNBSP if match.group("mark") in ";?!" else NBSP)
        last = match.start("mark")
    out.append(text[last:])
    return _OPENING.sub(lambda m: "«" + NBSP, "".join(out))


def _needs_space(masked: str, match: re.Match) -> bool:
    """The mark of ``match`` is French punctuation without its no-break space."""
    mark, before, space = match.group("mark"), match.group("before"), match.group("space")
    start = match.start("mark")
    if mark == "%" and masked[start : start + 2] == "%%":
        return False
    if start > 0 and masked[start - 1] in NO_BREAK:
        return False
    if not before and not space:
        return False  # the start of the text
    if before in "\x00(\"'/-" and not space:
        return False  # right after a placeholder, a bracket or a path
    if mark in ":;?!" and not space and not _ends_clause(masked, start):
        return False  # "a:b", "?lang=": not the punctuation of a sentence
    if mark == "%" and not (before.isdigit() or space):
        return False
    return True


def _ends_clause(masked: str, index: int) -> bool:
    """The mark at ``index`` ends a clause: followed by a space, a line end, a quote or the end."""
    after = masked[index + 1 : index + 2]
    return after == "" or after in " \t\n\u00a0\u202f»\"'*)"


def _quote(text: str, index: int) -> str:
    return repr(text[max(0, index - 20) : index + 2])


def fix_catalog(catalog) -> int:
    """Fix every msgstr of a French ``Catalog`` in place; how many messages changed."""
    changed = 0
    for message in catalog:
        if not message.id or not message.string:
            continue
        if isinstance(message.string, (list, tuple)):
            fixed = tuple(fix(form) if form else form for form in message.string)
        else:
            fixed = fix(message.string)
        if fixed != message.string:
            message.string = fixed
            changed += 1
    return changed


def fix_guide(source: str) -> str:
    """A French guide with its prose fixed (the body, and the title and summary of its front matter)."""
    lines = source.split("\n")
    in_front = bool(lines) and lines[0].strip() == "---"
    for index, line in enumerate(lines):
        if in_front:
            if index > 0 and line.strip() == "---":
                in_front = False
            elif line.startswith(("title:", "summary:")):
                key, _, value = line.partition(":")
                lines[index] = f"{key}:{fix(value)}" if not value.startswith(" ") else f"{key}: {fix(value[1:])}"
            continue
        lines[index] = fix(line)
    return "\n".join(lines)
