// Node's own llhttp binding, the one its http client and server use. It parses
// in C++ and can read straight from a socket's handle (consume), so a response
// body goes from the TLS layer to our callback without passing through socket
// 'data' events; undici's WebAssembly parser copies every chunk in first.
// `_http_common` is an internal module, but a stable one (it has kept this
// shape since Node 12); the tests exercise every callback we rely on.
import { createRequire } from 'node:module';

export interface NativeHttpParser {
  initialize(type: number, resource: object, maxHeaderSize?: number, lenient?: number): void;
  /** Bytes parsed, or the parse error. */
  execute(data: Buffer): number | Error;
  /** At end of input: completes a read-until-close body, or the error. */
  finish(): number | Error | undefined;
  consume(handle: unknown): void;
  unconsume(): void;
  remove(): void;
  close(): void;
  [callback: number]: unknown;
}

interface NativeHttpParserClass {
  new(): NativeHttpParser;
  readonly RESPONSE: number;
  readonly kOnHeaders: number;
  readonly kOnHeadersComplete: number;
  readonly kOnBody: number;
  readonly kOnMessageComplete: number;
  readonly kOnExecute: number;
}

const nodeRequire = createRequire(import.meta.url);
export const HTTPParser = (nodeRequire('_http_common') as { HTTPParser: NativeHttpParserClass }).HTTPParser;

/** Arguments of kOnHeadersComplete, in Node's order. */
export type HeadersCompleteCallback = (
  versionMajor: number, versionMinor: number, headers: string[] | undefined, method: number | undefined,
  url: string | undefined, statusCode: number, statusMessage: string, upgrade: boolean, shouldKeepAlive: boolean,
) => number | undefined;
