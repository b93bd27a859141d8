import { useEffect, useState } from 'react';

const COPIED_FOR_MS = 2_500;

/**
 * Text to copy, shown in full and selectable, with a Copy button that says when it copied (or that the browser
 * refused, so the text must be selected by hand).
 */
export function CopyableText({ text, label, testId, block = false, captioned = false }: { text: string; label: string; testId: string; block?: boolean; captioned?: boolean }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  useEffect(() => {
    if (state === 'idle') return;
    const timer = setTimeout(() => setState('idle'), COPIED_FOR_MS);
    return () => clearTimeout(timer);
  }, [state]);
  const copy = () => {
    navigator.clipboard.writeText(text).then(
      () => setState('copied'),
      () => setState('failed'),
    );
  };
  return (
    <div className={`copyable${block ? ' block' : ''}`}>
      {captioned && <span className="muted small copyable-caption">{label}</span>}
      {block ? (
        <pre className="mono copyable-text" data-testid={testId} tabIndex={0} aria-label={label}>
          {text}
        </pre>
      ) : (
        <code className="mono copyable-text" data-testid={testId}>
          {text}
        </code>
      )}
      <button type="button" className="secondary copy-button" onClick={copy} data-testid={`${testId}-copy`} data-state={state}>
        {state === 'copied' ? 'Copied ✓' : 'Copy'}
        <span className="visually-hidden"> {label}</span>
      </button>
      {state === 'failed' && (
        <span className="warn small" role="status">
          the browser did not allow copying: select the text and copy it
        </span>
      )}
      {state === 'copied' && (
        <span className="ok small" role="status" data-testid={`${testId}-copied`}>
          copied
        </span>
      )}
    </div>
  );
}
