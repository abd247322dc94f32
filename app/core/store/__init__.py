"""Durable, encrypted, signed storage of sessions (SQLite WAL + AES-GCM files + Ed25519)."""

from app.core.store.crypto import IntegrityError, KeyStore
from app.core.store.db import RecoveryReport, SessionStore, open_store

__all__ = ["IntegrityError", "KeyStore", "RecoveryReport", "SessionStore", "open_store"]
