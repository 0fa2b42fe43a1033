"""Tell apart the OLE compound documents people upload instead of a list.

A password-protected .xlsx is not a ZIP archive: Office wraps the encrypted
workbook in an OLE compound document (streams ``EncryptionInfo`` and
``EncryptedPackage``), the same container as an Excel 97-2003 .xls (stream
``Workbook``, or ``Book`` before Excel 97). Each needs a different fix, so the
stream names in the container's directory decide the message.
"""

from __future__ import annotations

from .model import ImportFormatError

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# Directory entries hold stream names in UTF-16 LE.
_ENCRYPTED = ("EncryptedPackage".encode("utf-16-le"), "EncryptionInfo".encode("utf-16-le"))
_LEGACY_EXCEL = ("Workbook".encode("utf-16-le"), "Book\x00".encode("utf-16-le"))


def is_ole(data: bytes) -> bool:
    """Whether the bytes start like an OLE compound document (.xls, .doc, encrypted Office file)."""
    return data.startswith(OLE_MAGIC[:4])


def ole_error(data: bytes) -> ImportFormatError:
    """The file-level error for an OLE document: "encrypted", "legacy_xls" or "binary"."""
    if any(name in data for name in _ENCRYPTED):
        return ImportFormatError("encrypted", "password-protected Office file")
    if any(name in data for name in _LEGACY_EXCEL):
        return ImportFormatError("legacy_xls", "Excel 97-2003 workbook")
    return ImportFormatError("binary", "OLE compound document")
