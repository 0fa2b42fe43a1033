"""Password hashing (Argon2id via argon2-cffi) and the password policy."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()

MIN_LENGTH = 12


def hash_password(password: str) -> str:
    """An Argon2id hash of ``password``."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches; never raises on a bad hash."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# A fixed hash verified when the email is unknown, so timing does not reveal accounts.
DUMMY_HASH = _hasher.hash("not-a-real-password-just-for-timing")


def password_problems(password: str) -> list[str]:
    """Reason codes why ``password`` is refused; empty when acceptable."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append("too_short")
    if password.lower() == password or password.upper() == password:
        if not any(ch.isdigit() for ch in password):
            problems.append("too_simple")
    return problems
