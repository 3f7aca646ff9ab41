import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { isRefusedAddress, type Resolver, systemResolver } from './address-policy';

export interface PostResult {
  status?: number;
  error?: string;
}

export interface PostOptions {
  url: string;
  body: string;
  headers: Record<string, string>;
  timeoutMs: number;
  /** Refuse loopback/private/link-local targets (at connect time: no DNS rebinding). */
  refusePrivate: boolean;
  resolve?: Resolver;
}

/**
 * POST one webhook. The address is resolved by our own lookup, checked, and that same address is the
 * one connected to, so a name that resolves to a public address at submission and a private one now
 * is refused now. Redirects are not followed. Never throws: the outcome is a status or an error text.
 */
export function postWebhook(options: PostOptions): Promise<PostResult> {
  const resolve = options.resolve ?? systemResolver;
  const lookup: LookupFunction = (hostname, lookupOptions, callback) => {
    resolve(hostname)
      .then((addresses) => {
        const address = addresses[0];
        if (address === undefined) {
          throw new Error(`host ${hostname} does not resolve`);
        }
        const refused = addresses.find(isRefusedAddress);
        if (options.refusePrivate && refused !== undefined) {
          throw new Error(`refused: ${hostname} resolves to a private address (${refused})`);
        }
        const family = address.includes(':') ? 6 : 4;
        if (lookupOptions.all) {
          callback(null, [{ address, family }]);
        } else {
          callback(null, address, family);
        }
      })
      .catch((error: Error) => callback(error, '', 4));
  };
  return new Promise((done) => {
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      done({ error: 'invalid URL' });
      return;
    }
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    if (options.refusePrivate && /^[\d.]+$|:/.test(host) && isRefusedAddress(host)) {
      done({ error: `refused: ${host} is a private address` });
      return;
    }
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(
      url,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(options.body),
          ...options.headers,
        },
        timeout: options.timeoutMs,
        lookup,
      },
      (res) => {
        res.resume();
        res.on('end', () => done({ status: res.statusCode ?? 0 }));
        res.on('error', (error) => done({ error: error.message }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${options.timeoutMs} ms`)));
    req.on('error', (error) => done({ error: error.message.slice(0, 300) }));
    req.end(options.body);
  });
}
