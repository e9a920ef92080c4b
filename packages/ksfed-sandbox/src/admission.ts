import { defaultServiceSpec, defaultWebhooks, defaultWorkloadSpec, initialWorkloadStatus } from './defaults';
import { ApiError } from './errors';
import { deepEqual, isPlainObject, JsonObject } from './json';
import { AdmissionContext, ObjectApi } from './object-api';

/**
 * Defaulting and validation the API server does for built-in kinds, limited to what an applier notices:
 * - Namespace: label `kubernetes.io/metadata.name`, `spec.finalizers: [kubernetes]`, `status.phase: Active`;
 * - Secret: `type: Opaque`, `data` must be base64; Secret/ConfigMap with `immutable: true` refuse data changes;
 * - Service: the defaults of `defaultServiceSpec`, an allocated `clusterIP`/`clusterIPs` (immutable), node ports for
 *   NodePort and LoadBalancer Services (kept across updates), `status: {loadBalancer: {}}` on create;
 * - Deployment/StatefulSet/DaemonSet/ReplicaSet: the defaults of `defaultWorkloadSpec` (pod template included) and
 *   the zero status of `initialWorkloadStatus` on create; `spec.selector` is immutable (also Job);
 * - webhook configurations: the defaults of `defaultWebhooks`;
 *   Job `spec.template` is immutable; StatefulSet only lets the fields the real API allows change.
 */
export function installBuiltinAdmission(api: ObjectApi, serviceIps: () => string): void {
  api.addHooks('/namespaces', {
    admit: ({ object, operation }) => {
      object.metadata.labels = { ...(object.metadata.labels ?? {}), 'kubernetes.io/metadata.name': object.metadata.name };
      if (operation === 'create') {
        object.spec = { finalizers: ['kubernetes'], ...(isPlainObject(object.spec) ? object.spec : {}) };
        object.status = { phase: 'Active' };
      }
    },
  });

  api.addHooks('/secrets', {
    admit: (ctx) => {
      const { object } = ctx;
      if (!object.type) object.type = 'Opaque';
      for (const [k, v] of Object.entries(isPlainObject(object.data) ? object.data : {})) {
        if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v) || v.length % 4 !== 0) {
          throw ApiError.badRequest(`Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 0 (data.${k})`);
        }
      }
      if (ctx.old && ctx.old.type !== undefined && object.type !== ctx.old.type) {
        throw invalid(ctx, 'type', `Invalid value: ${JSON.stringify(object.type)}: field is immutable`);
      }
      immutableData(ctx, ['data']);
    },
  });

  api.addHooks('/configmaps', { admit: (ctx) => immutableData(ctx, ['data', 'binaryData']) });

  let nodePort = 30080;
  api.addHooks('/services', {
    admit: (ctx) => {
      const spec: JsonObject = isPlainObject(ctx.object.spec) ? ctx.object.spec : (ctx.object.spec = {});
      defaultServiceSpec(spec);
      const oldIp = ctx.old?.spec?.clusterIP;
      if (spec.type !== 'ExternalName') {
        if (spec.clusterIP === undefined || spec.clusterIP === '') {
          spec.clusterIP = oldIp ?? serviceIps();
        } else if (oldIp !== undefined && spec.clusterIP !== oldIp) {
          throw invalid(ctx, 'spec.clusterIP', `Invalid value: ${JSON.stringify(spec.clusterIP)}: field is immutable`);
        }
        spec.clusterIPs = [spec.clusterIP];
      }
      if ((spec.type === 'NodePort' || spec.type === 'LoadBalancer') && Array.isArray(spec.ports)) {
        const before: JsonObject[] = Array.isArray(ctx.old?.spec?.ports) ? ctx.old!.spec.ports : [];
        for (const p of spec.ports) {
          if (!isPlainObject(p) || p.nodePort !== undefined) continue;
          const kept = before.find((b) => b?.port === p.port && (b?.protocol ?? 'TCP') === p.protocol)?.nodePort;
          p.nodePort = kept ?? nodePort++;
        }
      }
      if (ctx.operation === 'create') ctx.object.status = { loadBalancer: {} };
    },
  });

  for (const resource of ['apps/deployments', 'apps/statefulsets', 'apps/replicasets', 'apps/daemonsets']) {
    api.addHooks(resource, {
      admit: ({ object, type, operation }) => {
        if (isPlainObject(object.spec)) defaultWorkloadSpec(type.kind, object.spec);
        if (operation === 'create') object.status = initialWorkloadStatus(type.kind);
      },
    });
  }
  api.addHooks('admissionregistration.k8s.io/validatingwebhookconfigurations', { admit: ({ object }) => defaultWebhooks(object, false) });
  api.addHooks('admissionregistration.k8s.io/mutatingwebhookconfigurations', { admit: ({ object }) => defaultWebhooks(object, true) });
  for (const resource of ['apps/deployments', 'apps/statefulsets', 'apps/replicasets', 'apps/daemonsets', 'batch/jobs']) {
    api.addHooks(resource, { admit: (ctx) => immutableSpec(ctx, ['selector']) });
  }
  api.addHooks('batch/jobs', { admit: (ctx) => immutableSpec(ctx, ['template']) });
  api.addHooks('apps/statefulsets', {
    admit: (ctx) => {
      if (!ctx.old || ctx.subresource) return;
      const mutable = ['replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy', 'minReadySeconds'];
      const strip = (spec: unknown) => {
        const out: JsonObject = { ...(isPlainObject(spec) ? spec : {}) };
        for (const k of mutable) delete out[k];
        return out;
      };
      if (!deepEqual(strip(ctx.old.spec), strip(ctx.object.spec))) {
        throw invalid(ctx, 'spec', `Forbidden: updates to statefulset spec for fields other than ${mutable.map((m) => `'${m}'`).join(', ')} are forbidden`);
      }
    },
  });
}

function invalid(ctx: AdmissionContext, field: string, message: string): ApiError {
  return ApiError.invalid(ctx.type.kind, ctx.type.group, ctx.object.metadata.name, [{ field, message }]);
}

function immutableSpec(ctx: AdmissionContext, fields: string[]): void {
  if (!ctx.old || ctx.subresource) return;
  for (const f of fields) {
    const before = ctx.old.spec?.[f];
    if (before !== undefined && !deepEqual(before, ctx.object.spec?.[f])) {
      throw invalid(ctx, `spec.${f}`, `Invalid value: ${JSON.stringify(ctx.object.spec?.[f] ?? null)}: field is immutable`);
    }
  }
}

function immutableData(ctx: AdmissionContext, fields: string[]): void {
  if (!ctx.old || ctx.old.immutable !== true) return;
  if (ctx.object.immutable !== true) throw invalid(ctx, 'immutable', 'Forbidden: field is immutable when `immutable` is set');
  for (const f of fields) {
    if (!deepEqual(ctx.old[f], ctx.object[f])) throw invalid(ctx, f, 'Forbidden: field is immutable when `immutable` is set');
  }
}
