/**
 * The server's Node flags (config/node-flags.ts) are spelled out where no module can be imported:
 * `npm start` and the Dockerfile's CMD. This keeps the three in step.
 */
import fs from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { SERVER_NODE_FLAGS } from '../../config/node-flags.js';

describe('the server runs with the same Node flags everywhere', () => {
  it('npm start passes them', () => {
    const start = (JSON.parse(fs.readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts.start;
    expect(start).toBe(['node', ...SERVER_NODE_FLAGS, 'dist/src/main.js'].join(' '));
  });

  it("the Dockerfile's CMD passes them", () => {
    const cmd = /^CMD (.+)$/m.exec(fs.readFileSync('Dockerfile', 'utf8'))?.[1];
    expect(JSON.parse(cmd ?? 'null')).toEqual(['node', ...SERVER_NODE_FLAGS, 'dist/src/main.js']);
  });
});
