/**
 * Sign in with an AccessKey pair. The pair is checked by a signed ListProjects call (the same call
 * any SDK client would make); a refused key shows the API's answer in words. Nothing is stored
 * until the service accepted the pair, and then only in this tab (api/session.ts).
 */
import { useState } from 'preact/hooks';
import { ApiClient, describeError } from '../api/client.ts';
import type { AccessKey } from '../api/sign-v3.ts';
import { PageHeading } from '../ui/page-heading.tsx';
import { ErrorNote } from '../ui/notes.tsx';

export function SignIn({ onSignedIn }: { onSignedIn(key: AccessKey): void }) {
  const [id, setId] = useState('');
  const [secret, setSecret] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  const submit = async (e: Event) => {
    e.preventDefault();
    const key = { accessKeyId: id.trim(), accessKeySecret: secret };
    if (!key.accessKeyId || !key.accessKeySecret) { setError('Enter both the AccessKey ID and the AccessKey Secret.'); return; }
    setBusy(true);
    setError(undefined);
    try {
      await new ApiClient(key).call('ListProjects', { PageSize: 1 });
      onSignedIn(key);
    } catch (err) {
      setError(`Sign-in failed: ${describeError(err)}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="sign-in">
      <PageHeading title="Sign in" />
      <p class="lead">Use an AccessKey pair of this OpenDI service: the administrator's (in <code>&lt;data-dir&gt;/admin-access-key.json</code>) or one made with <code>npx opendi principal create</code>.</p>
      <form onSubmit={submit} class="card form" aria-describedby={error ? 'sign-in-error' : undefined}>
        <label for="access-key-id">AccessKey ID</label>
        <input id="access-key-id" name="accessKeyId" autocomplete="username" spellcheck={false} autocapitalize="off"
          value={id} onInput={(e) => setId(e.currentTarget.value)} required />
        <label for="access-key-secret">AccessKey Secret</label>
        <input id="access-key-secret" name="accessKeySecret" type="password" autocomplete="current-password"
          value={secret} onInput={(e) => setSecret(e.currentTarget.value)} required />
        <button type="submit" class="primary" disabled={busy}>{busy ? 'Signing in…' : 'Sign in'}</button>
        <div id="sign-in-error" class="slot">{error ? <ErrorNote>{error}</ErrorNote> : null}</div>
      </form>
      <p class="fine">The secret stays in this browser tab (sessionStorage) and signs each request there, as the SDKs do; it is never sent. Closing the tab or <strong>Sign out</strong> forgets it.</p>
    </section>
  );
}
