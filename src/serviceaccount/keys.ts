// The key pair that signs service-account tokens: generated once (RSA 2048, RS256 as upstream's default
// --service-account-signing-key-file) and kept in the data dir, so tokens survive restarts.
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SigningKeys {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** Upstream's key id: unpadded base64url of the SHA-256 of the public key's PKIX DER form. */
  kid: string;
}

export const SERVICE_ACCOUNT_KEY_FILE = 'service-account.key';

function fromPrivate(privateKey: KeyObject): SigningKeys {
  const publicKey = createPublicKey(privateKey);
  const der = publicKey.export({ type: 'spki', format: 'der' });
  const kid = createHash('sha256').update(der).digest('base64url');
  return { privateKey, publicKey, kid };
}

/** A fresh key pair kept only in memory (tests, servers without a data dir). */
export function generateSigningKeys(): SigningKeys {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return fromPrivate(privateKey);
}

/** Reads DATA_DIR/service-account.key, writing a new PKCS#8 PEM key there (mode 0600) the first time. */
export function loadOrCreateSigningKeys(dataDir: string): SigningKeys {
  const file = join(dataDir, SERVICE_ACCOUNT_KEY_FILE);
  if (existsSync(file)) return fromPrivate(createPrivateKey(readFileSync(file)));
  const keys = generateSigningKeys();
  writeFileSync(file, keys.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  return keys;
}
