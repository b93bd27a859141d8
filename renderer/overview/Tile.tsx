import type { ReactNode } from 'react';

/** One dashboard tile: a heading, its content, and a link to the page that does something about it. */
export function Tile({ title, testId, page, pageLabel, level, children }: { title: string; testId: string; page: string; pageLabel: string; level?: string; children: ReactNode }) {
  return (
    <section className={`card dashboard-tile${level ? ` dashboard-tile-${level}` : ''}`} data-testid={testId} data-level={level}>
      <header className="card-header">
        <h2>{title}</h2>
        <a href={`#/${page}`} className="dashboard-link" data-testid={`${testId}-link`}>
          {pageLabel} →
        </a>
      </header>
      {children}
    </section>
  );
}

/** A tile's empty state: what is missing and the next step, in window terms. */
export function EmptyState({ testId, children }: { testId: string; children: ReactNode }) {
  return (
    <p className="muted dashboard-empty" data-testid={testId}>
      {children}
    </p>
  );
}
