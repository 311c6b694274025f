import { apiKey } from '../apiKey';
import { useApiKey, useRoute } from '../hooks';
import { JobPage } from './JobPage';
import { KeyDialog } from './KeyDialog';
import { Overview } from './Overview';

export function App() {
  const route = useRoute();
  const key = useApiKey();
  return (
    <>
      <header class="topbar">
        <a class="brand" href="#/">
          <span class="brand-mark" aria-hidden="true" />
          Retail Pulse <span class="brand-sub">operations</span>
        </a>
        <nav class="topnav">
          <a href="#/">Overview</a>
          <a href="/docs">API reference</a>
          {key.value !== '' && (
            <button class="link" onClick={() => apiKey.forget()} title="Forget the API key this page sends">
              Forget API key
            </button>
          )}
        </nav>
      </header>
      {route.page === 'job' ? <JobPage key={route.jobId} jobId={route.jobId} /> : <Overview />}
      {key.asked && <KeyDialog />}
    </>
  );
}
