#!/usr/bin/env bash
# Installs everything Outpost and its tests need on a fresh Debian machine:
# system packages (real OpenSSH servers and Debian's Chromium for the tests),
# then the npm dependencies, then the build (npm ci runs `prepare`).
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v /usr/sbin/sshd >/dev/null 2>&1 || need+=(openssh-server)
command -v ssh-keygen >/dev/null 2>&1 || need+=(openssh-client)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v g++ >/dev/null 2>&1 || need+=(g++ make python3)
command -v cmake >/dev/null 2>&1 || need+=(cmake)
command -v git >/dev/null 2>&1 || need+=(git)
# curl is a real client the router's tests stream through.
command -v curl >/dev/null 2>&1 || need+=(curl)
# systemd-analyze checks the units `outpost service install` writes (systemd need not be the init).
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
# nginx is only the reference the router benchmark measures itself against.
command -v nginx >/dev/null 2>&1 || need+=(nginx-light)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: please install as root: apt-get install -y ${need[*]}" >&2
    exit 1
  fi
  echo "setup: installing ${need[*]} from Debian's packages"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# Electron's binary cannot be downloaded here (and is not needed to build,
# type-check or test: the window is tested through browser mode).
export ELECTRON_SKIP_BINARY_DOWNLOAD=1
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
else
  npm run build
fi

# The real inference engine (llama.cpp), built once per machine and cached
# outside the repo; the workers' tests and the demo run it.
bash scripts/install-engine.sh >/dev/null
