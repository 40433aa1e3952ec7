// Builds plusmarkt once and runs it on a fresh SQLite database in a temporary folder.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

// The binary: PLUSMARKT_BIN (or PLUSMARKT_RELEASE_BIN with `release`) when set, else
// `cargo build` into the target folder that .ci/run uses (CARGO_TARGET_DIR, default
// /var/tmp/plusmarkt-ci-target); `release` builds what the README's `cargo run --release` runs.
export function buildBinary({ release = false } = {}) {
  const given = release ? process.env.PLUSMARKT_RELEASE_BIN : process.env.PLUSMARKT_BIN;
  if (given) {
    const bin = path.resolve(given);
    if (!fs.existsSync(bin)) throw new Error(`${bin} (from the environment) does not exist`);
    return bin;
  }
  const targetDir = process.env.CARGO_TARGET_DIR || '/var/tmp/plusmarkt-ci-target';
  const args = ['build', '--bin', 'plusmarkt', ...(release ? ['--release'] : [])];
  const result = spawnSync('cargo', args, {
    cwd: repoRoot,
    env: { ...process.env, CARGO_TARGET_DIR: targetDir, CARGO_TERM_COLOR: 'never' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (result.error) throw new Error(`cargo build could not start: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`cargo build failed with exit code ${result.status}`);
  const bin = path.join(targetDir, release ? 'release' : 'debug', 'plusmarkt');
  if (!fs.existsSync(bin)) throw new Error(`cargo build succeeded but ${bin} is missing`);
  return bin;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// Starts the server in a fresh temporary folder: its default SQLite file there is a fresh
// database, which the server migrates and fills with the demo data. Waits for /health.
// With `bare`, the folder is empty and the server gets nothing but a port and
// PLUSMARKT_DATABASE_URL=sqlite://plusmarkt.sqlite, as a new user writes it: no catalogue
// folder, no public URL. `port` (default: a free one) and `env` (more settings, e.g.
// PLUSMARKT_OIDC_*) are for suites that must know the address before the server starts.
// Returns { baseUrl, stop(), log(), dir }.
export async function startServer(bin, { bare = false, port: givenPort, env: extra = {} } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plusmarkt-e2e-'));
  const port = givenPort || await freePort();
  const env = { ...process.env };
  // Nothing from the caller's configuration may point the server elsewhere.
  for (const key of Object.keys(env)) {
    if (key.startsWith('PLUSMARKT_') || key.startsWith('ROCKET_')) delete env[key];
  }
  Object.assign(
    env,
    bare
      ? { ROCKET_PORT: String(port), PLUSMARKT_DATABASE_URL: 'sqlite://plusmarkt.sqlite' }
      : {
          ROCKET_PORT: String(port),
          ROCKET_ADDRESS: '127.0.0.1',
          PLUSMARKT_CATALOGUE_DIR: path.join(repoRoot, 'catalogue'),
          PLUSMARKT_PUBLIC_URL: `http://127.0.0.1:${port}`,
        },
    extra,
  );
  let output = '';
  const child = spawn(bin, ['serve'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  let exited = null;
  child.on('exit', (code, signal) => { exited = { code, signal }; });
  // Never leave the server behind, even when the test run itself is cut short.
  const killOnExit = () => { if (!exited) child.kill('SIGKILL'); };
  process.once('exit', killOnExit);

  const baseUrl = `http://127.0.0.1:${port}`;
  // A first start builds the demo history (debug builds take longest).
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (exited) {
      throw new Error(`plusmarkt stopped during start-up (${JSON.stringify(exited)}):\n${output}`);
    }
    try {
      const res = await fetch(`${baseUrl}/health`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`plusmarkt did not answer /health within 180 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }

  async function stop() {
    if (!exited) {
      const done = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await done;
      clearTimeout(timer);
    }
    process.removeListener('exit', killOnExit);
    fs.rmSync(dir, { recursive: true, force: true });
  }

  return { baseUrl, stop, log: () => output, dir };
}
