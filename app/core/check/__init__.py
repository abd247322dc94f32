"""The live check, without Qt: everything a check needs between a frame source and a stored result.

* :mod:`app.core.check.flow` - the flow state machine (screens START -> CAMERA_CHECK -> GUIDANCE -> LIGHT ->
  VERIFYING -> RESULT, or TIMEOUT / ERROR), driven by timestamped inputs;
* :mod:`app.core.check.capture` - one capture epoch (source thread, newest-frame slot, analysis thread) and the
  sink that feeds the session's analyzer and recording; the analyzer and landmark factories;
* :mod:`app.core.check.stored` - the check's stored session as a state machine (requested, created, started,
  persisting, closed) reaching the store through an injected executor;
* :mod:`app.core.check.live` - :class:`LiveCheck`, which runs all of it and announces events to listeners
  (the GUI's ``CheckController`` turns them into Qt signals; ``livegate check`` prints them);
* :mod:`app.core.check.flash` - plays a colour sequence into the shared screen state without a display;
* :mod:`app.core.check.cli` - ``livegate check``: a complete check from the command line.
"""
