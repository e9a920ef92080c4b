// The quickstart fleet, delivered by Flux instead of `ksfed apply`: the program is the same, plus one
// GitOpsDelivery. The host's folder gets a GitRepository and one Kustomization per cluster folder (members
// reached through their kubeconfig Secrets, after the host); credentials are substituted by Flux from the Secret
// `ksfed-credentials` you manage.
import { FederationApp, GitOpsCredentials, GitOpsDelivery, GitOpsEngine } from 'cdk8s-kubesphere-federation';
import { quickstart } from '../quickstart/main';

/** Builds the quickstart federation, delivered by Flux. */
export function gitopsFlux(app: FederationApp): GitOpsDelivery {
  quickstart(app);
  return new GitOpsDelivery(app, 'GitOps', {
    engine: GitOpsEngine.flux(),
    repoUrl: 'https://git.example.com/platform/fleet.git',
    pathPrefix: 'examples/gitops-flux/dist',
    credentials: GitOpsCredentials.fromSecret({ secretName: 'ksfed-credentials' }),
  });
}

if (require.main === module) {
  const app = new FederationApp();
  gitopsFlux(app);
  app.synth();
}
