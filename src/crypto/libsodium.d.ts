/**
 * The `libsodium` and `libsodium-sumo` packages ship no types; src/crypto/sodiumWasm.ts
 * describes what they export.
 */
declare module 'libsodium' {
  const exported: unknown;
  export default exported;
}
declare module 'libsodium-sumo' {
  const exported: unknown;
  export default exported;
}
