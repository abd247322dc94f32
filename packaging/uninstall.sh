#!/usr/bin/env bash
# Remove the Livegate desktop app installed by install.sh.
#
#   uninstall.sh [--prefix DIR] [--system] [--purge [--yes]]
#
#   --prefix DIR  the installation (default: the folder this script is in when it is an installation,
#                 else ~/.local/opt/livegate; --system: /opt/livegate)
#   --purge       also delete this user's Livegate data, settings and caches (the folders of app/core/paths.py):
#                   settings                      ${XDG_CONFIG_HOME:-~/.config}/livegate
#                   sessions, recordings, keys,
#                   API token, logs               ${XDG_DATA_HOME:-~/.local/share}/livegate
#                   models, simulator cache       ${XDG_CACHE_HOME:-~/.cache}/livegate
#                 Folders given by LIVEGATE_CONFIG_DIR, LIVEGATE_DATA_DIR or LIVEGATE_MODELS_DIR are named but
#                 never deleted (they may be shared): remove them by hand.
#   --yes         do not ask before purging (asked only when run from a terminal)
#
# The app, its launcher, menu entry and icon are removed; without --purge the user's data stays, so a later
# installation finds its settings and session history again.
set -euo pipefail

say() { printf 'livegate-uninstall: %s\n' "$*" >&2; }
die() { say "$1"; exit 2; }

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
prefix="" system=0 purge=0 yes=0
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix=${2:?--prefix needs a folder}; shift 2 ;;
    --system) system=1; shift ;;
    --purge) purge=1; shift ;;
    --yes|-y) yes=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done
if [ -z "$prefix" ]; then
  if [ -f "$here/.livegate-install" ]; then prefix=$here
  elif [ "$system" = 1 ]; then prefix=/opt/livegate
  else prefix=$HOME/.local/opt/livegate; fi
fi

# The user's folders, resolved as platformdirs resolves them for app/core/paths.py on Linux.
config_dir="${XDG_CONFIG_HOME:-$HOME/.config}/livegate"
data_dir="${XDG_DATA_HOME:-$HOME/.local/share}/livegate"
cache_dir="${XDG_CACHE_HOME:-$HOME/.cache}/livegate"

if [ "$purge" = 1 ] && [ "$yes" = 0 ] && [ -t 0 ]; then
  printf 'Delete Livegate settings, session history, recordings, keys, logs and models of user %s?\n  %s\n  %s\n  %s\n[y/N] ' \
    "$(id -un)" "$config_dir" "$data_dir" "$cache_dir" >&2
  read -r answer
  case "$answer" in y|Y|yes|YES) ;; *) say "nothing removed"; exit 1 ;; esac
fi

removed=0
if [ -e "$prefix" ]; then
  [ -f "$prefix/.livegate-install" ] || [ -x "$prefix/livegate" ] || die "$prefix is not a Livegate installation"
  if [ -f "$prefix/.livegate-install" ]; then
    while IFS='=' read -r key path; do
      case "$key" in launcher|desktop|icon)
        # The launcher is removed only while it still starts this installation.
        if [ "$key" = launcher ] && [ -f "$path" ] && ! grep -qF "$prefix/livegate" "$path"; then
          say "keeping $path: it starts another installation"
          continue
        fi
        rm -f "$path" && say "removed $path" ;;
      esac
    done < "$prefix/.livegate-install"
  fi
  rm -rf "$prefix"
  say "removed $prefix"
  removed=1
else
  say "no installation in $prefix"
fi
command -v update-desktop-database >/dev/null 2>&1 && [ -d "${XDG_DATA_HOME:-$HOME/.local/share}/applications" ] \
  && update-desktop-database -q "${XDG_DATA_HOME:-$HOME/.local/share}/applications" 2>/dev/null || true

if [ "$purge" = 1 ]; then
  for dir in "$config_dir" "$data_dir" "$cache_dir"; do
    if [ -e "$dir" ]; then rm -rf "$dir" && say "purged $dir"; fi
  done
  for var in LIVEGATE_CONFIG_DIR LIVEGATE_DATA_DIR LIVEGATE_MODELS_DIR; do
    if [ -n "${!var:-}" ]; then say "not purged: $var=${!var} (an override; remove it by hand if it is Livegate's only)"; fi
  done
  removed=1
fi
[ "$removed" = 1 ] || exit 1
