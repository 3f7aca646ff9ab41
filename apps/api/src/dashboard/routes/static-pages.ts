import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/** The dashboard's page, login form, script and stylesheet: read once from ./../static at start. */
export interface StaticPages {
  index(values: { admin: string; csrfToken: string }): string;
  /** `next`: where a successful login goes (LOGIN_TARGETS key). */
  login(message: string, next?: string): string;
  script: string;
  styles: string;
  /** The charting library (uPlot, from node_modules: served by us, no CDN). */
  chartScript: string;
  chartStyles: string;
}

const read = (name: string) => readFileSync(new URL(`../static/${name}`, import.meta.url), 'utf8');
const require = createRequire(import.meta.url);
const readUplot = (file: string) => readFileSync(require.resolve(`uplot/dist/${file}`), 'utf8');

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** `{{name}}` placeholders, each value HTML-escaped. */
function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (_match, key: string) => escapeHtml(values[key] ?? ''));
}

export function loadStaticPages(): StaticPages {
  const index = read('index.html');
  const login = read('login.html');
  return {
    index: (values) => fill(index, values),
    login: (message, next = '') => fill(login, { message, next, hidden: message === '' ? 'hidden' : '' }),
    script: read('dashboard.js'),
    styles: read('dashboard.css'),
    chartScript: readUplot('uPlot.iife.min.js'),
    chartStyles: readUplot('uPlot.min.css'),
  };
}

/**
 * Only our own files: no inline script or style, no frames, no foreign connections, forms post
 * only to us. The JSON and HTML answers also say nosniff, same-origin referrers and no-store.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');
