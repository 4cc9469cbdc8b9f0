// Plain-text tables for the terminal: right-aligned numbers with thousands separators.
export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

export function signed(n: number): string {
  return (n > 0 ? "+" : "") + fmtInt(n);
}

export function renderTable(headers: string[], rows: string[][], rightAligned: boolean[]): string {
  // A loop, not Math.max(...rows): spreading 150 k rows into arguments overflows the call stack.
  const widths = headers.map((h) => h.length);
  for (const r of rows) for (let i = 0; i < widths.length; i++) widths[i] = Math.max(widths[i]!, r[i]!.length);
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : rightAligned[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join("  ");
  const out = [line(headers)];
  for (const r of rows) out.push(line(r));
  return out.join("\n");
}
