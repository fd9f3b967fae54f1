/** The ordered list of migrations, loaded statically so the compiled build and tests share it. */
import type { Knex } from 'knex';
import * as foundation from './001_foundation.js';
import * as secondFactors from './002_second_factors.js';
import * as sealedClientSecrets from './003_sealed_client_secrets.js';
import * as accountIndex from './004_account_index.js';
import * as credentialCounters from './005_credential_counters.js';
import { keyedSecrets } from './006_keyed_secrets.js';
import * as passkeys from './007_passkeys.js';
import * as mfaEnabledBy from './008_mfa_enabled_by.js';
import * as clientNotices from './009_client_notices.js';
import * as auditTrail from './010_audit_trail.js';
import * as federation from './011_federation.js';

export const migrations: Record<string, Knex.Migration> = {
  '001_foundation': foundation,
  '002_second_factors': secondFactors,
  '003_sealed_client_secrets': sealedClientSecrets,
  '004_account_index': accountIndex,
  '005_credential_counters': credentialCounters,
  '007_passkeys': passkeys,
  '008_mfa_enabled_by': mfaEnabledBy,
  '009_client_notices': clientNotices,
  '010_audit_trail': auditTrail,
  '011_federation': federation,
};

/** What migrations may need beyond knex: the master key, for those that convert stored secrets. */
export interface MigrationContext {
  masterKey?: Buffer;
}

/** Every migration, those that need the context built with it. */
export function migrationsFor(context: MigrationContext): Record<string, Knex.Migration> {
  return { ...migrations, '006_keyed_secrets': keyedSecrets(context) };
}
