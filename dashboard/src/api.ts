import { apiKey } from './apiKey';

/** An answer other than the one asked for: its status and the API's `error` sentence. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function errorOf(response: Response): Promise<ApiError> {
  let message = `HTTP ${response.status}`;
  try {
    const body = (await response.json()) as { error?: unknown };
    if (typeof body.error === 'string') message = body.error;
  } catch {
    // not JSON: the status says it
  }
  return new ApiError(response.status, message);
}

/** A request to the gateway this page came from, with the API key when one is set. A 401 asks for a key. */
export async function apiFetch(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (apiKey.value !== '') headers.set('X-API-Key', apiKey.value);
  const response = await fetch(path, { ...init, headers });
  if (response.status === 401) apiKey.ask();
  return response;
}

/** GET a JSON answer, or throw its ApiError. */
export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const response = await apiFetch(path, { headers: { accept: 'application/json' }, signal });
  if (!response.ok) throw await errorOf(response);
  return (await response.json()) as T;
}

/** POST a command that takes no body (cancel, retry); the answer's JSON, or throw its ApiError. */
export async function postCommand<T>(path: string, headers: Record<string, string> = {}): Promise<T> {
  const response = await apiFetch(path, { method: 'POST', headers: { accept: 'application/json', ...headers } });
  if (!response.ok) throw await errorOf(response);
  return (await response.json()) as T;
}

/** POST a JSON body; the answer's JSON, or throw its ApiError. */
export async function postJson<T>(path: string, body: unknown, headers: Record<string, string> = {}): Promise<T> {
  const response = await apiFetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw await errorOf(response);
  return (await response.json()) as T;
}

export const describeError = (error: unknown): string => (error instanceof Error ? error.message : String(error));
