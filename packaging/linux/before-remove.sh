#!/bin/sh
# prerm of the .deb (dpkg passes "remove", or "upgrade <new version>"). Removing the package stops and disables
# every instance of the site service first, while its unit and binary are still there; an upgrade leaves them
# running (the new package's postinst restarts them).
[ "$1" = remove ] || exit 0
[ -d /run/systemd/system ] || exit 0
for link in /etc/systemd/system/*.wants/outpost@*.service; do
  [ -L "$link" ] && systemctl disable "$(basename "$link")" || true
done
systemctl stop 'outpost@*.service' || true
exit 0
