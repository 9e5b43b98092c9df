/**
 * A throwaway CA and a server certificate for 127.0.0.1 and localhost (openssl), for the suites
 * that run Redis over TLS. Free of jest, like redis-server.ts.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

/** PEM files in `dir`: the server's certificate and key, and the CA that signed it. */
export interface TestCertificates {
  readonly cert: string;
  readonly key: string;
  readonly ca: string;
}

/** Writes a CA and a server certificate (valid one day) into `dir`. */
export function createTestCertificates(dir: string): TestCertificates {
  const run = (...args: string[]) => {
    const result = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    if (result.error || result.status !== 0) {
      throw new Error(
        `openssl ${args[0]} failed (is openssl installed?): ${result.error?.message ?? result.stderr}`,
      );
    }
  };
  writeFileSync(path.join(dir, 'san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  run(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '1',
    '-subj',
    '/CN=replica-watch-test-ca',
  );
  run(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'server.key',
    '-out',
    'server.csr',
    '-subj',
    '/CN=localhost',
  );
  run(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.crt',
    '-days',
    '1',
    '-extfile',
    'san.ext',
  );
  return {
    cert: path.join(dir, 'server.crt'),
    key: path.join(dir, 'server.key'),
    ca: path.join(dir, 'ca.crt'),
  };
}
