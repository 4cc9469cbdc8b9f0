/// <reference lib="es2024.arraybuffer" />
// A growable typed array for a reader that learns how many values there are only at the end (the objects of a heap
// walk), on a resizable ArrayBuffer: it grows in place (no copy, no chunks), only the pages written become resident,
// and release() gives its memory back at once. A plain typed array let go is freed only when the garbage collector
// next runs, which in a thread that allocates almost nothing can be never: each freed copy or chunk then adds its
// size to the peak (measured on a 10 M-object .NET heap: 586 MB with chunks and copies). Written by hand: no
// library on npm does this for typed arrays.

type Arr = Uint16Array | Uint32Array | Float64Array;
interface Ctor<A extends Arr> {
  new (length: number): A;
  new (buffer: ArrayBuffer, byteOffset: number, length: number): A;
  readonly BYTES_PER_ELEMENT: number;
}

/** The largest resizable ArrayBuffer V8 allows (4 GiB). */
const MAX_BYTES = 2 ** 32;
const FIRST_BYTES = 64 * 1024;

export class Column<A extends Arr = Arr> {
  private readonly buf: ArrayBuffer;
  private arr: A;
  length = 0;

  constructor(private readonly ctor: Ctor<A>) {
    this.buf = reserve();
    this.buf.resize(FIRST_BYTES);
    this.arr = new ctor(this.buf, 0, FIRST_BYTES / ctor.BYTES_PER_ELEMENT);
  }

  /** Values this column can hold at most. */
  get limit(): number {
    return Math.floor(this.buf.maxByteLength / this.ctor.BYTES_PER_ELEMENT);
  }

  push(v: number): void {
    if (this.length === this.arr.length) this.grow();
    this.arr[this.length++] = v;
  }

  /** The values so far, as a view of this column's memory (valid until release()). */
  view(): A {
    return new this.ctor(this.buf, 0, this.length);
  }

  /**
   * Makes room for n values (the contents are kept) and sets the length: for a column rewritten in place (prefix sums
   * over the counts). The new values are 0.
   */
  setLength(n: number): void {
    while (this.arr.length < n) this.grow(n);
    this.length = n;
  }

  /** The values in a plain typed array of their own; this column's memory is given back. */
  take(): A {
    const out = new this.ctor(this.length);
    out.set(this.view());
    this.release();
    return out;
  }

  /**
   * The values in a new column of a wider kind (each through `map`), this one's memory given back: for a reader that
   * finds its values no longer fit (a 65 537th type, an address that cannot be packed).
   */
  widen<B extends Arr>(ctor: Ctor<B>, map: (v: number) => number = (v) => v): Column<B> {
    const wide = new Column(ctor);
    const values = this.view();
    for (let i = 0; i < values.length; i++) wide.push(map(values[i]!));
    this.release();
    return wide;
  }

  /** Gives the memory back now; the column is empty afterwards. */
  release(): void {
    this.buf.resize(0);
    this.arr = new this.ctor(this.buf, 0, 0);
    this.length = 0;
  }

  private grow(atLeast = 0): void {
    const bytes = Math.min(Math.max(this.buf.byteLength * 2, FIRST_BYTES, atLeast * this.ctor.BYTES_PER_ELEMENT), this.buf.maxByteLength);
    if (bytes <= this.buf.byteLength) throw new RangeError(`more than ${this.limit} values in one column`);
    this.buf.resize(bytes);
    this.arr = new this.ctor(this.buf, 0, bytes / this.ctor.BYTES_PER_ELEMENT);
  }
}

/** A resizable buffer of up to 4 GiB of address space (reserved, not committed), less where the system refuses. */
function reserve(): ArrayBuffer {
  for (let max = MAX_BYTES; ; max /= 2) {
    try {
      return new ArrayBuffer(0, { maxByteLength: max });
    } catch (err) {
      if (max <= FIRST_BYTES) throw err;
    }
  }
}
