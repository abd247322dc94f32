"""On-device scoring: per-frame analysis during capture, session-level stages, fusion.

Contract used by the GUI, the store/API and the CLI (see ``contract.py``):

* ``LiveAnalyzer`` runs in the analysis worker: ``add(frame, landmarks)`` per
  frame (cheap), ``finish()`` once after the last frame -> ``LivenessResult``.
* ``score_recording(path)`` runs the very same analyzer over a recording.

Modules: ``features`` (per-frame numbers), ``display`` (what the screen
emitted), ``stages/`` (quality, light, geometry, texture, injection: each an
options dataclass, a typed evidence dataclass, its reason codes, the stage with
``evaluate(session)`` and ``close``, and its declaration in ``registry.STAGES``),
``registry`` (the declared stages), ``evidence`` and ``reasons`` (what every
stage's evidence and reason codes share), ``fusion`` and ``config`` (the
calibrated ``fusion_config.json``),
``pipeline`` (analyzer, recordings), ``cli`` (``livegate verify``),
``evaluate`` (``livegate eval``). The development tools over it (calibration, the accuracy report, the
scoring benchmark, hand-made sessions) live in ``app.devtools``.
"""
