"""Flask extensions, created unbound here and bound in ``create_app``."""

from flask_babel import Babel
from flask_compress import Compress
from flask_htmx import HTMX
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from . import ratelimit_memory  # noqa: F401  (memory:// counters safe with threaded workers)

babel = Babel()
# Only for the views that ask for it (``@compress.compressed()``): a reverse proxy compresses the
# rest (docs/operations.md), and server-sent streams must never be held back by a compressor.
compress = Compress()
htmx = HTMX()
csrf = CSRFProtect()
login_manager = LoginManager()
# Storage and default limits come from the app config at init_app time.
limiter = Limiter(key_func=get_remote_address, default_limits=[])
