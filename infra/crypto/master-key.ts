import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The master key wraps every data key, so a copy of the database alone reveals nothing. It comes
 * from DATA_ENCRYPTION_KEY (32 bytes, base64); without it, from a key generated once and kept in the
 * data folder (DATA_DIR/secrets, readable by its owner only), never in the database.
 */
export function loadMasterKey(configured: string | undefined, dataDir: string): Buffer {
  if (configured) return decodeKey(configured, 'DATA_ENCRYPTION_KEY');
  const file = path.join(dataDir, 'secrets', 'data-encryption.key');
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    // `wx`: two processes starting at once on one data folder must not each write their own key.
    try {
      writeFileSync(file, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    } catch (error) {
      if (!(error instanceof Error && 'code' in error && error.code === 'EEXIST')) throw error;
    }
  }
  chmodSync(file, 0o600);
  return decodeKey(readFileSync(file, 'utf8').trim(), file);
}

export const KEY_FORMAT = 'must be 32 bytes in base64 (e.g. from: openssl rand -base64 32)';

export function isKey(value: string): boolean {
  return Buffer.from(value, 'base64').length === 32 && Buffer.from(value, 'base64').toString('base64') === value;
}

function decodeKey(value: string, where: string): Buffer {
  if (!isKey(value)) throw new Error(`${where} ${KEY_FORMAT}`);
  return Buffer.from(value, 'base64');
}
