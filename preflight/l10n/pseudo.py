"""Pseudo-locales, generated from the ``.pot``: every string visibly "translated".

``en_XA`` (accented): every letter accented, the text lengthened by about 40 %
(as German often is) and wrapped in ⟦…⟧, so an untranslated string, a clipped
label or a string glued together from pieces stands out at a glance.
``ar_XB`` (bidi): the English words wrapped in right-to-left overrides, shown
in a ``dir="rtl"`` page, to check layouts mirror properly.

Placeholders (``%(name)s``, ``%s``, ``{name}``), HTML tags and entities are
left untouched, so the pseudo catalogs pass the same checks as real ones.
"""

from __future__ import annotations

import re

from babel.messages.catalog import Catalog

from .catalogs import Paths, compile_catalog, load

ACCENTED = dict(
    zip(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
        "åƀçðéƒĝĥîĵķļɱñöþǫŕšţûṽŵẋýžÅƁÇÐÉƑĜĤÎĴĶĻṀÑÖÞǪŔŠŢÛṼŴẊÝŽ",
    )
)
PADDING_WORDS = ["öñé", "ţŵö", "ţĥŕéé", "ƒöûŕ", "ƒîṽé", "šîẋ", "šéṽéñ", "éîĝĥţ", "ñîñé", "ţéñ"]
# What must survive verbatim: placeholders, tags, entities.
PROTECTED = re.compile(
    r"%\([A-Za-z_][A-Za-z0-9_]*\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]"  # %(name)s
    r"|%[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]"  # %s, %d, %%
    r"|\{[A-Za-z_][A-Za-z0-9_]*(?:[!:][^{}]*)?\}"  # {name}
    r"|<[^<>]+>"  # HTML tags
    r"|&[A-Za-z0-9#]+;"  # entities
)
RLO, PDF, RLM = "\u202e", "\u202c", "\u200f"
PSEUDO_LOCALES = ("en_XA", "ar_XB")


def _pieces(text: str):
    """(is_protected, piece) in order."""
    last = 0
    for match in PROTECTED.finditer(text):
        if match.start() > last:
            yield False, text[last : match.start()]
        yield True, match.group(0)
        last = match.end()
    if last < len(text):
        yield False, text[last:]


def accented(text: str) -> str:
    """``Hello %(name)s`` -> ``⟦Ĥéļļö %(name)s öñé ţŵö⟧``."""
    if not text:
        return text
    out = "".join(
        piece if protected else "".join(ACCENTED.get(ch, ch) for ch in piece) for protected, piece in _pieces(text)
    )
    visible = sum(len(piece) for protected, piece in _pieces(text) if not protected)
    target = max(2, round(visible * 0.4))
    padding, i = [], 0
    while sum(len(w) + 1 for w in padding) < target:
        padding.append(PADDING_WORDS[i % len(PADDING_WORDS)])
        i += 1
    return f"⟦{out} {' '.join(padding)}⟧"


def bidi(text: str) -> str:
    """Each run of words displayed right-to-left; placeholders and tags untouched."""
    if not text:
        return text
    out = []
    for protected, piece in _pieces(text):
        if protected:
            out.append(piece)
        else:
            out.append(re.sub(r"[A-Za-z][A-Za-z'’]*", lambda m: f"{RLO}{m.group(0)}{PDF}", piece))
    return RLM + "".join(out) + RLM


TRANSFORMS = {"en_XA": accented, "ar_XB": bidi}


def pseudo_catalog(template: Catalog, code: str) -> Catalog:
    """A catalog for ``code`` with every message of ``template`` pseudo-translated."""
    transform = TRANSFORMS[code]
    catalog = Catalog(locale="en" if code == "en_XA" else "ar", project="Preflight", charset="utf-8", fuzzy=False)
    for message in template:
        if not message.id:
            continue
        if isinstance(message.id, (list, tuple)):
            singular, plural = message.id[0], message.id[1]
            forms = catalog.num_plurals
            string = tuple(transform(singular if i == 0 and forms > 1 else plural) for i in range(forms))
        else:
            string = transform(message.id)
        catalog.add(message.id, string, flags=message.flags - {"fuzzy"}, context=message.context)
    return catalog


def build(paths: Paths = Paths(), codes: tuple[str, ...] = PSEUDO_LOCALES) -> list[str]:
    """Write the pseudo-locales' ``.mo`` files straight from the ``.pot`` (no ``.po`` to maintain)."""
    template = load(paths.pot)
    for code in codes:
        compile_catalog(pseudo_catalog(template, code), paths.mo(code))
    return list(codes)
