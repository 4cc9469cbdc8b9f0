// V8 constructor and native names, made stable across snapshots (object ids).
import { capTypeName } from "../../formats/normalise.js";

/** Normalises a V8 constructor/native name: drops ` @123` object-id suffixes. */
export function normaliseV8Name(raw: string): string {
  return capTypeName(raw.trimEnd().replace(/@\d+$/, ""));
}
