/**
 * Webhook URL rules. A webhook must be https; plain http is accepted only for a loopback host
 * (localhost, 127.0.0.0/8, [::1]) so tests can point hooks at a local server. The API still refuses
 * loopback and private targets unless WEBHOOK_ALLOW_PRIVATE is set: that is policy, this is syntax.
 */
export const WEBHOOK_URL_MAX_LENGTH = 2_048;

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Whether `url` names a loopback host (used by the API to refuse such hooks unless allowed). */
export function isLoopbackUrl(url: string): boolean {
  try {
    return isLoopbackHost(new URL(url).hostname);
  } catch {
    return false;
  }
}

/** Why `value` is not an acceptable webhook URL, or undefined when it is. */
export function webhookUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute https URL';
  }
  if (url.protocol === 'https:') {
    return url.hostname === '' ? 'must name a host' : undefined;
  }
  if (url.protocol === 'http:') {
    return isLoopbackHost(url.hostname) ? undefined : 'must be an https URL (http only for localhost)';
  }
  return 'must be an https URL';
}
