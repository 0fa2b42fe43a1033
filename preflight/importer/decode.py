"""Turn uploaded bytes into text, the way the exporting tools wrote it.

Excel writes UTF-8 with a BOM ("CSV UTF-8") or the Windows code page
(cp1252 on Western machines); Teams and Webex write UTF-16 LE with a BOM.
"""

from __future__ import annotations

from .model import ImportFormatError

MAX_BYTES = 5 * 1024 * 1024

# Signatures of files people upload by mistake instead of a CSV export. The
# parser sends ZIP archives (.xlsx) and OLE documents (.xls) elsewhere first;
# they stay here so that decode() alone never takes them for text.
_BINARY_MAGIC = (
    b"PK\x03\x04",  # xlsx / docx / zip
    b"\xd0\xcf\x11\xe0",  # legacy xls / doc (OLE2)
    b"%PDF",
    b"\x89PNG",
    b"GIF8",
    b"\xff\xd8\xff",  # JPEG
    b"\x1f\x8b",  # gzip
)

# Control characters that never belong in a text export (tab, CR, LF, FF and
# VT are tolerated: spreadsheets do produce them).
_ALLOWED_CONTROLS = {"\t", "\n", "\r", "\x0b", "\x0c"}


def decode(data: bytes) -> tuple[str, str]:
    """Return ``(text, encoding)`` or raise ImportFormatError.

    ``encoding`` is one of "utf-8", "utf-8-sig", "utf-16", "cp1252".
    """
    if len(data) > MAX_BYTES:
        raise ImportFormatError("too_large", "file larger than 5 MB")
    if not data.strip():
        raise ImportFormatError("empty", "file is empty")
    if data.startswith(_BINARY_MAGIC):
        raise ImportFormatError("binary", "not a text file")

    text, encoding = _decode_by_bom(data)
    if not text.strip():
        raise ImportFormatError("empty", "file is empty")
    _reject_binary_text(text)
    return text, encoding


def _decode_by_bom(data: bytes) -> tuple[str, str]:
    """Pick the codec from the BOM, else from the byte pattern."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        codec = "utf-16-le" if data.startswith(b"\xff\xfe") else "utf-16-be"
        return _strict(data[2:], codec, "utf-16"), "utf-16"
    if data.startswith(b"\xef\xbb\xbf"):
        return _strict(data[3:], "utf-8", "utf-8-sig"), "utf-8-sig"
    bomless_utf16 = _sniff_bomless_utf16(data)
    if bomless_utf16:
        return _strict(data, bomless_utf16, "utf-16"), "utf-16"
    if b"\x00" in data:
        raise ImportFormatError("binary", "NUL bytes in a text file")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    # Not UTF-8: Excel's "CSV" on a Western Windows machine is cp1252.
    return _strict(data, "cp1252", "cp1252"), "cp1252"


def _strict(data: bytes, codec: str, label: str) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        raise ImportFormatError("encoding", f"not valid {label}") from exc


def _sniff_bomless_utf16(data: bytes) -> str | None:
    """Recognise UTF-16 without BOM: mostly-ASCII text has one NUL per char."""
    sample = data[:4096]
    if len(sample) < 4 or len(sample) % 2:
        return None
    even_nul = sample[0::2].count(0)
    odd_nul = sample[1::2].count(0)
    half = len(sample) // 2
    if odd_nul > 0.4 * half and even_nul < 0.05 * half:
        return "utf-16-le"
    if even_nul > 0.4 * half and odd_nul < 0.05 * half:
        return "utf-16-be"
    return None


def _reject_binary_text(text: str) -> None:
    """A decoded "text" full of control characters is really a binary file."""
    if "\x00" in text:
        raise ImportFormatError("binary", "NUL characters in text")
    sample = text[:65536]
    controls = sum(1 for ch in sample if ch < " " and ch not in _ALLOWED_CONTROLS)
    if controls > max(2, len(sample) // 100):
        raise ImportFormatError("binary", "too many control characters")
