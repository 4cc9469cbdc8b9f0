import { describe, expect, it } from "vitest";
import { redactCommandLine, redactPathName, redactUrl } from "../../../src/util/redact.js";

describe("redactCommandLine", () => {
  it.each([
    ["java -Xmx1g -jar app.jar --db-password=hunter2", "java -Xmx1g -jar app.jar --db-password=***"],
    ["node server.js --token abc123 --port 8080", "node server.js --token *** --port 8080"],
    ["java -Djavax.net.ssl.keyStorePassword=s3cret -Dfile.encoding=UTF-8 Main", "java -Djavax.net.ssl.keyStorePassword=*** -Dfile.encoding=UTF-8 Main"],
    ["env PGPASSWORD=pw API_KEY=k psql", "env PGPASSWORD=*** API_KEY=*** psql"],
    ["curl https://user:pw@example.com/x?apikey=1&q=2", "curl https://example.com/x?apikey=***&q=***"],
    ["app --secret-file=/run/secrets/db --client-secret xyz", "app --secret-file=*** --client-secret ***"],
    ["dotnet app.dll --urls http://0.0.0.0:5000", "dotnet app.dll --urls http://0.0.0.0:5000/"],
  ])("%s", (input, expected) => {
    expect(redactCommandLine(input)).toBe(expected);
  });

  it("keeps command lines without secrets as they are", () => {
    for (const c of ["node leaky.js 10", "java -jar app.jar --port 8080 --name orders", "python3 -m http.server", ""]) expect(redactCommandLine(c)).toBe(c);
  });

  it("never lets a flagged value through, whatever the spelling", () => {
    for (const name of ["password", "PASSWORD", "db_pass", "passwd", "auth-token", "api-key", "apikey", "private-key", "ssl.key"]) {
      expect(redactCommandLine(`x --${name}=VALUE`)).not.toContain("VALUE");
      expect(redactCommandLine(`x --${name} VALUE`)).not.toContain("VALUE");
    }
  });
});

describe("redactUrl", () => {
  it("removes the user, the password and query values, keeps the rest", () => {
    expect(redactUrl("http://u:p@h:8080/a/b?apikey=xyz&page=2#f")).toBe("http://h:8080/a/b?apikey=***&page=***#f");
    expect(redactUrl("http://h/metrics")).toBe("http://h/metrics");
    expect(redactUrl("not a url")).toBe("not a url");
  });
});

describe("redactPathName", () => {
  it("keeps names from code: identifiers, dotted and spaced phrases, root groups, element indices", () => {
    for (const n of [
      "sessions",
      "_events",
      "table",
      "static Program.Sessions",
      "(GC roots) / (Global handles)",
      "(Map entry)",
      "[12]",
      "[]",
      "static System.Management.Automation.Internal.ValueStringDecorated.AnsiRegex",
      "_items",
      "Owner.listeners",
      "elementData",
    ])
      expect(redactPathName(n), n).toBe(n);
  });

  it("masks names that look like data: hex and digit runs, e-mail addresses, token shapes, long or odd strings", () => {
    for (const n of [
      "a8f3c9d2e1b4f5a6",
      "user@example.com",
      "sid_8f7Ab9xQ2mZ4",
      "5f3e8a21-77b1-4c2e-9d4a-0e2b9c7f1a33",
      "order 1234567",
      "x".repeat(90),
      `static ${"a.".repeat(100)}b`,
      "key=value;",
    ])
      expect(redactPathName(n), n).toBe("***");
  });
});
