"""Model manifest, fetching, verification and conversion."""

from app.core.models.manifest import ModelEntry, ModelStore, load_manifest

__all__ = ["ModelEntry", "ModelStore", "load_manifest"]
