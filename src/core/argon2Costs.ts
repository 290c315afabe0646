/**
 * Which Argon2id costs a passphrase blob may carry (docs/protocol.md §3.3). Sealing needs at least
 * one of OWASP's minimum settings; opening accepts down to the format's old floor, so blobs sealed
 * before that rule still open. Both refuse anything above one ceiling, so a blob imported from
 * elsewhere cannot make a phone allocate or compute without bound.
 */

/** An Argon2id cost: passes `t` and memory `m` in KiB (one lane). */
export interface Argon2Cost {
  readonly passes: number;
  readonly memKiB: number;
}

/**
 * OWASP Password Storage Cheat Sheet, "Argon2id": five settings of equal strength, trading memory
 * for passes (p = 1). A cost meets the minimum when it reaches one of them in both dimensions.
 */
export const OWASP_ARGON2ID_MINIMUMS: readonly Argon2Cost[] = Object.freeze([
  { passes: 1, memKiB: 47_104 },
  { passes: 2, memKiB: 19_456 },
  { passes: 3, memKiB: 12_288 },
  { passes: 4, memKiB: 9_216 },
  { passes: 5, memKiB: 7_168 },
]);

/**
 * The format's floor: 1 pass, 8 MiB. Opening accepts blobs down to it (earlier versions sealed at
 * it); sealing never goes below it either, so every blob sealed now also opens in earlier versions.
 */
export const ARGON2_FLOOR: Argon2Cost = Object.freeze({ passes: 1, memKiB: 8_192 });

/**
 * The ceiling for sealing and opening: at most 256 MiB of memory and at most 768 MiB·passes of
 * work, which is libsodium's "moderate" setting (t = 3, m = 256 MiB): four times the default's
 * memory and work (t = 3, m = 64 MiB). Above it sit 1 GiB allocations, which phones refuse or
 * kill an app for; docs/protocol.md §3.3 gives the measured times.
 */
export const ARGON2_CEILING = Object.freeze({ memKiB: 262_144, passesTimesMemKiB: 786_432 });

function withinCeiling(passes: number, memKiB: number): boolean {
  return (
    Number.isSafeInteger(passes) && Number.isSafeInteger(memKiB) && passes >= 1 &&
    memKiB <= ARGON2_CEILING.memKiB && passes * memKiB <= ARGON2_CEILING.passesTimesMemKiB
  );
}

/** True when a blob may be sealed at this cost: one of OWASP's minimums reached, the floor and the ceiling kept. */
export function sealCostAllowed(passes: number, memKiB: number): boolean {
  return (
    withinCeiling(passes, memKiB) && memKiB >= ARGON2_FLOOR.memKiB &&
    OWASP_ARGON2ID_MINIMUMS.some((min) => passes >= min.passes && memKiB >= min.memKiB)
  );
}

/** True when a blob with this cost may be opened: the floor and the ceiling kept. */
export function openCostAllowed(passes: number, memKiB: number): boolean {
  return withinCeiling(passes, memKiB) && passes >= ARGON2_FLOOR.passes && memKiB >= ARGON2_FLOOR.memKiB;
}
