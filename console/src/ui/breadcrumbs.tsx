/** Where this view sits: Workspaces > a workspace > a task. */
import { hrefOf } from '../router.ts';

export interface Crumb { label: string; href?: string }

export function Breadcrumbs({ items }: { items: Crumb[] }) {
  const all: Crumb[] = [{ label: 'Workspaces', href: hrefOf.workspaces() }, ...items];
  return (
    <nav aria-label="Breadcrumb" class="crumbs">
      <ol>
        {all.map((c, i) => (
          <li key={i}>{c.href && i < all.length - 1 ? <a href={c.href}>{c.label}</a> : <span aria-current="page">{c.label}</span>}</li>
        ))}
      </ol>
    </nav>
  );
}
