/**
 * The page's <h1>, which also names the browser tab and takes the focus when the view changes,
 * so keyboard and screen-reader users start at the top of the new view.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

export function PageHeading({ title, children }: { title: string; children?: ComponentChildren }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · OpenDI console`;
  }, [title]);
  useEffect(() => { ref.current?.focus({ preventScroll: true }); }, []);
  return <h1 ref={ref} tabIndex={-1}>{children ?? title}</h1>;
}
