import { ArgoCdMode, FluxTopology, GitOpsEngine, GitOpsEngineKind } from '../../src';

describe('GitOpsEngine', () => {
  test('argoCd and flux keep their typed options', () => {
    const argo = GitOpsEngine.argoCd({ mode: ArgoCdMode.APPLICATIONS });
    expect(argo.kind).toBe(GitOpsEngineKind.ARGO_CD);
    expect(argo._argoCd).toEqual({ mode: ArgoCdMode.APPLICATIONS });
    expect(argo._flux).toBeUndefined();
    const flux = GitOpsEngine.flux({ topology: FluxTopology.PER_CLUSTER });
    expect(flux.kind).toBe(GitOpsEngineKind.FLUX);
    expect(flux._flux).toEqual({ topology: FluxTopology.PER_CLUSTER });
    expect(GitOpsEngine.flux()._flux).toEqual({});
  });

  test('options are checked when the engine is created', () => {
    expect(() => GitOpsEngine.argoCd({ namespace: '' })).toThrow(/^\[GitOpsEngine\.argoCd\] namespace "": it is empty\. Fix: use a name like "argocd"$/);
    expect(() => GitOpsEngine.flux({ namespace: '' })).toThrow(/^\[GitOpsEngine\.flux\] namespace "": it is empty\. Fix: use a name like "flux-system"$/);
  });
});
