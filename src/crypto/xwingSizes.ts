/** Sizes of the X-Wing KEM (draft-connolly-cfrg-xwing-kem; X25519 + ML-KEM-768), in bytes. */

/** The secret key is a 32-byte seed from which both component key pairs are expanded. */
export const XWING_SEED_BYTES = 32;
/** ML-KEM-768 encapsulation key (1184) ‖ X25519 public key (32). */
export const XWING_PUBLIC_KEY_BYTES = 1216;
/** ML-KEM-768 ciphertext (1088) ‖ X25519 ephemeral public key (32). */
export const XWING_CIPHERTEXT_BYTES = 1120;
/** Randomness of one encapsulation: 32 bytes for ML-KEM, 32 for the X25519 ephemeral key. */
export const XWING_ESEED_BYTES = 64;
/** The shared secret. */
export const XWING_SHARED_SECRET_BYTES = 32;
