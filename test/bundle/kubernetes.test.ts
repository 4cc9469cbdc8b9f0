// deploy/kubernetes/: the PrometheusRule is generated from prometheus/rules/leakwatch.rules.yml and must stay in
// sync; the sidecar example and the PodMonitor must fit together.
import { describe, expect, it } from "vitest";
import { execa } from "execa";
import { readFileSync } from "node:fs";
import path from "node:path";
import YAML from "yaml";
import { ROOT, readRuleGroups } from "./bundle-files.js";

const K8S = path.join(ROOT, "deploy/kubernetes");
const docs = (file: string) => YAML.parseAllDocuments(readFileSync(path.join(K8S, file), "utf8")).map((d) => d.toJS());

describe("PrometheusRule", () => {
  it("is what scripts/generate-prometheusrule.mjs makes of the rules file", async () => {
    const r = await execa(process.execPath, [path.join(ROOT, "scripts/generate-prometheusrule.mjs"), "--check"], { reject: false });
    expect(r.exitCode, r.stderr).toBe(0);
  });

  it("holds exactly the rule groups of prometheus/rules/leakwatch.rules.yml", () => {
    const [rule] = docs("prometheusrule.yaml");
    expect(rule.apiVersion).toBe("monitoring.coreos.com/v1");
    expect(rule.kind).toBe("PrometheusRule");
    expect(rule.spec.groups).toEqual(readRuleGroups());
  });
});

describe("sidecar example and PodMonitor", () => {
  const [deploy] = docs("sidecar.yaml");
  const [monitor] = docs("podmonitor.yaml");
  const pod = deploy.spec.template.spec;
  const leakwatch = pod.containers.find((c: { name: string }) => c.name === "leakwatch");

  it("shares the process namespace and /tmp between the app and leakwatch, under one uid", () => {
    expect(pod.shareProcessNamespace).toBe(true);
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
    const tmp = pod.volumes.find(
      (v: { name: string; emptyDir?: unknown }) =>
        v.emptyDir !== undefined &&
        pod.containers.every((c: { volumeMounts: { name: string; mountPath: string }[] }) =>
          c.volumeMounts.some((m) => m.name === v.name && m.mountPath === "/tmp"),
        ),
    );
    expect(tmp, "an emptyDir mounted at /tmp in every container").toBeDefined();
    for (const c of pod.containers) expect(c.securityContext?.runAsUser ?? pod.securityContext.runAsUser).toBe(pod.securityContext.runAsUser);
  });

  it("runs leakwatch without privileges", () => {
    expect(leakwatch.securityContext.allowPrivilegeEscalation).toBe(false);
    expect(leakwatch.securityContext.readOnlyRootFilesystem).toBe(true);
    expect(leakwatch.securityContext.capabilities.drop).toEqual(["ALL"]);
    expect(leakwatch.securityContext.capabilities.add).toBeUndefined();
    expect(leakwatch.securityContext.privileged ?? false).toBe(false);
    expect(pod.hostPID ?? false).toBe(false);
    expect(leakwatch.image).toMatch(/:\d[\w.-]*$/);
    const dataDir = leakwatch.args.find((a: string) => a.startsWith("--data-dir="))?.split("=")[1];
    expect(leakwatch.volumeMounts.map((m: { mountPath: string }) => m.mountPath)).toContain(dataDir);
  });

  it("is scraped by the PodMonitor as job leakwatch", () => {
    expect(monitor.kind).toBe("PodMonitor");
    for (const [k, v] of Object.entries(monitor.spec.selector.matchLabels)) expect(deploy.spec.template.metadata.labels[k]).toBe(v);
    const endpoint = monitor.spec.podMetricsEndpoints[0];
    const port = leakwatch.ports.find((p: { name: string }) => p.name === endpoint.port);
    expect(port, `leakwatch has a port named ${endpoint.port}`).toBeDefined();
    const listen = leakwatch.args.find((a: string) => a.startsWith("--listen="));
    expect(listen.endsWith(`:${port.containerPort}`)).toBe(true);
    expect(endpoint.relabelings).toContainEqual({ action: "replace", targetLabel: "job", replacement: "leakwatch" });
    expect(leakwatch.readinessProbe.httpGet.path).toBe("/healthz");
  });
});
