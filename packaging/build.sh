#!/usr/bin/env bash
# Build the one-folder desktop app into dist/livegate (make package).
#   packaging/build.sh            models fetched and verified on first start
#   packaging/build.sh --offline  models bundled inside (hashes checked at start)
#   packaging/build.sh --smoke    also start the built app for one simulated check (exit code 0 expected)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
offline=0; smoke=0
for arg in "$@"; do
  case "$arg" in
    --offline) offline=1 ;;
    --smoke) smoke=1 ;;
    *) echo "build.sh: unknown option $arg (use --offline, --smoke)" >&2; exit 2 ;;
  esac
done
.venv/bin/python -m pip install -q --disable-pip-version-check -r packaging/requirements-package.lock 2> >(grep -v "^WARNING: Location '" >&2)
rm -rf build/livegate dist/livegate
LIVEGATE_BUNDLE_MODELS=$offline .venv/bin/pyinstaller --noconfirm --log-level WARN \
  --distpath dist --workpath build packaging/livegate.spec
echo "bundle: dist/livegate ($(du -sh dist/livegate | cut -f1))"
if [ "$smoke" = 1 ]; then
  .venv/bin/python packaging/smoke.py dist/livegate/livegate
fi
