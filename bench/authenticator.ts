/**
 * A software WebAuthn authenticator for the benchmark's passkey sign-ins: one P-256 key per
 * credential, assertions built and signed as a platform authenticator would (ES256, user present
 * and verified, a signature counter that goes up at every use), so Sesam verifies them exactly as
 * it verifies a browser's. The bench stores each credential's public key straight in the server's
 * `passkeys` table (`passkeyRow`), as a registration would have.
 */
import crypto from 'node:crypto';
import { isoCBOR } from '@simplewebauthn/server/helpers';

const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
const sha256 = (data: Uint8Array | string) => crypto.createHash('sha256').update(data).digest();

/** authenticatorData flags: UP (user present, 0x01) and UV (user verified, 0x04). */
const FLAGS_UP_UV = 0x05;

/** What `startAuthentication` of @simplewebauthn/browser sends back (AuthenticationResponseJSON). */
export interface AssertionJSON {
  id: string;
  rawId: string;
  type: 'public-key';
  response: { clientDataJSON: string; authenticatorData: string; signature: string; userHandle: string };
  clientExtensionResults: Record<string, never>;
  authenticatorAttachment: 'platform';
}

/** A row of the `passkeys` table (migrations/007_passkeys.ts) for this credential. */
export interface PasskeyTableRow {
  id: string;
  user_id: string;
  credential_id: string;
  public_key: string;
  counter: number;
  transports: string;
  aaguid: null;
  device_type: 'singleDevice';
  backed_up: boolean;
  name: string;
}

export class SoftwarePasskey {
  /** The credential id, base64url (32 random bytes). */
  readonly credentialId = b64url(crypto.randomBytes(32));
  private readonly privateKey: crypto.KeyObject;
  /** The COSE_Key (EC2, ES256, P-256) of the public key, base64url: what Sesam stores. */
  readonly publicKeyCose: string;
  /** The WebAuthn user handle: the user's uuid as its 16 bytes (src/domain/passkeys.ts#userHandle), base64url. */
  readonly userHandle: string;
  /** The signature counter; every assertion increases it first (Sesam refuses one that does not advance). */
  private counter = 0;

  constructor(
    readonly userId: string,
    readonly login: string,
  ) {
    const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.privateKey = privateKey;
    const jwk = publicKey.export({ format: 'jwk' });
    const coordinate = (v: string | undefined) => new Uint8Array(Buffer.from(v ?? '', 'base64url'));
    // COSE_Key: kty 2 (EC2), alg -7 (ES256), crv 1 (P-256), x, y.
    const cose = new Map<number, number | Uint8Array>([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, coordinate(jwk.x)],
      [-3, coordinate(jwk.y)],
    ]);
    this.publicKeyCose = b64url(isoCBOR.encode(cose));
    this.userHandle = b64url(Buffer.from(userId.replace(/-/g, ''), 'hex'));
  }

  /** The `passkeys` row a registration of this credential would have stored. */
  row(): PasskeyTableRow {
    return {
      id: crypto.randomUUID(),
      user_id: this.userId,
      credential_id: this.credentialId,
      public_key: this.publicKeyCose,
      counter: 0,
      transports: JSON.stringify(['internal']),
      aaguid: null,
      device_type: 'singleDevice',
      backed_up: false,
      name: 'Bench software authenticator',
    };
  }

  /**
   * `navigator.credentials.get` answered for `challenge` (base64url, from the options) on a page
   * of `origin`, for the relying party whose id hashes to `rpIdHash`.
   */
  assert(challenge: string, origin: string, rpIdHash: Buffer): AssertionJSON {
    const clientDataJSON = Buffer.from(JSON.stringify({ type: 'webauthn.get', challenge, origin, crossOrigin: false }), 'utf8');
    const count = Buffer.alloc(4);
    count.writeUInt32BE(++this.counter);
    const authenticatorData = Buffer.concat([rpIdHash, Buffer.from([FLAGS_UP_UV]), count]);
    // ECDSA P-256 over authenticatorData ‖ SHA-256(clientDataJSON); node:crypto gives it in DER, as WebAuthn wants.
    const signature = crypto.sign('sha256', Buffer.concat([authenticatorData, sha256(clientDataJSON)]), this.privateKey);
    return {
      id: this.credentialId,
      rawId: this.credentialId,
      type: 'public-key',
      response: { clientDataJSON: b64url(clientDataJSON), authenticatorData: b64url(authenticatorData), signature: b64url(signature), userHandle: this.userHandle },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }
}

/** SHA-256 of an RP ID: the first 32 bytes of authenticatorData. */
export const rpIdHash = (rpId: string): Buffer => sha256(rpId);
