import { createServer, type Server } from 'node:http';

/** Serves `GET /health` with the report as JSON, for services without an HTTP API of their own. */
export function startHealthServer(port: number, host: string, report: () => Record<string, unknown>): Server {
  const server = createServer((request, response) => {
    const known = request.url === '/health';
    response.writeHead(known ? 200 : 404, { 'Content-Type': 'application/json' });
    response.end(known ? JSON.stringify(report()) : '{}');
  });
  server.listen(port, host);
  return server;
}
