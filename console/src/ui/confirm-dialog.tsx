/**
 * A modal question before an action that interrupts or discards work. The native <dialog> gives
 * focus trapping, Escape to cancel and the dialog role; focus starts on Cancel, the safe choice.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

export interface ConfirmProps {
  title: string;
  confirmLabel: string;
  danger?: boolean;
  children: ComponentChildren;
  onConfirm(): void;
  onCancel(): void;
}

export function ConfirmDialog({ title, confirmLabel, danger, children, onConfirm, onCancel }: ConfirmProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    const d = ref.current!;
    if (!d.open) d.showModal();
    cancelRef.current?.focus();
    const onClose = () => onCancel();
    d.addEventListener('cancel', onClose);
    return () => { d.removeEventListener('cancel', onClose); if (d.open) d.close(); };
  }, []);
  return (
    <dialog ref={ref} class="dialog" aria-labelledby="confirm-title">
      <form method="dialog" onSubmit={(e) => { e.preventDefault(); onConfirm(); }}>
        <h2 id="confirm-title">{title}</h2>
        <div class="dialog-body">{children}</div>
        <div class="dialog-actions">
          <button type="button" ref={cancelRef} onClick={onCancel}>Cancel</button>
          <button type="submit" class={danger ? 'danger' : 'primary'}>{confirmLabel}</button>
        </div>
      </form>
    </dialog>
  );
}
