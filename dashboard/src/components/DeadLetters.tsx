import { useState } from 'preact/hooks';
import { describeError, postJson } from '../api';
import { formatAgo } from '../format';
import { useNow, type Polled } from '../hooks';
import { describeRedrive } from '../model';
import type { DeadLettersBody, RedriveResultBody } from '../types';

/** The dead letters with their reasons, and re-drive buttons (one letter, or all of them). */
export function DeadLetters({ letters }: { letters: Polled<DeadLettersBody> }) {
  const [outcome, setOutcome] = useState<{ tone: 'good' | 'bad'; text: string } | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const now = useNow();
  const redrive = async (body: { message_id?: string }) => {
    setBusy(true);
    try {
      const result = await postJson<RedriveResultBody>('/api/ops/dead-letters/redrive', body);
      setOutcome({ tone: 'good', text: describeRedrive(result) });
    } catch (error) {
      setOutcome({ tone: 'bad', text: `Re-drive failed: ${describeError(error)}` });
    } finally {
      setBusy(false);
      letters.refresh();
    }
  };
  const body = letters.data;
  return (
    <section class="card" aria-labelledby="dead-letters-title">
      <header class="card-header">
        <h2 id="dead-letters-title">Dead letters</h2>
        {body && (
          <span class={body.count > 0 ? 'pill pill-bad' : 'pill'} data-testid="dead-letter-count">
            {body.count} in {body.queue}
          </span>
        )}
        <div class="actions">
          <button class="button" onClick={() => letters.refresh()}>
            Refresh
          </button>
          <button class="button" disabled={busy || !body || body.count === 0} onClick={() => void redrive({})}>
            Re-drive all
          </button>
        </div>
      </header>
      {letters.error && <p class="notice notice-bad">Dead letters unavailable: {letters.error}</p>}
      {outcome && (
        <p class={`notice notice-${outcome.tone}`} role="status">
          {outcome.text}
        </p>
      )}
      {!body ? (
        <p class="empty">Loading…</p>
      ) : body.letters.length === 0 ? (
        <p class="empty">No dead letters: every message was handled.</p>
      ) : (
        <table class="table dead-letters">
          <thead>
            <tr>
              <th>Message</th>
              <th>From queue</th>
              <th class="wide">Reason</th>
              <th>When</th>
              <th class="num">Re-driven</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {body.letters.map((letter, index) => (
              <tr key={`${letter.message_id ?? 'none'}-${index}`} data-message-id={letter.message_id ?? ''}>
                <td class="mono" title={letter.preview}>
                  {letter.message_id ?? '(no id)'}
                  <div class="preview">{letter.preview}</div>
                </td>
                <td class="mono">{letter.queue ?? '–'}</td>
                <td class="wide reason">{letter.reason}</td>
                <td title={letter.dead_lettered_at ?? ''}>{formatAgo(letter.dead_lettered_at, now)}</td>
                <td class="num">{letter.redriven}</td>
                <td>
                  <button
                    class="button button-small"
                    disabled={busy || letter.message_id === null}
                    title={
                      letter.message_id === null ? 'A letter without a message id is re-driven with “Re-drive all”' : ''
                    }
                    onClick={() => letter.message_id !== null && void redrive({ message_id: letter.message_id })}
                  >
                    Re-drive
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {body && body.count > body.letters.length && (
        <p class="muted">
          Showing the oldest {body.letters.length} of {body.count}.
        </p>
      )}
    </section>
  );
}
