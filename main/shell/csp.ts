/**
 * One Content-Security-Policy for the window in both shells: sent as a header
 * by the bridge and injected as a <meta> into index.html at build time for
 * Electron's file:// load. No inline script, no eval, no remote anything.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
