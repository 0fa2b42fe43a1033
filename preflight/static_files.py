"""Static files as they should cross the network: compressed, fingerprinted, cached for good.

WhiteNoise serves ``static/`` in front of Flask with gzip and Brotli variants (written next to each
file once, by WhiteNoise's own compressor, and refreshed when the file changes). Every file is also
reachable under a fingerprinted name (``check.3f9a1c2b7d4e.js``) that ``url_for('static', ...)``
hands out: those answers carry ``Cache-Control: max-age=<1 year>, public, immutable``, so a repeat
visit fetches only the HTML, and a changed file gets a new name. The plain names stay available
with a short max-age for anything that links to them directly.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from flask import Flask
from whitenoise import WhiteNoise
from whitenoise.compress import Compressor

from .security import common_headers

# What the page loads and what compresses well; media are already compressed.
COMPRESSIBLE = re.compile(r"\.(css|js|svg|wav|vtt|ico|json|txt|html|md)$", re.IGNORECASE)
_HASHED = re.compile(r"\.[0-9a-f]{12}\.[A-Za-z0-9]+$")


def _files(root: Path):
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            if not name.endswith((".gz", ".br")):
                yield Path(dirpath) / name


def compress_stale(root: Path) -> int:
    """Write ``.gz``/``.br`` next to each compressible file whose variants are missing or older; returns how many."""
    compressor = Compressor(quiet=True)
    done = 0
    for path in _files(root):
        if not COMPRESSIBLE.search(path.name):
            continue
        mtime = path.stat().st_mtime
        variants = [Path(f"{path}.br"), Path(f"{path}.gz")]
        if all(v.exists() and v.stat().st_mtime == mtime for v in variants):
            continue
        compressor.compress(str(path))  # skips a variant that would not be >5 % smaller
        done += 1
    return done


def hashed_name(relative: str, content: bytes) -> str:
    """``css/app.css`` -> ``css/app.<12 hex of sha256>.css``."""
    stem, dot, ext = relative.rpartition(".")
    digest = hashlib.sha256(content).hexdigest()[:12]
    return f"{stem}.{digest}.{ext}" if dot else f"{relative}.{digest}"


def build_manifest(root: Path) -> dict[str, str]:
    """{relative path: fingerprinted relative path} for every static file."""
    manifest = {}
    for path in _files(root):
        relative = path.relative_to(root).as_posix()
        manifest[relative] = hashed_name(relative, path.read_bytes())
    return manifest


class FingerprintedWhiteNoise(WhiteNoise):
    """WhiteNoise that also answers each file's fingerprinted name, as immutable."""

    def __init__(self, application, root: Path, prefix: str, manifest: dict[str, str], **kwargs):
        self.manifest = manifest
        self.prefix = "/" + prefix.strip("/") + "/"
        super().__init__(application, **kwargs)
        self.add_files(str(root), self.prefix)

    def add_file_to_dictionary(self, url, path, stat_cache=None):
        super().add_file_to_dictionary(url, path, stat_cache=stat_cache)
        hashed = self.manifest.get(url[len(self.prefix) :])
        if hashed and url in self.files:
            hashed_url = self.prefix + hashed
            self.files[hashed_url] = self.get_static_file(path, hashed_url, stat_cache=stat_cache)

    def immutable_file_test(self, path, url):
        return bool(_HASHED.search(url))


def init_app(app: Flask) -> None:
    """Compress what changed, fingerprint every file, serve ``/static/`` through WhiteNoise."""
    root = Path(app.static_folder)
    compress_stale(root)
    manifest = build_manifest(root)
    app.extensions["static_manifest"] = manifest

    @app.url_defaults
    def _fingerprint(endpoint, values):
        if endpoint == "static" and "filename" in values:
            values["filename"] = manifest.get(values["filename"], values["filename"])

    common = common_headers(app)

    def security_headers(headers, _path, _url) -> None:
        # Static answers bypass Flask's after_request: give them the same security headers.
        for name, value in common.items():
            headers[name] = value

    app.wsgi_app = FingerprintedWhiteNoise(
        app.wsgi_app,
        root,
        app.static_url_path,
        manifest,
        max_age=app.config["STATIC_MAX_AGE"],
        add_headers_function=security_headers,
    )
