/**
 * Domain-separation labels: every hash, derived key and signature in the protocol names its
 * purpose, so no value made for one purpose is ever accepted for another. docs/protocol.md
 * lists each with the inputs it covers. Changing one is a wire-format change.
 */
/**
 * Every protocol label starts with this prefix, and nothing else may sign under it: `Device.sign`
 * refuses such labels, so an app cannot be made to produce a chain entry, a consent, a key
 * statement or a request signature (docs/protocol.md §2).
 */
export const PROTOCOL_LABEL_PREFIX = 'multikey-sync/';

/** A label under the protocol's own prefix. */
export type ProtocolLabel = `${typeof PROTOCOL_LABEL_PREFIX}${string}`;

/**
 * True when `label` is under the protocol's prefix. Checking the string is enough: in UTF-8 an
 * ASCII byte only ever encodes that ASCII character, so no other string encodes to bytes that
 * begin with the prefix.
 */
export function isProtocolLabel(label: string): label is ProtocolLabel {
  return label.startsWith(PROTOCOL_LABEL_PREFIX);
}

export const LABELS = {
  deviceId: 'multikey-sync/v1/device-id',
  encryptionKeyBinding: 'multikey-sync/v1/encryption-key-binding',
  pairwiseKey: 'multikey-sync/v1/pairwise-wrap-key',
  envelopeHash: 'multikey-sync/v1/envelope-hash',
  grantNonce: 'multikey-sync/v1/grant-nonce',
  recoveryIdentity: 'multikey-sync/v1/recovery-identity',
  recoveryEncryption: 'multikey-sync/v1/recovery-encryption',
  pairingMailbox: 'multikey-sync/v1/pairing-mailbox',
  pairingKey: 'multikey-sync/v1/pairing-key',
  sasCommit: 'multikey-sync/v1/sas-commit',
  // Format v2 (docs/protocol.md): constructions that changed, or are new, carry v2 labels.
  keyStatement: 'multikey-sync/v2/key-statement',
  pairKey: 'multikey-sync/v2/pair-key',
  keyCommitment: 'multikey-sync/v2/key-commitment',
  envelopeHashV2: 'multikey-sync/v2/envelope-hash',
  grantNonceV2: 'multikey-sync/v2/grant-nonce',
  logCheckpoint: 'multikey-sync/v2/log-checkpoint',
  logCheckpointHash: 'multikey-sync/v2/log-checkpoint-hash',
  recoveryKem: 'multikey-sync/v2/recovery-kem',
  keyRing: 'multikey-sync/v2/key-ring',
  sasCode: 'multikey-sync/v2/sas-code',
} as const;

/** One of the protocol's labels. */
export type Label = (typeof LABELS)[keyof typeof LABELS];
