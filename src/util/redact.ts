// What leakwatch shows of a command line or a URL without authentication (/metrics, the read-only API, the UI, the
// run report): the shape, never a secret. Command lines carry passwords and tokens as arguments
// (`--db-password=…`, `-Djavax.net.ssl.keyStorePassword=…`, `API_KEY=…`) and URLs carry them in their userinfo
// and query strings (`?apikey=…`). Values are replaced, names are kept, so a reader still sees what was passed.

/** The mark that stands for a removed value. */
export const REDACTED = "***";

/** Option and variable names whose values are secrets: password, passwd, pwd, token, secret, key, credential(s), auth. */
const SECRET_NAME = /pass(?:word|wd)?|pwd|token|secret|(?:^|[-_.])key(?:s|store)?(?:$|[-_.])|apikey|api[-_]key|credential|auth|cookie|session|private/i;

/**
 * A URL without its userinfo (a user name can be a token too) and with every query value replaced (parameter names
 * kept); the input when not a URL.
 */
export function redactUrl(text: string): string {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return text;
  }
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return text;
  u.username = "";
  u.password = "";
  if (u.search) {
    const names = [...new Set([...u.searchParams.keys()])];
    u.search = names.map((n) => `${encodeURIComponent(n)}=${REDACTED}`).join("&");
  }
  return u.href.replace(/%2A%2A%2A/g, REDACTED);
}

/** True when an option or variable name (without leading dashes or -D) names a secret. */
export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

/**
 * A command line (words separated by spaces, as /proc/PID/cmdline joined) with every secret value replaced by
 * "***": `--password=x` and `--password x`, `-Dsome.password=x`, `NAME_TOKEN=x`, and the credentials and query
 * values of URLs anywhere in it.
 */
export function redactCommandLine(command: string): string {
  const words = command.split(" ");
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const assign = /^(--?[\w.-]+|-D[\w.-]+|[A-Za-z_][\w.]*)=(.*)$/.exec(w);
    if (assign !== null) {
      const name = assign[1]!.replace(/^--?D?/, "");
      out.push(isSecretName(name) && assign[2] !== "" ? `${assign[1]}=${REDACTED}` : `${assign[1]}=${redactUrl(assign[2]!)}`);
      continue;
    }
    out.push(redactUrl(w));
    // `--password VALUE`: the next word is the secret (unless it is itself an option).
    if (/^--?[\w.-]+$/.test(w) && isSecretName(w.replace(/^--?/, "")) && i + 1 < words.length && !words[i + 1]!.startsWith("-")) {
      out.push(REDACTED);
      i++;
    }
  }
  return out.join(" ");
}

/**
 * A name on a retention path (a field, property or variable name, or what roots an object) as shown without
 * authentication. Names in code are identifiers; a program that uses an object as a dictionary makes its keys
 * property names, and those keys can be data (a session id, an e-mail address). Kept: element indices ("[3]", and
 * .NET's "[]"), identifiers and dotted or spaced identifier phrases ("static Program.Sessions", "(GC roots)")
 * without a long run of digits or hex and not shaped like a token; anything else is REDACTED.
 */
export function redactPathName(name: string): string {
  if (/^\[\d*\]$/.test(name)) return name;
  const words = name.split(" ");
  // A word may be a namespace-qualified name (a .NET static field: `static System.Text.Json.JsonSerializer.Cache`):
  // each dotted part as short as an identifier, the whole bounded.
  const word = (w: string) => w.length <= 160 && /^\(?[A-Za-z_$<][\w$.<>`'()[\]-]*\)?$/.test(w) && w.split(".").every((part) => part.length <= 48);
  const ok = name.length <= 200 && words.every((w) => word(w) || /^[/:→-]$/.test(w));
  if (!ok || /\d{5,}|[0-9a-f]{12,}/i.test(name) || /[A-Za-z]\w*\d\w*[A-Za-z]\w*\d/.test(name.replace(/[^\w]/g, "")) || /@/.test(name)) return REDACTED;
  return name;
}
