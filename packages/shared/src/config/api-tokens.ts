import { z } from 'zod';

export const TOKEN_ROLES = ['submit', 'admin'] as const;
export type TokenRole = (typeof TOKEN_ROLES)[number];

export interface ApiToken {
  /** Shown as the job's owner; never the secret itself. */
  name: string;
  role: TokenRole;
  token: string;
}

const NAME = /^[A-Za-z0-9_.-]{1,64}$/;
export const MIN_TOKEN_LENGTH = 16;

/**
 * `API_TOKENS`: `name:role:token` entries, comma separated. Problems are reported by entry position
 * and name, never by the token's value.
 */
export const ApiTokensSchema = z.string().transform((raw, ctx): ApiToken[] => {
  const entries = raw
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
  const tokens: ApiToken[] = [];
  const names = new Set<string>();
  const values = new Set<string>();
  entries.forEach((entry, index) => {
    const [name = '', role = '', ...rest] = entry.split(':');
    const token = rest.join(':');
    const where = `entry ${index + 1}${NAME.test(name) ? ` ("${name}")` : ''}`;
    if (!NAME.test(name)) {
      ctx.addIssue({ code: 'custom', message: `${where}: name must be 1-64 of A-Z a-z 0-9 _ . -` });
    } else if (names.has(name)) {
      ctx.addIssue({ code: 'custom', message: `${where}: name is used twice` });
    }
    if (!(TOKEN_ROLES as readonly string[]).includes(role)) {
      ctx.addIssue({ code: 'custom', message: `${where}: role must be submit or admin` });
    }
    if (token.length < MIN_TOKEN_LENGTH) {
      ctx.addIssue({
        code: 'custom',
        message: `${where}: token must be at least ${MIN_TOKEN_LENGTH} characters`,
      });
    } else if (values.has(token)) {
      ctx.addIssue({ code: 'custom', message: `${where}: the same token is given twice` });
    }
    names.add(name);
    values.add(token);
    tokens.push({ name, role: role as TokenRole, token });
  });
  return tokens;
});
