/**
 * The console's shell: sign-in until an AccessKey pair is accepted, then the views by address
 * (router.ts), a header with the signed-in AccessKey ID and Sign out, and a notice on plain-HTTP
 * pages (api/hash.ts says why the console still works there).
 */
import { useMemo, useState } from 'preact/hooks';
import { ApiClient } from './api/client.ts';
import { forgetAccessKey, loadAccessKey, saveAccessKey } from './api/session.ts';
import type { AccessKey } from './api/sign-v3.ts';
import { ClientContext } from './ui/client-context.ts';
import { hrefOf, navigate, useRoute } from './router.ts';
import { SignIn } from './pages/sign-in.tsx';
import { WorkspacesPage } from './pages/workspaces.tsx';
import { WorkspacePage } from './pages/workspace.tsx';
import { TaskPage } from './pages/task.tsx';
import { CreateJobPage } from './pages/create-job.tsx';
import { PageHeading } from './ui/page-heading.tsx';

export function App() {
  const [key, setKey] = useState<AccessKey | null>(loadAccessKey);
  const client = useMemo(() => (key ? new ApiClient(key) : null), [key]);
  const route = useRoute();
  const signIn = (k: AccessKey) => { saveAccessKey(k); setKey(k); };
  const signOut = () => { forgetAccessKey(); setKey(null); navigate(hrefOf.workspaces()); };

  let view;
  if (!client) view = <SignIn onSignedIn={signIn} />;
  else if (route.page === 'workspaces') view = <WorkspacesPage />;
  else if (route.page === 'workspace') view = <WorkspacePage key={route.projectId} projectId={route.projectId} />;
  else if (route.page === 'task') view = <TaskPage key={`${route.projectId}/${route.taskId}`} projectId={route.projectId} taskId={route.taskId} />;
  else if (route.page === 'new-job') view = <CreateJobPage key={route.projectId} projectId={route.projectId} />;
  else view = <section><PageHeading title="Not found" /><p>Nothing lives at <code>{route.path}</code>. <a href={hrefOf.workspaces()}>Go to the workspaces.</a></p></section>;

  return (
    <>
      <a class="skip-link" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>Skip to content</a>
      <header class="top">
        <a class="brand" href={hrefOf.workspaces()}>OpenDI console</a>
        {key ? (
          <div class="who">
            <span class="muted">Signed in as <code>{key.accessKeyId}</code></span>
            <button type="button" onClick={signOut}>Sign out</button>
          </div>
        ) : null}
      </header>
      {!window.isSecureContext ? (
        <p class="banner" role="note">This page is not served over HTTPS. Requests are still signed in this tab and the secret is never sent, but anyone on the network can read the data and alter the page: put the service behind HTTPS, or reach it through an SSH tunnel to 127.0.0.1.</p>
      ) : null}
      <main id="main" tabIndex={-1}>
        <ClientContext.Provider value={client}>{view}</ClientContext.Provider>
      </main>
    </>
  );
}
