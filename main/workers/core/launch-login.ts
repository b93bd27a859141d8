/** Which SSH login a launch uses when none is given: the one that inventoried its nodes, where they agree. */
export interface LaunchLogin {
  /** The login a launch uses by default; null when the nodes disagree (the caller must name one). */
  user: string | null;
  /** inventory: every node that kept a login was inventoried as it; workstation: none kept one, so this workstation's user. */
  from: 'inventory' | 'workstation' | null;
  /** Each host of the launch with the login it was inventoried as (null: inventoried before logins were kept). */
  nodes: Array<{ node: string; login: string | null }>;
  /** Why there is no default, naming each node's login. */
  problem: string | null;
}

export function launchLogin(nodes: readonly string[], inventoriedLogin: (node: string) => string | null, localUser: () => string): LaunchLogin {
  const logins = nodes.map((node) => ({ node, login: inventoriedLogin(node) }));
  const known = [...new Set(logins.flatMap(({ login }) => (login === null ? [] : [login])))];
  if (known.length > 1) {
    const which = logins.map(({ node, login }) => `${node}: ${login ?? 'none kept'}`).join(', ');
    return { user: null, from: null, nodes: logins, problem: `the plan's nodes were inventoried as different logins (${which}); a launch logs into every host as one user` };
  }
  const [inventoried] = known;
  return inventoried === undefined ? { user: localUser(), from: 'workstation', nodes: logins, problem: null } : { user: inventoried, from: 'inventory', nodes: logins, problem: null };
}
