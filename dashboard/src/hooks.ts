import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, describeError } from './api';
import { apiKey } from './apiKey';

/** The API key's state, re-rendering when it changes. */
export function useApiKey(): { value: string; asked: boolean; remembered: boolean } {
  const [, setVersion] = useState(0);
  useEffect(() => apiKey.subscribe(() => setVersion((version) => version + 1)), []);
  return { value: apiKey.value, asked: apiKey.asked, remembered: apiKey.remembered };
}

export interface Polled<T> {
  data: T | undefined;
  error: string | undefined;
  /** Reads again now (after an action that changed it). */
  refresh: () => void;
}

/**
 * Reads `load` now and every `everyMs` while the page is visible (a hidden tab asks nothing), and
 * again when a key is given. Keeps the last good answer when a read fails, with the error beside it.
 */
export function usePolled<T>(
  load: (signal: AbortSignal) => Promise<T>,
  everyMs: number,
  deps: unknown[] = [],
): Polled<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      clearTimeout(timer);
      if (document.visibilityState === 'visible') {
        try {
          setData(await loadRef.current(controller.signal));
          setError(undefined);
        } catch (failure) {
          if (controller.signal.aborted) return;
          // A 401 opens the key dialog, which says it; the read runs again once a key is given.
          setError(failure instanceof ApiError && failure.status === 401 ? undefined : describeError(failure));
        }
      }
      if (!controller.signal.aborted) timer = setTimeout(() => void run(), everyMs);
    };
    void run();
    const onVisible = () => document.visibilityState === 'visible' && void run();
    document.addEventListener('visibilitychange', onVisible);
    const unsubscribe = apiKey.subscribe(() => !apiKey.asked && void run());
    return () => {
      controller.abort();
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisible);
      unsubscribe();
    };
  }, [everyMs, tick, ...deps]);
  return { data, error, refresh: () => setTick((value) => value + 1) };
}

/** The route of the page: `#/` (overview) or `#/jobs/<id>`. */
export type Route = { page: 'overview' } | { page: 'job'; jobId: number };

function routeOf(hash: string): Route {
  const job = /^#\/jobs\/([1-9][0-9]{0,14})$/.exec(hash);
  return job ? { page: 'job', jobId: Number(job[1]) } : { page: 'overview' };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => routeOf(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(routeOf(location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

/** Re-renders every `ms`, for relative times ("12 s ago"). */
export function useNow(ms = 5_000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}
