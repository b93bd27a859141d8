#!/bin/sh
# postinst of the .deb (dpkg passes "configure <old version, empty on a first install>"; electron-builder fills in
# ${sanitizedProductName} and ${executable} before fpm packs it). It takes the place of electron-builder's own
# after-install, keeping its steps for the window (Chromium's sandbox, the AppArmor profile, the desktop
# database), except that /usr/bin/outpost is the CLI, not the window: the desktop entry starts the window by its
# full path.
app='/opt/${sanitizedProductName}'

ln -sf "$app/resources/bin/outpost" /usr/bin/outpost

# Chromium's sandbox needs the setuid helper only where unprivileged user namespaces are missing.
if [ -L /proc/self/ns/user ] && unshare --user true 2>/dev/null; then
  chmod 0755 "$app/chrome-sandbox" || true
else
  chmod 4755 "$app/chrome-sandbox" || true
fi

if command -v update-mime-database >/dev/null 2>&1; then update-mime-database /usr/share/mime || true; fi
if command -v update-desktop-database >/dev/null 2>&1; then update-desktop-database /usr/share/applications || true; fi

# Ubuntu 24.04+ lets only profiled programs use user namespaces; an AppArmor too old for the profile skips it.
if apparmor_status --enabled >/dev/null 2>&1 && apparmor_parser --skip-kernel-load --debug "$app/resources/apparmor-profile" >/dev/null 2>&1; then
  cp -f "$app/resources/apparmor-profile" '/etc/apparmor.d/${executable}'
  if ! { [ -x /usr/bin/ischroot ] && /usr/bin/ischroot; }; then
    apparmor_parser --replace --write-cache --skip-read-cache '/etc/apparmor.d/${executable}' || true
  fi
fi

# The site service's template unit is installed, never enabled here (`systemctl enable --now outpost@<user>`).
# On an upgrade the instances that run are restarted onto the new version; they re-adopt their workers.
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload || true
  if [ "$1" = configure ] && [ -n "$2" ]; then systemctl try-restart 'outpost@*.service' || true; fi
fi
exit 0
