import { ApiClient } from '../api/api-client';
import { usageError } from './cli-error';
import { DEFAULT_URL } from './default-url';

export interface ConnectionFlags {
  url?: string;
  token?: string;
}

/** The API client from `--url`/`--token`, else CLORE_BATCH_URL / CLORE_BATCH_TOKEN. */
export function connect(flags: ConnectionFlags, env: NodeJS.ProcessEnv): ApiClient {
  const baseUrl = flags.url ?? env.CLORE_BATCH_URL ?? DEFAULT_URL;
  let parsed: URL;
  try {
    parsed = new URL(baseUrl);
  } catch {
    throw usageError(`--url / CLORE_BATCH_URL: '${baseUrl}' is not a URL (e.g. ${DEFAULT_URL})`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw usageError(`--url / CLORE_BATCH_URL: must be an http:// or https:// URL`);
  }
  const token = flags.token ?? env.CLORE_BATCH_TOKEN;
  return new ApiClient({ baseUrl: parsed.toString(), token: token === '' ? undefined : token });
}
