import { useEffect, useId, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';

export interface ConfirmButtonProps {
  /** data-testid of the button; the question row is `<testId>-confirm` and its Yes button `<testId>-yes`, unless named below. */
  testId: string;
  /** The button's text, e.g. "Revoke…" (the ellipsis says a question follows). */
  label: ReactNode;
  /** What happens if the user says yes, e.g. "Revoke weld-inspection's key? Its requests are refused at once." */
  question: ReactNode;
  /** The Yes button's text, e.g. "Yes, revoke". */
  yesLabel: ReactNode;
  noLabel?: ReactNode;
  onConfirm: () => void;
  disabled?: boolean;
  /** Class of the first button; the Yes button is always `danger`. */
  className?: string;
  confirmTestId?: string;
  yesTestId?: string;
  /** Told when the question opens and closes: a parent that offers several actions hides the others meanwhile. */
  onOpenChange?: (open: boolean) => void;
}

/**
 * A destructive action in two steps: the button, then "question — Yes / Cancel" in its place. The Yes button takes
 * the focus when the question appears (Enter confirms), Escape cancels, and the focus returns to the button after.
 */
export function ConfirmButton({ testId, label, question, yesLabel, noLabel = 'Cancel', onConfirm, disabled, className = 'secondary', confirmTestId, yesTestId, onOpenChange }: ConfirmButtonProps) {
  const [open, setOpen] = useState(false);
  const opener = useRef<HTMLButtonElement>(null);
  const yes = useRef<HTMLButtonElement>(null);
  const wasOpen = useRef(false);
  const questionId = useId();
  useEffect(() => {
    if (open) yes.current?.focus();
    else if (wasOpen.current) opener.current?.focus();
    wasOpen.current = open;
  }, [open]);
  const toggle = (next: boolean) => {
    setOpen(next);
    onOpenChange?.(next);
  };
  const confirm = () => {
    toggle(false);
    onConfirm();
  };
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'Escape') {
      event.preventDefault();
      toggle(false);
    } else if (event.key === 'Enter' && !(event.target instanceof HTMLButtonElement)) {
      // On a button Enter is that button's click (Cancel included); anywhere else in the row it confirms.
      event.preventDefault();
      confirm();
    }
  };
  if (!open) {
    return (
      <button ref={opener} type="button" className={className} disabled={disabled} onClick={() => toggle(true)} data-testid={testId}>
        {label}
      </button>
    );
  }
  return (
    <span className="confirm-row" role="group" aria-labelledby={questionId} onKeyDown={onKeyDown} data-testid={confirmTestId ?? `${testId}-confirm`}>
      <span id={questionId}>{question}</span>
      <button ref={yes} type="button" className="danger" disabled={disabled} onClick={confirm} data-testid={yesTestId ?? `${testId}-yes`}>
        {yesLabel}
      </button>
      <button type="button" className="secondary" onClick={() => toggle(false)}>
        {noLabel}
      </button>
    </span>
  );
}
