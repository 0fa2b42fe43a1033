"""nginx as a test subprocess, configured by ``deploy/nginx.conf`` itself (the operators' file).

The site file is rendered with a few substitutions (the lines an operator edits: upstream
addresses, listen ports, certificate paths) and included in a minimal main configuration that
keeps everything (pid, logs, temporary files) in a temporary prefix, so nginx runs without
touching ``/etc/nginx`` or ``/var``. Import it as ``from nginx_proxy import ...`` (``tests/`` is on
``sys.path``).
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEPLOY_CONF = ROOT / "deploy" / "nginx.conf"


def find_nginx() -> str | None:
    """The nginx binary (``PREFLIGHT_NGINX`` may point at it); Debian puts it in /usr/sbin."""
    explicit = os.environ.get("PREFLIGHT_NGINX")
    if explicit:
        return explicit if os.access(explicit, os.X_OK) else None
    found = shutil.which("nginx")
    if found:
        return found
    return "/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None


def self_signed_certificate(folder: Path, host: str = "127.0.0.1") -> tuple[Path, Path]:
    """A fresh key and a self-signed certificate for ``host`` (and ``localhost``): (cert, key) paths."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host)), x509.DNSName("localhost")]),
            critical=False,
        )
        # Its own trust anchor: clients verify against this very file.
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    key_path.chmod(0o600)
    return cert_path, key_path


def render_site(
    text: str,
    *,
    web: str,
    media: str,
    http_port: int,
    https_port: int,
    cert: Path,
    key: Path,
    access_log: Path,
    host: str = "127.0.0.1",
) -> str:
    """``deploy/nginx.conf`` with the test's upstreams, ports, certificate and log; IPv6 listens left out.

    Each substituted value must occur as often as expected: a changed deploy file fails here,
    loudly, instead of being tested half-rendered.
    """
    substitutions = [
        ("server 127.0.0.1:5000;", f"server {web};", 1),
        ("server 127.0.0.1:5001;", f"server {media};", 1),
        ("listen 80;", f"listen {host}:{http_port};", 1),
        ("listen 443 ssl http2;", f"listen {host}:{https_port} ssl http2;", 1),
        ("/etc/ssl/preflight/fullchain.pem;", f"{cert};", 1),
        ("/etc/ssl/preflight/privkey.pem;", f"{key};", 1),
        ("/var/log/nginx/preflight.access.log ", f"{access_log} ", 2),  # one per server block
    ]
    for old, new, expected in substitutions:
        if text.count(old) != expected:
            raise ValueError(f"deploy/nginx.conf: expected {old!r} {expected} times, found it {text.count(old)} times")
        text = text.replace(old, new)
    # A test machine may have no IPv6; the addresses above are the only ones the test uses.
    return "\n".join(line for line in text.splitlines() if not line.strip().startswith("listen [::]")) + "\n"


MAIN_CONF = """\
# Test wrapper around deploy/nginx.conf: everything nginx writes stays under {prefix}.
{user}worker_processes 1;
error_log {prefix}/error.log info;
events {{ worker_connections 256; }}
http {{
    access_log {prefix}/other.access.log;  # the site sets its own
    client_body_temp_path {prefix}/tmp/body;
    proxy_temp_path {prefix}/tmp/proxy;
    fastcgi_temp_path {prefix}/tmp/fastcgi;
    uwsgi_temp_path {prefix}/tmp/uwsgi;
    scgi_temp_path {prefix}/tmp/scgi;
    include {site};
}}
"""


class NginxServer:
    """``nginx -p <prefix> -c <prefix>/nginx.conf -g 'daemon off; pid ...;'`` in its own process group."""

    def __init__(self, binary: str, prefix: Path, site_text: str, ports: tuple[int, ...]):
        self.binary = binary
        self.prefix = prefix
        self.ports = ports
        (prefix / "tmp").mkdir(parents=True, exist_ok=True)
        site = prefix / "preflight.conf"
        site.write_text(site_text)
        # Run as root (CI), nginx would hand its workers to "nobody", who cannot enter pytest's
        # private temporary folders; unprivileged, the directive is not wanted.
        user = "user root root;\n" if os.geteuid() == 0 else ""
        self.conf = prefix / "nginx.conf"
        self.conf.write_text(MAIN_CONF.format(prefix=prefix, site=site, user=user))
        self.proc: subprocess.Popen | None = None

    def _command(self, *extra: str) -> list[str]:
        return [
            self.binary,
            "-p",
            str(self.prefix),
            "-e",
            str(self.prefix / "error.log"),
            "-c",
            str(self.conf),
            "-g",
            f"daemon off; pid {self.prefix / 'nginx.pid'};",
            *extra,
        ]

    def test_config(self) -> None:
        """``nginx -t``: raises with nginx's own words when the rendered configuration is refused."""
        done = subprocess.run(self._command("-t"), capture_output=True, text=True, timeout=30)
        if done.returncode != 0:
            raise RuntimeError(f"nginx -t refused the configuration:\n{done.stderr}")

    def start(self, timeout: float = 15) -> "NginxServer":
        """Check the configuration, start, and wait until every port accepts connections."""
        self.test_config()
        self._out = open(self.prefix / "stderr.log", "ab")
        self.proc = subprocess.Popen(
            self._command(), stdout=self._out, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        waiting = list(self.ports)
        while waiting:
            if self.proc.poll() is not None:
                self.stop()
                raise RuntimeError(f"nginx exited ({self.proc.returncode}):\n{self.error_log()[-3000:]}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"nginx not listening after {timeout} s:\n{self.error_log()[-3000:]}")
            try:
                socket.create_connection(("127.0.0.1", waiting[0]), timeout=0.5).close()
                waiting.pop(0)
            except OSError:
                time.sleep(0.05)
        return self

    def stop(self) -> None:
        """Graceful stop (SIGQUIT: open requests finish), SIGKILL to the group after 10 s."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if getattr(self, "_out", None) is not None and not self._out.closed:
            self._out.close()

    def error_log(self) -> str:
        """nginx's error log (and whatever it printed before opening it)."""
        parts = [self.prefix / "stderr.log", self.prefix / "error.log"]
        return "".join(p.read_text(errors="replace") for p in parts if p.exists())

    def access_log(self) -> str:
        """nginx's access log (the site's, as deploy/nginx.conf formats it)."""
        path = self.prefix / "access.log"
        return path.read_text(errors="replace") if path.exists() else ""
