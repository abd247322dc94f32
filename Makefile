# Livegate: `make run` starts the app, `make test` runs the whole test suite.
# Both set everything up first (scripts/setup.sh); a second run is quick.
.PHONY: setup run test bench screenshots package lint clean

VENV := .venv
PY := $(VENV)/bin/python
ARGS ?=

setup:
	@bash scripts/setup.sh

run: setup
	@$(VENV)/bin/livegate gui $(ARGS)

test:
	@bash scripts/setup.sh --tests
	@QT_QPA_PLATFORM=offscreen $(VENV)/bin/lint-imports --no-cache
	@QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q $(ARGS)

bench: setup
	@$(VENV)/bin/livegate bench

screenshots: setup
	@xvfb-run -a -s "-screen 0 1280x800x24" $(VENV)/bin/livegate screenshots out/screenshots --small docs/screenshots

# Desktop build: PyInstaller one-folder app in dist/livegate (`make package ARGS=--offline` bundles the models).
package:
	@bash packaging/build.sh $(ARGS)

# CI-friendly: build, then start the frozen app for one simulated check and expect exit code 0.
.PHONY: package-smoke
package-smoke:
	@bash packaging/build.sh --smoke $(ARGS)

clean:
	rm -rf $(VENV) build dist .pytest_cache
