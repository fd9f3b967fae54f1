/**
 * Passkeys (WebAuthn, through @simplewebauthn/server): the options a page hands to
 * `navigator.credentials.create/get`, the verification of what comes back, and what the admin
 * API and the portal show of a user's passkeys. Knows no HTTP: the caller keeps the challenge
 * (bound to its journey) and passes it back. Storing, renaming and removing a passkey are
 * credential changes and go through the credentials service (credentials.ts); this service only
 * records the bookkeeping of a sign-in with one (its counter, last use, backup state) and flags a
 * credential whose counter went backwards.
 *
 * - The WebAuthn user handle of a user is their uuid as its 16 bytes: stable, not personal
 *   data, and the same for every passkey of the user, so an authenticator keeps one passkey per
 *   user and RP (a new registration replaces the old one on that authenticator).
 * - User verification is required in both ceremonies: a passkey proves something the user has
 *   and something they are or know (the authenticator's biometric or PIN).
 * - Counters (WebAuthn §6.1.1): a credential whose stored and new counters are both 0 (synced
 *   passkeys never count) is fine; otherwise the new counter must be higher, or the credential
 *   is flagged as cloned and never signs in again. Only an assertion whose signature verified
 *   can flag: a forged one cannot lock anybody's passkey.
 */
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { PasskeyDeviceType, PasskeyRow, PasskeysRepository } from '../repositories/passkeys-repository.js';
import type { EventLog, RequestMeta } from './events.js';
import type { User } from '../model/types.js';

export interface WebAuthnSettings {
  /** The relying party id: the ISSUER's host or a registrable suffix of it. */
  rpId: string;
  /** Shown by authenticators next to the passkey. */
  rpName: string;
  /** Origins whose pages may run the ceremonies (`scheme://host[:port]`). */
  origins: readonly string[];
}

/** How long the browser waits for the user in either ceremony. */
export const CEREMONY_TIMEOUT_MS = 120_000;

/**
 * The key algorithms a new passkey may use: EdDSA, ES256 (what nearly every authenticator makes)
 * and RS256 (Windows Hello). SimpleWebAuthn 14's default list starts with ML-DSA, which Chromium
 * then picks and which Node 24 verifies only through an experimental API: not for a credential
 * that must still verify years from now.
 */
export const SUPPORTED_ALGORITHMS = [-8, -7, -257] as const;

/** A registration response that verified, for `userId`: what `Credentials.addPasskey` stores. */
export interface VerifiedRegistration {
  readonly userId: string;
  readonly credentialId: string;
  /** The COSE public key, base64url. */
  readonly publicKey: string;
  readonly counter: number;
  readonly transports: string[];
  /** The authenticator model's AAGUID; null when the authenticator hides it (all zeros). */
  readonly aaguid: string | null;
  readonly deviceType: PasskeyDeviceType;
  readonly backedUp: boolean;
}

/** A verified registration (itself what `Credentials.addPasskey` takes), or why not. */
export type RegistrationResult = ({ ok: true } & VerifiedRegistration) | { ok: false; reason: 'invalid' | 'duplicate' };

export type AuthenticationRefusal = 'unknown' | 'flagged' | 'cloned' | 'invalid' | 'wrong_user';

export type AuthenticationResult =
  | {
      ok: true;
      userId: string;
      passkeyId: string;
      /** Backup eligible (a multiDevice, synced passkey) rather than bound to one authenticator. */
      synced: boolean;
    }
  | { ok: false; reason: AuthenticationRefusal };

/** What the admin API and the portal show of a passkey: never its key. */
export interface PasskeyView {
  id: string;
  name: string;
  aaguid: string | null;
  /** A display name of the authenticator model, from its AAGUID, when known. */
  authenticator: string | null;
  deviceType: PasskeyDeviceType;
  backedUp: boolean;
  /** Backup eligible (multiDevice): the passkey follows the user's account to other devices. */
  synced: boolean;
  transports: string[];
  createdAt: Date;
  lastUsedAt: Date | null;
  /** A cloned credential was detected: this passkey no longer signs in. */
  flagged: boolean;
}

/**
 * Display names of the authenticators people use most, by AAGUID (from the community list at
 * github.com/passkeydeveloper/passkey-authenticator-aaguids). A curated map rather than the
 * `aaguids` package: see the README, "Libraries and why".
 */
export const AUTHENTICATOR_NAMES: Readonly<Record<string, string>> = Object.freeze({
  'fbfc3007-154e-4ecc-8c0b-6e020557d7bd': 'iCloud Keychain',
  'dd4ec289-e01d-41c9-bb89-70fa845d4bf2': 'iCloud Keychain (Managed)',
  'ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4': 'Google Password Manager',
  '08987058-cadc-4b81-b6e1-30de50dcbe96': 'Windows Hello',
  '9ddd1817-af5a-4672-a2b9-3e3dd95000a9': 'Windows Hello',
  '6028b017-b1d4-4c02-b4b3-afcdafc96bb2': 'Windows Hello',
  'adce0002-35bc-c60a-648b-0b25f1f05503': 'Chrome on Mac',
  'b5397666-4885-aa6b-cebf-e52262a439a2': 'Chromium Browser',
  '771b48fd-d3d4-4f74-9232-fc157ab0507a': 'Edge on Mac',
  'd3452668-01fd-4c12-926c-83a4204853aa': 'Microsoft Password Manager',
  'bada5566-a7aa-401f-bd96-45619a55120d': '1Password',
  'd548826e-79b4-db40-a3d8-11116f7e8349': 'Bitwarden',
  '531126d6-e717-415c-9320-3d9aa6981239': 'Dashlane',
  '50726f74-6f6e-5061-7373-50726f746f6e': 'Proton Pass',
  'fdb141b2-5d84-443e-8a35-4698c205a502': 'KeePassXC',
  '53414d53-554e-4700-0000-000000000000': 'Samsung Pass',
  'cb69481e-8ff7-4039-93ec-0a2729a154a8': 'YubiKey 5',
  'ee882879-721c-4913-9775-3dfcce97072a': 'YubiKey 5',
  '19083c3d-8383-4b18-bc03-8f1c9ab2fd1b': 'YubiKey 5',
  'ff4dac45-ede8-4ec2-aced-cf66103f4335': 'YubiKey 5',
  'fa2b99dc-9e39-4257-8f92-4a30d23c4118': 'YubiKey 5 NFC',
  '2fc0579f-8113-47ea-b116-bb5a8db9202a': 'YubiKey 5 NFC',
  'a25342c0-3cdc-4414-8e46-f4807fca511c': 'YubiKey 5 NFC',
  'd7781e5d-e353-46aa-afe2-3ca49f13332a': 'YubiKey 5 NFC',
  'c5ef55ff-ad9a-4b9f-b580-adebafe026d0': 'YubiKey 5Ci',
  '73bb0cd4-e502-49b8-9c6f-b59445bf720b': 'YubiKey 5 FIPS',
  // Chromium's DevTools virtual authenticator (tests).
  '01020304-0506-0708-0102-030405060708': 'Chromium virtual authenticator',
});

const ZERO_AAGUID = '00000000-0000-0000-0000-000000000000';

/** The authenticator model's display name, when its AAGUID is one we know. */
export function authenticatorName(aaguid: string | null | undefined): string | null {
  return aaguid ? (AUTHENTICATOR_NAMES[aaguid.toLowerCase()] ?? null) : null;
}

/** "Chrome on Linux", "Safari on iPhone", … from a User-Agent; undefined when it says too little. */
export function browserLabel(userAgent: string | null | undefined): string | undefined {
  if (!userAgent) return undefined;
  const ua = userAgent.slice(0, 512);
  const browser = /\bEdg(e|A|iOS)?\//.test(ua)
    ? 'Edge'
    : /\b(OPR|Opera)\//.test(ua)
      ? 'Opera'
      : /\bSamsungBrowser\//.test(ua)
        ? 'Samsung Internet'
        : /\b(Firefox|FxiOS)\//.test(ua)
          ? 'Firefox'
          : /\b(Chrome|Chromium|CriOS)\//.test(ua)
            ? 'Chrome'
            : /\bVersion\/[\d.]+.*\bSafari\//.test(ua)
              ? 'Safari'
              : undefined;
  const os = /\biPhone\b/.test(ua)
    ? 'iPhone'
    : /\biPad\b/.test(ua)
      ? 'iPad'
      : /\bAndroid\b/.test(ua)
        ? 'Android'
        : /\bCrOS\b/.test(ua)
          ? 'ChromeOS'
          : /\bWindows\b/.test(ua)
            ? 'Windows'
            : /\bMac OS X\b|\bMacintosh\b/.test(ua)
              ? 'macOS'
              : /\bLinux\b/.test(ua)
                ? 'Linux'
                : undefined;
  if (browser && os) return `${browser} on ${os}`;
  return browser ?? os;
}

/** A passkey's name: trimmed, whitespace collapsed, 1 to 100 characters; undefined otherwise. */
export function passkeyName(name: unknown): string | undefined {
  if (typeof name !== 'string') return undefined;
  const clean = name.replace(/[\p{Cc}\p{Zl}\p{Zp}]+/gu, ' ').replace(/\s+/g, ' ').trim();
  return clean.length >= 1 && clean.length <= 100 ? clean : undefined;
}

/** The name a new passkey gets: "Passkey (iCloud Keychain)", "Passkey (Chrome on Linux)" or "Passkey". */
export function defaultPasskeyName(aaguid: string | null, userAgent?: string | null): string {
  const what = authenticatorName(aaguid) ?? browserLabel(userAgent);
  return (what ? `Passkey (${what})` : 'Passkey').slice(0, 100);
}

/** The WebAuthn user handle of a user: their uuid's 16 bytes. */
export function userHandle(userId: string): Uint8Array<ArrayBuffer> {
  const hex = userId.replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw new RangeError('a user id is a uuid');
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

/** The user id a user handle (base64url, from an assertion) stands for; undefined when it is no uuid. */
export function userIdOfHandle(handle: string): string | undefined {
  const bytes = Buffer.from(handle, 'base64url');
  if (bytes.length !== 16 || bytes.toString('base64url') !== handle.replace(/=+$/, '')) return undefined;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function passkeyView(p: PasskeyRow): PasskeyView {
  return {
    id: p.id,
    name: p.name,
    aaguid: p.aaguid,
    authenticator: authenticatorName(p.aaguid),
    deviceType: p.deviceType,
    backedUp: p.backedUp,
    synced: p.deviceType === 'multiDevice',
    transports: p.transports,
    createdAt: p.createdAt,
    lastUsedAt: p.lastUsedAt,
    flagged: !!p.flaggedAt,
  };
}

const TRANSPORTS = new Set(['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb']);
const knownTransports = (list: readonly string[] | undefined): string[] => [...new Set((list ?? []).filter((t) => TRANSPORTS.has(t)))];

/** A credential id as browsers send it: base64url, of a sane length (WebAuthn caps ids at 1023 bytes). */
const CREDENTIAL_ID = /^[A-Za-z0-9_-]{16,1400}$/;

export class Passkeys {
  constructor(
    private readonly repo: PasskeysRepository,
    private readonly events: EventLog,
    private readonly settings: WebAuthnSettings,
  ) {}

  /**
   * Options for `navigator.credentials.create` (or @simplewebauthn/browser's
   * `startRegistration`): a discoverable credential preferred, user verification required, no
   * attestation, the user's passkeys excluded (an authenticator that holds one says so rather
   * than make a second). `existing`: the user's passkeys when the caller has them already.
   */
  async registrationOptions(user: User, existing?: readonly Pick<PasskeyRow, 'credentialId' | 'transports'>[]): Promise<{ options: PublicKeyCredentialCreationOptionsJSON; challenge: string }> {
    const passkeys = existing ?? (await this.repo.listByUser(user.id));
    const options = await generateRegistrationOptions({
      rpName: this.settings.rpName,
      rpID: this.settings.rpId,
      userID: userHandle(user.id),
      userName: user.login,
      userDisplayName: user.name || user.email || user.login,
      timeout: CEREMONY_TIMEOUT_MS,
      attestationType: 'none',
      excludeCredentials: passkeys.map((p) => ({ id: p.credentialId, transports: knownTransports(p.transports) })),
      authenticatorSelection: { residentKey: 'preferred', userVerification: 'required' },
      supportedAlgorithmIDs: [...SUPPORTED_ALGORITHMS],
    });
    return { options, challenge: options.challenge };
  }

  /**
   * Verifies what `create` answered to the options of `expectedChallenge`, for `user`:
   * `duplicate` when the credential is already stored (for anyone), `invalid` for anything
   * that does not verify (challenge, origin, RP ID, user verification, signature, format).
   * Nothing is stored: `Credentials.addPasskey` does that.
   */
  async verifyRegistration(user: User, response: RegistrationResponseJSON, expectedChallenge: string): Promise<RegistrationResult> {
    if (!isObject(response) || typeof response.id !== 'string' || !CREDENTIAL_ID.test(response.id) || !expectedChallenge) return { ok: false, reason: 'invalid' };
    let verification;
    try {
      verification = await verifyRegistrationResponse({
        response,
        expectedChallenge,
        expectedOrigin: [...this.settings.origins],
        expectedRPID: this.settings.rpId,
        requireUserVerification: true,
      });
    } catch {
      return { ok: false, reason: 'invalid' };
    }
    if (!verification.verified) return { ok: false, reason: 'invalid' };
    const info = verification.registrationInfo;
    const credentialId = info.credential.id;
    if (await this.repo.exists(credentialId)) return { ok: false, reason: 'duplicate' };
    return {
      ok: true,
      userId: user.id,
      credentialId,
      publicKey: Buffer.from(info.credential.publicKey).toString('base64url'),
      counter: info.credential.counter,
      transports: knownTransports(info.credential.transports ?? response.response?.transports),
      aaguid: info.aaguid && info.aaguid !== ZERO_AAGUID ? info.aaguid.toLowerCase() : null,
      deviceType: info.credentialDeviceType,
      backedUp: info.credentialBackedUp,
    };
  }

  /**
   * Options for `navigator.credentials.get` (`startAuthentication`). With `userId` (the user
   * said who they are first): that user's usable passkeys are allowed. Without: none are
   * listed, the browser offers the discoverable passkeys it holds for the RP (conditional UI).
   */
  async authenticationOptions(userId?: string): Promise<{ options: PublicKeyCredentialRequestOptionsJSON; challenge: string }> {
    const allowCredentials = userId
      ? (await this.repo.listByUser(userId)).filter((p) => !p.flaggedAt).map((p) => ({ id: p.credentialId, transports: knownTransports(p.transports) }))
      : [];
    const options = await generateAuthenticationOptions({
      rpID: this.settings.rpId,
      allowCredentials,
      userVerification: 'required',
      timeout: CEREMONY_TIMEOUT_MS,
    });
    return { options, challenge: options.challenge };
  }

  /**
   * Verifies what `get` answered to the options of `expectedChallenge`. The passkey is found by
   * its credential id; a flagged one is refused; the user handle, when sent, must be the
   * passkey's user; with `expectedUserId`, the passkey must be that user's. Then the signature
   * (user verification required), then the counter rule: a counter that did not go up flags the
   * passkey (`passkey.clone_suspected`) and answers `cloned`. A success records the counter, the
   * use and the backup state; the caller records the sign-in.
   */
  async authenticate(response: AuthenticationResponseJSON, expectedChallenge: string, meta: RequestMeta, expectedUserId?: string): Promise<AuthenticationResult> {
    if (!isObject(response) || typeof response.id !== 'string' || !CREDENTIAL_ID.test(response.id) || !isObject(response.response) || !expectedChallenge) {
      return { ok: false, reason: 'invalid' };
    }
    const passkey = await this.repo.findByCredentialId(response.id);
    if (!passkey) return { ok: false, reason: 'unknown' };
    if (passkey.flaggedAt) return { ok: false, reason: 'flagged' };
    const handle = response.response.userHandle;
    if (handle !== undefined && handle !== null && handle !== '' && (typeof handle !== 'string' || userIdOfHandle(handle) !== passkey.userId)) {
      return { ok: false, reason: 'wrong_user' };
    }
    if (expectedUserId !== undefined && expectedUserId !== passkey.userId) return { ok: false, reason: 'wrong_user' };

    let verification;
    try {
      verification = await verifyAuthenticationResponse({
        response,
        expectedChallenge,
        expectedOrigin: [...this.settings.origins],
        expectedRPID: this.settings.rpId,
        // The counter rule is applied below, on a verified signature only (SimpleWebAuthn would
        // throw a generic error before checking the signature).
        credential: { id: passkey.credentialId, publicKey: new Uint8Array(Buffer.from(passkey.publicKey, 'base64url')), counter: 0, transports: passkey.transports },
        requireUserVerification: true,
      });
    } catch {
      return { ok: false, reason: 'invalid' };
    }
    if (!verification.verified) return { ok: false, reason: 'invalid' };
    const { newCounter, credentialBackedUp, credentialDeviceType } = verification.authenticationInfo;

    if (counterAdvances(passkey.counter, newCounter) && (await this.repo.recordUse(passkey.id, { newCounter, backedUp: credentialBackedUp }))) {
      return { ok: true, userId: passkey.userId, passkeyId: passkey.id, synced: credentialDeviceType === 'multiDevice' || passkey.deviceType === 'multiDevice' };
    }
    // The counter did not go up (or another use moved it past this one meanwhile): a copy of the
    // key is signing somewhere. A flag set by a concurrent request is reported as such.
    if (await this.repo.flag(passkey.id)) {
      await this.events.record({
        type: 'passkey.clone_suspected',
        userId: passkey.userId,
        ...meta,
        method: 'passkey',
        details: { passkeyId: passkey.id, storedCounter: passkey.counter, newCounter },
      });
      return { ok: false, reason: 'cloned' };
    }
    const now = await this.repo.findByCredentialId(passkey.credentialId);
    return { ok: false, reason: now ? 'flagged' : 'unknown' };
  }

  /** The user's passkeys, newest first, flagged ones too (marked). */
  async list(userId: string): Promise<PasskeyView[]> {
    return (await this.repo.listByUser(userId)).map(passkeyView);
  }

  /** How many of the user's passkeys can sign in (not flagged). */
  count(userId: string): Promise<number> {
    return this.repo.countUsable(userId);
  }
}

/** WebAuthn §6.1.1: both 0 (a passkey that does not count) or strictly higher. */
export function counterAdvances(stored: number, received: number): boolean {
  return (stored === 0 && received === 0) || received > stored;
}

function isObject(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
