#!/bin/sh
# Set up everything readinglist needs on a Debian or Ubuntu machine: the system libraries Qt loads, the tools
# the tests use, a virtual environment in .venv, and the package with its extras.
# Usage: scripts/setup.sh [run|test]   (sourced or run from the project root)
set -eu
mode=${1:-run}
cd "$(dirname "$0")/.."

# Qt's offscreen and X11 platforms need these shared libraries and one font (FIELD-NOTES: PySide6).
sys_pkgs="libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libglib2.0-0 libdbus-1-3 fonts-dejavu-core
  libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0 libxcb-image0 libxcb-render-util0 libxcb-shape0 libxcb-randr0
  libxcb-xinerama0 libxcb-xkb1 xdg-utils python3-venv"
if [ "$mode" = test ]; then
  # strace: crash-point fault injection; gnome-keyring + dbus: a real Secret Service for the keyring test;
  # dbus-bin (dbus-monitor): the listener that hears the window's desktop notifications.
  # desktop-file-utils: desktop-file-validate checks the .desktop file `readinglist desktop install` writes.
  sys_pkgs="$sys_pkgs strace gnome-keyring dbus dbus-daemon dbus-bin desktop-file-utils"
fi

if command -v dpkg-query >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  missing=""
  for p in $sys_pkgs; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$status" in *"install ok installed"*) ;; *) missing="$missing $p" ;; esac
  done
  if [ -n "$missing" ]; then
    echo "setup: installing system packages:$missing"
    if [ "$(id -u)" = 0 ]; then sudo_cmd=""; else sudo_cmd="sudo"; fi
    $sudo_cmd apt-get update -qq
    # Some names differ between releases (dbus-daemon is part of dbus on older ones): install what exists.
    installable=""
    for p in $missing; do
      if apt-cache show "$p" >/dev/null 2>&1; then installable="$installable $p"; fi
    done
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends $installable >/dev/null
  fi
fi

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
extras=""
[ "$mode" = test ] && extras="[dev]"
stamp=".venv/.installed-$mode"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".$extras"
  touch "$stamp"
fi
