#!/usr/bin/env bash
# Install the Livegate desktop build (one-folder PyInstaller output) for this user or system-wide.
#
#   install.sh [--from DIR] [--prefix DIR] [--bin-dir DIR] [--data-home DIR] [--system]
#              [--model-mirror DIR] [--no-models]
#
#   --from DIR          the built app folder (default: the folder this script is in when it holds the app,
#                       else dist/livegate of the checkout)
#   --prefix DIR        where the app goes             (default ~/.local/opt/livegate; --system: /opt/livegate)
#   --bin-dir DIR       where the `livegate` launcher goes (default ~/.local/bin; --system: /usr/local/bin)
#   --data-home DIR     where the menu entry and icon go (default ${XDG_DATA_HOME:-~/.local/share};
#                       --system: /usr/share)
#   --system            install for every user of this machine (run as root)
#   --model-mirror DIR  fetch the models from this local mirror folder now, and let the launcher use it
#                       whenever a model has to be fetched again (LIVEGATE_MODEL_MIRROR)
#   --no-models         do not fetch the models now (the app fetches them on first start)
#
# Exit codes: 0 installed (models ready), 2 bad usage or no app to install, 3 installed but the models could
# not be fetched (the app tries again on first start; `livegate models fetch --from DIR` fixes it by hand).
# The app keeps no data under the prefix: settings, sessions and models live in the user's folders
# (see uninstall.sh --purge). Installing again over an existing installation replaces the app only.
set -euo pipefail

say() { printf 'livegate-install: %s\n' "$*" >&2; }
die() { say "$1"; exit "${2:-2}"; }

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src="" prefix="" bin_dir="" data_home="" system=0 mirror="" fetch_models=1
while [ $# -gt 0 ]; do
  case "$1" in
    --from) src=${2:?--from needs a folder}; shift 2 ;;
    --prefix) prefix=${2:?--prefix needs a folder}; shift 2 ;;
    --bin-dir) bin_dir=${2:?--bin-dir needs a folder}; shift 2 ;;
    --data-home) data_home=${2:?--data-home needs a folder}; shift 2 ;;
    --system) system=1; shift ;;
    --model-mirror) mirror=${2:?--model-mirror needs a folder}; shift 2 ;;
    --no-models) fetch_models=0; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done

if [ -z "$src" ]; then
  if [ -x "$here/livegate" ] && [ -d "$here/_internal" ]; then src=$here
  else src="$here/../dist/livegate"; fi
fi
[ -x "$src/livegate" ] && [ -d "$src/_internal" ] \
  || die "no built app in $src (build it with \`make package\`, or pass --from DIR)"
src=$(cd "$src" && pwd)

if [ "$system" = 1 ]; then
  [ "$(id -u)" = 0 ] || die "--system needs root (sudo $0 --system ...)"
  prefix=${prefix:-/opt/livegate}; bin_dir=${bin_dir:-/usr/local/bin}; data_home=${data_home:-/usr/share}
else
  prefix=${prefix:-$HOME/.local/opt/livegate}; bin_dir=${bin_dir:-$HOME/.local/bin}
  data_home=${data_home:-${XDG_DATA_HOME:-$HOME/.local/share}}
fi
if [ -n "$mirror" ]; then
  [ -d "$mirror" ] || die "model mirror $mirror is not a folder"
  mirror=$(cd "$mirror" && pwd)
fi
case "$prefix" in /|/usr|/usr/local|/opt|"$HOME"|"$HOME/.local") die "refusing to install into $prefix itself: give a folder of its own" ;; esac

# 1. The app: copied next to the old one, then swapped in, so a failed copy leaves the old one working.
mkdir -p "$(dirname "$prefix")"
stage="$prefix.new.$$"
rm -rf "$stage"
trap 'rm -rf "$stage"' EXIT
cp -a "$src" "$stage"
if [ -e "$prefix" ]; then
  [ -x "$prefix/livegate" ] || [ -f "$prefix/.livegate-install" ] \
    || die "$prefix exists and is not a Livegate installation; choose another --prefix"
  rm -rf "$prefix"
fi
mv "$stage" "$prefix"
trap - EXIT

# 2. The launcher (a script, so that the mirror folder given here travels with it).
mkdir -p "$bin_dir"
launcher="$bin_dir/livegate"
{
  echo '#!/bin/sh'
  echo '# Livegate launcher, written by install.sh.'
  if [ -n "$mirror" ]; then
    printf ': "${LIVEGATE_MODEL_MIRROR:=%s}"\nexport LIVEGATE_MODEL_MIRROR\n' "$mirror"
  fi
  printf 'exec "%s/livegate" "$@"\n' "$prefix"
} > "$launcher.tmp"
chmod 755 "$launcher.tmp"
mv "$launcher.tmp" "$launcher"

# 3. Menu entry and icon (freedesktop.org locations), pointing at the launcher by its full path.
apps="$data_home/applications"
icon_dir="$data_home/icons/hicolor/256x256/apps"
mkdir -p "$apps" "$icon_dir"
desktop_src="$src/share/livegate.desktop"; [ -f "$desktop_src" ] || desktop_src="$here/livegate.desktop"
icon_src="$src/share/livegate.png"; [ -f "$icon_src" ] || icon_src="$here/livegate.png"
[ -f "$desktop_src" ] && [ -f "$icon_src" ] || die "livegate.desktop or livegate.png not found next to the app or this script"
sed -e "s|^Exec=livegate|Exec=$launcher|" -e "s|^TryExec=livegate|TryExec=$launcher|" "$desktop_src" > "$apps/livegate.desktop"
chmod 644 "$apps/livegate.desktop"
install -m 644 "$icon_src" "$icon_dir/livegate.png"
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$apps" 2>/dev/null || true
command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t "$data_home/icons/hicolor" 2>/dev/null || true

[ -f "$prefix/uninstall.sh" ] || install -m 755 "$here/uninstall.sh" "$prefix/uninstall.sh" 2>/dev/null || true
# What uninstall.sh removes besides the prefix.
printf 'launcher=%s\ndesktop=%s\nicon=%s\n' "$launcher" "$apps/livegate.desktop" "$icon_dir/livegate.png" > "$prefix/.livegate-install"

say "installed $("$prefix/livegate" version 2>/dev/null || echo livegate) into $prefix"
say "launcher: $launcher$(case ":$PATH:" in *":$bin_dir:"*) ;; *) echo " (add $bin_dir to PATH to run \`livegate\` by name)";; esac)"
say "menu entry: $apps/livegate.desktop"

# 4. Models: an offline build carries them; otherwise fetch them now (mirror first) so the first start is quick.
#    A user installation fetches into the user's cache, where the app itself would; a system installation into
#    the app's own models folder, which the app then prefers for every user (read-only, hash-checked on load).
rc=0
models_env=()
[ "$system" = 1 ] && models_env=(LIVEGATE_MODELS_DIR="$prefix/_internal/models")
[ -n "$mirror" ] && models_env+=(LIVEGATE_MODEL_MIRROR="$mirror")
if ls "$src"/_internal/models/*.task >/dev/null 2>&1; then
  say "models: bundled with the app (checked against their SHA-256 at every start)"
  "$prefix/livegate" models verify >/dev/null || { say "the bundled models failed their check: rebuild the app"; rc=3; }
elif [ "$fetch_models" = 1 ]; then
  env "${models_env[@]}" "$prefix/livegate" models fetch --quiet || rc=3
  if [ "$rc" = 0 ] && env "${models_env[@]}" "$prefix/livegate" models verify >/dev/null; then
    say "models: fetched and verified"
  else
    rc=3
    say "models could not be fetched now; the app tries again on first start, or run: livegate models fetch --from DIR"
  fi
else
  say "models: not fetched now (--no-models); the app fetches them on first start"
fi
say "settings in ~/.config/livegate, sessions and logs in ~/.local/share/livegate, caches and models in ~/.cache/livegate"
say "uninstall: $prefix/uninstall.sh (add --purge to delete those too)"
exit $rc
