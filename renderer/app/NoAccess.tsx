/** Shown when the page was opened without the token that `outpost ui` prints. */
export function NoAccess() {
  return (
    <main className="no-access" data-testid="no-access">
      <h1>Outpost</h1>
      <p>This page needs the access token of the running Outpost.</p>
      <p>
        Open the exact URL that <code>outpost ui</code> printed in its terminal; it ends with <code>#token=…</code>.
      </p>
    </main>
  );
}
