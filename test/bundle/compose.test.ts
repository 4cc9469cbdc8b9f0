// docker-compose.yml and the Dockerfile, checked by parsing (Docker is not available to the test suite): every
// file and directory mounted or copied exists, images are pinned, leakwatch runs unprivileged and sees the demo
// through its PID namespace only, and the services point at each other consistently.
import { describe, expect, it } from "vitest";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import YAML from "yaml";
import { ROOT } from "./bundle-files.js";

interface Service {
  image?: string;
  build?: string | { context?: string; dockerfile?: string; target?: string };
  command?: string[] | string;
  entrypoint?: string[] | string;
  volumes?: (string | { type: string; source?: string; target: string })[];
  healthcheck?: { test: string[] | string };
  pid?: string;
  cgroup?: string;
  network_mode?: string;
  privileged?: boolean;
  cap_add?: string[];
  cap_drop?: string[];
  user?: string;
  environment?: Record<string, string>;
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  read_only?: boolean;
}

const compose = YAML.parse(readFileSync(path.join(ROOT, "docker-compose.yml"), "utf8"), { merge: true }) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};
const services = compose.services;

/** The short volume syntax SOURCE:TARGET[:MODE], as { source, target, bind }. */
function mounts(s: Service): { source: string; target: string; bind: boolean }[] {
  return (s.volumes ?? []).map((v) => {
    if (typeof v !== "string") return { source: v.source ?? "", target: v.target, bind: v.type === "bind" };
    const [source, target] = v.split(":") as [string, string];
    return { source, target, bind: source.startsWith(".") || source.startsWith("/") };
  });
}

const pinned = (image: string) =>
  /^[\w./-]+(:[\w.-]*\d[\w.-]*)?(@sha256:[0-9a-f]{64})?$/.test(image) && /(:[\w.-]*\d|@sha256:)/.test(image) && !/:latest\b/.test(image);

describe("docker-compose.yml", () => {
  it("has the bundle's services, each with a healthcheck", () => {
    expect(Object.keys(services).sort()).toEqual(["alertmanager", "demo", "grafana", "leakwatch", "prometheus"]);
    for (const [name, s] of Object.entries(services)) expect(s.healthcheck?.test, `${name} healthcheck`).toBeDefined();
  });

  it("mounts only files and directories that exist, and declared named volumes", () => {
    for (const [name, s] of Object.entries(services)) {
      for (const m of mounts(s)) {
        if (m.bind) {
          expect(m.source.startsWith("./"), `${name}: ${m.source} is relative to the repository`).toBe(true);
          expect(existsSync(path.join(ROOT, m.source)), `${name}: ${m.source} exists`).toBe(true);
        } else {
          expect(Object.keys(compose.volumes ?? {}), `${name}: volume ${m.source} declared`).toContain(m.source);
        }
      }
    }
    const used = new Set(
      Object.values(services).flatMap((s) =>
        mounts(s)
          .filter((m) => !m.bind)
          .map((m) => m.source),
      ),
    );
    expect([...used].sort()).toEqual(Object.keys(compose.volumes).sort());
  });

  it("pins every image, and builds leakwatch and the demo from the repository's Dockerfile", () => {
    for (const [name, s] of Object.entries(services)) {
      if (s.build) {
        const b = typeof s.build === "string" ? { context: s.build } : s.build;
        expect(existsSync(path.join(ROOT, b.context ?? ".", b.dockerfile ?? "Dockerfile")), `${name}: Dockerfile`).toBe(true);
        if (b.target) expect(readFileSync(path.join(ROOT, "Dockerfile"), "utf8")).toMatch(new RegExp(`^FROM .* AS ${b.target}$`, "m"));
      } else {
        expect(pinned(s.image ?? ""), `${name}: ${s.image} pinned to an exact version`).toBe(true);
      }
    }
    expect(services.leakwatch!.build).toBeDefined();
    expect(services.demo!.image).toBe(services.leakwatch!.image);
  });

  it("runs the demo leaky service", () => {
    const entry = ([] as string[]).concat(services.demo!.entrypoint ?? [], services.demo!.command ?? []);
    const script = entry.find((w) => w.endsWith(".js"))!;
    expect(script).toBe("examples/leaky-service.js");
    expect(existsSync(path.join(ROOT, script))).toBe(true);
    expect(services.demo!.environment?.NODE_OPTIONS).toMatch(/--heapsnapshot-signal=SIGUSR2/);
  });

  it("gives leakwatch the demo's PID namespace and nothing more", () => {
    const lw = services.leakwatch!;
    expect(lw.pid).toBe("service:demo");
    expect(lw.privileged ?? false).toBe(false);
    expect(lw.cap_add ?? []).toEqual([]);
    expect(lw.cap_drop).toEqual(["ALL"]);
    expect(lw.network_mode).toBeUndefined();
    expect(lw.user ?? "").not.toMatch(/^(root|0)(:|$)/);
    expect(lw.read_only).toBe(true);
    for (const m of mounts(lw)) expect(m.source, "no host paths (docker.sock, /proc, /sys) in leakwatch").not.toMatch(/^\/|docker\.sock/);
    const args = ([] as string[]).concat(lw.command ?? []);
    const match = args.find((a) => a.startsWith("--match="))!.slice("--match=".length);
    expect(new RegExp(match).test("node examples/leaky-service.js")).toBe(true);
    expect(new RegExp(match).test(`/app/bin/leakwatch.js ${args.join(" ")}`)).toBe(false);
    expect(lw.depends_on?.demo?.condition).toBe("service_healthy");
  });

  it("wires Prometheus, Alertmanager and Grafana to each other and to the bundle's files", () => {
    const promConfig = YAML.parse(readFileSync(path.join(ROOT, "prometheus/prometheus.yml"), "utf8"));
    const target = promConfig.scrape_configs.find((j: { job_name: string }) => j.job_name === "leakwatch").static_configs[0].targets[0] as string;
    const listen = ([] as string[]).concat(services.leakwatch!.command ?? []).find((a) => a.startsWith("--listen="))!;
    expect(target).toBe(`leakwatch:${listen.split(":").pop()}`);
    expect(promConfig.alerting.alertmanagers[0].static_configs[0].targets[0]).toBe("alertmanager:9093");
    expect(promConfig.rule_files).toEqual(["rules/*.yml"]);
    const pm = mounts(services.prometheus!);
    expect(pm).toContainEqual({ source: "./prometheus/prometheus.yml", target: "/etc/prometheus/prometheus.yml", bind: true });
    expect(pm).toContainEqual({ source: "./prometheus/rules", target: "/etc/prometheus/rules", bind: true });
    expect(([] as string[]).concat(services.prometheus!.command ?? [])).toContain("--config.file=/etc/prometheus/prometheus.yml");
    expect(mounts(services.alertmanager!)).toContainEqual({
      source: "./prometheus/alertmanager.yml",
      target: "/etc/alertmanager/alertmanager.yml",
      bind: true,
    });

    const gm = mounts(services.grafana!);
    expect(gm).toContainEqual({ source: "./grafana/provisioning", target: "/etc/grafana/provisioning", bind: true });
    const provider = YAML.parse(readFileSync(path.join(ROOT, "grafana/provisioning/dashboards/leakwatch.yml"), "utf8")).providers[0];
    expect(gm).toContainEqual({ source: "./grafana/dashboards", target: provider.options.path, bind: true });
    const env = services.grafana!.environment!;
    expect(env.GF_AUTH_ANONYMOUS_ENABLED).toBe("true");
    expect(env.GF_AUTH_ANONYMOUS_ORG_ROLE).toBe("Viewer");
    const home = env.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH!;
    expect(home.startsWith(provider.options.path + "/")).toBe(true);
    expect(existsSync(path.join(ROOT, "grafana/dashboards", path.basename(home)))).toBe(true);
    for (const ds of YAML.parse(readFileSync(path.join(ROOT, "grafana/provisioning/datasources/leakwatch.yml"), "utf8")).datasources) {
      expect(Object.keys(services)).toContain(new URL(ds.url).hostname);
    }
  });
});

describe("Dockerfile", () => {
  const text = readFileSync(path.join(ROOT, "Dockerfile"), "utf8").replace(/\\\n/g, " ");
  const lines = text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));
  const ignore = readFileSync(path.join(ROOT, ".dockerignore"), "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));

  it("is multi-stage with pinned base images", () => {
    const froms = lines.filter((l) => /^FROM\s/i.test(l)).map((l) => l.split(/\s+/)[1]!);
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const f of froms) expect(pinned(f), `${f} pinned`).toBe(true);
  });

  it("runs as a non-root user", () => {
    const users = lines.filter((l) => /^USER\s/i.test(l)).map((l) => l.split(/\s+/)[1]!);
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)).not.toMatch(/^(root|0)(:|$)/);
    const last = (re: RegExp) => lines.reduce((at, l, i) => (re.test(l) ? i : at), -1);
    expect(last(/^USER\s/i), "USER in the final stage").toBeGreaterThan(last(/^FROM\s/i));
  });

  it("COPYs only sources that exist and that .dockerignore does not exclude", () => {
    const copies = lines.filter((l) => /^COPY\s/i.test(l) && !/--from=/i.test(l));
    expect(copies.length).toBeGreaterThan(3);
    for (const c of copies) {
      const words = c
        .split(/\s+/)
        .slice(1)
        .filter((w) => !w.startsWith("--"));
      for (const src of words.slice(0, -1)) {
        expect(existsSync(path.join(ROOT, src)), `COPY source ${src} exists`).toBe(true);
        const top = src.replace(/^\.\//, "").split("/")[0]!;
        expect(ignore, `COPY source ${src} is not in .dockerignore`).not.toContain(top);
      }
    }
  });

  it("keeps local state and secrets out of the build context", () => {
    for (const p of [".git", "node_modules", "dist", ".env", "*.heapsnapshot"]) expect(ignore).toContain(p);
  });
});
