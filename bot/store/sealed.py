"""Secrets kept at rest (a workspace's Santo password): sealed with Fernet under SANTO_SECRETS_KEY.

The setting holds one or more keys, comma separated, newest first: secrets are sealed with the
first and opened with any, so a key is rotated by putting a new one in front, re-sealing
(`python -m bot rotate-secrets`), then dropping the old one."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class SealError(Exception):
    """The keys are malformed, or none of them opens a sealed secret."""


class SecretBox:
    def __init__(self, keys: str) -> None:
        try:
            self._fernet = MultiFernet([Fernet(key.strip()) for key in keys.split(",") if key.strip()])
        except (ValueError, TypeError) as exc:
            raise SealError("SANTO_SECRETS_KEY must hold Fernet keys (32 url-safe base64 bytes)") from exc

    def seal(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode()

    def open(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken as exc:
            raise SealError("no key in SANTO_SECRETS_KEY opens this secret") from exc

    def reseal(self, sealed: str) -> str:
        """The secret sealed with the newest key."""
        try:
            return self._fernet.rotate(sealed.encode()).decode()
        except InvalidToken as exc:
            raise SealError("no key in SANTO_SECRETS_KEY opens this secret") from exc
