/** A set of device cards indexed by id: the recipients of a seal and the senders `open` trusts. */
import { ValidationError } from '../errors.js';
import { cardKey, DEVICE_ID_BYTES, idKey, type DevicePublic } from './devicePublic.js';

/** Looks a device up by id; `open` uses it to find the card of an envelope's sender. */
export interface DeviceLookup {
  get(id: Uint8Array): DevicePublic | undefined;
}

/** An immutable set of device cards, one per id. */
export class DeviceDirectory implements DeviceLookup, Iterable<DevicePublic> {
  readonly #byId: ReadonlyMap<string, DevicePublic>;

  /**
   * @throws {ValidationError} `RECIPIENT_DUPLICATE` when two cards share an id;
   *   `RECIPIENTS_INVALID` for an id that is not 16 bytes.
   */
  constructor(devices: Iterable<DevicePublic>) {
    const byId = new Map<string, DevicePublic>();
    for (const d of devices) {
      if (!(d.id instanceof Uint8Array) || d.id.length !== DEVICE_ID_BYTES) {
        throw new ValidationError('RECIPIENTS_INVALID', 'a device id must be 16 bytes');
      }
      const key = cardKey(d);
      if (byId.has(key)) throw new ValidationError('RECIPIENT_DUPLICATE', 'a device appears twice in one device set');
      byId.set(key, d);
    }
    this.#byId = byId;
  }

  /** Number of devices. */
  get size(): number {
    return this.#byId.size;
  }

  /** The card with this id, if present. */
  get(id: Uint8Array): DevicePublic | undefined {
    return this.#byId.get(idKey(id));
  }

  /** True when a card with this id is present. */
  has(id: Uint8Array): boolean {
    return this.#byId.has(idKey(id));
  }

  [Symbol.iterator](): Iterator<DevicePublic> {
    return this.#byId.values();
  }
}
