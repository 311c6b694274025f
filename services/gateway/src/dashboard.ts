import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, relative, sep } from 'node:path';
import type { Context } from 'koa';
import { HttpError } from '@retail-pulse/shared/http';
import type { DashboardResource } from './routes';

/**
 * The page runs its own scripts and styles only, and talks to this gateway only. uPlot and Preact
 * set styles through the DOM (element.style), which a style-src policy does not govern, so no
 * 'unsafe-inline' is needed; the test in Chromium fails on any violation.
 */
export const DASHBOARD_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Vite names every file under assets/ by a hash of its content: it never changes under one name. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** The page itself names the current assets: the browser asks again each time (a 304 when unchanged). */
const REVALIDATE = 'no-cache';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

interface BuiltFile {
  type: string;
  body: Buffer;
  etag: string;
  cacheControl: string;
}

/** Where the dashboard workspace writes its build (`npm run build -w dashboard`). */
export function dashboardBuildDir(): string {
  return join(dirname(require.resolve('@retail-pulse/dashboard/package.json')), 'dist');
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/**
 * The dashboard's built files, read once at start into memory (a few hundred KB): a request can
 * only ever get one of them, by its exact path — nothing is looked up on disk per request.
 */
export class Dashboard {
  private readonly files = new Map<string, BuiltFile>();

  constructor(readonly buildDir: string) {
    if (!existsSync(join(buildDir, 'index.html'))) return;
    for (const path of filesUnder(buildDir)) {
      const body = readFileSync(path);
      const urlPath = `/${relative(buildDir, path).split(sep).join('/')}`;
      this.files.set(urlPath === '/index.html' ? '/' : urlPath, {
        type: CONTENT_TYPES[extname(path)] ?? 'application/octet-stream',
        body,
        etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
        cacheControl: urlPath.startsWith('/assets/') ? IMMUTABLE : REVALIDATE,
      });
    }
  }

  /** False when the dashboard was not built: the API works, the page says how to build it. */
  get built(): boolean {
    return this.files.has('/');
  }

  serve(ctx: Context, resource: DashboardResource): void {
    if (!this.built) {
      throw new HttpError(503, {
        error:
          'the dashboard is not built: run `npm run build -w dashboard` (npm start does it), then restart the gateway',
      });
    }
    const file = this.files.get(resource === 'page' ? '/' : ctx.path);
    if (!file) throw new HttpError(404, { error: `no route for ${ctx.method} ${ctx.path}` });
    // A browser renders these: the page's own policy and caching replace the JSON API's.
    (ctx.state as { securityHeaders?: Record<string, string> }).securityHeaders = {
      'Content-Security-Policy': DASHBOARD_POLICY,
      'Cache-Control': file.cacheControl,
    };
    ctx.status = 200;
    ctx.type = file.type;
    ctx.etag = file.etag;
    if (ctx.fresh) {
      ctx.status = 304;
      return;
    }
    ctx.body = file.body;
  }
}
