#!/usr/bin/env bash
# Build the one-folder desktop app into dist/livegate (make package).
#   packaging/build.sh            models fetched and verified on first start (or at install time)
#   packaging/build.sh --offline  models bundled inside (hashes checked at start)
#   packaging/build.sh --smoke    also start the built app for one simulated check (make package-smoke)
# Steps: set-up (venv, models), pinned PyInstaller, PyInstaller with packaging/livegate.spec, install files
# into the bundle (install.sh, uninstall.sh, share/livegate.desktop, share/livegate.png), strip symbol tables,
# check that every library finds its dependencies (packaging/check_bundle.py), print the size by component.
set -euo pipefail
cd "$(dirname "$0")/.."
offline=0; smoke=0
for arg in "$@"; do
  case "$arg" in
    --offline) offline=1 ;;
    --smoke) smoke=1 ;;
    *) echo "build.sh: unknown option $arg (use --offline, --smoke)" >&2; exit 2 ;;
  esac
done
bash scripts/setup.sh
.venv/bin/python -m pip install -q --disable-pip-version-check -r packaging/requirements-package.lock 2> >(grep -v "^WARNING: Location '" >&2)
if [ "$offline" = 1 ]; then
  .venv/bin/livegate models verify >/dev/null || { echo "build.sh: --offline needs verified models in models/ (make setup)" >&2; exit 2; }
fi
rm -rf build/livegate dist/livegate
LIVEGATE_BUNDLE_MODELS=$offline .venv/bin/pyinstaller --noconfirm --log-level WARN \
  --distpath dist --workpath build packaging/livegate.spec

app=dist/livegate
install -m 755 packaging/install.sh packaging/uninstall.sh "$app/"
mkdir -p "$app/share"
install -m 644 packaging/livegate.desktop packaging/livegate.png "$app/share/"

# Symbol tables are not needed to run (libmediapipe.so alone carries 30 MB of them). Libraries in `*.libs`
# folders were relocated by auditwheel's patchelf and are left alone: stripping such files can corrupt them.
if [ "$(uname -s)" = Linux ] && command -v strip >/dev/null 2>&1; then
  while IFS= read -r -d '' f; do
    case "$f" in *.libs/*) continue ;; esac
    if [ "$(head -c4 "$f" | od -An -c | tr -d ' ')" = '177ELF' ] && readelf -S "$f" 2>/dev/null | grep -q '\.symtab'; then
      strip --strip-unneeded "$f"
    fi
  done < <(find "$app" -type f -print0)
fi

.venv/bin/python packaging/check_bundle.py "$app"
if [ "$smoke" = 1 ]; then
  .venv/bin/python packaging/smoke.py "$app/livegate"
fi
