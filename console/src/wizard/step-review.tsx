/** Step 4: everything chosen, in words, and the request the console will send. */
import { DDL_TYPES, createJobParams, type Draft } from './draft.ts';

export function StepReview({ draft, projectId }: { draft: Draft; projectId: number }) {
  const ddl = DDL_TYPES.filter((t) => draft.ddl[t] !== 'Default').map((t) => `${t}: ${draft.ddl[t]}`);
  return (
    <fieldset class="form review">
      <legend>Review</legend>
      <dl class="review-list">
        <dt>Job name</dt><dd>{draft.name}</dd>
        <dt>Reads</dt><dd>{draft.source?.name} ({draft.source?.type})</dd>
        <dt>Writes</dt><dd>{draft.target?.name} ({draft.target?.type})</dd>
        <dt>Tables</dt>
        <dd>{draft.mode === 'pick'
          ? <ul>{draft.picked.map((t) => <li key={t}><code>{t}</code></li>)}</ul>
          : <ul>{draft.rules.filter((r) => r.Expression.trim()).map((r, i) => <li key={i}>{r.Action} {r.ObjectType} {r.ExpressionType === 'Exact' ? 'named' : 'matching'} <code>{r.Expression}</code></li>)}</ul>}</dd>
        <dt>Full load</dt><dd>{draft.fullLoad ? 'Yes, then changes' : 'No, changes only'}</dd>
        <dt>DDL handling</dt><dd>{ddl.length ? ddl.join(', ') : 'Defaults'}</dd>
        <dt>Dirty records tolerated</dt><dd>{draft.errorLimit}</dd>
        <dt>Then</dt><dd>{draft.startAfter ? 'Start the job' : 'Leave it stopped'}</dd>
      </dl>
      <details>
        <summary>The CreateDIJob request</summary>
        <pre class="wrap">{JSON.stringify(createJobParams(draft, projectId), null, 2)}</pre>
      </details>
    </fieldset>
  );
}
