import type { NodeSessions } from '../../discovery/index.js';
import type { LineStream, RemoteLines } from '../sampler.js';

/**
 * One pinned SSH session per sampled node (the login and host-key pin the scan
 * stored), carrying one long-lived command; closing the stream ends the session.
 */
export function pinnedRemoteLines(sessions: NodeSessions): RemoteLines {
  return {
    async open(node, command, onLine, onEnd): Promise<LineStream> {
      const session = await sessions.open(node, { timeoutMs: 10_000 });
      let closed = false;
      const end = (): void => {
        if (closed) return;
        closed = true;
        session.close();
      };
      try {
        const stream = await session.follow(command, onLine, (why) => {
          end();
          onEnd(why);
        });
        return {
          close: () => {
            stream.close();
            end();
          },
        };
      } catch (error) {
        end();
        throw error;
      }
    },
  };
}
