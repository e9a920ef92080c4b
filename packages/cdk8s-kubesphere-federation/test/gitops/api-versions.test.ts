import { GitOpsApiVersions } from '../../src';
import { gitOpsCrds } from '../../src/gitops/schemas';

describe('GitOpsApiVersions', () => {
  test('pinned to the GA/served versions of Argo CD and Flux', () => {
    expect(GitOpsApiVersions.ARGO_CD).toBe('argoproj.io/v1alpha1');
    expect(GitOpsApiVersions.FLUX_SOURCE).toBe('source.toolkit.fluxcd.io/v1');
    expect(GitOpsApiVersions.FLUX_KUSTOMIZE).toBe('kustomize.toolkit.fluxcd.io/v1');
  });

  test('our schemas define exactly the pinned group/versions', () => {
    const served = Object.values(gitOpsCrds()).map((crd: any) => `${crd.spec.group}/${crd.spec.versions[0].name}`);
    expect([...new Set(served)].sort()).toEqual([GitOpsApiVersions.ARGO_CD, GitOpsApiVersions.FLUX_KUSTOMIZE, GitOpsApiVersions.FLUX_SOURCE].sort());
  });
});
