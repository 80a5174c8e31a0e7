"""This module contains Passwords, which hashes and checks staff passwords with argon2id."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD_CHARS = 12
# Far above any passphrase, far below what would make hashing a way to tire the server.
MAX_PASSWORD_CHARS = 1024


@dataclass(frozen=True)
class Verdict:
    """Whether a password matched; when it did with outdated parameters, its hash with the current ones."""

    ok: bool
    new_hash: str | None = None


class Passwords:
    """Hashes and verifies passwords; argon2-cffi's defaults (RFC 9106's low-memory profile) unless told.

    Verification is CPU work (a few hundred milliseconds by design): `check` runs it in a thread so the
    event loop keeps serving. An unknown account is checked against a dummy hash made with the same
    parameters, so a login takes as long whether the email exists or not.
    """

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self._hasher = hasher or PasswordHasher()
        self._dummy_hash: str | None = None

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> Verdict:
        """Blocking: whether `password` matches; `None` as the hash spends the same time and fails."""
        if password_hash is None:
            if self._dummy_hash is None:
                self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(32))
            self._matches(self._dummy_hash, password)
            return Verdict(False)
        if not self._matches(password_hash, password):
            return Verdict(False)
        if self._hasher.check_needs_rehash(password_hash):
            return Verdict(True, self._hasher.hash(password))
        return Verdict(True)

    async def check(self, password_hash: str | None, password: str) -> Verdict:
        """`verify`, in a thread."""
        return await asyncio.to_thread(self.verify, password_hash, password)

    def _matches(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False
