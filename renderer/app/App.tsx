import { useEffect, useState } from 'react';
import { NotYetPage } from './NotYetPage.js';
import { ROUTES, routeFromHash, type Route } from './routes.js';
import { StatusBar } from './StatusBar.js';
import { useFirstVisitRoute } from '../setup/useFirstVisit.js';

/** The app frame: navigation to every page, the page, the status bar. Hash routes work from http:// and file:// alike. */
export function App() {
  const [route, setRoute] = useState<Route>(() => routeFromHash(window.location.hash));
  useFirstVisitRoute();
  useEffect(() => {
    const onHash = () => setRoute(routeFromHash(window.location.hash));
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  return (
    <div className="frame">
      <nav className="sidebar" aria-label="Pages">
        <div className="brand">Outpost</div>
        {ROUTES.map((r) => (
          <a key={r.path} href={`#/${r.path}`} className={r.path === route.path ? 'active' : ''} data-testid={`nav-${r.path}`} aria-current={r.path === route.path ? 'page' : undefined}>
            {r.label}
          </a>
        ))}
      </nav>
      <main className="page" data-testid={`page-${route.path}`}>
        {route.page ? <route.page /> : <NotYetPage route={route} />}
      </main>
      <StatusBar />
    </div>
  );
}
