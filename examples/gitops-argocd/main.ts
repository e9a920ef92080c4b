// The quickstart fleet, delivered by Argo CD instead of `ksfed apply`: the program is the same, plus one
// GitOpsDelivery. The host's folder gets an ApplicationSet (one Application per cluster folder) and the
// `ksfed-envsubst` plugin definition; credentials come from the Secret `ksfed-credentials` you manage.
import { FederationApp, GitOpsCredentials, GitOpsDelivery, GitOpsEngine } from 'cdk8s-kubesphere-federation';
import { quickstart } from '../quickstart/main';

/** Builds the quickstart federation, delivered by Argo CD. */
export function gitopsArgoCd(app: FederationApp): GitOpsDelivery {
  quickstart(app);
  return new GitOpsDelivery(app, 'GitOps', {
    engine: GitOpsEngine.argoCd(),
    repoUrl: 'https://git.example.com/platform/fleet.git',
    pathPrefix: 'examples/gitops-argocd/dist',
    credentials: GitOpsCredentials.fromSecret({ secretName: 'ksfed-credentials' }),
  });
}

if (require.main === module) {
  const app = new FederationApp();
  gitopsArgoCd(app);
  app.synth();
}
