/**
 * The two screens of a pairing and the person looking at both: the approving device shows a
 * code, and the person confirms on the new device only if the new device shows the same one.
 * When the approving device ends without showing a code (it failed), the person sees none and
 * declines.
 */
export interface SasScreens {
  /** The approving device's screen (ApproveOfferOptions.showSas). */
  showSas: (sas: string) => void;
  /** The approving device ended without a code. */
  nothingShown: () => void;
  /** The person at the new device (JoinWithOfferOptions.confirmSas): yes iff the codes match. */
  confirmSas: (sas: string) => Promise<boolean>;
  /** What the approving device showed, once it did (null: nothing). */
  readonly shown: Promise<string | null>;
}

export function sasScreens(): SasScreens {
  let resolve!: (sas: string | null) => void;
  const shown = new Promise<string | null>((r) => (resolve = r));
  return {
    showSas: (sas) => resolve(sas),
    nothingShown: () => resolve(null),
    confirmSas: async (sas) => sas === (await shown),
    shown,
  };
}

/** Runs an approval and tells the screens when it ends without a code. */
export function approving<T>(screens: SasScreens, approval: Promise<T>): Promise<T> {
  return approval.catch((error: unknown) => {
    screens.nothingShown();
    throw error;
  });
}
