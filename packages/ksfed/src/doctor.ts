import { describeError } from './cluster-run';
import { CHECKS, DirectKubeconfig, ExpectedJwtSecret, Finding, runChecks, Severity } from './doctor-checks';
import { gatherLive, GatherMode, LiveCluster } from './doctor-live';
import { messageOf } from './errors';
import { Federation, FederationIndex, groupOf } from './federation';
import { KubeSphereProblem, kubesphereNeeds, probeKubeSphere } from './kubesphere-check';
import { ConnectOptions, openSession, placeholdersOf, Session, SessionStart } from './session';

export { CHECKS } from './doctor-checks';
export type { CheckInfo, Finding, Severity } from './doctor-checks';

/** Options of `doctor`: those of every command that talks to clusters, and the role change it may allow. */
export interface DoctorOptions extends ConnectOptions {
  /** Report a host turned member (or back) as a warning, not an error (`--allow-role-change`). */
  readonly allowRoleChange?: boolean;
  /** The time credentials are judged at (tests); default now. */
  readonly now?: Date;
}

/** The result of `doctor`: plain data (its JSON form is `--output json`). */
export interface DoctorReport {
  readonly dist: string;
  /** The clusters checked (federation.json order). */
  readonly clusters: string[];
  /** What was found, by cluster, then in the order of CHECKS. */
  readonly findings: Finding[];
}

/**
 * Read-only checks of the live clusters a synthesized federation targets, for what makes KubeSphere members fail to
 * join or the federation break (see CHECKS): KubeSphere and Kubernetes versions, roles, the shared jwtSecret, member
 * identity and cleanliness, the direct members' kubeconfigs, tower's address, capacity, component owners. Never
 * writes; never shows a secret (only whether two differ). Bad input rejects with a UsageError, as for `status`.
 */
export async function doctor(dist: string, options: DoctorOptions = {}): Promise<DoctorReport> {
  let live: Map<string, Promise<LiveCluster>> | undefined;
  let kubesphere: ((reachable: (cluster: string) => boolean) => Promise<KubeSphereProblem[]>) | undefined;
  const session = await openSession(dist, options, {
    contact: true,
    placeholders: false,
    kubesphere: false,
    alongside: s => {
      kubesphere = probeKubeSphere(kubesphereNeeds(s.index, s.selected, placeholdersOf(s.index, s.selected)), s.client, c => s.contexts.get(c));
      live = gatherLive(gatherContext(s), 'full');
      return Promise.all(live.values());
    },
  });
  try {
    const reachable = (c: string) => !session.preflight.get(c)?.error;
    const missing = await kubesphere!(reachable).catch(() => [] as KubeSphereProblem[]);
    const findings = await findingsOf(session, live!, {
      mode: 'full',
      allowRoleChange: options.allowRoleChange ?? false,
      now: options.now ?? new Date(),
      kubesphereMissing: new Map(missing.map(p => [p.cluster, `${p.what} (needed by ${p.users})`])),
    });
    return session.redactor.redactDeep({ dist, clusters: session.selected.map(c => c.name), findings });
  } finally {
    session.close();
  }
}

/** What the gathering needs of a session that has just contacted its clusters. */
export function gatherContext(s: SessionStart): { host: string; clusters: FederationIndex['clusters']; selected: Set<string>; talkTo: string[]; client: SessionStart['client'] } {
  return { host: s.index.host, clusters: s.index.clusters, selected: s.selected, talkTo: s.talkTo, client: s.client };
}

/** How a run's checks are made. */
export interface FindingsOptions {
  readonly mode: GatherMode;
  readonly allowRoleChange: boolean;
  readonly now: Date;
  readonly kubesphereMissing?: Map<string, string>;
}

/**
 * Runs the checks on what `gatherLive` read for the session's clusters (waiting for the clusters that answered the
 * session's first request only), the program's jwtSecret and the direct members' kubeconfigs (from the session's
 * placeholder sources; a value the session cannot make is a finding, not a failure).
 */
export async function findingsOf(session: Session, gathered: Map<string, Promise<LiveCluster>>, options: FindingsOptions): Promise<Finding[]> {
  const federation = session.federation;
  const unreachable = new Map<string, string>();
  const live = new Map<string, LiveCluster>();
  await Promise.all([...gathered].map(async ([name, p]) => {
    const error = session.preflight.get(name)?.error;
    if (error) unreachable.set(name, describeError(error));
    else live.set(name, await p);
  }));
  const selected = new Set(session.selected.map(c => c.name));
  const findings = runChecks({
    federation,
    selected,
    live,
    unreachable,
    kubesphereMissing: options.kubesphereMissing ?? new Map(),
    jwtSecret: await expectedJwtSecret(session, selected, live),
    kubeconfigs: await directKubeconfigs(session, selected),
    allowRoleChange: options.allowRoleChange,
    now: options.now,
    mode: options.mode,
  });
  return session.redactor.redactDeep(findings);
}

/** The jwtSecret the selected members get (the `jwt-secret` placeholder, or the value written in their folders). */
async function expectedJwtSecret(session: Session, selected: Set<string>, live: Map<string, LiveCluster>): Promise<ExpectedJwtSecret | undefined> {
  const federation = session.federation;
  const placeholder = federation.placeholders.find(p => p.kind === 'jwt-secret' && p.occurrences.some(o => selected.has(o.cluster)));
  if (placeholder) {
    const s = placeholder.source;
    if (s.type === 'host-secret') {
      const cluster = typeof s.cluster === 'string' ? s.cluster : federation.host;
      const source = `the ${s.name} Secret of ${cluster} (key ${s.key})`;
      const secret = live.get(cluster)?.secret;
      if (secret === null) return { source, fromHost: true, problem: `Secret ${s.namespace}/${s.name} on ${cluster} does not exist or has no key ${s.key}` };
      if (secret === undefined) return undefined;
      session.redactor.add(secret, `{{ksfed:${placeholder.id}}}`);
      return { source, fromHost: true, value: secret };
    }
    const source = s.type === 'env' ? `environment variable ${s.name}` : s.type === 'file' ? `file ${s.path}` : placeholder.description;
    try {
      return { source, fromHost: false, value: await session.resolver.value(placeholder.id) };
    } catch (e) {
      return { source, fromHost: false, problem: messageOf(e).replace(/^placeholder [^:]+: /, '') };
    }
  }
  for (const c of federation.clusters.filter(x => selected.has(x.name))) {
    const cc = c.objects.find(o => o.kind === 'ClusterConfiguration' && groupOf(o.apiVersion) === 'installer.kubesphere.io');
    const value = cc?.manifest?.spec?.authentication?.jwtSecret;
    if (typeof value === 'string' && value.length > 0 && !value.includes('{{ksfed:')) {
      session.redactor.add(value, '<redacted:jwt-secret>');
      return { source: 'the value written in the folders (JwtSecret.unsafePlainText)', fromHost: false, value };
    }
  }
  return undefined;
}

/** Per selected direct member, the kubeconfig its Cluster on the host gets (resolved as apply resolves it). */
async function directKubeconfigs(session: Session, selected: Set<string>): Promise<Map<string, DirectKubeconfig>> {
  const federation: Federation = session.federation;
  const host = federation.clusters.find(c => c.name === federation.host)!;
  const out = new Map<string, DirectKubeconfig>();
  for (const m of federation.clusters.filter(c => c.role === 'member' && c.connection === 'direct' && selected.has(c.name))) {
    const obj = host.objects.find(o => o.kind === 'Cluster' && groupOf(o.apiVersion) === 'cluster.kubesphere.io' && o.name === m.name);
    const raw = obj?.manifest?.spec?.connection?.kubeconfig;
    if (typeof raw !== 'string' || raw.length === 0) continue;
    const id = /^\{\{ksfed:([^}]+)\}\}$/.exec(raw)?.[1];
    if (!id) {
      out.set(m.name, { source: 'written in the host\'s folder', text: Buffer.from(raw, 'base64').toString('utf8') });
      continue;
    }
    const entry = federation.placeholders.find(p => p.id === id);
    const s = entry?.source;
    const source = s?.type === 'context' ? `context ${s.context ?? session.contexts.get(m.name) ?? m.context}`
      : s?.type === 'file' ? `file ${s.path}` : s?.type === 'env' ? `environment variable ${s.name}` : `{{ksfed:${id}}}`;
    try {
      out.set(m.name, { source, text: await session.resolver.value(id) });
    } catch (e) {
      out.set(m.name, { source, problem: messageOf(e).replace(/^placeholder [^:]+: /, '').split('. Fix:')[0] });
    }
  }
  return out;
}

/** The exit code of `ksfed doctor`: 1 when any finding is an error, else 0. */
export function doctorExitCode(report: DoctorReport): 0 | 1 {
  return report.findings.some(f => f.severity === 'error') ? 1 : 0;
}

const SEVERITY_ORDER: Severity[] = ['error', 'warning', 'info'];

/**
 * The report as text: a table of findings (severity, cluster, check, what was seen), each followed by its why and
 * fix, then a count per severity; or one line saying every check passed.
 */
export function formatDoctor(report: DoctorReport): string {
  const clusters = `${report.clusters.length} cluster${report.clusters.length === 1 ? '' : 's'} (${report.clusters.join(', ')})`;
  if (report.findings.length === 0) return `doctor: no findings on ${clusters}; ${CHECKS.length} checks`;
  const header = ['SEVERITY', 'CLUSTER', 'CHECK', 'SEEN'];
  const rows = report.findings.map(f => [f.severity, f.cluster, f.check, f.seen]);
  const widths = header.slice(0, 3).map((h, i) => Math.max(h.length, ...rows.map(r => r[i].length)));
  const line = (r: string[]) => r.map((cell, i) => (i < 3 ? cell.padEnd(widths[i]) : cell)).join('  ').trimEnd();
  const indent = ' '.repeat(widths[0] + widths[1] + widths[2] + 6);
  const lines = [line(header)];
  for (const [i, f] of report.findings.entries()) {
    lines.push(line(rows[i]));
    lines.push(`${indent}why: ${f.why}`);
    lines.push(`${indent}fix: ${f.fix}`);
  }
  const counts = SEVERITY_ORDER.map(s => [s, report.findings.filter(f => f.severity === s).length] as const).filter(([, n]) => n > 0);
  lines.push(`doctor: ${counts.map(([s, n]) => `${n} ${s}${n === 1 ? '' : 's'}`).join(', ')} on ${clusters}`);
  return lines.join('\n');
}
