import { useEffect, useState } from 'react';

/** Text to copy, visible and selectable, with a Copy button that says when it worked. */
export function CopyText({ text, label, testId }: { text: string; label: string; testId: string }) {
  const [copied, setCopied] = useState<'idle' | 'copied' | 'failed'>('idle');
  useEffect(() => setCopied('idle'), [text]);
  const copy = () => {
    navigator.clipboard.writeText(text).then(
      () => setCopied('copied'),
      () => setCopied('failed'),
    );
  };
  return (
    <div className="copy-text">
      <span className="muted small">{label}</span>
      <pre className="mono copy-text-value" data-testid={testId} tabIndex={0} aria-label={label}>
        {text}
      </pre>
      <button type="button" className="secondary" onClick={copy} data-testid={`${testId}-copy`} aria-live="polite">
        {copied === 'copied' ? 'Copied' : 'Copy'}
      </button>
      {copied === 'failed' && <span className="warn small"> The clipboard refused: select the text above and copy it by hand.</span>}
    </div>
  );
}
