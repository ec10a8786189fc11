import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { clusterLocation } from '../../infra/postgres/embedded-postgres.js';

const asRoot = process.getuid?.() === 0;

describe.runIf(asRoot)('Where the embedded cluster lives when the service runs as root', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'psicopay-location-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps it under DATA_DIR when the postgres user can walk down to it', () => {
    chmodSync(dir, 0o755);
    expect(clusterLocation(path.join(dir, 'data'))).toBe(path.join(dir, 'data', 'postgres'));
  });

  it('moves it under /var/lib, one folder per DATA_DIR, when a parent is private (a checkout under /root)', () => {
    chmodSync(dir, 0o700);
    const moved = clusterLocation(path.join(dir, 'data'));
    expect(moved).toMatch(/^\/var\/lib\/psicopay-embedded\/[0-9a-f]{16}\/postgres$/);
    expect(clusterLocation(path.join(dir, 'data'))).toBe(moved);
    expect(clusterLocation(path.join(dir, 'other'))).not.toBe(moved);
  });
});
