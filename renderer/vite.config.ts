import { defineConfig, type Plugin } from 'vite';
import { CONTENT_SECURITY_POLICY } from '../main/shell/csp.js';

/** Electron loads index.html from disk, where only a <meta> can carry the CSP. */
function contentSecurityPolicy(): Plugin {
  return {
    name: 'outpost-csp',
    transformIndexHtml: (html) =>
      html.replace(
        '<meta charset="utf-8" />',
        // frame-ancestors is ignored (with a console warning) in a <meta>; the bridge sends it as a header.
        `<meta charset="utf-8" />\n    <meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY.replace(/; frame-ancestors [^;]+/, '')}" />`,
      ),
  };
}

export default defineConfig({
  root: import.meta.dirname,
  // Relative asset URLs work both from the bridge (http://127.0.0.1) and from Electron's file://.
  base: './',
  plugins: [contentSecurityPolicy()],
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    sourcemap: true,
    // No inline scripts or data: modules: the CSP forbids them.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
});
