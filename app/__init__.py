"""Livegate: an on-device face-liveness checker."""

__version__ = "0.1.0"
