// A hand-made HPROF file for the reader's tests: HotSpot writes 8-byte identifiers on every 64-bit JVM (even with
// -XX:-UseCompressedOops), so 4-byte identifiers can only be tested with a file made by hand.

/** A hand-made HPROF with 4-byte identifiers: a class with one reference field, two instances, an array. */
/** With `unordered`, the byte[] comes before the objects at lower addresses (ids not in address order). */
export function tinyHprof(opts: { unordered?: boolean } = {}): Buffer {
  const parts: Buffer[] = [Buffer.from("JAVA PROFILE 1.0.2\0", "latin1")];
  const u1 = (v: number) => Buffer.of(v);
  const u2 = (v: number) => {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(v);
    return b;
  };
  const u4 = (v: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(v);
    return b;
  };
  parts.push(u4(4), u4(0), u4(0));
  const record = (tag: number, body: Buffer) => parts.push(u1(tag), u4(0), u4(body.length), body);
  record(0x01, Buffer.concat([u4(1), Buffer.from("demo/Node")]));
  record(0x01, Buffer.concat([u4(2), Buffer.from("next")]));
  record(0x01, Buffer.concat([u4(3), Buffer.from("[Ldemo/Node;")]));
  record(0x02, Buffer.concat([u4(1), u4(0x100), u4(0), u4(1)]));
  record(0x02, Buffer.concat([u4(2), u4(0x200), u4(0), u4(3)]));
  const heap = Buffer.concat([
    // CLASS DUMP demo/Node: no super, one instance field `next` (object)
    u1(0x20),
    u4(0x100),
    u4(0),
    u4(0),
    u4(0),
    u4(0),
    u4(0),
    u4(0),
    u4(0),
    u4(4),
    u2(0),
    u2(0),
    u2(1),
    u4(2),
    u1(2),
    u1(0x20),
    u4(0x200),
    u4(0),
    u4(0),
    u4(0),
    u4(0),
    u4(0),
    u4(0),
    u4(0),
    u4(0),
    u2(0),
    u2(0),
    u2(0),
    ...(opts.unordered ? [u1(0x23), u4(0x3000), u4(0), u4(3), u1(8), Buffer.from([1, 2, 3])] : []),
    // two instances: 0x1000 → 0x1008
    u1(0x21),
    u4(0x1000),
    u4(0),
    u4(0x100),
    u4(4),
    u4(0x1008),
    u1(0x21),
    u4(0x1008),
    u4(0),
    u4(0x100),
    u4(4),
    u4(0),
    // an array of both, rooted as a JNI global
    u1(0x22),
    u4(0x2000),
    u4(0),
    u4(2),
    u4(0x200),
    u4(0x1000),
    u4(0x1008),
    ...(opts.unordered ? [] : [u1(0x23), u4(0x3000), u4(0), u4(3), u1(8), Buffer.from([1, 2, 3])]),
    u1(0x01),
    u4(0x2000),
    u4(0),
  ]);
  record(0x1c, heap);
  record(0x2c, Buffer.alloc(0));
  return Buffer.concat(parts);
}
