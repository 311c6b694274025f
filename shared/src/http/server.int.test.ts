import { connect, type AddressInfo, type Socket } from 'node:net';
import Koa from 'koa';
import { closeServer, listen } from './server';

/** Stopping a server over real sockets: what it waits for, and what it does not. */
describe('closeServer', () => {
  it('closes a connection that never sent a request instead of waiting for it', async () => {
    const app = new Koa();
    app.use((ctx) => {
      ctx.body = 'ok';
    });
    const server = await listen(app, 0, '127.0.0.1');
    const { port } = server.address() as AddressInfo;
    // What a connection pool leaves behind: connected, nothing asked.
    const unused = await new Promise<Socket>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => resolve(socket));
    });
    const ended = new Promise<void>((resolve) => unused.once('close', () => resolve()));
    // And one that was used and is kept alive, idle.
    const answer = await fetch(`http://127.0.0.1:${port}/`);
    expect(await answer.text()).toBe('ok');

    await closeServer(server);
    await ended;
    expect(server.listening).toBe(false);
  });
});
