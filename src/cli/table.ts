// Plain-text tables for the terminal: right-aligned numbers with thousands separators.
export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

export function signed(n: number): string {
  return (n > 0 ? "+" : "") + fmtInt(n);
}

export function renderTable(headers: string[], rows: string[][], rightAligned: boolean[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : rightAligned[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join("  ");
  return [line(headers), ...rows.map(line)].join("\n");
}
