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
  const { file, value } = generatedSecret(dataDir, 'data-encryption.key', () => randomBytes(32).toString('base64'));
  return decodeKey(value, file);
}

/**
 * A secret generated once and kept in DATA_DIR/secrets (readable by its owner only), for the
 * embedded defaults: never in the database, where the analysts' role and backups reach.
 */
export function generatedSecret(dataDir: string, name: string, generate: () => string): { file: string; value: string } {
  const file = path.join(dataDir, 'secrets', name);
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    // `wx`: two processes starting at once on one data folder must not each write their own secret.
    try {
      writeFileSync(file, `${generate()}\n`, { mode: 0o600, flag: 'wx' });
    } catch (error) {
      if (!(error instanceof Error && 'code' in error && error.code === 'EEXIST')) throw error;
    }
  }
  chmodSync(file, 0o600);
  return { file, value: readFileSync(file, 'utf8').trim() };
}

export const KEY_FORMAT = 'must be 32 bytes in base64 (e.g. from: openssl rand -base64 32)';

export function isKey(value: string): boolean {
  return Buffer.from(value, 'base64').length === 32 && Buffer.from(value, 'base64').toString('base64') === value;
}

function decodeKey(value: string, where: string): Buffer {
  if (!isKey(value)) throw new Error(`${where} ${KEY_FORMAT}`);
  return Buffer.from(value, 'base64');
}
