import { applicationCrd, applicationSetCrd, configManagementPluginSchema, gitOpsCrds, gitRepositoryCrd, kustomizationCrd } from '../../src/gitops/schemas';
import { structuralErrors, validateAgainstCrd, validateAgainstSchema } from '../util/schema';

const meta = { name: 'x', namespace: 'gitops' };

describe('GitOps schemas', () => {
  test('each is a structural CRD the API server would accept', () => {
    for (const [name, crd] of Object.entries(gitOpsCrds())) {
      expect([name, structuralErrors(crd)]).toEqual([name, []]);
    }
    expect(Object.keys(gitOpsCrds())).toEqual([
      'argoproj.io/v1alpha1/Application', 'argoproj.io/v1alpha1/ApplicationSet',
      'source.toolkit.fluxcd.io/v1/GitRepository', 'kustomize.toolkit.fluxcd.io/v1/Kustomization',
    ]);
  });

  test('Application: project and destination required, repoURL required in a source, unknown fields reported', () => {
    const ok = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: meta, spec: { project: 'default', destination: { name: 'in-cluster' }, source: { repoURL: 'https://g/x.git', path: 'dist/host' } } };
    expect(validateAgainstCrd(applicationCrd(), ok)).toEqual([]);
    expect(validateAgainstCrd(applicationCrd(), { ...ok, spec: { source: { path: 'p' } } }).sort()).toEqual([
      'spec.destination: Required value', 'spec.project: Required value', 'spec.source.repoURL: Required value',
    ]);
    expect(validateAgainstCrd(applicationCrd(), { ...ok, spec: { ...ok.spec, syncPolicy: { automatic: true, retry: { limit: '5' } } } }).sort()).toEqual([
      'spec.syncPolicy.automatic: unknown field (pruned by the API server)', 'spec.syncPolicy.retry.limit: must be of type integer, got string ("5")',
    ]);
  });

  test('ApplicationSet: generators and template required; applicationsSync enum', () => {
    const template = { metadata: { name: '{{.name}}' }, spec: { project: 'default', destination: { name: '{{.d}}' }, source: { repoURL: 'r' } } };
    const ok = { apiVersion: 'argoproj.io/v1alpha1', kind: 'ApplicationSet', metadata: meta, spec: { generators: [{ list: { elements: [{ a: '1' }] } }], template } };
    expect(validateAgainstCrd(applicationSetCrd(), ok)).toEqual([]);
    expect(validateAgainstCrd(applicationSetCrd(), { ...ok, spec: { syncPolicy: { applicationsSync: 'all' } } }).sort()).toEqual([
      'spec.generators: Required value', 'spec.syncPolicy.applicationsSync: "all" is not one of ["create-only","create-update","create-delete","sync"]', 'spec.template: Required value',
    ]);
  });

  test('GitRepository: url must be http(s) or ssh, interval a duration', () => {
    const ok = { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository', metadata: meta, spec: { url: 'ssh://git@g/x.git', interval: '1m' } };
    expect(validateAgainstCrd(gitRepositoryCrd(), ok)).toEqual([]);
    expect(validateAgainstCrd(gitRepositoryCrd(), { ...ok, spec: { url: 'git@g:x.git', interval: '1 minute' } })).toEqual([
      'spec.url: "git@g:x.git" does not match pattern ^(http|https|ssh)://.*$', 'spec.interval: "1 minute" does not match pattern ^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$',
    ]);
  });

  test('Kustomization: interval, prune and sourceRef required; sourceRef kind and substituteFrom kind enums', () => {
    const ok = { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', metadata: meta, spec: { interval: '10m', prune: true, sourceRef: { kind: 'GitRepository', name: 'r' } } };
    expect(validateAgainstCrd(kustomizationCrd(), ok)).toEqual([]);
    expect(validateAgainstCrd(kustomizationCrd(), { ...ok, spec: { sourceRef: { kind: 'HelmRepository', name: 'r' }, postBuild: { substituteFrom: [{ kind: 'Vault', name: 'v' }] } } }).sort()).toEqual([
      'spec.interval: Required value', 'spec.postBuild.substituteFrom[0].kind: "Vault" is not one of ["Secret","ConfigMap"]', 'spec.prune: Required value',
      'spec.sourceRef.kind: "HelmRepository" is not one of ["OCIRepository","GitRepository","Bucket"]',
    ]);
  });

  test('ConfigManagementPlugin: generate is required', () => {
    const ok = { apiVersion: 'argoproj.io/v1alpha1', kind: 'ConfigManagementPlugin', metadata: { name: 'p' }, spec: { generate: { command: ['sh'] } } };
    expect(validateAgainstSchema(configManagementPluginSchema(), ok)).toEqual([]);
    expect(validateAgainstSchema(configManagementPluginSchema(), { ...ok, spec: {} })).toEqual(['spec.generate: Required value']);
  });
});
