import type { Session } from 'electron';
import { CONTENT_SECURITY_POLICY } from '../csp.js';

/** What navigator.clipboard.writeText asks Electron for: the Copy buttons (a base URL, a new key, a snippet) need it. */
const CLIPBOARD_WRITE = 'clipboard-sanitized-write';

/**
 * What the window's session allows: no permission (camera, notifications, geolocation, reading the clipboard, …)
 * is granted or reported as granted except writing to the clipboard; and every response carries the CSP as a
 * header, besides the <meta> built into index.html, so a page that lost its meta tag is held to the same policy.
 */
export function lockSession(session: Session): void {
  session.setPermissionRequestHandler((_contents, permission, grant) => grant(permission === CLIPBOARD_WRITE));
  session.setPermissionCheckHandler((_contents, permission) => permission === CLIPBOARD_WRITE);
  session.webRequest.onHeadersReceived((details, respond) => {
    const headers = Object.fromEntries(Object.entries(details.responseHeaders ?? {}).filter(([name]) => name.toLowerCase() !== 'content-security-policy'));
    respond({ responseHeaders: { ...headers, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
  });
}
