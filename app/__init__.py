"""Livegate: an on-device face-liveness checker."""

import os as _os

__version__ = "0.1.0"

# onnxruntime records a device id and usage events in the user's cache on import unless told not to;
# Livegate promises an on-device check that phones nothing home, so switch it off before any import.
_os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
