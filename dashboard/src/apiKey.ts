/**
 * The API key the page sends (`X-API-Key`), kept for this tab (sessionStorage), or on this browser
 * when asked to (localStorage). `asked` is set when the gateway answered 401: the page then shows
 * the key dialog, and everything waiting for a key goes on once one is given.
 */
const STORAGE_KEY = 'retail-pulse.api-key';

type Listener = () => void;
const listeners = new Set<Listener>();

function stored(): string {
  try {
    return sessionStorage.getItem(STORAGE_KEY) ?? localStorage.getItem(STORAGE_KEY) ?? '';
  } catch {
    return ''; // storage refused (private mode): the key lives in memory only
  }
}

const state = { key: stored(), asked: false, remembered: false };
state.remembered = (() => {
  try {
    return localStorage.getItem(STORAGE_KEY) !== null;
  } catch {
    return false;
  }
})();

function changed(): void {
  for (const listener of [...listeners]) listener();
}

export const apiKey = {
  get value(): string {
    return state.key;
  },
  get asked(): boolean {
    return state.asked;
  },
  get remembered(): boolean {
    return state.remembered;
  },
  /** The gateway wants a key (a 401): show the dialog. */
  ask(): void {
    if (state.asked) return;
    state.asked = true;
    changed();
  },
  set(key: string, remember: boolean): void {
    state.key = key.trim();
    state.asked = false;
    state.remembered = remember;
    try {
      sessionStorage.setItem(STORAGE_KEY, state.key);
      if (remember) localStorage.setItem(STORAGE_KEY, state.key);
      else localStorage.removeItem(STORAGE_KEY);
    } catch {
      // kept in memory
    }
    changed();
  },
  forget(): void {
    state.key = '';
    state.remembered = false;
    try {
      sessionStorage.removeItem(STORAGE_KEY);
      localStorage.removeItem(STORAGE_KEY);
    } catch {
      // nothing stored
    }
    changed();
  },
  subscribe(listener: Listener): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
  /** Resolves the next time a key is given (after a 401). */
  given(): Promise<void> {
    return new Promise((resolve) => {
      const unsubscribe = apiKey.subscribe(() => {
        if (state.asked) return;
        unsubscribe();
        resolve();
      });
    });
  },
};
