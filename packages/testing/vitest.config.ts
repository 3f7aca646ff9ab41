import { defaultSuite } from './vitest-config.mjs';

export default defaultSuite({ setupFiles: ['./src/leak-check.setup.ts'] });
