/**
 * The Socket.IO packet shape, shared by the socket layer (which encodes and decodes it, socket/parser.ts) and
 * the room stores (which route it, rooms/): neither imports the other for it.
 */

/** Socket.IO packet types. */
export const PacketType = {
  CONNECT: 0,
  DISCONNECT: 1,
  EVENT: 2,
  ACK: 3,
  CONNECT_ERROR: 4,
  BINARY_EVENT: 5,
  BINARY_ACK: 6,
} as const;
/** A Socket.IO packet type. */
export type PacketType = (typeof PacketType)[keyof typeof PacketType];

/** A Socket.IO packet. */
export interface Packet {
  /** The packet type. */
  type: PacketType;
  /** The namespace. */
  nsp: string;
  /** The payload. */
  data?: unknown;
  /** The ack id. */
  id?: number;
  /** The number of binary attachments. */
  attachments?: number;
}
