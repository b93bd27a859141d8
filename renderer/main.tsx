import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { OutpostClient } from './api/client.js';
import { ClientContext } from './api/hooks.js';
import { pickTransport } from './api/transport.js';
import { App } from './app/App.js';
import { NoAccess } from './app/NoAccess.js';
import './app/styles.css';

const transport = pickTransport();
const root = createRoot(document.getElementById('root') as HTMLElement);
root.render(
  <StrictMode>
    {transport ? (
      <ClientContext.Provider value={new OutpostClient(transport)}>
        <App />
      </ClientContext.Provider>
    ) : (
      <NoAccess />
    )}
  </StrictMode>,
);
