// Starts the tenantd binary under test (TENANTD_BINARY) on a free loopback
// port with a fresh data directory, and stops it afterwards.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface LiveServer {
  url: string;
  adminToken: string;
  stop(): Promise<void>;
}

export async function startTenantd(env: Record<string, string> = {}): Promise<LiveServer> {
  const binary = process.env['TENANTD_BINARY'];
  if (!binary) throw new Error('set TENANTD_BINARY to the tenantd binary to test');
  const dir = mkdtempSync(join(tmpdir(), 'tenantd-ts-'));
  const adminToken = randomBytes(24).toString('hex');
  // The developer's TENANTD_* settings must not change what the test sees.
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('TENANTD_') && !k.startsWith('APP_')),
  );
  const child: ChildProcess = spawn(
    binary,
    ['serve', '--host', '127.0.0.1', '--port', '0', '--data', join(dir, 'data')],
    { env: { ...base, TENANTD_ADMIN_TOKEN: adminToken, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('tenantd did not start:\n' + output)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`tenantd exited (${code}):\n${output}`));
    });
  });
  return {
    url,
    adminToken,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
