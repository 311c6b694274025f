import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Context } from 'koa';
import { retailPulseOpenApi } from '@retail-pulse/shared/contracts/api';
import { HttpError } from '@retail-pulse/shared/http';
import type { ReferenceResource } from './routes';

/**
 * The page may run scripts and load styles from this gateway only (Swagger UI sets inline styles
 * and draws some icons from data: URLs); it fetches nothing from anywhere else.
 */
const PAGE_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; font-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Starts Swagger UI on the document; a file of its own, since the page's policy runs no inline script. */
const STARTER = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '/openapi.json',
    dom_id: '#reference',
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
  });
});
`;

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Retail Pulse API</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
<div id="reference"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/start.js"></script>
</body>
</html>
`;

interface Asset {
  type: string;
  body: Buffer | string;
}

/**
 * The API's OpenAPI document, built once from the route declarations, and its reference page:
 * Swagger UI from the swagger-ui-dist package, served from this machine (nothing from a CDN).
 */
export class ApiReference {
  private readonly document = JSON.stringify(retailPulseOpenApi());
  private readonly assets: ReadonlyMap<string, Asset>;

  constructor() {
    const dist = dirname(require.resolve('swagger-ui-dist/package.json'));
    this.assets = new Map<string, Asset>([
      ['swagger-ui.css', { type: 'text/css; charset=utf-8', body: readFileSync(join(dist, 'swagger-ui.css')) }],
      [
        'swagger-ui-bundle.js',
        { type: 'text/javascript; charset=utf-8', body: readFileSync(join(dist, 'swagger-ui-bundle.js')) },
      ],
      ['start.js', { type: 'text/javascript; charset=utf-8', body: STARTER }],
    ]);
  }

  serve(ctx: Context, resource: ReferenceResource): void {
    if (resource === 'document') {
      ctx.type = 'application/json';
      ctx.body = this.document;
      return;
    }
    const asset =
      resource === 'page'
        ? { type: 'text/html; charset=utf-8', body: PAGE }
        : this.assets.get(ctx.path.slice('/docs/'.length));
    if (!asset) throw new HttpError(404, { error: `no route for ${ctx.method} ${ctx.path}` });
    // A browser renders these: the page's own policy replaces the JSON API's, which forbids everything.
    (ctx.state as { securityHeaders?: Record<string, string> }).securityHeaders = {
      'Content-Security-Policy': PAGE_POLICY,
    };
    ctx.type = asset.type;
    ctx.body = asset.body;
  }
}
