import type { Route } from './routes.js';

/** An honest placeholder: the page exists in the navigation, its capability does not yet. */
export function NotYetPage({ route }: { route: Route }) {
  return (
    <section className="card not-yet">
      <h1>{route.label}</h1>
      <p>This page arrives with the {route.capability} capability. Nothing here is simulated.</p>
    </section>
  );
}
