// .NET type names as dotnet-gcdump and SOS print them, made stable across runs (size buckets, unknown-type addresses).
import { capTypeName } from "../../formats/normalise.js";

/** `System.String (Bytes > 10K)` → `System.String`: gcdump's size buckets are one type. */
// No leading \s* in the pattern: an unanchored \s* backtracks quadratically on long blank runs; trimEnd instead.
const DOTNET_SIZE_BUCKET = /\(Bytes ?> ?[\d.,'\u00a0\u202f]+ ?[KMGT]?B?\)$/;
/** SOS prints unknown types with their method table address: `<unknown_type_7ffc3b9b86f8>`. */
const DOTNET_UNKNOWN_TYPE = /<unknown_type_[0-9a-fA-F]+>/g;

/** Normalises a .NET type name (gcdump report or SOS dumpheap; module column already removed). */
export function normaliseDotnetTypeName(raw: string): string {
  return capTypeName(raw.trimEnd().replace(DOTNET_SIZE_BUCKET, "").replace(DOTNET_UNKNOWN_TYPE, "<unknown_type>"));
}

/** True when a gcdump type name carries a size-bucket suffix. */
export function hasDotnetSizeBucket(raw: string): boolean {
  return DOTNET_SIZE_BUCKET.test(raw.trimEnd());
}
