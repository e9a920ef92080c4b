/**
 * Our own minimal definitions of the Argo CD and Flux objects the GitOps delivery emits, written from the projects'
 * documented APIs (Argo CD `pkg/apis/application/v1alpha1` types; Flux `source-controller/api/v1` and
 * `kustomize-controller/api/v1` types). They declare the fields we emit (and a few neighbours), with the
 * upstream required fields, enums and patterns, so that tests can check every emitted object against them.
 *
 * Internal module: not exported from the package entry point.
 */
import { anyValue, arr, bool, crd, int, intOrString, JsonSchema, map, obj, resource, str } from '../crds/schema';

/** Flux's `metav1.Duration` pattern (interval, retryInterval, timeout). */
const DURATION = '^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$';

/** Argo CD `ApplicationSpec`: where from (source), where to (destination), how (syncPolicy). */
function applicationSpec(): JsonSchema {
  return obj({
    project: str({ description: 'The AppProject.' }),
    source: obj({
      repoURL: str(),
      path: str(),
      targetRevision: str(),
      plugin: obj({
        name: str(),
        env: arr(obj({ name: str(), value: str() }, ['name', 'value'])),
      }),
      directory: obj({ recurse: bool(), include: str(), exclude: str() }),
    }, ['repoURL']),
    destination: obj({ server: str(), name: str(), namespace: str() }),
    syncPolicy: obj({
      automated: obj({ prune: bool(), selfHeal: bool(), allowEmpty: bool() }),
      syncOptions: arr(str()),
      retry: obj({
        limit: int({ format: 'int64' }),
        backoff: obj({ duration: str(), factor: int({ format: 'int64' }), maxDuration: str() }),
      }),
    }),
    revisionHistoryLimit: int({ format: 'int64' }),
  }, ['destination', 'project']);
}

/** argoproj.io/v1alpha1 Application. */
export function applicationCrd(): any {
  return crd({
    group: 'argoproj.io',
    kind: 'Application',
    plural: 'applications',
    shortNames: ['app', 'apps'],
    scope: 'Namespaced',
    versions: [{
      name: 'v1alpha1',
      schema: resource({ spec: applicationSpec(), operation: anyValue(), status: anyValue() }, ['metadata', 'spec']),
      subresources: {},
    }],
  });
}

/** argoproj.io/v1alpha1 ApplicationSet (list generator, template, RollingSync strategy). */
export function applicationSetCrd(): any {
  const matchExpression = obj({ key: str(), operator: str(), values: arr(str()) });
  return crd({
    group: 'argoproj.io',
    kind: 'ApplicationSet',
    plural: 'applicationsets',
    shortNames: ['appset', 'appsets'],
    scope: 'Namespaced',
    versions: [{
      name: 'v1alpha1',
      schema: resource({
        spec: obj({
          goTemplate: bool(),
          goTemplateOptions: arr(str()),
          generators: arr(obj({
            list: obj({ elements: arr(anyValue()), elementsYaml: str() }, ['elements']),
          })),
          template: obj({
            metadata: obj({
              name: str(),
              namespace: str(),
              labels: map(str()),
              annotations: map(str()),
              finalizers: arr(str()),
            }),
            spec: applicationSpec(),
          }, ['metadata', 'spec']),
          syncPolicy: obj({
            preserveResourcesOnDeletion: bool(),
            applicationsSync: str({ enum: ['create-only', 'create-update', 'create-delete', 'sync'] }),
          }),
          strategy: obj({
            type: str(),
            rollingSync: obj({ steps: arr(obj({ matchExpressions: arr(matchExpression), maxUpdate: intOrString() })) }),
          }),
        }, ['generators', 'template']),
        status: anyValue(),
      }, ['metadata', 'spec']),
      subresources: { status: true },
    }],
  });
}

/** source.toolkit.fluxcd.io/v1 GitRepository. */
export function gitRepositoryCrd(): any {
  return crd({
    group: 'source.toolkit.fluxcd.io',
    kind: 'GitRepository',
    plural: 'gitrepositories',
    shortNames: ['gitrepo'],
    scope: 'Namespaced',
    versions: [{
      name: 'v1',
      schema: resource({
        spec: obj({
          url: str({ pattern: '^(http|https|ssh)://.*$' }),
          secretRef: obj({ name: str() }, ['name']),
          interval: str({ pattern: DURATION }),
          timeout: str({ pattern: '^([0-9]+(\\.[0-9]+)?(ms|s|m))+$' }),
          ref: obj({ branch: str(), tag: str(), semver: str(), name: str(), commit: str() }),
          ignore: str(),
          suspend: bool(),
          recurseSubmodules: bool(),
        }, ['interval', 'url']),
        status: anyValue(),
      }),
      subresources: { status: true },
    }],
  });
}

/** kustomize.toolkit.fluxcd.io/v1 Kustomization. */
export function kustomizationCrd(): any {
  return crd({
    group: 'kustomize.toolkit.fluxcd.io',
    kind: 'Kustomization',
    plural: 'kustomizations',
    shortNames: ['ks'],
    scope: 'Namespaced',
    versions: [{
      name: 'v1',
      schema: resource({
        spec: obj({
          dependsOn: arr(obj({ name: str(), namespace: str() }, ['name'])),
          interval: str({ pattern: DURATION }),
          retryInterval: str({ pattern: DURATION }),
          timeout: str({ pattern: DURATION }),
          kubeConfig: obj({ secretRef: obj({ name: str(), key: str() }, ['name']) }),
          path: str(),
          postBuild: obj({
            substitute: map(str()),
            substituteFrom: arr(obj({
              kind: str({ enum: ['Secret', 'ConfigMap'] }),
              name: str({ minLength: 1, maxLength: 253 }),
              optional: bool(),
            }, ['kind', 'name'])),
          }),
          prune: bool(),
          wait: bool(),
          force: bool(),
          suspend: bool(),
          serviceAccountName: str(),
          targetNamespace: str({ minLength: 1, maxLength: 63 }),
          sourceRef: obj({
            apiVersion: str(),
            kind: str({ enum: ['OCIRepository', 'GitRepository', 'Bucket'] }),
            name: str(),
            namespace: str(),
          }, ['kind', 'name']),
        }, ['interval', 'prune', 'sourceRef']),
        status: anyValue(),
      }),
      subresources: { status: true },
    }],
  });
}

/**
 * The `plugin.yaml` of an Argo CD config management plugin (read by the sidecar's cmp-server; not an API object).
 */
export function configManagementPluginSchema(): JsonSchema {
  const command = obj({ command: arr(str()), args: arr(str()) });
  return obj({
    apiVersion: str({ enum: ['argoproj.io/v1alpha1'] }),
    kind: str({ enum: ['ConfigManagementPlugin'] }),
    metadata: obj({ name: str() }, ['name']),
    spec: obj({
      version: str(),
      init: command,
      generate: command,
      discover: obj({ fileName: str(), find: anyValue() }),
      preserveFileMode: bool(),
    }, ['generate']),
  }, ['apiVersion', 'kind', 'metadata', 'spec']);
}

/** Every CRD above, by `<apiVersion>/<kind>`. */
export function gitOpsCrds(): { [apiVersionKind: string]: any } {
  return {
    'argoproj.io/v1alpha1/Application': applicationCrd(),
    'argoproj.io/v1alpha1/ApplicationSet': applicationSetCrd(),
    'source.toolkit.fluxcd.io/v1/GitRepository': gitRepositoryCrd(),
    'kustomize.toolkit.fluxcd.io/v1/Kustomization': kustomizationCrd(),
  };
}
