"""The session stages. Each module declares its stage in ``app.core.scoring.registry.STAGES``; the registry
imports every module of this package, so a new stage is a new module here (plus its configuration section and
its tests)."""
