// The proxy's exchanges over an undici dispatcher: used only when the API
// server is reached through a proxy-url (HTTP CONNECT or socks5), which undici
// implements and our own pools do not.
import type { Dispatcher } from 'undici';
import type { ExchangeDispatcher, ExchangeHandler, UpstreamRequest } from './exchange.js';

export class UndiciExchangeDispatcher implements ExchangeDispatcher {
  readonly #dispatcher: () => Promise<Dispatcher>;
  readonly #origin: URL;

  constructor(origin: URL, dispatcher: () => Promise<Dispatcher>) {
    this.#origin = origin;
    this.#dispatcher = dispatcher;
  }

  dispatch(request: UpstreamRequest, handler: ExchangeHandler): void {
    let controller: Dispatcher.DispatchController | undefined;
    let aborted: Error | undefined;
    let paused = false;
    handler.onStart({
      abort: (reason) => {
        aborted ??= reason;
        controller?.abort(reason);
      },
      pause: () => { paused = true; controller?.pause(); },
      resume: () => { paused = false; controller?.resume(); },
    });
    if (aborted) return handler.onError(aborted);
    this.#dispatcher().then((dispatcher) => {
      if (aborted) return handler.onError(aborted);
      dispatcher.dispatch({ origin: this.#origin, path: request.path, method: request.method, headers: request.headers, body: request.body }, {
        onRequestStart: (c) => {
          controller = c;
          if (aborted) c.abort(aborted);
          else if (paused) c.pause();
        },
        onResponseStart: (_c, status, headers) => {
          if (status >= 200) handler.onHead(status, flatten(headers));
        },
        onResponseData: (_c, chunk) => handler.onData(chunk),
        onResponseEnd: () => handler.onEnd(),
        onResponseError: (_c, err) => handler.onError(err),
      });
    }, (err: Error) => handler.onError(err));
  }

  async close(): Promise<void> {}

  async destroy(): Promise<void> {}
}

function flatten(headers: Record<string, string | string[] | undefined>): string[] {
  const out: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) out.push(name, v);
    else out.push(name, value);
  }
  return out;
}
