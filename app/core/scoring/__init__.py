"""On-device scoring: per-frame analysis during capture, session-level stages, fusion.

Contract used by the GUI, the store/API and the CLI (see ``contract.py``):

* ``LiveAnalyzer`` runs in the analysis worker: ``add(frame, landmarks)`` per
  frame (cheap), ``finish()`` once after the last frame -> ``LivenessResult``.
* ``score_recording(path)`` runs the very same analyzer over a recording.
"""
