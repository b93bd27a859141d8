#!/bin/sh
# postrm of the .deb (dpkg passes "remove", "purge", "upgrade <new version>", …): what after-install added outside
# the package's own files goes with it. Users' data dirs are theirs and stay.
case "$1" in
  remove | purge)
    if [ "$(readlink /usr/bin/outpost)" = '/opt/${sanitizedProductName}/resources/bin/outpost' ]; then rm -f /usr/bin/outpost; fi
    if [ -f '/etc/apparmor.d/${executable}' ]; then
      if apparmor_status --enabled >/dev/null 2>&1 && ! { [ -x /usr/bin/ischroot ] && /usr/bin/ischroot; }; then
        apparmor_parser --remove '/etc/apparmor.d/${executable}' || true
      fi
      rm -f '/etc/apparmor.d/${executable}'
    fi
    if [ -d /run/systemd/system ]; then systemctl daemon-reload || true; fi
    ;;
esac
exit 0
