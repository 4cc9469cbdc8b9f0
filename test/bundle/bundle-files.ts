// Paths and readers shared by the bundle's tests.
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import YAML from "yaml";

export const ROOT = path.resolve(__dirname, "../..");
export const RULES_FILE = path.join(ROOT, "prometheus/rules/leakwatch.rules.yml");
export const RULE_TESTS_DIR = path.join(ROOT, "prometheus/tests");
export const RUNBOOK = path.join(ROOT, "docs/runbook.md");
/** The one base every alert's runbook_url is built from (scripts/generate-prometheusrule.mjs applies it). */
export const RUNBOOK_URL: string = (YAML.parse(readFileSync(path.join(ROOT, "prometheus/settings.yml"), "utf8")) as { runbookBase: string }).runbookBase;

export interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
export interface RuleGroup {
  name: string;
  interval?: string;
  rules: Rule[];
}

export function readRuleGroups(file = RULES_FILE): RuleGroup[] {
  return (YAML.parse(readFileSync(file, "utf8")) as { groups: RuleGroup[] }).groups;
}

export const ruleTestFiles = (): string[] =>
  readdirSync(RULE_TESTS_DIR)
    .filter((f) => f.endsWith(".test.yml"))
    .sort()
    .map((f) => path.join(RULE_TESTS_DIR, f));

/** GitHub's anchor for a Markdown heading. */
export function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s-]/gu, "")
    .replace(/\s/g, "-");
}

export function runbookAnchors(): Set<string> {
  const md = readFileSync(RUNBOOK, "utf8");
  return new Set([...md.matchAll(/^#{1,6}\s+(.+)$/gm)].map((m) => slug(m[1]!)));
}
