/**
 * `npm run generate:api-types`: (re)writes the admin API's types for the CLI. Run it after
 * changing a route of the admin API; test/unit/api-types.test.ts fails until it is run.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ADMIN_API_TYPES_PATH, adminApiTypes } from './admin-api-types.js';

// Compiled to dist/scripts/: the project's root is two folders up.
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const file = path.join(ROOT, ADMIN_API_TYPES_PATH);

const text = await adminApiTypes();
const before = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
if (before === text) {
  process.stdout.write(`${ADMIN_API_TYPES_PATH} is up to date\n`);
} else {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  process.stdout.write(`wrote ${ADMIN_API_TYPES_PATH}\n`);
}
