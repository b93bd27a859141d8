import type { Session } from 'electron';
import { CONTENT_SECURITY_POLICY } from '../csp.js';

/**
 * What the window's session allows: no permission (camera, notifications, geolocation, …) is ever
 * granted or reported as granted, and every response carries the CSP as a header, besides the <meta>
 * built into index.html, so a page that lost its meta tag is held to the same policy.
 */
export function lockSession(session: Session): void {
  session.setPermissionRequestHandler((_contents, _permission, grant) => grant(false));
  session.setPermissionCheckHandler(() => false);
  session.webRequest.onHeadersReceived((details, respond) => {
    const headers = Object.fromEntries(Object.entries(details.responseHeaders ?? {}).filter(([name]) => name.toLowerCase() !== 'content-security-policy'));
    respond({ responseHeaders: { ...headers, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
  });
}
