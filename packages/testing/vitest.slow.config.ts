import { slowSuite } from './vitest-config.mjs';

export default slowSuite({ setupFiles: ['./src/leak-check.setup.ts'] });
