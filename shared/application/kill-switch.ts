import type { ConfigAdmin } from '../ports';
import type { DecisionConfig, KillSwitch } from '../schemas/config';
import type { ActedBy } from '../schemas/identity';
import { activateVersion, createVersion } from './governance';

/** How soon every turn sees a switch (the turns' pointer cache, CONFIG_POINTER_CACHE_MS). */
export const KILL_SWITCH_EFFECT_SECONDS = 3;

export type KillSwitchResult =
  | { kind: 'no-config' }
  | { kind: 'conflict' }
  /** Already in the state asked for: nothing created, nothing recorded (a retried request lands here). */
  | { kind: 'unchanged'; on: boolean; version: string; killSwitch?: KillSwitch }
  | { kind: 'switched'; on: boolean; version: string; previousVersion: string; killSwitch?: KillSwitch };

/** A version id for the switch, from the time: `ks-on-20261202T031500123Z` (26 characters). */
const versionFor = (on: boolean, now: string) => `ks-${on ? 'on' : 'off'}-${now.replace(/[-:.]/g, '')}`;

/**
 * Turns the kill switch on or off in one step: a new configuration version, the active one with the
 * switch set (or cleared), created and activated with its audit entry in the same write (who, when,
 * why, and the version it replaced). Already in that state: nothing changes, nothing is recorded.
 */
export async function setKillSwitch(
  deps: { configs: ConfigAdmin },
  request: { on: boolean; reason: string },
  by: ActedBy,
  now: string,
): Promise<KillSwitchResult> {
  const active = await deps.configs.active();
  if (!active) return { kind: 'no-config' };
  const current = active.config.killSwitch;
  if ((current !== undefined) === request.on)
    return {
      kind: 'unchanged',
      on: request.on,
      version: active.version,
      ...(current ? { killSwitch: current } : {}),
    };
  const version = versionFor(request.on, now);
  const { killSwitch: _previous, ...rest } = active.config;
  const killSwitch: KillSwitch | undefined = request.on
    ? { reason: request.reason, since: now, by }
    : undefined;
  const config: DecisionConfig = { ...rest, version, ...(killSwitch ? { killSwitch } : {}) };
  if ((await createVersion(deps.configs, config, by, now)) === 'exists') return { kind: 'conflict' };
  // A lever for a bad night: no second person is asked (the reason is audited, and it is rolled back
  // or switched off as easily); it is on the history like any activation, so a rollback undoes it.
  const r = await activateVersion(
    deps.configs,
    {
      version,
      by,
      now,
      how: 'KILL_SWITCH',
      requireApproval: false,
      audit: {
        at: now,
        by,
        action: request.on ? 'kill-switch-on' : 'kill-switch-off',
        subject: version,
        previousVersion: active.version,
        reason: request.reason,
      },
    },
    active,
  );
  if (r.kind !== 'activated') return { kind: 'conflict' };
  return {
    kind: 'switched',
    on: request.on,
    version,
    previousVersion: active.version,
    ...(killSwitch ? { killSwitch } : {}),
  };
}
