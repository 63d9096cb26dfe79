/** Inline messages: errors (announced), and quiet notes for what this build does not serve. */
import type { ComponentChildren } from 'preact';

export function ErrorNote({ children }: { children: ComponentChildren }) {
  return <p class="note note-error" role="alert">{children}</p>;
}

export function InfoNote({ children }: { children: ComponentChildren }) {
  return <p class="note">{children}</p>;
}
