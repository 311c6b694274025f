import { useEffect, useRef, useState } from 'preact/hooks';
import { apiKey } from '../apiKey';

/** Shown when the gateway answered 401: the page needs one of its API keys to show anything. */
export function KeyDialog() {
  const [key, setKey] = useState('');
  const [remember, setRemember] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);
  const save = (event: Event) => {
    event.preventDefault();
    if (key.trim() !== '') apiKey.set(key, remember);
  };
  return (
    <div class="overlay">
      <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="key-title">
        <form onSubmit={save}>
          <h2 id="key-title">API key needed</h2>
          <p>
            This gateway answers only requests with one of its API keys (<code>API_KEYS</code>). The key is sent as{' '}
            <code>X-API-Key</code> to this gateway only, and kept for this tab unless you ask to remember it.
          </p>
          <label class="label" for="api-key">
            API key
          </label>
          <input
            id="api-key"
            ref={input}
            type="password"
            autocomplete="off"
            class="text-input"
            value={key}
            onInput={(event) => setKey(event.currentTarget.value)}
          />
          <label class="check">
            <input type="checkbox" checked={remember} onChange={(event) => setRemember(event.currentTarget.checked)} />{' '}
            Remember on this browser
          </label>
          <div class="form-row">
            <button type="submit" class="button button-primary" disabled={key.trim() === ''}>
              Use this key
            </button>
          </div>
        </form>
      </div>
    </div>
  );
}
