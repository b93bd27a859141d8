#!/bin/sh
# `outpost` on PATH: the .deb links /usr/bin/outpost to this file, which it installs as
# <install dir>/resources/bin/outpost. It runs the app's CLI with the app's own Electron binary acting as plain
# Node (ELECTRON_RUN_AS_NODE), so the package needs no Node of its own and better-sqlite3 is built once, for
# Electron. The site service's unit (outpost@.service) starts the site through this file too.
set -eu
self=$(readlink -f "$0")
resources=$(dirname "$(dirname "$self")")
export ELECTRON_RUN_AS_NODE=1
exec "$(dirname "$resources")/outpost" "$resources/app/bin/outpost.js" "$@"
