/** The API the CLI talks to without --url or CLORE_BATCH_URL (the sandbox's default port). */
export const DEFAULT_URL = 'http://127.0.0.1:8080';
